import assert from 'node:assert/strict';
import { createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { SignedXml } from 'xml-crypto';
import { descendantElements } from '../../src/xml/dom.js';
import type { XmlDocument, XmlElement, XmlNode } from '../../src/xml/light-dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { canonicalizeSignedElement } from '../../src/xmldsig/canonicalize.js';
import { inspectEnvelopedSignature, type SignatureInspection } from '../../src/xmldsig/inspect-signature.js';
import { verifyEnvelopedSignature } from '../../src/xmldsig/verify-signature.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { snapshotTree, xmldomCopy } from '../helpers/xmldom-copy.js';
import { ASSERTION, assertionOf, assertSignatureError, replaceOnce, responseXml, SAML } from './documents.js';
import { signWithXmlCrypto, URI, type TestSignOptions } from './sign-with-xml-crypto.js';

let rsa: TestCertificate;
let otherRsa: TestCertificate;
let ec: TestCertificate;

before(async () => {
  [rsa, otherRsa, ec] = await Promise.all([
    createTestCertificate({ commonName: 'xmldsig verify rsa' }),
    createTestCertificate({ commonName: 'xmldsig verify other rsa' }),
    createTestCertificate({ commonName: 'xmldsig verify ec', keyType: 'ec' }),
  ]);
});

function publicKeyOf(certificate: TestCertificate): KeyObject {
  return createPublicKey(certificate.pem);
}

function sign(options: Partial<TestSignOptions> = {}, xml = responseXml()): string {
  return signWithXmlCrypto(xml, {
    key: rsa.privateKey,
    certificatePem: rsa.pem,
    references: [ASSERTION],
    ...options,
  });
}

/** Parses, inspects and returns everything a verification needs. */
function prepare(
  xml: string,
  allowSha1 = false,
): { document: XmlDocument; assertion: XmlElement; inspection: SignatureInspection } {
  const assertion = assertionOf(xml);
  const inspection = inspectEnvelopedSignature(assertion, { allowSha1 });
  assert.ok(inspection !== undefined);
  return { document: documentOf(assertion), assertion, inspection };
}

/** The document a node belongs to, by its parent links. */
function documentOf(node: XmlNode): XmlDocument {
  let top: XmlNode = node;
  while (top.parentNode !== null) top = top.parentNode;
  assert.equal(top.nodeType, 9);
  return top;
}

/** xml-crypto's canonical XML of the single reference, after its own successful checkSignature. */
function xmlCryptoSignedReference(xml: string, signature: XmlElement, pem: string): string {
  const signedXml = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
  signedXml.loadSignature(xmldomCopy(signature)(signature));
  assert.equal(signedXml.checkSignature(xml), true);
  const references = signedXml.getSignedReferences();
  assert.equal(references.length, 1);
  return references[0]!;
}

describe('verifyEnvelopedSignature accepts genuine signatures', () => {
  it('verifies RSA-SHA256 and returns the canonical XML of the signed assertion', () => {
    const xml = sign();
    const { assertion, inspection } = prepare(xml);
    const canonical = verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa));
    assert.equal(canonical, canonicalizeSignedElement(inspection, assertion));
    assert.equal(canonical, xmlCryptoSignedReference(xml, inspection.signature, rsa.pem));
    assert.ok(!canonical.includes('Signature'));
    assert.ok(canonical.startsWith(`<saml:Assertion xmlns:saml="${SAML}" ID="_a1"`));
  });

  it('verifies RSA-SHA384 and RSA-SHA512 with matching digests', () => {
    for (const [signatureAlgorithm, digestAlgorithm] of [
      [URI.rsaSha384, URI.sha384],
      [URI.rsaSha512, URI.sha512],
    ] as const) {
      const { assertion, inspection } = prepare(sign({ signatureAlgorithm, digestAlgorithm }));
      verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa));
    }
  });

  it('verifies an ECDSA P-256 signature (raw r||s) with the EC key', () => {
    const xml = sign({ key: ec.privateKey, certificatePem: ec.pem, signatureAlgorithm: URI.ecdsaSha256 });
    const { assertion, inspection } = prepare(xml);
    assert.equal(inspection.signatureValue.length, 64);
    verifyEnvelopedSignature(inspection, assertion, publicKeyOf(ec));
  });

  it('verifies rsa-sha1 when the inspection allowed SHA-1', () => {
    const { assertion, inspection } = prepare(
      sign({ signatureAlgorithm: URI.rsaSha1, digestAlgorithm: URI.sha1 }),
      true,
    );
    verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa));
  });

  it('includes namespaces inherited through an InclusiveNamespaces PrefixList exactly as xml-crypto does', () => {
    const xml = sign({ inclusiveNamespaces: ['xs', 'xsi', 'unused'] });
    const { document, assertion, inspection } = prepare(xml);
    const before = snapshotTree(document);
    const canonical = verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa));
    assert.equal(snapshotTree(document), before);
    assert.match(canonical, /^<saml:Assertion [^>]*xmlns:xs="http:\/\/www\.w3\.org\/2001\/XMLSchema"/);
    assert.equal(canonical, xmlCryptoSignedReference(xml, inspection.signature, rsa.pem));
  });

  it('canonicalises SignedInfo with the PrefixList of its CanonicalizationMethod, inheriting from the Response', () => {
    const xml = sign({ signedInfoInclusiveNamespaces: ['xs'] });
    const { assertion, inspection } = prepare(xml);
    assert.deepEqual(inspection.signedInfoInclusiveNamespacePrefixes, ['xs']);
    verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa));
    assert.equal(xmlCryptoSignedReference(xml, inspection.signature, rsa.pem).length > 0, true);
  });

  it('canonicalises an assertion whose prefix is declared on the Response as xml-crypto does', () => {
    const outer = responseXml()
      .replace('<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ', '<saml:Assertion ')
      .replace('<samlp:Response ', `<samlp:Response xmlns:saml="${SAML}" `);
    const xml = sign({}, outer);
    const { assertion, inspection } = prepare(xml);
    const canonical = verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa));
    assert.equal(canonical, xmlCryptoSignedReference(xml, inspection.signature, rsa.pem));
  });
});

