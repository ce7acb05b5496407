import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { parseJwks, parseOidcDiscovery } from '../../src/metadata/parse-oidc-metadata.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { readFixture } from '../helpers/fixtures.js';
import { hasOpenssl, opensslSha1 } from '../helpers/metadata-xml.js';

type Jwk = Record<string, unknown>;

function readJson(name: string): unknown {
  return JSON.parse(readFixture(`metadata/${name}`).toString('utf8')) as unknown;
}

function assertCode(action: () => unknown, code: string): Record<string, unknown> {
  let detail: Record<string, unknown> = {};
  assert.throws(action, (error: unknown) => {
    assert.ok(isClaimsgateError(error), `expected a ClaimsgateError, got ${String(error)}`);
    assert.equal(error.code, code);
    detail = error.detail;
    return true;
  });
  return detail;
}

/** The public JWK of a test certificate, with its x5c and x5t as an issuer would publish them. */
function jwkOf(certificate: TestCertificate, extra: Jwk = {}): Jwk {
  const publicKey = new X509Certificate(certificate.der).publicKey.export({ format: 'jwk' }) as Jwk;
  return {
    ...publicKey,
    x5c: [certificate.base64],
    x5t: createHash('sha1').update(certificate.der).digest('base64url'),
    ...extra,
  };
}

/** A copy of `jwk` without the named members. */
function without(jwk: Jwk, ...names: string[]): Jwk {
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !names.includes(name)));
}

const MSA_TENANT_ISSUER = 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0';

describe('parseJwks on the Entra ID common key set', () => {
  const json = readJson('entra-common.jwks.json') as { keys: Jwk[] };

  it('reads 7 signing keys with their kid, certificate, thumbprints and per-key issuer', () => {
    const metadata = parseJwks(json, { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
    assert.equal(metadata.format, 'jwks');
    assert.equal(metadata.issuer, 'https://login.microsoftonline.com/{tenantid}/v2.0');
    assert.equal(metadata.signingKeys.length, 7);
    assert.deepEqual(metadata.encryptionKeys, []);
    assert.deepEqual(metadata.skippedKeys, []);
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.kid),
      json.keys.map((jwk) => jwk['kid']),
    );
    for (const [index, key] of metadata.signingKeys.entries()) {
      const source = json.keys[index]!;
      const der = Buffer.from((source['x5c'] as string[])[0]!, 'base64');
      // Independent of the code under test: the x5t is the base64url SHA-1 of x5c[0].
      assert.equal(source['x5t'], createHash('sha1').update(der).digest('base64url'));
      assert.equal(key.sha1, createHash('sha1').update(der).digest('hex').toUpperCase());
      assert.equal(key.sha256, createHash('sha256').update(der).digest('hex').toUpperCase());
      assert.deepEqual(key.certificate?.der, der);
      assert.deepEqual(key.sections, ['jwks']);
      assert.equal(key.issuer, source['issuer']);
      assert.equal(key.jwk?.['n'], source['n']);
    }
    assert.equal(metadata.signingKeys.filter((key) => key.issuer === MSA_TENANT_ISSUER).length, 2);
    assert.equal(
      metadata.signingKeys.filter((key) => key.issuer === 'https://login.microsoftonline.com/{tenantid}/v2.0')
        .length,
      5,
    );
  });

  it(
    'agrees with openssl on the SHA-1 thumbprint of every x5c certificate',
    {
      skip: !hasOpenssl && 'openssl is not installed',
    },
    () => {
      const metadata = parseJwks(json);
      assert.deepEqual(
        metadata.signingKeys.map((key) => key.sha1),
        json.keys.map((jwk) => opensslSha1(Buffer.from((jwk['x5c'] as string[])[0]!, 'base64'))),
      );
    },
  );
});

