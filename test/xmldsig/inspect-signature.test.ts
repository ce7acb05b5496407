import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { computeThumbprint } from '../../src/crypto/thumbprint.js';
import { descendantElements, NS } from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import {
  DEFAULT_ID_ATTRIBUTES,
  findDescendantSignatures,
  inspectEnvelopedSignature,
} from '../../src/xmldsig/inspect-signature.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { readFixture } from '../helpers/fixtures.js';
import { ASSERTION, assertionOf, assertSignatureError, replaceOnce, responseXml, SAML } from './documents.js';
import { signWithXmlCrypto, URI, type TestSignOptions } from './sign-with-xml-crypto.js';
import type { XmlElement } from '../../src/xml/light-dom.js';

let rsa: TestCertificate;

before(async () => {
  rsa = await createTestCertificate({ commonName: 'xmldsig inspect test' });
});

/** The test Response with its Assertion signed by the RSA test key (RSA-SHA256, SHA-256, exc-c14n). */
function signedResponse(options: Partial<TestSignOptions> = {}, xml = responseXml()): string {
  return signWithXmlCrypto(xml, {
    key: rsa.privateKey,
    certificatePem: rsa.pem,
    references: [ASSERTION],
    ...options,
  });
}

function inspectAssertion(xml: string, options: Parameters<typeof inspectEnvelopedSignature>[1] = {}) {
  return inspectEnvelopedSignature(assertionOf(xml), options);
}

describe('inspectEnvelopedSignature on a well-formed signature', () => {
  it('reads the reference, algorithms, values and KeyInfo certificate of an enveloped signature', () => {
    const assertion = assertionOf(signedResponse());
    const inspection = inspectEnvelopedSignature(assertion);
    assert.ok(inspection !== undefined);
    assert.equal(inspection.signature.parentNode, assertion);
    assert.equal(inspection.signedInfo.parentNode, inspection.signature);
    assert.equal(inspection.referenceId, '_a1');
    assert.equal(inspection.canonicalizationAlgorithm, URI.excC14n);
    assert.equal(inspection.signatureAlgorithm, URI.rsaSha256);
    assert.equal(inspection.digestAlgorithm, URI.sha256);
    assert.deepEqual(inspection.transforms, [URI.enveloped, URI.excC14n]);
    assert.deepEqual(inspection.inclusiveNamespacePrefixes, []);
    assert.equal(inspection.digestValue.length, 32);
    assert.equal(inspection.signatureValue.length, 256);
    assert.equal(inspection.keyInfoCertificates.length, 1);
    assert.deepEqual(inspection.keyInfoCertificates[0]!.der, rsa.der);
    assert.equal(inspection.keyInfoCertificates[0]!.sha1, computeThumbprint(rsa.der, 'sha1'));
    assert.equal(inspection.usesSha1, false);
    assert.ok(Object.isFrozen(inspection));
  });

  it('reads the PrefixList of the exclusive c14n transform', () => {
    const inspection = inspectAssertion(signedResponse({ inclusiveNamespaces: ['xs', 'xsi'] }));
    assert.deepEqual(inspection?.inclusiveNamespacePrefixes, ['xs', 'xsi']);
  });

  it('returns undefined for an element without a ds:Signature child, and ignores a Signature in another namespace', () => {
    assert.equal(inspectAssertion(responseXml()), undefined);
    const foreign = responseXml().replace(
      '</saml:Assertion>',
      '<x:Signature xmlns:x="urn:not-dsig"/></saml:Assertion>',
    );
    assert.equal(inspectAssertion(foreign), undefined);
  });

  it('reports every KeyInfo certificate and the KeyName, untrusted, for lookup only', async () => {
    const other = await createTestCertificate({ commonName: 'second' });
    const signed = replaceOnce(
      signedResponse(),
      '</ds:X509Data>',
      `<ds:X509Certificate>${other.base64}</ds:X509Certificate></ds:X509Data><ds:KeyName> signing-2024 </ds:KeyName>`,
    );
    const inspection = inspectAssertion(signed);
    assert.deepEqual(
      inspection?.keyInfoCertificates.map((certificate) => certificate.sha256),
      [computeThumbprint(rsa.der, 'sha256'), computeThumbprint(other.der, 'sha256')],
    );
    assert.equal(inspection?.keyInfoKeyName, 'signing-2024');
  });

  it('accepts a signature without KeyInfo (the caller tries its trusted keys)', () => {
    const signed = signWithXmlCrypto(responseXml(), { key: rsa.privateKey, references: [ASSERTION] });
    assert.deepEqual(inspectAssertion(signed)?.keyInfoCertificates, []);
  });

  it('uses SAML 1.1 AssertionID as an ID attribute by default, and only the configured names when given', () => {
    const saml11 = responseXml().replace('ID="_a1" Version="2.0"', 'AssertionID="_a1" MajorVersion="1"');
    const signed = signedResponse({ idAttribute: 'AssertionID' }, saml11);
    assert.equal(inspectAssertion(signed)?.referenceId, '_a1');
    assert.ok(DEFAULT_ID_ATTRIBUTES.includes('AssertionID'));
    assertSignatureError(
      () => inspectAssertion(signed, { idAttributes: ['ID'] }),
      'CG_SIG_REFERENCE_INVALID',
      'reference-not-signed-element',
    );
  });

  it('refuses bad options with a TypeError', () => {
    const assertion = assertionOf(signedResponse());
    assert.throws(() => inspectEnvelopedSignature(assertion, { idAttributes: [] }), TypeError);
    assert.throws(() => inspectEnvelopedSignature(assertion, { idAttributes: ['a b'] }), TypeError);
    assert.throws(
      () => inspectEnvelopedSignature(assertion, { allowSha1: 'yes' as unknown as boolean }),
      TypeError,
    );
  });
});

