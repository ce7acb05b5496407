/**
 * Differential tests: every real signed document in the real fixtures must
 * verify with our code and with xml-crypto's own SignedXml.checkSignature,
 * give byte-identical canonical XML, and fail in both after a one-byte change
 * inside the signed element.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SignedXml } from 'xml-crypto';
import { childElements } from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { canonicalizeSignedElement } from '../../src/xmldsig/canonicalize.js';
import { inspectEnvelopedSignature, type SignatureInspection } from '../../src/xmldsig/inspect-signature.js';
import { verifyEnvelopedSignature } from '../../src/xmldsig/verify-signature.js';
import { readFixture, fixturePath } from '../helpers/fixtures.js';
import { assertSignatureError } from './documents.js';
import type { XmlElement } from '../../src/xml/light-dom.js';
import { snapshotTree, xmldomCopy } from '../helpers/xmldom-copy.js';

interface Case {
  readonly name: string;
  readonly xml: string;
  /** Local-name path of the signed element from the root, e.g. `/Response/Assertion`. */
  readonly signedElementPath: string;
  /** PEM of the signer; undefined: the certificate in the signature's own KeyInfo. */
  readonly pem: string | undefined;
  readonly allowSha1: boolean;
}

interface ManifestSignature {
  readonly location: string;
  readonly referencedElement: string;
  readonly signatureMethod: string;
  readonly digestMethod: string;
}

interface ManifestEntry {
  readonly id: string;
  readonly file: string;
  readonly expected: 'accept' | 'reject';
  readonly signingCertFile: string;
  readonly signatures: readonly ManifestSignature[];
}

function readText(path: string): string {
  return readFixture(path)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}

function cases(): Case[] {
  const result: Case[] = [];
  for (const file of readdirSync(fixturePath('metadata'))
    .filter((f) => f.endsWith('.xml'))
    .sort()) {
    const xml = readText(`metadata/${file}`);
    const root = parseXml(xml).root;
    result.push({
      name: `metadata/${file}`,
      xml,
      signedElementPath: `/${root.localName}`,
      pem: undefined,
      allowSha1: false,
    });
  }
  const manifest = JSON.parse(readText('interop/manifest.json')) as ManifestEntry[];
  for (const entry of manifest.filter((e) => e.expected === 'accept')) {
    const xml = readText(`interop/${entry.file}`);
    const pem = readText(`interop/${entry.signingCertFile}`);
    for (const signature of entry.signatures) {
      assert.equal(signature.location, `${signature.referencedElement}/Signature`, entry.id);
      result.push({
        name: `${entry.id} ${signature.referencedElement}`,
        xml,
        signedElementPath: signature.referencedElement,
        pem,
        allowSha1: /sha1$/.test(signature.signatureMethod) || /sha1$/.test(signature.digestMethod),
      });
    }
  }
  return result;
}

/** Follows a local-name path from the root; each step must match exactly one child element. */
function elementAt(root: XmlElement, path: string): XmlElement {
  const [first, ...rest] = path.split('/').filter(Boolean);
  assert.equal(root.localName, first);
  let element = root;
  for (const step of rest) {
    const matches = childElements(element).filter((child) => child.localName === step);
    assert.equal(matches.length, 1, `exactly one <${step}> under <${element.localName}>`);
    element = matches[0]!;
  }
  return element;
}

/** xml-crypto 6's own verdict, with the key given and KeyInfo ignored. */
function checkWithXmlCrypto(
  xml: string,
  signature: XmlElement,
  pem: string,
): { valid: boolean; signedReferences: string[] } {
  const signedXml = new SignedXml({
    publicCert: pem,
    getCertFromKeyInfo: () => null,
    idAttribute: 'AssertionID',
  });
  signedXml.loadSignature(xmldomCopy(signature)(signature));
  let valid: boolean;
  try {
    valid = signedXml.checkSignature(xml);
  } catch {
    valid = false;
  }
  return { valid, signedReferences: signedXml.getSignedReferences() };
}

