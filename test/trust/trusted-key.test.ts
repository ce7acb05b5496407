import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { publicKeyFromJwk, trustedIssuer, trustedKey } from '../../src/trust/trusted-key.js';
import { createTestCertificate } from '../helpers/certificates.js';

describe('trustedKey', () => {
  it('takes the thumbprints and public key of the certificate when the source gives none', async () => {
    const certificate = parseCertificateDer((await createTestCertificate()).der);
    const key = trustedKey({
      issuer: 'https://a.example/',
      certificate,
      source: 'manual',
      state: 'retiring',
    });
    assert.equal(key.sha1, certificate.sha1);
    assert.equal(key.sha256, certificate.sha256);
    assert.ok(key.publicKey?.equals(certificate.publicKey));
    assert.equal(key.state, 'retiring');
    assert.equal('keyIssuer' in key, false);
  });

  it('prefers the certificate over a JWK as the trusted material', async () => {
    const certificate = parseCertificateDer((await createTestCertificate()).der);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const key = trustedKey({
      issuer: 'https://a.example/',
      certificate,
      jwk: other.export({ format: 'jwk' }),
      source: 'metadata',
      state: 'active',
    });
    assert.ok(key.publicKey?.equals(certificate.publicKey));
  });

  it('keeps a bare thumbprint without key material', () => {
    const key = trustedKey({
      issuer: 'https://a.example/',
      sha1: 'AB'.repeat(20),
      source: 'manual',
      state: 'active',
    });
    assert.equal(key.publicKey, undefined);
    assert.equal(key.certificate, undefined);
  });
});

describe('publicKeyFromJwk', () => {
  it('reads the public members only, whatever else the key set adds', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = {
      ...publicKey.export({ format: 'jwk' }),
      x5c: [42],
      issuer: 'https://a.example/',
      use: 'sig',
    };
    assert.ok(publicKeyFromJwk(jwk).equals(publicKey));
  });

  it('throws when the members do not make a key', () => {
    assert.throws(() => publicKeyFromJwk({ kty: 'RSA', e: 'AQAB' }));
    assert.throws(() => publicKeyFromJwk({ kty: 'RSA', n: 42, e: 'AQAB' }));
  });
});

describe('trustedIssuer', () => {
  it('admits no tenant, no SHA-1 and the validator’s own audience unless configured', () => {
    assert.deepEqual(trustedIssuer('https://a.example/'), {
      issuer: 'https://a.example/',
      allowedTenants: [],
      audiences: [],
      allowSha1: false,
      requireSignedAssertion: false,
      lastRefresh: undefined,
    });
  });
});