describe('inspectEnvelopedSignature refuses signature shapes used in attacks', () => {
  it('two ds:Signature elements as direct children → CG_SIG_STRUCTURE_INVALID', () => {
    const twice = signWithXmlCrypto(signedResponse(), {
      key: rsa.privateKey,
      references: [ASSERTION],
    });
    assertSignatureError(() => inspectAssertion(twice), 'CG_SIG_STRUCTURE_INVALID', 'signature-multiple');
  });

  it('two SignedInfo elements (CVE-2025-29774) → CG_SIG_STRUCTURE_INVALID', () => {
    const signed = signedResponse();
    const signedInfo = /<ds:SignedInfo>[\s\S]*?<\/ds:SignedInfo>/.exec(signed)![0];
    const doubled = replaceOnce(signed, signedInfo, signedInfo + signedInfo);
    assertSignatureError(() => inspectAssertion(doubled), 'CG_SIG_STRUCTURE_INVALID', 'duplicate-element');
  });

  it('a second SignedInfo nested in an unknown element inside Signature → CG_SIG_STRUCTURE_INVALID', () => {
    const signed = signedResponse();
    const signedInfo = /<ds:SignedInfo>[\s\S]*?<\/ds:SignedInfo>/.exec(signed)![0];
    const nested = replaceOnce(
      signed,
      '</ds:Signature>',
      `<ds:SomeNode>${signedInfo}</ds:SomeNode></ds:Signature>`,
    );
    assertSignatureError(() => inspectAssertion(nested), 'CG_SIG_STRUCTURE_INVALID', 'unexpected-element');
  });

  it('two References in SignedInfo → CG_SIG_STRUCTURE_INVALID', () => {
    const signed = signedResponse({ references: [ASSERTION, "//*[local-name(.)='Subject']"] });
    assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_STRUCTURE_INVALID', 'duplicate-element');
  });

  it('two DigestValues in the Reference → CG_SIG_STRUCTURE_INVALID', () => {
    const signed = signedResponse();
    const digest = /<ds:DigestValue>[^<]*<\/ds:DigestValue>/.exec(signed)![0];
    const doubled = replaceOnce(signed, digest, digest + digest);
    assertSignatureError(() => inspectAssertion(doubled), 'CG_SIG_STRUCTURE_INVALID', 'duplicate-element');
  });

  it('a ds:Object in the Signature (a place to hide content, XSW8) → CG_SIG_STRUCTURE_INVALID', () => {
    const signed = signedResponse({ objects: [{ content: '<x xmlns="urn:x">hidden</x>' }] });
    assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_STRUCTURE_INVALID', 'unexpected-element');
  });

  it('no SignatureValue → CG_SIG_STRUCTURE_INVALID', () => {
    const stripped = replaceOnce(signedResponse(), /<ds:SignatureValue>[^<]*<\/ds:SignatureValue>/, '');
    assertSignatureError(() => inspectAssertion(stripped), 'CG_SIG_STRUCTURE_INVALID', 'missing-element');
  });

  it('an HMACOutputLength in SignatureMethod (CVE-2009-0217) → CG_SIG_STRUCTURE_INVALID', () => {
    const truncated = replaceOnce(
      signedResponse(),
      /<ds:SignatureMethod Algorithm="([^"]+)"\/>/,
      '<ds:SignatureMethod Algorithm="$1"><ds:HMACOutputLength>8</ds:HMACOutputLength></ds:SignatureMethod>',
    );
    assertSignatureError(() => inspectAssertion(truncated), 'CG_SIG_STRUCTURE_INVALID', 'unexpected-element');
  });

  it('Reference URI naming another element than the signed one → CG_SIG_REFERENCE_INVALID', () => {
    const signed = signedResponse({
      references: ["//*[local-name(.)='NameID']"],
      location: { reference: ASSERTION, action: 'append' },
    });
    assertSignatureError(
      () => inspectAssertion(signed),
      'CG_SIG_REFERENCE_INVALID',
      'reference-not-signed-element',
    );
  });

  it('an empty Reference URI (the whole document) → CG_SIG_REFERENCE_INVALID', () => {
    const signed = signWithXmlCrypto(responseXml(), {
      key: rsa.privateKey,
      references: ['/*'],
      emptyUri: true,
    });
    const { root } = parseXml(signed);
    assertSignatureError(() => inspectEnvelopedSignature(root), 'CG_SIG_REFERENCE_INVALID', 'uri-empty');
  });

  it('an XPointer Reference URI → CG_SIG_REFERENCE_INVALID', () => {
    const pointer = replaceOnce(signedResponse(), 'URI="#_a1"', `URI="#xpointer(id('_a1'))"`);
    assertSignatureError(() => inspectAssertion(pointer), 'CG_SIG_REFERENCE_INVALID', 'uri-not-bare-name');
  });

  it('an external Reference URI → CG_SIG_REFERENCE_INVALID', () => {
    const external = replaceOnce(signedResponse(), 'URI="#_a1"', 'URI="http://127.0.0.1:9/a"');
    assertSignatureError(
      () => inspectAssertion(external),
      'CG_SIG_REFERENCE_INVALID',
      'uri-not-same-document',
    );
  });

  it('the signed ID duplicated on an element elsewhere in the document (XSW7) → CG_SIG_REFERENCE_INVALID', () => {
    const duplicate = replaceOnce(
      signedResponse(),
      '<saml:Assertion ',
      `<samlp:Extensions><saml:Assertion xmlns:saml="${SAML}" ID="_a1"/></samlp:Extensions><saml:Assertion `,
    );
    // The signed assertion is the second one in document order.
    const { root } = parseXml(duplicate);
    const signed = descendantElements(root, SAML, 'Assertion')[1]!;
    assertSignatureError(() => inspectEnvelopedSignature(signed), 'CG_SIG_REFERENCE_INVALID', 'id-duplicate');
  });

  it('the signed ID duplicated in a namespaced ID attribute (wsu:Id style) → CG_SIG_REFERENCE_INVALID', () => {
    const duplicate = replaceOnce(
      signedResponse(),
      '<saml:Issuer xmlns:saml',
      '<x:Other xmlns:x="urn:x" x:Id="_a1"/><saml:Issuer xmlns:saml',
    );
    assertSignatureError(() => inspectAssertion(duplicate), 'CG_SIG_REFERENCE_INVALID', 'id-duplicate');
  });

  it('a signature nested in a descendant only is not the element’s signature; findDescendantSignatures finds it', () => {
    const nested = signedResponse({
      location: { reference: "//*[local-name(.)='AttributeValue']", action: 'append' },
    });
    const assertion = assertionOf(nested);
    assert.equal(inspectEnvelopedSignature(assertion), undefined);
    const stray = findDescendantSignatures(assertion);
    assert.equal(stray.length, 1);
    assert.equal((stray[0]!.parentNode as XmlElement).localName, 'AttributeValue');
  });

  it('findDescendantSignatures leaves out the element’s own signature and finds the real misplaced-signature fixture', () => {
    assert.deepEqual(findDescendantSignatures(assertionOf(signedResponse())), []);
    const fixture = readFixture('interop/fixture-idp.saml20-response.signature-in-attributevalue.xml');
    const assertion = assertionOf(fixture.toString('utf8'));
    assert.equal(inspectEnvelopedSignature(assertion), undefined);
    assert.equal(findDescendantSignatures(assertion).length, 1);
  });

  it('the real Okta wrapping attack: the original assertion hidden inside the copied Signature → CG_SIG_STRUCTURE_INVALID', () => {
    const xml = readFixture('interop/okta.saml20-response.wrapping-attack.xml').toString('utf8');
    const { root } = parseXml(xml);
    const consumed = descendantElements(root, SAML, 'Assertion').find((a) => a.parentNode === root)!;
    assert.equal(consumed.getAttribute('ID'), 'EVIL');
    assertSignatureError(
      () => inspectEnvelopedSignature(consumed, { allowSha1: true }),
      'CG_SIG_STRUCTURE_INVALID',
      'unexpected-element',
    );
    assert.equal(findDescendantSignatures(consumed).length, 1);
    // Without the hidden copy, the copied reference still names another element.
    const hiddenStart = xml.indexOf('<saml2:Assertion', xml.indexOf('<ds:Signature'));
    const hiddenEnd = xml.indexOf('</saml2:Assertion>') + '</saml2:Assertion>'.length;
    const unhidden = parseXml(xml.slice(0, hiddenStart) + xml.slice(hiddenEnd)).root;
    const consumedUnhidden = descendantElements(unhidden, SAML, 'Assertion').find(
      (a) => a.parentNode === unhidden,
    )!;
    assert.equal(consumedUnhidden.getAttribute('ID'), 'EVIL');
    const signature = descendantElements(consumedUnhidden, NS.ds, 'Signature')[0]!;
    assert.equal(descendantElements(signature, SAML, 'Assertion').length, 0);
    assertSignatureError(
      () => inspectEnvelopedSignature(consumedUnhidden, { allowSha1: true }),
      'CG_SIG_REFERENCE_INVALID',
      'reference-not-signed-element',
    );
  });

  it('a comment inside DigestValue (CVE-2025-29775) → CG_SIG_STRUCTURE_INVALID', () => {
    const commented = replaceOnce(
      signedResponse(),
      '<ds:DigestValue>',
      '<ds:DigestValue><!--q4+rYtGy6J1gAYyJwlUYkCqZ4Lqn6jMSg5vz4r2Kqqc=-->',
    );
    assertSignatureError(() => inspectAssertion(commented), 'CG_SIG_STRUCTURE_INVALID', 'unexpected-content');
  });

  it('a comment inside SignatureValue or X509Certificate → CG_SIG_STRUCTURE_INVALID', () => {
    for (const element of ['<ds:SignatureValue>', '<ds:X509Certificate>']) {
      const commented = replaceOnce(signedResponse(), element, `${element}<!---->`);
      assertSignatureError(
        () => inspectAssertion(commented),
        'CG_SIG_STRUCTURE_INVALID',
        'unexpected-content',
      );
    }
  });

  it('a DigestValue that is not base64 → CG_SIG_STRUCTURE_INVALID', () => {
    for (const bad of ['not*base64', 'YWJj=', 'YR==', '']) {
      const broken = replaceOnce(signedResponse(), /<ds:DigestValue>[^<]*</, `<ds:DigestValue>${bad}<`);
      assertSignatureError(() => inspectAssertion(broken), 'CG_SIG_STRUCTURE_INVALID', 'base64-invalid');
    }
  });

  it('accepts whitespace and line breaks inside base64 values', () => {
    const wrapped = signedResponse().replace(
      /<ds:SignatureValue>([^<]*)</,
      (_, value: string) => `<ds:SignatureValue>\n${value.replace(/(.{64})/g, '$1\r\n  ')}\n<`,
    );
    assert.equal(inspectAssertion(wrapped)?.signatureValue.length, 256);
  });

  it('a processing instruction inside the signed content → CG_SIG_STRUCTURE_INVALID', () => {
    const withPi = replaceOnce(signedResponse(), 'admin@evil.com', 'admin<?x @evil.com?>');
    assertSignatureError(
      () => inspectAssertion(withPi),
      'CG_SIG_STRUCTURE_INVALID',
      'processing-instruction',
    );
  });
});

