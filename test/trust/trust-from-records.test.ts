import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { parseCertificateDer, type CertificateInfo } from '../../src/crypto/certificate.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createCertificateCache } from '../../src/trust/certificate-cache.js';
import { buildTrustSnapshot } from '../../src/trust/trust-from-records.js';
import type { KeyRecord } from '../../src/store/model.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { at, issuerRecord, keyRecord, refreshState, T0 } from '../helpers/rollover-records.js';

let infoA: CertificateInfo;
let infoB: CertificateInfo;

before(async () => {
  const [a, b] = await Promise.all([createTestCertificate(), createTestCertificate()]);
  infoA = parseCertificateDer(a.der);
  infoB = parseCertificateDer(b.der);
});

describe('buildTrustSnapshot', () => {
  it('gives certificate keys their public key and certificate, found by SHA-1 and SHA-256', () => {
    const snapshot = buildTrustSnapshot({
      issuers: [issuerRecord()],
      keys: [keyRecord(infoA, { state: 'announced' })],
      refreshStates: new Map(),
      builtAt: T0,
    });
    const [key] = snapshot.keysBySha1(infoA.sha1);
    assert.equal(key?.issuer, 'https://idp.test/tenant-1/');
    assert.equal(key?.state, 'announced');
    assert.equal(key?.source, 'metadata');
    assert.ok(key?.publicKey?.equals(infoA.publicKey));
    assert.equal(key?.certificate?.sha256, infoA.sha256);
    assert.equal(snapshot.keysBySha256(infoA.sha256).length, 1);
    assert.deepEqual(snapshot.builtAt, T0);
  });

  it('imports a JWK key and keeps its own issuer as the key issuer', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = {
      ...publicKey.export({ format: 'jwk' }),
      kid: 'k1',
      issuer: 'https://login.test/{tenantid}/v2.0',
    };
    const snapshot = buildTrustSnapshot({
      issuers: [issuerRecord()],
      keys: [keyRecord(undefined, { kid: 'k1', jwk })],
      refreshStates: new Map(),
      builtAt: T0,
    });
    const [key] = snapshot.keysByKid('k1');
    assert.ok(key?.publicKey?.equals(publicKey));
    assert.equal(key?.keyIssuer, 'https://login.test/{tenantid}/v2.0');
    assert.equal(key?.certificate, undefined);
  });

  it('keeps a bare thumbprint entered by hand without key material', () => {
    const snapshot = buildTrustSnapshot({
      issuers: [issuerRecord()],
      keys: [keyRecord(undefined, { sha1: infoB.sha1, source: 'manual', addedBy: 'admin:alice' })],
      refreshStates: new Map(),
      builtAt: T0,
    });
    const [key] = snapshot.keysBySha1(infoB.sha1);
    assert.equal(key?.publicKey, undefined);
    assert.equal(key?.source, 'manual');
  });

  it('leaves out retired, revoked and expired keys, and keys of unknown issuers', () => {
    const keys: KeyRecord[] = [
      keyRecord(infoA, { state: 'retired' }),
      keyRecord(infoA, { state: 'revoked' }),
      keyRecord(infoA, { state: 'expired' }),
      keyRecord(infoB, { state: 'retiring', issuerId: 'someone-else' }),
    ];
    const snapshot = buildTrustSnapshot({
      issuers: [issuerRecord()],
      keys,
      refreshStates: new Map(),
      builtAt: T0,
    });
    assert.deepEqual(snapshot.keysForIssuer('https://idp.test/tenant-1/'), []);
    assert.deepEqual(snapshot.keysBySha1(infoB.sha1), []);
  });

  it('reports a key whose stored certificate does not parse and leaves it out', () => {
    const broken = keyRecord(undefined, {
      sha1: infoA.sha1,
      certificateDer: Buffer.from('not a certificate'),
    });
    const reported: string[] = [];
    const snapshot = buildTrustSnapshot({
      issuers: [issuerRecord()],
      keys: [broken, keyRecord(infoB)],
      refreshStates: new Map(),
      builtAt: T0,
      onInvalidKey: (key) => reported.push(key.id),
    });
    assert.deepEqual(reported, [broken.id]);
    assert.equal(snapshot.keysForIssuer('https://idp.test/tenant-1/').length, 1);
  });

  it('gives each issuer its last refresh outcome, and templates their allowed tenants', () => {
    const template = issuerRecord({
      id: 'iss-2',
      name: 'multi',
      issuerUri: 'https://sts.windows.net/{tenantid}/',
      allowedTenants: ['tenant-a'],
      metadataUrl: null,
    });
    const snapshot = buildTrustSnapshot({
      issuers: [issuerRecord(), template],
      keys: [],
      refreshStates: new Map([
        [
          'iss-1',
          refreshState({
            lastAttemptAt: at(-60),
            lastOutcome: 'failure',
            lastErrorCode: 'CG_META_FETCH_TIMEOUT',
          }),
        ],
      ]),
      builtAt: T0,
    });
    assert.deepEqual(snapshot.findIssuer('https://idp.test/tenant-1/')?.lastRefresh, {
      at: at(-60),
      outcome: 'failure',
      code: 'CG_META_FETCH_TIMEOUT',
      url: 'http://127.0.0.1:1/metadata.xml',
    });
    assert.equal(snapshot.findIssuer('https://sts.windows.net/tenant-a/')?.issuer, template.issuerUri);
    assert.equal(snapshot.findIssuer('https://sts.windows.net/tenant-b/'), undefined);
    assert.equal(snapshot.findIssuer('https://sts.windows.net/tenant-a/')?.lastRefresh, undefined);
  });
});

