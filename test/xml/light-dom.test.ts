import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDom } from '../../src/xml/build-dom.js';
import { childElements, resolveQName } from '../../src/xml/dom.js';
import {
  XML_NAMESPACE,
  XMLNS_NAMESPACE,
  type XmlAttribute,
  type XmlChildNode,
  type XmlElement,
} from '../../src/xml/light-dom.js';

function element(node: XmlChildNode | null): XmlElement {
  assert.ok(node !== null && node.nodeType === 1, 'an element');
  return node;
}

function fields(attribute: XmlAttribute | null): unknown {
  assert.ok(attribute !== null);
  const { name, localName, prefix, namespaceURI, value } = attribute;
  return { name, localName, prefix, namespaceURI, value };
}

describe('the light DOM', () => {
  const document = buildDom(
    '<p:a xmlns:p="urn:p" xmlns="urn:d" id="1" p:id="2" xml:lang="en">' +
      '<b xmlns="" q:c="3" xmlns:q="urn:q">one<!-- c --><![CDATA[<two>]]><?pi data?><d>three</d></b>' +
      '<p:e xmlns:p="urn:p2"/>text</p:a>',
  );
  const a = document.documentElement;
  const b = element(a.firstChild);
  const e = element(b.nextSibling);
  const d = childElements(b)[0]!;

  it('links every node to its parent, first and last child and next sibling', () => {
    assert.equal(document.nodeType, 9);
    assert.equal(document.firstChild, a);
    assert.equal(document.lastChild, a);
    assert.equal(document.parentNode, null);
    assert.equal(a.parentNode, document);
    assert.equal(a.nextSibling, null);
    assert.equal(b.parentNode, a);
    assert.equal(e.parentNode, a);
    const text = e.nextSibling;
    assert.ok(text !== null && text.nodeType === 3);
    assert.equal(text.data, 'text');
    assert.equal(text.nextSibling, null);
    assert.equal(a.lastChild, text);
    const kinds: Array<[number, string]> = [];
    for (let child = b.firstChild; child !== null; child = child.nextSibling) {
      assert.equal(child.parentNode, b);
      kinds.push([child.nodeType, child.nodeName]);
    }
    assert.deepEqual(kinds, [
      [3, '#text'],
      [8, '#comment'],
      [4, '#cdata-section'],
      [7, 'pi'],
      [1, 'd'],
    ]);
    assert.equal(b.lastChild, d);
    assert.equal(e.firstChild, null);
    assert.equal(e.lastChild, null);
  });

  it('names elements and their namespaces as the DOM does', () => {
    assert.deepEqual(
      [a.nodeName, a.tagName, a.localName, a.prefix, a.namespaceURI],
      ['p:a', 'p:a', 'a', 'p', 'urn:p'],
    );
    // xmlns="" undeclares the default namespace: no namespace, null as in the DOM.
    assert.deepEqual([b.tagName, b.localName, b.prefix, b.namespaceURI], ['b', 'b', null, null]);
    assert.deepEqual([d.localName, d.prefix, d.namespaceURI], ['d', null, null]);
    assert.deepEqual([e.localName, e.prefix, e.namespaceURI], ['e', 'p', 'urn:p2']);
  });

  it('keeps attributes in document order with their namespaces, declarations included', () => {
    assert.deepEqual(a.attributes.map(fields), [
      { name: 'xmlns:p', localName: 'p', prefix: 'xmlns', namespaceURI: XMLNS_NAMESPACE, value: 'urn:p' },
      { name: 'xmlns', localName: 'xmlns', prefix: null, namespaceURI: XMLNS_NAMESPACE, value: 'urn:d' },
      { name: 'id', localName: 'id', prefix: null, namespaceURI: null, value: '1' },
      { name: 'p:id', localName: 'id', prefix: 'p', namespaceURI: 'urn:p', value: '2' },
      { name: 'xml:lang', localName: 'lang', prefix: 'xml', namespaceURI: XML_NAMESPACE, value: 'en' },
    ]);
  });

  it('finds an attribute by qualified name, or by namespace and local name', () => {
    assert.equal(a.getAttribute('id'), '1');
    assert.equal(a.getAttribute('p:id'), '2');
    assert.equal(a.getAttribute('lang'), null);
    assert.equal(a.hasAttribute('p:id'), true);
    assert.equal(a.hasAttribute('missing'), false);
    assert.equal(a.getAttributeNode('missing'), null);
    assert.deepEqual(fields(a.getAttributeNode('id')), {
      name: 'id',
      localName: 'id',
      prefix: null,
      namespaceURI: null,
      value: '1',
    });
    // An unprefixed attribute is in no namespace, whatever the default namespace.
    assert.equal(a.getAttributeNS(null, 'id'), '1');
    assert.equal(a.getAttributeNS('', 'id'), '1');
    assert.equal(a.getAttributeNS('urn:d', 'id'), null);
    assert.equal(a.getAttributeNS('urn:p', 'id'), '2');
    assert.equal(a.hasAttributeNS('urn:p', 'id'), true);
    assert.equal(a.hasAttributeNS('urn:q', 'id'), false);
    assert.equal(a.getAttributeNS(XML_NAMESPACE, 'lang'), 'en');
    assert.equal(a.getAttributeNS(XMLNS_NAMESPACE, 'p'), 'urn:p');
    assert.equal(a.getAttributeNS(XMLNS_NAMESPACE, 'xmlns'), 'urn:d');
    // The prefix does not matter, only the namespace it is bound to.
    assert.equal(b.getAttributeNS('urn:q', 'c'), '3');
    assert.equal(b.getAttributeNS('urn:p', 'c'), null);
  });

  it('looks namespaces up through the ancestors, the default namespace and xml included', () => {
    assert.equal(a.lookupNamespaceURI('p'), 'urn:p');
    assert.equal(a.lookupNamespaceURI(null), 'urn:d');
    assert.equal(a.lookupNamespaceURI(''), 'urn:d');
    assert.equal(e.lookupNamespaceURI('p'), 'urn:p2', 'the nearest declaration');
    assert.equal(e.lookupNamespaceURI(null), 'urn:d', 'inherited');
    assert.equal(b.lookupNamespaceURI(null), null, 'xmlns="" undeclares it');
    assert.equal(d.lookupNamespaceURI(''), null);
    assert.equal(d.lookupNamespaceURI('q'), 'urn:q');
    assert.equal(d.lookupNamespaceURI('p'), 'urn:p');
    assert.equal(a.lookupNamespaceURI('q'), null, 'declared below, not here');
    assert.equal(a.lookupNamespaceURI('unbound'), null);
    assert.equal(d.lookupNamespaceURI('xml'), XML_NAMESPACE);
    assert.equal(d.lookupNamespaceURI('xmlns'), XMLNS_NAMESPACE);
  });

  it('gives the text and CDATA of all descendants as textContent, without comments or PIs', () => {
    assert.equal(b.textContent, 'one<two>three');
    assert.equal(a.textContent, 'one<two>threetext');
    assert.equal(d.textContent, 'three');
    assert.equal(e.textContent, '');
  });

  it('keeps the character nodes’ data as their nodeValue, and a PI’s target as its name', () => {
    const pi = b.firstChild!.nextSibling!.nextSibling!.nextSibling!;
    assert.ok(pi.nodeType === 7);
    assert.deepEqual([pi.target, pi.data, pi.nodeValue], ['pi', 'data', 'data']);
    const comment = b.firstChild!.nextSibling!;
    assert.ok(comment.nodeType === 8);
    assert.deepEqual([comment.data, comment.nodeValue], [' c ', ' c ']);
  });

  it('resolves a prefixed QName against the namespaces in scope, and an unprefixed one to no namespace', () => {
    assert.deepEqual(resolveQName(e, 'p:T'), { namespace: 'urn:p2', localName: 'T' });
    assert.deepEqual(resolveQName(d, 'q:T'), { namespace: 'urn:q', localName: 'T' });
    assert.deepEqual(resolveQName(d, 'zz:T'), { namespace: null, localName: 'T' });
    // As before the light DOM: the default namespace is not applied to an xsi:type value.
    assert.deepEqual(resolveQName(a, 'T'), { namespace: null, localName: 'T' });
  });
});