describe('verifyEnvelopedSignature refuses forgeries', () => {
  it('a signature by another RSA key → CG_SIG_VALUE_INVALID', () => {
    const { assertion, inspection } = prepare(sign());
    assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKeyOf(otherRsa)),
      'CG_SIG_VALUE_INVALID',
    );
  });

  it('a document re-signed by an attacker who put his own certificate in KeyInfo → CG_SIG_VALUE_INVALID with the trusted key', () => {
    const { assertion, inspection } = prepare(
      sign({ key: otherRsa.privateKey, certificatePem: otherRsa.pem }),
    );
    assert.deepEqual(inspection.keyInfoCertificates[0]!.der, otherRsa.der);
    assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa)),
      'CG_SIG_VALUE_INVALID',
    );
  });

  it('a tampered SignatureValue → CG_SIG_VALUE_INVALID', () => {
    const xml = sign();
    const value = /<ds:SignatureValue>([^<]*)</.exec(xml)![1]!;
    const flipped = (value[10] === 'A' ? 'B' : 'A') + value.slice(11);
    const tampered = replaceOnce(xml, value, value.slice(0, 10) + flipped);
    const { assertion, inspection } = prepare(tampered);
    assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa)),
      'CG_SIG_VALUE_INVALID',
    );
  });

  it('a truncated ECDSA SignatureValue → CG_SIG_VALUE_INVALID', () => {
    const xml = sign({ key: ec.privateKey, certificatePem: ec.pem, signatureAlgorithm: URI.ecdsaSha256 });
    const value = /<ds:SignatureValue>([^<]*)</.exec(xml)![1]!;
    const { assertion, inspection } = prepare(replaceOnce(xml, value, value.slice(0, 44)));
    assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKeyOf(ec)),
      'CG_SIG_VALUE_INVALID',
    );
  });

  it('changed signed content (NameID) → CG_SIG_DIGEST_MISMATCH', () => {
    const { assertion, inspection } = prepare(replaceOnce(sign(), 'admin@evil.com', 'admin@evil.con'));
    assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa)),
      'CG_SIG_DIGEST_MISMATCH',
    );
  });

  it('an EC key for an RSA signature → CG_SIG_KEY_INVALID', () => {
    const { assertion, inspection } = prepare(sign());
    const error = assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKeyOf(ec)),
      'CG_SIG_KEY_INVALID',
      'key-type-mismatch',
    );
    assert.equal(error.detail.observed, 'ec');
  });

  it('an RSA key for an ECDSA signature → CG_SIG_KEY_INVALID', () => {
    const xml = sign({ key: ec.privateKey, certificatePem: ec.pem, signatureAlgorithm: URI.ecdsaSha256 });
    const { assertion, inspection } = prepare(xml);
    assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa)),
      'CG_SIG_KEY_INVALID',
      'key-type-mismatch',
    );
  });

  it('an RSA-PSS key for an RSA PKCS#1 signature → CG_SIG_KEY_INVALID', () => {
    const { publicKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const { assertion, inspection } = prepare(sign());
    assertSignatureError(
      () => verifyEnvelopedSignature(inspection, assertion, publicKey),
      'CG_SIG_KEY_INVALID',
      'key-type-mismatch',
    );
  });

  it('a secret or private key instead of a public key → CG_SIG_KEY_INVALID (never an HMAC)', () => {
    const { assertion, inspection } = prepare(sign());
    for (const key of [createSecretKey(Buffer.from(rsa.pem)), rsa.privateKey]) {
      assertSignatureError(
        () => verifyEnvelopedSignature(inspection, assertion, key),
        'CG_SIG_KEY_INVALID',
        'key-not-public',
      );
    }
  });

  it('refuses a non-KeyObject key and an element that does not carry the signature with a TypeError', () => {
    const { assertion, inspection } = prepare(sign());
    assert.throws(
      () => verifyEnvelopedSignature(inspection, assertion, rsa.pem as unknown as KeyObject),
      TypeError,
    );
    const subject = descendantElements(assertion, SAML, 'Subject')[0]!;
    assert.throws(() => verifyEnvelopedSignature(inspection, subject, publicKeyOf(rsa)), TypeError);
    assert.throws(() => canonicalizeSignedElement(inspection, subject), TypeError);
  });
});

