import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { normalizeAdminUsername } from '../../src/store/validate-admin-input.js';
import {
  normalizeClaimMappingPatch,
  normalizeIssuerPatch,
  normalizeNewClaimMapping,
  normalizeNewIssuer,
  normalizeNewRealm,
  normalizeRealmPatch,
  normalizeNewKey,
  normalizeRefreshApplication,
} from '../../src/store/validate-input.js';
import { createTestCertificate } from '../helpers/certificates.js';

function invalidField(field: string) {
  return (error: unknown): boolean =>
    isClaimsgateError(error, 'CG_STORE_INVALID') && error.detail['field'] === field;
}

describe('store input validation', () => {
  it('fills issuer defaults: label = name, wsfed, hourly refresh, self-consistent signatures, SHA-1 off, auto discontinuity, signed assertions, no domains', () => {
    assert.deepEqual(normalizeNewIssuer({ name: ' contoso ', issuerUri: 'https://sts.test/' }), {
      name: 'contoso',
      description: '',
      issuerUri: 'https://sts.test/',
      protocols: ['wsfed'],
      metadataUrl: null,
      loginUrl: null,
      useForLogin: true,
      label: 'contoso',
      refreshIntervalSeconds: 3600,
      signaturePolicy: { mode: 'self-consistent' },
      allowSha1: false,
      allowedTenants: [],
      discontinuityPolicy: 'auto',
      requireSignedAssertion: true,
      domains: [],
    });
  });

  it('refuses an issuer name shaped like a record ID, which getIssuer could confuse with an ID', () => {
    assert.throws(
      () =>
        normalizeNewIssuer({ name: '6f1c2a9e-3b7d-4c1e-9a2b-0c8d7e6f5a4b', issuerUri: 'https://sts.test/' }),
      invalidField('name'),
    );
  });

  it('refuses a name holding an invisible format character, showing its code point', () => {
    for (const character of [
      '\u202E',
      '\u202A',
      '\u200B',
      '\u200D',
      '\u200E',
      '\u2066',
      '\u2069',
      '\uFEFF',
      '\u00AD',
      // Not Cf, but drawn as nothing all the same (Default_Ignorable_Code_Point).
      '\u034F',
      '\u115F',
      '\u1160',
      '\u3164',
      '\uFFA0',
      '\uFE0F',
      '\u180B',
    ]) {
      assert.throws(
        () => normalizeNewIssuer({ name: `con${character}toso`, issuerUri: 'https://sts.test/' }),
        (error: unknown) =>
          invalidField('name')(error) &&
          isClaimsgateError(error) &&
          String(error.detail['observed']).includes(
            `\\u${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
          ),
      );
    }
    assert.throws(() => normalizeIssuerPatch({ label: 'K2\u200BAAD' }), invalidField('label'));
    assert.throws(
      () => normalizeNewClaimMapping({ issuerId: 'i', label: 'A\u202EB', nameClaim: 'upn' }),
      invalidField('label'),
    );
    assert.throws(() => normalizeRealmPatch({ realmUri: 'urn:x\u2066' }), invalidField('realmUri'));
    assert.throws(
      () => normalizeAdminUsername('admin\u200B'),
      (error: unknown) =>
        invalidField('username')(error) &&
        isClaimsgateError(error) &&
        /Cf/.test(String(error.detail['expected'])),
    );
    assert.throws(
      () => normalizeNewClaimMapping({ issuerId: 'i', label: 'K2AAD\u3164', nameClaim: 'upn' }),
      invalidField('label'),
    );
    assert.throws(
      () => normalizeNewRealm({ realmUri: 'urn:app\u180B', replyUrl: 'https://a.test/' }),
      invalidField('realmUri'),
    );
    // Visible non-ASCII letters stay acceptable in issuer names.
    assert.equal(
      normalizeNewIssuer({ name: 'Zürich IdP', issuerUri: 'https://sts.test/' }).name,
      'Zürich IdP',
    );
  });

  it('refuses a name not in Unicode normalization form C, which looks like its composed twin', () => {
    // `e` + U+0301 (combining acute) is drawn as `é` (U+00E9): two names an administrator cannot tell apart.
    assert.equal(normalizeNewIssuer({ name: 'caf\u00E9', issuerUri: 'https://sts.test/' }).name, 'café');
    assert.throws(
      () => normalizeNewIssuer({ name: 'cafe\u0301', issuerUri: 'https://sts.test/' }),
      (error: unknown) =>
        invalidField('name')(error) &&
        isClaimsgateError(error) &&
        /NFC|form C/.test(String(error.detail['expected'])),
    );
    assert.throws(() => normalizeIssuerPatch({ label: 'Zu\u0308rich' }), invalidField('label'));
    assert.throws(
      () => normalizeNewClaimMapping({ issuerId: 'i', label: 'Zu\u0308rich', nameClaim: 'upn' }),
      invalidField('label'),
    );
  });

  it('checks the shape its schema declares: types, lengths, lists of values, required and unknown fields', () => {
    const issuer = { name: 'contoso', issuerUri: 'https://sts.test/' };
    const cases: [() => unknown, string][] = [
      [() => normalizeNewIssuer({ ...issuer, colour: 'red' } as never), 'colour'],
      [() => normalizeNewIssuer({ name: 'contoso' } as never), 'issuerUri'],
      [() => normalizeNewIssuer({ ...issuer, name: 'x'.repeat(201) }), 'name'],
      [() => normalizeNewIssuer({ ...issuer, useForLogin: 'true' as never }), 'useForLogin'],
      [() => normalizeNewIssuer({ ...issuer, protocols: ['wsfed', 'ws-trust' as never] }), 'protocols'],
      [
        () => normalizeNewIssuer({ ...issuer, signaturePolicy: { mode: 'trust-me' as never } }),
        'signaturePolicy.mode',
      ],
      [() => normalizeNewIssuer(null as never), 'issuer'],
      [() => normalizeIssuerPatch({ discontinuityPolicy: 'never' as never }), 'discontinuityPolicy'],
      [
        () =>
          normalizeNewRealm({
            realmUri: 'urn:a',
            replyUrl: 'https://a.test/',
            allowedIssuerIds: [5 as never],
          }),
        'allowedIssuerIds',
      ],
      [() => normalizeNewRealm({ realmUri: 'urn:a' } as never), 'replyUrl'],
      [() => normalizeRealmPatch({ allowedIssuers: ['a'] } as never), 'allowedIssuers'],
      [() => normalizeNewClaimMapping({ issuerId: 'i', label: 'L'.repeat(201), nameClaim: 'upn' }), 'label'],
      [() => normalizeClaimMappingPatch({ groupClaim: 5 as never }), 'groupClaim'],
      [() => normalizeClaimMappingPatch('label' as never), 'patch'],
    ];
    for (const [normalize, field] of cases) assert.throws(normalize, invalidField(field), field);
    assert.throws(
      () => normalizeNewIssuer({ ...issuer, refreshIntervalSeconds: 0 }),
      (error: unknown) =>
        invalidField('refreshIntervalSeconds')(error) &&
        isClaimsgateError(error) &&
        error.detail['expected'] === 'a whole number ≥ 1',
    );
  });

  it('checks only the fields a patch carries and lets null clear a URL', () => {
    assert.deepEqual(normalizeIssuerPatch({ metadataUrl: null, useForLogin: false }), {
      metadataUrl: null,
      useForLogin: false,
    });
    assert.throws(() => normalizeIssuerPatch({ loginUrl: 'javascript:alert(1)' }), invalidField('loginUrl'));
  });

  it('takes thumbprints from a certificate and refuses a thumbprint that disagrees with it', async () => {
    const certificate = await createTestCertificate({ keyType: 'ec' });
    const sha1 = createHash('sha1').update(certificate.der).digest('hex').toUpperCase();
    const key = normalizeNewKey({ issuerId: 'i', certificateDer: certificate.der, source: 'manual' });
    assert.equal(key.sha1, sha1);
    assert.equal(key.state, 'active');
    assert.throws(
      () =>
        normalizeNewKey({
          issuerId: 'i',
          certificateDer: certificate.der,
          sha1: 'AB'.repeat(20),
          source: 'manual',
        }),
      invalidField('sha1'),
    );
    assert.throws(
      () => normalizeNewKey({ issuerId: 'i', sha1: 'AB'.repeat(20), source: 'pasted' as never }),
      invalidField('source'),
    );
  });

  it('refuses a refresh that would add a key, snapshot or state to another issuer', () => {
    const at = new Date('2026-03-01T09:00:00.000Z');
    const refreshState = {
      issuerId: 'a',
      lastAttemptAt: at,
      lastSuccessAt: at,
      lastOutcome: 'success' as const,
      lastErrorCode: null,
      lastErrorMessage: null,
      consecutiveFailures: 0,
      nextAttemptAt: null,
    };
    const base = { issuerId: 'a', addKeys: [], updateKeys: [], snapshot: null, refreshState, audit: [] };
    assert.equal(normalizeRefreshApplication(base, at).issuerId, 'a');
    assert.throws(
      () =>
        normalizeRefreshApplication(
          { ...base, addKeys: [{ issuerId: 'b', sha1: 'AB'.repeat(20), source: 'metadata' }] },
          at,
        ),
      invalidField('addKeys[0].issuerId'),
    );
    assert.throws(
      () => normalizeRefreshApplication({ ...base, refreshState: { ...refreshState, issuerId: 'b' } }, at),
      invalidField('refreshState.issuerId'),
    );
    assert.throws(
      () =>
        normalizeRefreshApplication(
          { ...base, refreshState: { ...refreshState, consecutiveFailures: -1 } },
          at,
        ),
      invalidField('refreshState.consecutiveFailures'),
    );
  });
});
