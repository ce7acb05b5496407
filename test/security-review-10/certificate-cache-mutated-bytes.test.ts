/**
 * Security review 10: the certificate cache now remembers the SHA-256 of each
 * byte array it was handed, by the array's identity (a WeakMap), and answers
 * the same array object with the parse it first got. Its own documentation
 * promises that "a changed certificate can never be answered with an old
 * parse": an array changed in place (the same Buffer object holding other
 * bytes) is answered with the parse of the bytes it held before — another
 * certificate's thumbprints and public key.
 *
 * No code path of src/ was found that writes into a key record's
 * `certificateDer` (parseCertificateDer copies its input; the stores read
 * fresh buffers), so this is a broken guarantee rather than a reachable
 * attack; the fix keeps the identity shortcut for the cache's own copies
 * only (the `der` of its parses, which the loader shares between keys).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { createCertificateCache } from '../../src/trust/certificate-cache.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';

let certA: TestCertificate;

before(async () => {
  certA = await createTestCertificate({ commonName: 'signing AAAA' });
});

describe('security review 10: certificate cache by identity', () => {
  it('a buffer changed in place is parsed anew (fails: answered with the parse of its old bytes)', () => {
    const cache = createCertificateCache();
    const bytes = Buffer.from(certA.der);
    const first = cache.parse(bytes);
    // Change the subject's common name in place: still a parseable certificate, other bytes.
    const at = bytes.indexOf(Buffer.from('signing AAAA', 'ascii'));
    assert.ok(at > 0);
    bytes.write('signing BBBB', at, 'ascii');
    const truth = parseCertificateDer(bytes);
    assert.notEqual(truth.sha256, first.sha256);
    const second = cache.parse(bytes);
    assert.equal(second.sha256, truth.sha256, 'the parse of the bytes as they are now');
  });

  it("a key sharing the cache's own copy is still answered without hashing again", () => {
    const cache = createCertificateCache();
    const first = cache.parse(Buffer.from(certA.der));
    assert.equal(cache.parse(first.der), first);
    assert.equal(cache.parse(Buffer.from(certA.der)), first);
  });
});
