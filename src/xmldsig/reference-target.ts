/**
 * Binds a signature's single Reference to the element that carries the
 * signature: the URI must name that element's own ID, and no other element in
 * the document may carry the same ID value.
 */
import { forEachDescendantElement } from '../xml/dom.js';
import {
  ELEMENT_NODE,
  PROCESSING_INSTRUCTION_NODE,
  type XmlChildNode,
  type XmlElement,
  type XmlParentNode,
  type XmlProcessingInstruction,
} from '../xml/light-dom.js';
import { signatureError } from './ds-structure.js';

// An xs:ID is an NCName. Requiring one refuses XPointer forms
// (`#xpointer(/)`, `#xpointer(id('x'))`), quotes and other characters that
// another processor might read as something other than a bare name.
const NCNAME = /^[\p{L}_][\p{L}\p{N}\p{M}._\-\u00B7]*$/u;

/** The ID values the signed element carries in its unqualified ID attributes. */
function ownIds(element: XmlElement, idAttributes: readonly string[]): string[] {
  const ids: string[] = [];
  for (const name of idAttributes) {
    const attr = element.getAttributeNode(name);
    if (attr !== null && attr.namespaceURI === null) ids.push(attr.value);
  }
  return ids;
}

/** How many of `element`'s attributes named like an ID attribute (in any namespace) have the value `id`. */
function countId(element: XmlElement, id: string, idAttributes: readonly string[]): number {
  let count = 0;
  for (const attribute of element.attributes)
    if (attribute.value === id && idAttributes.includes(attribute.localName)) count += 1;
  return count;
}

/** The first processing instruction below `element`, in document order, walking the sibling links. */
function firstProcessingInstruction(element: XmlElement): XmlProcessingInstruction | undefined {
  let node: XmlChildNode | null = element.firstChild;
  while (node !== null) {
    if (node.nodeType === PROCESSING_INSTRUCTION_NODE) return node;
    if (node.nodeType === ELEMENT_NODE && node.firstChild !== null) {
      node = node.firstChild;
      continue;
    }
    // No child: the next sibling here or, climbing, of an ancestor below `element`.
    while (node.nextSibling === null) {
      const parent: XmlParentNode = node.parentNode;
      if (parent === element || parent.nodeType !== ELEMENT_NODE) return undefined;
      node = parent;
    }
    node = node.nextSibling;
  }
  return undefined;
}

/** The outermost element containing `element` (the document element when attached). */
function outermostElement(element: XmlElement): XmlElement {
  let top = element;
  while (top.parentNode !== null && top.parentNode.nodeType === ELEMENT_NODE) top = top.parentNode;
  return top;
}

/**
 * Checks that `uri` is `#` followed by the ID of `signedElement`, that the ID
 * occurs exactly once in the whole document (ID attributes are matched by local
 * name in any namespace, so `wsu:Id` counts too), and that the signed element
 * holds no processing instruction. Returns the ID.
 *
 * Walks the signed element's subtree and then the document, by their
 * sibling links, without XPath and without allocating per node.
 *
 * @throws ClaimsgateError `CG_SIG_REFERENCE_INVALID` (reason `uri-missing`,
 *   `uri-empty`, `uri-not-same-document`, `uri-not-bare-name`,
 *   `reference-not-signed-element`, `id-duplicate`);
 *   `CG_SIG_STRUCTURE_INVALID` (reason `processing-instruction`).
 */
export function checkReferenceTarget(
  signedElement: XmlElement,
  uri: string | null,
  idAttributes: readonly string[],
): string {
  if (uri === null) {
    throw signatureError(
      'CG_SIG_REFERENCE_INVALID',
      'uri-missing',
      'The signature Reference has no URI attribute.',
      { expected: '#<ID of the signed element>' },
    );
  }
  // SECURITY: URI="" means "the whole document": a signature over the whole
  // document placed inside one element would let any sibling content pass as signed.
  if (uri === '') {
    throw signatureError(
      'CG_SIG_REFERENCE_INVALID',
      'uri-empty',
      'The signature Reference has an empty URI (the whole document); it must name the signed element.',
      { observed: '', expected: '#<ID of the signed element>' },
    );
  }
  if (!uri.startsWith('#')) {
    throw signatureError(
      'CG_SIG_REFERENCE_INVALID',
      'uri-not-same-document',
      'The signature Reference URI is not a same-document reference.',
      { observed: uri.slice(0, 200), expected: '#<ID of the signed element>' },
    );
  }
  const id = uri.slice(1);
  if (!NCNAME.test(id)) {
    throw signatureError(
      'CG_SIG_REFERENCE_INVALID',
      'uri-not-bare-name',
      'The signature Reference URI is not "#" followed by an XML ID.',
      { observed: uri.slice(0, 200), expected: '#<NCName>' },
    );
  }
  const own = ownIds(signedElement, idAttributes);
  // SECURITY: the reference must point at the element that carries the
  // signature; a reference to another element (XSW1-6) would make a valid
  // signature over that element look like a signature over this one.
  if (!own.includes(id)) {
    throw signatureError(
      'CG_SIG_REFERENCE_INVALID',
      'reference-not-signed-element',
      `The signature on <${signedElement.nodeName}> references "${uri.slice(0, 200)}", not the element that carries it.`,
      {
        observed: uri.slice(0, 200),
        expected:
          own.length === 0
            ? `an ${idAttributes.join('/')} attribute on the signed element`
            : own.map((v) => `#${v}`),
      },
    );
  }

  // SECURITY: a processing instruction is part of the canonical form
  // (XML-C14N 1.0 §2.3) and splits the text around it, as a comment does
  // before canonicalisation: a reader that takes the first text node of
  // `admin@x<?x?>.evil` reads `admin@x`. No identity provider signs one, and
  // the canonical parser reads none, so it is refused.
  const instruction = firstProcessingInstruction(signedElement);
  if (instruction !== undefined) {
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'processing-instruction',
      `The signed element <${signedElement.nodeName}> contains a processing instruction.`,
      { observed: instruction.nodeName, expected: 'no processing instructions in signed content' },
    );
  }
  const top = outermostElement(signedElement);
  let occurrences = countId(top, id, idAttributes);
  forEachDescendantElement(top, (element) => {
    occurrences += countId(element, id, idAttributes);
  });
  // SECURITY: two elements with the signed ID (XSW7/XSW8, C5) let the
  // verifier and the consumer resolve "#id" to different elements.
  if (occurrences !== 1) {
    throw signatureError(
      'CG_SIG_REFERENCE_INVALID',
      'id-duplicate',
      `The ID "${id}" the signature references occurs ${occurrences} times in the document; it must be unique.`,
      { observed: occurrences, expected: 1, id },
    );
  }
  return id;
}
