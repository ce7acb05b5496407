/**
 * Bridges between claimsgate's own read-only tree (src/xml/light-dom.ts) and
 * `@xmldom/xmldom`, for the tests that hold claimsgate to xmldom's parser or
 * to xml-crypto (which works on xmldom nodes only): the structural members
 * both kinds of node share, a copy of a tree in xmldom nodes, and a snapshot
 * of a tree that shows any change to it.
 */
import assert from 'node:assert/strict';
import { DOMImplementation } from '@xmldom/xmldom';
import {
  CDATA_SECTION_NODE,
  COMMENT_NODE,
  DOCUMENT_NODE,
  ELEMENT_NODE,
  PROCESSING_INSTRUCTION_NODE,
  TEXT_NODE,
  type XmlElement,
  type XmlNode,
} from '../../src/xml/light-dom.js';

/** An attribute as both xmldom and claimsgate's tree have it. */
export interface ComparableAttribute {
  readonly namespaceURI: string | null;
  readonly localName: string | null;
  readonly prefix: string | null;
  readonly name: string;
  readonly value: string;
}

/**
 * The members a node of either tree has, for code that reads both alike;
 * the members only an element, a character node or a parent has are optional.
 */
export interface ComparableNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue?: string | null;
  readonly firstChild?: ComparableNode | null;
  readonly nextSibling: ComparableNode | null;
  readonly namespaceURI?: string | null;
  readonly localName?: string | null;
  readonly prefix?: string | null;
  /** xmldom's NamedNodeMap and claimsgate's array are both indexed with a length. */
  readonly attributes?: ArrayLike<ComparableAttribute>;
}

/** The element children of either kind of node, in order. */
export function comparableChildElements(node: ComparableNode): ComparableNode[] {
  const result: ComparableNode[] = [];
  for (let child = node.firstChild ?? null; child !== null; child = child.nextSibling)
    if (child.nodeType === 1) result.push(child);
  return result;
}

/**
 * Every node of the subtree, in document order, with every member a reader
 * can see (attributes in their order): equal snapshots mean an unchanged tree.
 */
export function snapshotTree(node: ComparableNode): string {
  const lines: string[] = [];
  const visit = (current: ComparableNode): void => {
    const attributes = Array.from(current.attributes ?? [], (a) => [
      a.namespaceURI,
      a.prefix,
      a.localName,
      a.name,
      a.value,
    ]);
    lines.push(
      JSON.stringify([
        current.nodeType,
        current.nodeName,
        current.nodeValue ?? null,
        current.namespaceURI ?? null,
        current.prefix ?? null,
        current.localName ?? null,
        attributes,
      ]),
    );
    for (let child = current.firstChild ?? null; child !== null; child = child.nextSibling) visit(child);
    lines.push(')');
  };
  visit(node);
  return lines.join('\n');
}

/**
 * A copy of the whole tree `node` belongs to in `@xmldom/xmldom` nodes, made
 * with the same DOM calls claimsgate's parser made when it built xmldom nodes
 * (createElementNS, setAttributeNS, createTextNode…), so that xml-crypto and
 * the reference canonicaliser see exactly the content claimsgate read. Returns
 * the copy of each of its elements.
 */
export function xmldomCopy(node: XmlNode): (element: XmlElement) => Element {
  let top: XmlNode = node;
  while (top.parentNode !== null) top = top.parentNode;
  const document = new DOMImplementation().createDocument(null, '', null);
  const copies = new Map<XmlElement, Element>();
  const copy = (element: XmlElement, parent: Node): void => {
    const twin = document.createElementNS(element.namespaceURI, element.nodeName);
    for (const attribute of element.attributes) {
      twin.setAttributeNS(attribute.namespaceURI, attribute.name, attribute.value);
    }
    parent.appendChild(twin);
    copies.set(element, twin);
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      switch (child.nodeType) {
        case ELEMENT_NODE:
          copy(child, twin);
          break;
        case TEXT_NODE:
          twin.appendChild(document.createTextNode(child.data));
          break;
        case CDATA_SECTION_NODE:
          twin.appendChild(document.createCDATASection(child.data));
          break;
        case COMMENT_NODE:
          twin.appendChild(document.createComment(child.data));
          break;
        case PROCESSING_INSTRUCTION_NODE:
          twin.appendChild(document.createProcessingInstruction(child.target, child.data));
          break;
      }
    }
  };
  copy(top.nodeType === DOCUMENT_NODE ? top.documentElement : top, document);
  return (element) => {
    const twin = copies.get(element);
    assert.ok(twin !== undefined, `<${element.nodeName}> is in the copied tree`);
    return twin;
  };
}
