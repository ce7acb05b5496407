import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { emailDomainOf, normalizeDomains, toDomainName } from '../../src/store/email-domains.js';
import { normalizeIssuerPatch, normalizeNewIssuer } from '../../src/store/validate-input.js';

describe('e-mail domains', () => {
  it('keeps one form of a domain: lower case, ASCII (IDNA), no trailing dot', () => {
    const cases: readonly (readonly [string, string])[] = [
      ['contoso.com', 'contoso.com'],
      ['Contoso.COM', 'contoso.com'],
      ['contoso.com.', 'contoso.com'],
      ['fabrikam.co.uk', 'fabrikam.co.uk'],
      ['bücher.example', 'xn--bcher-kva.example'],
      ['BÜCHER.example.', 'xn--bcher-kva.example'],
      ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
      ['ｃｏｎｔｏｓｏ.com', 'contoso.com'],
      ['localhost', 'localhost'],
      [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
    ];
    for (const [given, stored] of cases) assert.equal(toDomainName(given), stored, given);
  });

  it('refuses what is not a DNS name: addresses, wildcards, IP literals, bad labels, over-long names', () => {
    for (const value of [
      '',
      '.',
      'contoso.com..',
      '.contoso.com',
      'bob@contoso.com',
      '*.contoso.com',
      '*',
      '192.0.2.1',
      '192.0.2.1.',
      '0x7f.1',
      '10.0x1',
      '127.1',
      'a.b.123',
      '[::1]',
      '::1',
      '2001:db8::1',
      'contoso..com',
      '-contoso.com',
      'contoso-.com',
      'con_toso.com',
      'con toso.com',
      ' contoso.com',
      'contoso.com/path',
      'contoso.com:443',
      'http://contoso.com',
      'con%74oso.com',
      'contoso\u0000.com',
      'xn--zz.example',
      `${'a'.repeat(64)}.com`,
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
    ]) {
      assert.equal(toDomainName(value), undefined, JSON.stringify(value));
    }
    assert.equal(
      toDomainName(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`)?.length,
      253,
    );
  });

  it('takes the domain of an address after its last @, in the stored form', () => {
    assert.equal(emailDomainOf('bob@Contoso.COM'), 'contoso.com');
    assert.equal(emailDomainOf('Bob.Smith@bücher.example.'), 'xn--bcher-kva.example');
    assert.equal(emailDomainOf('"odd@local"@fabrikam.co.uk'), 'fabrikam.co.uk');
    for (const value of [
      'contoso.com',
      '@contoso.com',
      'bob@',
      'bob@*.contoso.com',
      'bob@[192.0.2.1]',
      'bob@1.2.3.4',
    ])
      assert.equal(emailDomainOf(value), undefined, value);
  });

  it('stores an issuer’s domains without repeats, sorted, and refuses more than 200', () => {
    assert.deepEqual(normalizeDomains('domains', ['b.example', 'A.example', 'a.example.', 'b.EXAMPLE']), [
      'a.example',
      'b.example',
    ]);
    const many = Array.from({ length: 201 }, (_, index) => `d${index}.example`);
    // 201 spellings of 200 domains are 200 domains.
    assert.equal(normalizeDomains('domains', [...many.slice(0, 200), 'D0.example']).length, 200);
    assert.throws(
      () => normalizeNewIssuer({ name: 'a', issuerUri: 'https://a.test/', domains: many }),
      (error: unknown) => isClaimsgateError(error, 'CG_STORE_INVALID') && error.detail['field'] === 'domains',
    );
  });

  it('names the entry that is not a domain, on create and on patch; a patch without domains leaves them', () => {
    assert.throws(
      () =>
        normalizeNewIssuer({
          name: 'a',
          issuerUri: 'https://a.test/',
          domains: ['ok.example', 'bob@x.example'],
        }),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_STORE_INVALID') &&
        error.detail['field'] === 'domains[1]' &&
        /DNS name/.test(error.message),
    );
    assert.throws(
      () => normalizeIssuerPatch({ domains: ['*.example'] }),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_STORE_INVALID') && error.detail['field'] === 'domains[0]',
    );
    assert.deepEqual(normalizeIssuerPatch({ domains: ['Contoso.com.'] }), { domains: ['contoso.com'] });
    assert.deepEqual(normalizeIssuerPatch({ domains: [] }), { domains: [] });
    assert.equal('domains' in normalizeIssuerPatch({ description: 'x' }), false);
  });
});
