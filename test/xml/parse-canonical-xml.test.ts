import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { parseCanonicalXml } from '../../src/xml/parse-canonical-xml.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { NS, descendantElements } from '../../src/xml/dom.js';
import { inspectEnvelopedSignature } from '../../src/xmldsig/inspect-signature.js';
import { canonicalizeSignedElement } from '../../src/xmldsig/canonicalize.js';
import type { XmlDocument, XmlElement } from '../../src/xml/light-dom.js';
import { repoRoot, readFixture, fixturesDir } from '../helpers/fixtures.js';
import type { ComparableNode } from '../helpers/xmldom-copy.js';

/** A structural description of a DOM subtree: names, namespaces, attributes (with namespaces) and text. */
function describeTree(node: ComparableNode): unknown {
  if (node.nodeType === 3) return { text: node.nodeValue };
  const attributes = Array.from(node.attributes ?? [], (attribute) => [
    attribute.namespaceURI ?? null,
    attribute.localName,
    attribute.prefix ?? null,
    attribute.value,
  ]);
  const children = [];
  for (let child = node.firstChild ?? null; child !== null; child = child.nextSibling)
    children.push(describeTree(child));
  return {
    // xmldom gives an element below xmlns="" the namespace "", ours null: both are no namespace.
    ns: node.namespaceURI || null,
    local: node.localName,
    prefix: node.prefix ?? null,
    attributes: attributes.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    children,
  };
}

/** Every signed element's canonical form in the fixtures and the adversarial corpus. */
function canonicalSamples(): Array<{ name: string; canonical: string }> {
  const samples: Array<{ name: string; canonical: string }> = [];
  const documents: Array<{ name: string; bytes: Buffer }> = [];
  for (const file of readdirSync(join(fixturesDir, 'interop')).filter((f) => f.endsWith('.xml'))) {
    documents.push({ name: `interop/${file}`, bytes: readFixture(`interop/${file}`) });
  }
  for (const file of readdirSync(join(fixturesDir, 'metadata')).filter((f) => f.endsWith('.xml'))) {
    documents.push({ name: `metadata/${file}`, bytes: readFixture(`metadata/${file}`) });
  }
  for (const file of readdirSync(join(fixturesDir, 'standard-xmldsig', 'tokens'))) {
    documents.push({
      name: `standard-xmldsig/${file}`,
      bytes: readFixture(`standard-xmldsig/tokens/${file}`),
    });
  }
  const corpus = join(repoRoot, 'test', 'fixtures', 'adversarial');
  for (const file of readdirSync(corpus).filter((f) => f.endsWith('.xml'))) {
    documents.push({ name: `adversarial/${file}`, bytes: readFileSync(join(corpus, file)) });
  }
  for (const { name, bytes } of documents) {
    let document: XmlDocument;
    try {
      document = parseXml(bytes).document;
    } catch {
      continue;
    }
    for (const signature of descendantElements(document, NS.ds, 'Signature')) {
      const signed = signature.parentNode;
      if (signed.nodeType !== 1) continue;
      try {
        const inspection = inspectEnvelopedSignature(signed, { allowSha1: true });
        if (inspection !== undefined)
          samples.push({ name, canonical: canonicalizeSignedElement(inspection, signed) });
      } catch {
        // Refused shapes have no canonical form to compare.
      }
    }
  }
  return samples;
}

/**
 * xmldom's reading of canonical text. xmldom turns NEL (U+0085) and LINE
 * SEPARATOR (U+2028) into LF, as XML 1.1 §2.11 does; XML 1.0 keeps them.
 * In canonical text they can only be in character data and attribute
 * values, where a character reference means the same character to both.
 * xmldom refuses names above the BMP, which XML 1.0 Fifth Edition allows:
 * undefined then.
 */
function readWithXmldom(canonical: string): Element | undefined {
  const text = canonical.replace(/[\u0085\u2028]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`);
  let error = false;
  const document = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: () => (error = true),
      fatalError: () => (error = true),
    },
  }).parseFromString(text, 'application/xml');
  return error ? undefined : document.documentElement;
}

describe('parseCanonicalXml', () => {
  const samples = canonicalSamples();

  it('reads every signed element of the fixtures and corpus exactly as the general parsers do', () => {
    assert.ok(samples.length >= 90, `${samples.length} samples`);
    let withXmldom = 0;
    for (const { name, canonical } of samples) {
      const ours = describeTree(parseCanonicalXml(canonical));
      assert.deepEqual(ours, describeTree(parseXml(canonical).root), name);
      const xmldom = readWithXmldom(canonical);
      if (xmldom === undefined) {
        assert.match(name, /astral-names/, `xmldom refuses only names above the BMP: ${name}`);
        continue;
      }
      assert.deepEqual(ours, describeTree(xmldom), name);
      withXmldom += 1;
    }
    assert.ok(withXmldom >= samples.length - 2);
  });

  it('keeps NEL and LINE SEPARATOR in text and attribute values (XML 1.0 §2.11)', () => {
    const root = parseCanonicalXml('<a b="x\u2028y\u0085">Ann\u2028Lee\u0085</a>');
    assert.equal(root.getAttribute('b'), 'x\u2028y\u0085');
    assert.equal(root.textContent, 'Ann\u2028Lee\u0085');
  });

  it('decodes the references canonical XML writes, in text and attributes', () => {
    const root = parseCanonicalXml('<a b="&quot;&amp;&lt;&#x9;&#xA;&#xD;">x &amp; &lt;y&gt;&#xD;</a>');
    assert.equal(root.getAttribute('b'), '"&<\t\n\r');
    assert.equal(root.textContent, 'x & <y>\r');
  });

  it('resolves namespaces declared on the element and its ancestors', () => {
    const root = parseCanonicalXml('<p:a xmlns:p="urn:p"><p:b xmlns="urn:d" p:c="1"><d></d></p:b></p:a>');
    const b = root.firstChild as XmlElement;
    assert.equal(b.nodeType, 1);
    assert.equal(b.namespaceURI, 'urn:p');
    assert.equal(b.getAttributeNS('urn:p', 'c'), '1');
    assert.equal((b.firstChild as XmlElement).namespaceURI, 'urn:d');
  });

  it('refuses everything canonical XML never contains', () => {
    const notCanonical = [
      '<?xml version="1.0"?><a></a>',
      '<a/>',
      "<a b='1'></a>",
      '<a><!-- c --></a>',
      '<a><![CDATA[x]]></a>',
      '<a>&apos;</a>',
      '<a>&#65;</a>',
      '<a>></a>',
      '<a b="x\ny"></a>',
      '<a></b>',
      '<a></a><b></b>',
      '<a></a>trailing',
      'text<a></a>',
      '<p:a></p:a>',
      '<a p:b="1"></a>',
      '<a>',
      '',
      '<a  b="1"></a>',
      '<a b="1" ></a>',
    ];
    for (const text of notCanonical) {
      assert.throws(
        () => parseCanonicalXml(text),
        (error: unknown) =>
          isClaimsgateError(error) &&
          (error.code === 'CG_XML_MALFORMED' || error.code === 'CG_XML_MULTIPLE_ROOTS'),
        text,
      );
    }
  });
});
