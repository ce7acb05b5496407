import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeThumbprint } from '../../src/crypto/thumbprint.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { readKeyInfo } from '../../src/xmldsig/signature-parts.js';
import { createTestCertificate } from '../helpers/certificates.js';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

function keyInfo(...certificateTexts: string[]) {
  const data = certificateTexts.map((text) => `<X509Certificate>${text}</X509Certificate>`).join('');
  return parseXml(`<KeyInfo xmlns="${DS}"><X509Data>${data}</X509Data></KeyInfo>`).root;
}

describe('readKeyInfo', () => {
  it('gives each certificate its DER and thumbprints, the same object again for the same text', async () => {
    const [first, second] = await Promise.all([createTestCertificate(), createTestCertificate()]);
    const firstText = first.der.toString('base64');
    const secondText = second.der.toString('base64');
    const read = readKeyInfo(keyInfo(firstText, secondText)).certificates;
    assert.equal(read.length, 2);
    assert.deepEqual(read[0]!.der, first.der);
    assert.equal(read[0]!.sha1, computeThumbprint(first.der, 'sha1'));
    assert.equal(read[1]!.sha256, computeThumbprint(second.der, 'sha256'));
    const again = readKeyInfo(keyInfo(secondText, firstText)).certificates;
    assert.equal(again[0], read[1]);
    assert.equal(again[1], read[0]);
    // The same certificate written with line breaks is read on its own, to the same thumbprints.
    const wrapped = readKeyInfo(keyInfo(firstText.replace(/(.{64})/g, '$1\n'))).certificates[0]!;
    assert.notEqual(wrapped, read[0]);
    assert.equal(wrapped.sha256, read[0]!.sha256);
  });

  it('refuses base64 that is not strict every time, however often it is sent', () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assert.throws(
        () => readKeyInfo(keyInfo('MIIB*notbase64')),
        (error: unknown) => error instanceof ClaimsgateError && error.code.startsWith('CG_SIG_'),
      );
    }
  });
});