describe('parseOidcDiscovery', () => {
  it('reads the issuer template and the endpoints of the Entra ID common discovery document', () => {
    const metadata = parseOidcDiscovery(readJson('entra-common.openid-configuration.json'));
    assert.equal(metadata.format, 'oidc-discovery');
    assert.equal(metadata.issuer, 'https://login.microsoftonline.com/{tenantid}/v2.0');
    assert.deepEqual(
      metadata.endpoints.map((e) => [e.kind, e.url]),
      [
        ['oidc-authorization', 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize'],
        ['oidc-token', 'https://login.microsoftonline.com/common/oauth2/v2.0/token'],
        ['oidc-end-session', 'https://login.microsoftonline.com/common/oauth2/v2.0/logout'],
        ['oidc-jwks', 'https://login.microsoftonline.com/common/discovery/v2.0/keys'],
      ],
    );
    assert.deepEqual(metadata.signingKeys, []);
    assert.deepEqual(metadata.encryptionKeys, []);
  });

  it('refuses a document that is not an object, or lacks issuer or jwks_uri, naming the member', () => {
    assertCode(() => parseOidcDiscovery(['issuer']), 'CG_META_JSON_INVALID');
    assert.equal(
      assertCode(() => parseOidcDiscovery({ jwks_uri: 'https://idp.example/keys' }), 'CG_META_JSON_INVALID')[
        'member'
      ],
      'issuer',
    );
    assert.equal(
      assertCode(
        () => parseOidcDiscovery({ issuer: 42, jwks_uri: 'https://idp.example/keys' }),
        'CG_META_JSON_INVALID',
      )['member'],
      'issuer',
    );
    assert.equal(
      assertCode(
        () =>
          parseOidcDiscovery({
            issuer: 'https://idp.example',
            authorization_endpoint: 'https://idp.example/a',
          }),
        'CG_META_JSON_INVALID',
      )['member'],
      'jwks_uri',
    );
  });

  it('refuses an endpoint that is not an absolute URL, naming the member', () => {
    const detail = assertCode(
      () =>
        parseOidcDiscovery({
          issuer: 'https://idp.example',
          jwks_uri: 'https://idp.example/keys',
          token_endpoint: '/token',
        }),
      'CG_META_JSON_INVALID',
    );
    assert.equal(detail['member'], 'token_endpoint');
  });
});

describe('parseJwks on synthetic key sets', () => {
  let rsa: TestCertificate;
  let other: TestCertificate;
  let ec: TestCertificate;
  before(async () => {
    [rsa, other, ec] = await Promise.all([
      createTestCertificate({ commonName: 'rsa' }),
      createTestCertificate({ commonName: 'other' }),
      createTestCertificate({ commonName: 'ec', keyType: 'ec' }),
    ]);
  });

  it('keeps keys that carry only a kid, without thumbprints or certificate', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as Jwk;
    const metadata = parseJwks({
      keys: [
        { ...jwk, kid: 'k1' },
        { ...jwk, kid: 'k2', use: 'sig' },
      ],
    });
    assert.deepEqual(
      metadata.signingKeys.map((key) => [key.kid, key.sha1, key.sha256, key.certificate]),
      [
        ['k1', undefined, undefined, undefined],
        ['k2', undefined, undefined, undefined],
      ],
    );
    assert.equal(metadata.signingKeys[0]!.jwk?.['n'], jwk['n']);
  });

  it('keeps the thumbprint an x5t claims when the key has no certificate, so tokens naming it map', () => {
    const x5t = createHash('sha1').update(rsa.der).digest('base64url');
    const withoutCertificate = without(jwkOf(rsa, { kid: 'k1' }), 'x5c');
    const metadata = parseJwks({ keys: [withoutCertificate] });
    assert.equal(metadata.signingKeys[0]!.sha1, Buffer.from(x5t, 'base64url').toString('hex').toUpperCase());
    assert.equal(metadata.signingKeys[0]!.certificate, undefined);
  });

  it('reads an EC key with its certificate, and a use="enc" key as an encryption key', () => {
    const metadata = parseJwks({
      keys: [jwkOf(ec, { kid: 'ec' }), jwkOf(other, { kid: 'enc', use: 'enc' })],
    });
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.kid),
      ['ec'],
    );
    assert.equal(metadata.signingKeys[0]!.certificate?.keyType, 'ec');
    assert.deepEqual(
      metadata.encryptionKeys.map((key) => key.kid),
      ['enc'],
    );
  });

  it('merges entries that repeat the same kid and certificate', () => {
    const metadata = parseJwks({
      keys: [jwkOf(rsa, { kid: 'k1' }), jwkOf(rsa, { kid: 'k1' }), jwkOf(rsa, { kid: 'k2' })],
    });
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.kid),
      ['k1', 'k2'],
    );
  });

  it('skips a symmetric oct key and reports why, keeping the other keys', () => {
    const metadata = parseJwks({
      keys: [{ kty: 'oct', kid: 'secret', k: 'c2VjcmV0' }, jwkOf(rsa, { kid: 'good' })],
    });
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.kid),
      ['good'],
    );
    assert.deepEqual(metadata.skippedKeys, [
      { section: 'jwks', position: 1, kid: 'secret', reason: 'symmetric-key' },
    ]);
  });

  it('skips a key published with its private members and never exposes them', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateJwk = privateKey.export({ format: 'jwk' }) as Jwk;
    const metadata = parseJwks({ keys: [{ ...privateJwk, kid: 'leaked' }, jwkOf(rsa, { kid: 'good' })] });
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.kid),
      ['good'],
    );
    assert.deepEqual(metadata.skippedKeys, [
      { section: 'jwks', position: 1, kid: 'leaked', reason: 'private-key-material' },
    ]);
    assert.ok(!JSON.stringify(metadata.signingKeys.map((key) => key.jwk)).includes(String(privateJwk['d'])));
  });

  it('skips key types it does not understand, and keys whose use or key_ops is not for signatures', () => {
    const metadata = parseJwks({
      keys: [
        { kty: 'AKP', kid: 'future', pub: 'AAAA' },
        jwkOf(rsa, { kid: 'wrap', use: 'wrap' }),
        jwkOf(rsa, { kid: 'ops', key_ops: ['encrypt'] }),
        jwkOf(rsa, { kid: 'verify', key_ops: ['verify'] }),
      ],
    });
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.kid),
      ['verify'],
    );
    assert.deepEqual(
      metadata.skippedKeys?.map((s) => [s.kid, s.reason]),
      [
        ['future', 'unsupported-key-type'],
        ['wrap', 'unsupported-use'],
        ['ops', 'unsupported-use'],
      ],
    );
  });

  it('refuses an x5t that is not the SHA-1 thumbprint of x5c[0]', () => {
    const forged = jwkOf(rsa, { kid: 'k1', x5t: createHash('sha1').update(other.der).digest('base64url') });
    const detail = assertCode(() => parseJwks({ keys: [jwkOf(other), forged] }), 'CG_META_KEY_INVALID');
    assert.equal(detail['section'], 'jwks');
    assert.equal(detail['index'], 2);
    assert.equal(detail['kid'], 'k1');
  });

  it('refuses an x5t#S256 that is not the SHA-256 thumbprint of x5c[0], and an x5t of the wrong length', () => {
    const s256 = createHash('sha256').update(other.der).digest('base64url');
    assertCode(() => parseJwks({ keys: [jwkOf(rsa, { 'x5t#S256': s256 })] }), 'CG_META_KEY_INVALID');
    assertCode(() => parseJwks({ keys: [jwkOf(rsa, { x5t: 'abc' })] }), 'CG_META_KEY_INVALID');
  });

  it('refuses a JWK whose x5c certificate holds another public key than its members', () => {
    const mixed = {
      ...jwkOf(rsa),
      x5c: [other.base64],
      x5t: createHash('sha1').update(other.der).digest('base64url'),
    };
    assertCode(() => parseJwks({ keys: [mixed] }), 'CG_META_KEY_INVALID');
  });

  it('refuses an x5c entry that is not a certificate', () => {
    const withoutX5t = without(jwkOf(rsa, { x5c: [rsa.base64.slice(0, 100)] }), 'x5t');
    const detail = assertCode(() => parseJwks({ keys: [withoutX5t] }), 'CG_META_KEY_INVALID');
    assert.equal(detail['member'], 'keys[0].x5c[0]');
  });

  it('refuses an RSA key without n or e and an EC key without y', () => {
    const noCertificate = without(jwkOf(rsa), 'x5c', 'x5t');
    const withoutN = without(noCertificate, 'n');
    assertCode(() => parseJwks({ keys: [withoutN] }), 'CG_META_KEY_INVALID');
    assertCode(() => parseJwks({ keys: [{ kty: 'RSA', n: noCertificate['n'] }] }), 'CG_META_KEY_INVALID');
    const ecJwk = jwkOf(ec);
    assertCode(
      () => parseJwks({ keys: [{ kty: 'EC', crv: ecJwk['crv'], x: ecJwk['x'] }] }),
      'CG_META_KEY_INVALID',
    );
  });

  it('refuses JSON of the wrong shape, naming the member', () => {
    assert.equal(assertCode(() => parseJwks({ keys: {} }), 'CG_META_JSON_INVALID')['member'], 'keys');
    assert.equal(assertCode(() => parseJwks([]), 'CG_META_JSON_INVALID')['member'], '(root)');
    assert.equal(assertCode(() => parseJwks({ keys: ['x'] }), 'CG_META_JSON_INVALID')['member'], 'keys[0]');
    assert.equal(
      assertCode(() => parseJwks({ keys: [{ kid: 'a' }] }), 'CG_META_JSON_INVALID')['member'],
      'keys[0].kty',
    );
    assert.equal(
      assertCode(() => parseJwks({ keys: [jwkOf(rsa), jwkOf(rsa, { kid: 7 })] }), 'CG_META_JSON_INVALID')[
        'member'
      ],
      'keys[1].kid',
    );
    assert.equal(
      assertCode(() => parseJwks({ keys: [jwkOf(rsa, { x5c: 'MIIB' })] }), 'CG_META_JSON_INVALID')['member'],
      'keys[0].x5c',
    );
    assert.equal(
      assertCode(() => parseJwks({ keys: [jwkOf(rsa, { issuer: null })] }), 'CG_META_JSON_INVALID')['member'],
      'keys[0].issuer',
    );
  });
});
