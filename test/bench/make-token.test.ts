import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SignedXml } from 'xml-crypto';
import { buildBenchToken, createBenchSigner, type BenchSigner } from '../../bench/make-token.js';
import {
  NS,
  attribute,
  childElements,
  descendantElements,
  firstChildElement,
  ownText,
} from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { xmldomCopy } from '../helpers/xmldom-copy.js';
import type { XmlElement } from '../../src/xml/light-dom.js';

const ISSUED_AT = new Date('2025-03-01T12:00:00.000Z');

function onlySignature(root: XmlElement): XmlElement {
  const signatures = descendantElements(root, NS.ds, 'Signature');
  assert.equal(signatures.length, 1);
  return signatures[0]!;
}

function checkWithXmlCrypto(xml: string, pem: string): boolean {
  const { root } = parseXml(xml);
  const signed = new SignedXml({ publicCert: pem });
  signed.loadSignature(xmldomCopy(root)(onlySignature(root)));
  return signed.checkSignature(xml);
}

/** xml-crypto 6 returns false for a digest mismatch but throws for a wrong signature value: both mean no. */
function verifiesWithXmlCrypto(xml: string, pem: string): boolean {
  try {
    return checkWithXmlCrypto(xml, pem);
  } catch {
    return false;
  }
}

describe('buildBenchToken', () => {
  let signer: BenchSigner;
  let other: BenchSigner;
  before(async () => {
    [signer, other] = await Promise.all([createBenchSigner(), createBenchSigner()]);
  });

  it('signs the assertion in the wresult so that xml-crypto verifies it with the signing certificate', () => {
    const token = buildBenchToken(signer, { issuedAt: ISSUED_AT });
    assert.equal(checkWithXmlCrypto(token.wresult, signer.pem), true);
    assert.equal(checkWithXmlCrypto(token.samlResponse, signer.pem), true);
  });

  it('produces a signature that another certificate does not verify and that a changed claim breaks', () => {
    const token = buildBenchToken(signer, { issuedAt: ISSUED_AT });
    assert.equal(verifiesWithXmlCrypto(token.wresult, other.pem), false);
    const tampered = token.wresult.replace('>Bob Jansen<', '>Eve Jansen<');
    assert.notEqual(tampered, token.wresult);
    assert.equal(verifiesWithXmlCrypto(tampered, signer.pem), false);
  });

  it('wraps one Azure-AD-shaped SAML 2.0 assertion of 4–8 KB with about ten claims in a WS-Trust 2005 RSTR', () => {
    const token = buildBenchToken(signer, { issuedAt: ISSUED_AT });
    const size = Buffer.byteLength(token.wresult);
    assert.ok(size >= 4096 && size <= 8192, `wresult is ${size} bytes`);

    const { root } = parseXml(token.wresult);
    assert.equal(root.namespaceURI, NS.wst2005);
    assert.equal(root.localName, 'RequestSecurityTokenResponse');
    assert.deepEqual(
      childElements(root).map((element) => element.localName),
      ['Lifetime', 'AppliesTo', 'RequestedSecurityToken', 'TokenType', 'RequestType', 'KeyType'],
    );
    const assertions = descendantElements(root, NS.saml2, 'Assertion');
    assert.equal(assertions.length, 1);
    const assertion = assertions[0]!;
    assert.equal(attribute(assertion, 'Version'), '2.0');
    // SAML Core §5.4.1: the signature follows Issuer.
    assert.deepEqual(
      childElements(assertion).map((element) => element.localName),
      ['Issuer', 'Signature', 'Subject', 'Conditions', 'AttributeStatement', 'AuthnStatement'],
    );
    assert.equal(ownText(firstChildElement(assertion, NS.saml2, 'Issuer')!), token.issuer);
    assert.match(token.issuer, /^https:\/\/sts\.windows\.net\/[0-9a-f-]{36}\/$/);

    const claimCount = descendantElements(assertion, NS.saml2, 'Attribute').length;
    assert.ok(claimCount >= 8 && claimCount <= 12, `${claimCount} claims`);
    assert.equal(claimCount, Object.keys(token.claims).length);
    const audience = descendantElements(assertion, NS.saml2, 'Audience').map(ownText);
    assert.deepEqual(audience, [token.audience]);
  });

  it('signs with RSA-SHA256, a SHA-256 digest, enveloped + exc-c14n transforms and the certificate in KeyInfo', () => {
    const token = buildBenchToken(signer, { issuedAt: ISSUED_AT });
    const signature = onlySignature(parseXml(token.wresult).root);
    const algorithms = (localName: string): Array<string | undefined> =>
      descendantElements(signature, NS.ds, localName).map((element) => attribute(element, 'Algorithm'));
    assert.deepEqual(algorithms('SignatureMethod'), ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256']);
    assert.deepEqual(algorithms('DigestMethod'), ['http://www.w3.org/2001/04/xmlenc#sha256']);
    assert.deepEqual(algorithms('CanonicalizationMethod'), ['http://www.w3.org/2001/10/xml-exc-c14n#']);
    assert.deepEqual(algorithms('Transform'), [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ]);
    const certificates = descendantElements(signature, NS.ds, 'X509Certificate').map(ownText);
    assert.deepEqual(certificates, [signer.base64]);
  });

  it('carries the very same signed assertion bytes in the wresult and in the unsigned SAML Response', () => {
    const token = buildBenchToken(signer, { issuedAt: ISSUED_AT });
    assert.ok(token.wresult.includes(token.assertion));
    assert.ok(token.samlResponse.includes(token.assertion));
    assert.equal(Buffer.from(token.samlResponseBase64, 'base64').toString('utf8'), token.samlResponse);
    const { root } = parseXml(token.samlResponse);
    assert.equal(root.namespaceURI, NS.samlp);
    assert.equal(root.localName, 'Response');
    assert.equal(descendantElements(root, NS.ds, 'Signature').length, 1);
    assert.equal(firstChildElement(root, NS.ds, 'Signature'), undefined);
  });

  it('builds the same bytes from the same signer and options', () => {
    const first = buildBenchToken(signer, { issuedAt: ISSUED_AT });
    const second = buildBenchToken(signer, { issuedAt: ISSUED_AT });
    assert.equal(first.wresult, second.wresult);
    assert.equal(first.samlResponse, second.samlResponse);
  });

  it('gives the assertion the ID asked for, signed, so that sign-ins get past the replay cache', () => {
    const token = buildBenchToken(signer, { issuedAt: ISSUED_AT, assertionId: '_cluster-bench-1' });
    assert.equal(token.assertionId, '_cluster-bench-1');
    assert.equal(attribute(parseXml(token.assertion).root, 'ID'), '_cluster-bench-1');
    assert.equal(checkWithXmlCrypto(token.wresult, signer.pem), true);
    assert.notEqual(token.assertionId, buildBenchToken(signer, { issuedAt: ISSUED_AT }).assertionId);
  });

  it('uses the WS-Trust 1.3 namespace when asked to', () => {
    const token = buildBenchToken(signer, { issuedAt: ISSUED_AT, wsTrust: '1.3' });
    assert.equal(parseXml(token.wresult).root.namespaceURI, NS.wst13);
    assert.equal(checkWithXmlCrypto(token.wresult, signer.pem), true);
  });
});