describe('comments inside signed content', () => {
  // Exclusive c14n without comments drops comments, so a comment inserted in
  // the NameID after signing does not change the digest (CVE-2017-11427
  // class). The defence is to read the identity only from the canonical bytes,
  // where the comment is gone and the text is one node.
  it('keeps the digest of <NameID>admin<!---->@evil.com</NameID> and returns bytes whose NameID re-parses as one text node', () => {
    const commented = replaceOnce(sign(), 'admin@evil.com', 'admin<!---->@evil.com');
    const { assertion, inspection } = prepare(commented);
    const originalNameId = descendantElements(assertion, SAML, 'NameID')[0]!;
    // A naive reader of the original DOM sees only the first part.
    const first = originalNameId.firstChild;
    assert.equal(first?.nodeType === 3 ? first.data : undefined, 'admin');

    const canonical = verifyEnvelopedSignature(inspection, assertion, publicKeyOf(rsa));
    assert.ok(!canonical.includes('<!--'));
    assert.ok(canonical.includes('<saml:NameID>admin@evil.com</saml:NameID>'));

    const reparsed = parseXml(canonical).root;
    const nameId = descendantElements(reparsed, SAML, 'NameID')[0]!;
    const only = nameId.firstChild;
    assert.ok(only !== null && only === nameId.lastChild, 'one child');
    assert.equal(only.nodeType === 3 ? only.data : undefined, 'admin@evil.com');
  });
});

describe('verifyEnvelopedSignature leaves the caller’s DOM unchanged', () => {
  it('serialises the document identically before and after success and failure', () => {
    const cases: Array<[string, KeyObject]> = [
      [sign({ inclusiveNamespaces: ['xs'] }), publicKeyOf(rsa)],
      [sign(), publicKeyOf(otherRsa)],
      [
        replaceOnce(
          sign(),
          'https://idp.example/</saml:Issuer><saml:Subject>',
          'https://idp.example/x</saml:Issuer><saml:Subject>',
        ),
        publicKeyOf(rsa),
      ],
    ];
    for (const [xml, key] of cases) {
      const { document, assertion, inspection } = prepare(xml);
      const before = snapshotTree(document);
      try {
        verifyEnvelopedSignature(inspection, assertion, key);
      } catch {
        // The outcome is asserted elsewhere; only the DOM matters here.
      }
      assert.equal(snapshotTree(document), before);
      assert.equal(inspection.signature.parentNode, assertion);
    }
  });
});
