import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseCertificateDer, type CertificateInfo } from '../../src/crypto/certificate.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createCertificateCache } from '../../src/trust/certificate-cache.js';
import { buildTrustSnapshot } from '../../src/trust/trust-from-records.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { issuerRecord, keyRecord, T0 } from '../helpers/rollover-records.js';

let infoA: CertificateInfo;
let infoB: CertificateInfo;

before(async () => {
  const [a, b] = await Promise.all([createTestCertificate(), createTestCertificate()]);
  infoA = parseCertificateDer(a.der);
  infoB = parseCertificateDer(b.der);
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