/**
 * Changes one ASCII letter or digit in an attribute value of the signed
 * element's start tag (found by its unique ID): a one-byte change inside the
 * signed content that keeps the document well-formed.
 */
function changeOneByteInside(xml: string, id: string): string {
  const idAttribute = new RegExp(
    `\\s(?:ID|AssertionID|Id|id)=(["'])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1`,
  );
  const match = idAttribute.exec(xml);
  assert.ok(match !== null, `the ID ${id} appears in the document`);
  const tagStart = xml.lastIndexOf('<', match.index);
  const tagEnd = xml.indexOf('>', match.index);
  const tag = xml.slice(tagStart, tagEnd);
  const attributes = /\s([\w:.-]+)=(["'])([^"'&]*)\2/g;
  for (let m = attributes.exec(tag); m !== null; m = attributes.exec(tag)) {
    const [whole, name, , value] = m as unknown as [string, string, string, string];
    if (name.startsWith('xmlns') || /^(ID|AssertionID|Id|id)$/.test(name)) continue;
    const offset = value.search(/[A-Za-z0-9]/);
    if (offset === -1) continue;
    const at = tagStart + m.index + whole.length - 1 - value.length + offset;
    const original = xml[at]!;
    const replacement = /[0-9]/.test(original)
      ? String((Number(original) + 1) % 10)
      : original === 'x'
        ? 'y'
        : 'x';
    return xml.slice(0, at) + replacement + xml.slice(at + 1);
  }
  assert.fail(`no attribute to change on the element with ID ${id}`);
}

function signerPem(testCase: Case, inspection: SignatureInspection): string {
  return testCase.pem ?? new X509Certificate(inspection.keyInfoCertificates[0]!.der).toString();
}

describe('verification agrees with xml-crypto on every real signed document', () => {
  for (const testCase of cases()) {
    it(`${testCase.name}: verifies with both, with byte-identical canonical XML, and leaves the DOM unchanged`, () => {
      const { document, root } = parseXml(testCase.xml);
      const signed = elementAt(root, testCase.signedElementPath);
      const inspection = inspectEnvelopedSignature(signed, { allowSha1: testCase.allowSha1 });
      assert.ok(inspection !== undefined);
      const pem = signerPem(testCase, inspection);
      const before = snapshotTree(document);

      const canonical = verifyEnvelopedSignature(inspection, signed, new X509Certificate(pem).publicKey);
      assert.equal(snapshotTree(document), before);
      assert.equal(canonicalizeSignedElement(inspection, signed), canonical);

      const theirs = checkWithXmlCrypto(testCase.xml, inspection.signature, pem);
      assert.equal(theirs.valid, true);
      assert.deepEqual(theirs.signedReferences, [canonical]);
    });

    it(`${testCase.name}: a one-byte change inside the signed element fails both (CG_SIG_DIGEST_MISMATCH)`, () => {
      const original = parseXml(testCase.xml).root;
      const id = inspectEnvelopedSignature(elementAt(original, testCase.signedElementPath), {
        allowSha1: testCase.allowSha1,
      })!.referenceId;
      const tampered = changeOneByteInside(testCase.xml, id);
      assert.equal(tampered.length, testCase.xml.length);
      assert.notEqual(tampered, testCase.xml);

      const signed = elementAt(parseXml(tampered).root, testCase.signedElementPath);
      const inspection = inspectEnvelopedSignature(signed, { allowSha1: testCase.allowSha1 })!;
      const pem = signerPem(testCase, inspection);
      assertSignatureError(
        () => verifyEnvelopedSignature(inspection, signed, new X509Certificate(pem).publicKey),
        'CG_SIG_DIGEST_MISMATCH',
      );
      const theirs = checkWithXmlCrypto(tampered, inspection.signature, pem);
      assert.equal(theirs.valid, false);
      assert.deepEqual(theirs.signedReferences, []);
    });
  }
});