describe('the certificate cache of trust builds', () => {
  it('parses a certificate once across builds and answers the same parse for the same bytes', () => {
    const cache = createCertificateCache();
    const build = () =>
      buildTrustSnapshot({
        certificates: cache,
        issuers: [issuerRecord()],
        // Two records of one certificate (bytes copied), as two issuers sharing a key have.
        keys: [keyRecord(infoA), keyRecord({ ...infoA, der: Buffer.from(infoA.der) })],
        refreshStates: new Map(),
        builtAt: T0,
      });
    const first = build().keysBySha1(infoA.sha1);
    const second = build().keysBySha1(infoA.sha1);
    assert.equal(first.length, 2);
    // The very same parsed certificate: nothing was parsed again.
    assert.equal(second[0]?.certificate, first[0]?.certificate);
    assert.equal(first[1]?.certificate, first[0]?.certificate);
    assert.equal(cache.size, 1);
  });

  it('keeps only what the latest build used, and never answers other bytes with a cached parse', () => {
    const cache = createCertificateCache();
    const parsedA = cache.parse(infoA.der);
    cache.parse(infoB.der);
    cache.endBuild();
    assert.equal(cache.size, 2);
    assert.equal(cache.parse(infoA.der), parsedA);
    cache.endBuild();
    assert.equal(cache.size, 1, 'B was not used by the last build: dropped');
    const changed = Buffer.from(infoA.der);
    changed[changed.length - 1]! ^= 0x01;
    const reparsed = (() => {
      try {
        return cache.parse(changed);
      } catch (error) {
        return error;
      }
    })();
    assert.notEqual(reparsed, parsedA, 'changed bytes are parsed, not looked up');
  });

  it('does not keep a certificate that does not parse: each build reports it', () => {
    const cache = createCertificateCache();
    const garbage = Buffer.from('not a certificate');
    for (let build = 0; build < 2; build += 1) {
      assert.throws(
        () => cache.parse(garbage),
        (error: unknown) => isClaimsgateError(error, 'CG_CERT_INVALID'),
      );
      cache.endBuild();
    }
    assert.equal(cache.size, 0);
  });
});