describe('inspectEnvelopedSignature enforces the algorithm allow-list', () => {
  it('inclusive c14n as CanonicalizationMethod → CG_SIG_ALGORITHM_FORBIDDEN', () => {
    const signed = signedResponse({ canonicalizationAlgorithm: URI.c14n });
    const error = assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_ALGORITHM_FORBIDDEN');
    assert.equal(error.detail.observed, URI.c14n);
  });

  it('exc-c14n#WithComments as CanonicalizationMethod → CG_SIG_ALGORITHM_FORBIDDEN', () => {
    const signed = signedResponse({ canonicalizationAlgorithm: URI.excC14nWithComments });
    assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_ALGORITHM_FORBIDDEN');
  });

  it('inclusive c14n or exc-c14n#WithComments as a Reference transform → CG_SIG_ALGORITHM_FORBIDDEN', () => {
    for (const transform of [URI.c14n, URI.excC14nWithComments]) {
      const signed = signedResponse({ transforms: [URI.enveloped, transform] });
      const error = assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_ALGORITHM_FORBIDDEN');
      assert.equal(error.detail.observed, transform);
    }
  });

  it('an XPath filter transform → CG_SIG_ALGORITHM_FORBIDDEN', () => {
    const signed = signedResponse({ transforms: [URI.enveloped, URI.xpath, URI.excC14n] });
    const error = assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_ALGORITHM_FORBIDDEN');
    assert.equal(error.detail.observed, URI.xpath);
  });

  it('transforms other than exactly enveloped-signature then exc-c14n → CG_SIG_STRUCTURE_INVALID', () => {
    for (const transforms of [
      [URI.excC14n, URI.enveloped],
      [URI.enveloped],
      [URI.excC14n],
      [URI.enveloped, URI.excC14n, URI.excC14n],
    ]) {
      const signed = signedResponse({ transforms });
      assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_STRUCTURE_INVALID', 'transforms-sequence');
    }
    const noTransforms = replaceOnce(signedResponse(), /<ds:Transforms>[\s\S]*?<\/ds:Transforms>/, '');
    assertSignatureError(
      () => inspectAssertion(noTransforms),
      'CG_SIG_STRUCTURE_INVALID',
      'transforms-sequence',
    );
  });

  it('rsa-sha1 with a sha1 digest → CG_SIG_ALGORITHM_FORBIDDEN, unless allowSha1 is set', () => {
    const signed = signedResponse({ signatureAlgorithm: URI.rsaSha1, digestAlgorithm: URI.sha1 });
    const error = assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_ALGORITHM_FORBIDDEN');
    assert.equal(error.detail.observed, URI.rsaSha1);
    const inspection = inspectAssertion(signed, { allowSha1: true });
    assert.equal(inspection?.usesSha1, true);
  });

  it('a strong signature over a sha1 digest → CG_SIG_ALGORITHM_FORBIDDEN without allowSha1', () => {
    const signed = signedResponse({ digestAlgorithm: URI.sha1 });
    const error = assertSignatureError(() => inspectAssertion(signed), 'CG_SIG_ALGORITHM_FORBIDDEN');
    assert.equal(error.detail.observed, URI.sha1);
    assert.equal(inspectAssertion(signed, { allowSha1: true })?.usesSha1, true);
  });

  it('hmac-sha1 keyed with the public certificate (key confusion) → CG_SIG_ALGORITHM_FORBIDDEN, even with allowSha1', () => {
    const signed = signedResponse({ hmac: true, key: rsa.pem, signatureAlgorithm: URI.hmacSha1 });
    const error = assertSignatureError(
      () => inspectAssertion(signed, { allowSha1: true }),
      'CG_SIG_ALGORITHM_FORBIDDEN',
    );
    assert.equal(error.detail.observed, URI.hmacSha1);
  });

  it('accepts rsa-sha384/512 with sha384/512 digests', () => {
    for (const [signatureAlgorithm, digestAlgorithm] of [
      [URI.rsaSha384, URI.sha384],
      [URI.rsaSha512, URI.sha512],
    ] as const) {
      const inspection = inspectAssertion(signedResponse({ signatureAlgorithm, digestAlgorithm }));
      assert.equal(inspection?.signatureAlgorithm, signatureAlgorithm);
      assert.equal(inspection?.digestAlgorithm, digestAlgorithm);
    }
  });

  it('signature and digest algorithms outside the list (MD5, DSA, RSA-PSS) → CG_SIG_ALGORITHM_FORBIDDEN', () => {
    for (const uri of [
      'http://www.w3.org/2001/04/xmldsig-more#rsa-md5',
      'http://www.w3.org/2000/09/xmldsig#dsa-sha1',
      'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1',
      'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256',
    ]) {
      const downgraded = replaceOnce(
        signedResponse(),
        /<ds:SignatureMethod Algorithm="[^"]+"/,
        `<ds:SignatureMethod Algorithm="${uri}"`,
      );
      const error = assertSignatureError(
        () => inspectAssertion(downgraded, { allowSha1: true }),
        'CG_SIG_ALGORITHM_FORBIDDEN',
      );
      assert.equal(error.detail.observed, uri);
    }
    const md5 = replaceOnce(
      signedResponse(),
      /<ds:DigestMethod Algorithm="[^"]+"/,
      '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#md5"',
    );
    assertSignatureError(() => inspectAssertion(md5, { allowSha1: true }), 'CG_SIG_ALGORITHM_FORBIDDEN');
  });

  it('does not take an algorithm name such as "constructor" for an allowed one', () => {
    const odd = replaceOnce(
      signedResponse(),
      /<ds:DigestMethod Algorithm="[^"]+"/,
      '<ds:DigestMethod Algorithm="constructor"',
    );
    assertSignatureError(() => inspectAssertion(odd), 'CG_SIG_ALGORITHM_FORBIDDEN');
  });
});

describe('inspectEnvelopedSignature on the signed element only', () => {
  it('locates the signature among direct children in the XML-DSig namespace', () => {
    const assertion = assertionOf(signedResponse());
    const signature = descendantElements(assertion, NS.ds, 'Signature')[0];
    assert.equal(inspectEnvelopedSignature(assertion)?.signature, signature);
  });
});
