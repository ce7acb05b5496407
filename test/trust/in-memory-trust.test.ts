import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { PublishedKey } from '../../src/metadata/model.js';
import {
  combineTrust,
  trustFromCertificates,
  trustFromMetadata,
  trustFromThumbprints,
} from '../../src/trust/in-memory-trust.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { keySetMetadata } from '../helpers/jwt.js';

describe('trustFromThumbprints', () => {
  it('normalises pasted thumbprints and keeps them without key material', () => {
    const { issuer: trusted, keys } = trustFromThumbprints('https://sts.example/', [
      '\u200e32 70 bf 55 97 00 4d f3 39 a4 e6 22 24 73 1b 6b d8 28 10 a6',
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    ]);
    assert.equal(trusted.allowSha1, false);
    assert.equal(keys[0]!.sha1, '3270BF5597004DF339A4E62224731B6BD82810A6');
    assert.equal(keys[0]!.publicKey, undefined);
    assert.equal(keys[1]!.sha256, 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD');
    assert.equal(keys[1]!.sha1, undefined);
  });

  it('refuses a value that is not a thumbprint', () => {
    assert.throws(
      () => trustFromThumbprints('https://sts.example/', ['not a thumbprint']),
      (e: unknown) => isClaimsgateError(e, 'CG_TRUST_THUMBPRINT_INVALID'),
    );
  });
});

describe('trustFromMetadata', () => {
  it('trusts a bare JWK by its public key and keeps the issuer the key set names for it', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const published: PublishedKey = {
      sha1: undefined,
      sha256: undefined,
      kid: 'k1',
      certificate: undefined,
      jwk: {
        ...publicKey.export({ format: 'jwk' }),
        kid: 'k1',
        use: 'sig',
        issuer: 'https://a.example/{tenantid}/',
      },
      sections: ['jwks'],
      issuer: 'https://a.example/{tenantid}/',
    };
    const { issuer, keys } = trustFromMetadata(keySetMetadata([published]), {
      issuer: 'https://a.example/t1/',
      allowSha1: true,
    });
    assert.equal(issuer.issuer, 'https://a.example/t1/');
    assert.equal(issuer.allowSha1, true);
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.kid, 'k1');
    assert.equal(keys[0]!.keyIssuer, 'https://a.example/{tenantid}/');
    assert.equal(keys[0]!.source, 'metadata');
    assert.equal(keys[0]!.state, 'active');
    assert.ok(keys[0]!.publicKey?.equals(publicKey));
  });

  it('refuses metadata that names no issuer when the options name none either', () => {
    assert.throws(() => trustFromMetadata(keySetMetadata([])), TypeError);
  });
});

describe('trustFromCertificates', () => {
  it('trusts each certificate for the issuer by its thumbprints, with its public key', async () => {
    const certificate = parseCertificateDer((await createTestCertificate()).der);
    const { issuer, keys } = trustFromCertificates('https://sts.example/', [certificate]);
    assert.equal(issuer.issuer, 'https://sts.example/');
    assert.equal(keys[0]!.sha1, certificate.sha1);
    assert.equal(keys[0]!.sha256, certificate.sha256);
    assert.ok(keys[0]!.publicKey?.equals(certificate.publicKey));
    assert.equal(keys[0]!.source, 'manual');
  });
});

describe('combineTrust', () => {
  it('gives an issuer named by several sources the settings of the first and the keys of all', async () => {
    const certificate = parseCertificateDer((await createTestCertificate()).der);
    const thumbprints = trustFromThumbprints('https://sts.example/', ['ab'.repeat(20)], { allowSha1: true });
    const certificates = trustFromCertificates('https://sts.example/', [certificate]);
    const other = trustFromThumbprints('https://other.example/', ['cd'.repeat(20)]);
    const builtAt = new Date('2026-01-01T00:00:00Z');
    const snapshot = combineTrust([thumbprints, certificates, other], builtAt);
    assert.deepEqual(
      snapshot.issuers().map((issuer) => [issuer.issuer, issuer.allowSha1]),
      [
        ['https://sts.example/', true],
        ['https://other.example/', false],
      ],
    );
    assert.equal(snapshot.keysForIssuer('https://sts.example/').length, 2);
    assert.equal(snapshot.issuerKeys('https://sts.example/', 'sha1', certificate.sha1).length, 1);
    assert.equal(snapshot.issuerKeys('https://other.example/', 'sha1', certificate.sha1).length, 0);
    assert.equal(snapshot.builtAt, builtAt);
  });
});
