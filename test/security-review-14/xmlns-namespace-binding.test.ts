/**
 * Security review 14 — attacks the light DOM's namespace lookup
 * (src/xml/light-dom.ts `lookupNamespaceURI`, used by `resolveQName` to read
 * an `xsi:type` QName such as a metadata RoleDescriptor's
 * `fed:SecurityTokenServiceType`).
 *
 * The lookup takes every attribute in the xmlns namespace for a namespace
 * declaration. The builder lets a document bind an ordinary prefix to that
 * namespace (`xmlns:p="http://www.w3.org/2000/xmlns/"`, which Namespaces in
 * XML 1.0 §3 forbids), so `p:fed="…"` is an ordinary attribute to the parser
 * but a declaration of `fed` to the lookup: the QName resolves against a
 * binding the parser never made, and a role the parser reads as being in
 * another namespace (or in none) is taken as a WS-Federation STS role whose
 * keys sign tokens.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { parseXmlMetadata } from '../../src/metadata/parse-xml-metadata.js';
import { buildDom } from '../../src/xml/build-dom.js';
import type { XmlElement } from '../../src/xml/light-dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { FED_NS, XSI_NS, entityDescriptor, keyDescriptor } from '../helpers/metadata-xml.js';

const XMLNS = 'http://www.w3.org/2000/xmlns/';

/** The parser's outcome: the tree, or undefined when it refuses the text with a coded error. */
function readOrRefuse<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    assert.ok(isClaimsgateError(error), `a coded refusal, not ${String(error)}`);
    return undefined;
  }
}

describe('a prefix bound to the xmlns namespace', () => {
  it('never makes lookupNamespaceURI disagree with the namespaces the parser resolved', () => {
    for (const attributes of [
      `xmlns:p="${XMLNS}" p:fed="urn:evil" xmlns:fed="urn:good"`,
      `xmlns:fed="urn:good" xmlns:p="${XMLNS}" p:fed="urn:evil"`,
    ]) {
      const document = readOrRefuse(() => buildDom(`<r ${attributes}><fed:c/></r>`));
      if (document === undefined) continue;
      const c = document.documentElement.firstChild as XmlElement;
      assert.equal(c.namespaceURI, 'urn:good');
      assert.equal(c.lookupNamespaceURI('fed'), c.namespaceURI, attributes);
    }
  });

  describe('in metadata', () => {
    let signer: TestCertificate;
    before(async () => {
      signer = await createTestCertificate({ commonName: 'review-14 metadata signer' });
    });

    for (const [label, trick] of [
      [
        'fed bound to another namespace after the fake declaration',
        `xmlns:p="${XMLNS}" p:fed="${FED_NS}" xmlns:fed="urn:not-federation"`,
      ],
      ['fed never declared', `xmlns:p="${XMLNS}" p:fed="${FED_NS}"`],
    ] as const) {
      it(`does not take a RoleDescriptor as an STS role through p:fed (${label})`, () => {
        const xml = entityDescriptor(
          'https://sts.example/',
          `<md:RoleDescriptor xmlns:xsi="${XSI_NS}" ${trick} xsi:type="fed:SecurityTokenServiceType" ` +
            `protocolSupportEnumeration="${FED_NS}">${keyDescriptor(signer.base64, 'signing')}</md:RoleDescriptor>`,
        );
        const metadata = readOrRefuse(() => parseXmlMetadata(parseXml(xml).root));
        if (metadata === undefined) return;
        assert.deepEqual(metadata.signingKeys, [], 'no signing key from a role that is not an STS role');
      });
    }
  });
});
