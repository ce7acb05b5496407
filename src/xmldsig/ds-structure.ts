/**
 * Strict readers for the parts of a `ds:Signature`: children located by
 * position and namespace (never by a document-wide search), text that must be
 * one run of characters, and strict base64.
 */
import type { ErrorCode } from '../lib/error-codes.js';
import { ClaimsgateError, type ErrorDetail } from '../lib/errors.js';
import { NS } from '../xml/dom.js';
import type { XmlElement, XmlNode } from '../xml/light-dom.js';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const COMMENT_NODE = 8;

const NODE_KIND: Readonly<Record<number, string>> = {
  1: 'element',
  3: 'text',
  4: 'CDATA section',
  7: 'processing instruction',
  8: 'comment',
};

const XML_WHITESPACE = /^[\t\n\r ]*$/;

/** A `CG_SIG_*` error whose detail carries a machine-readable `reason`. */
export function signatureError(
  code: Extract<ErrorCode, `CG_SIG_${string}`>,
  reason: string,
  message: string,
  detail: Omit<ErrorDetail, 'reason'> = {},
  cause?: unknown,
): ClaimsgateError {
  return new ClaimsgateError(code, message, {
    detail: { reason, ...detail },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** `prefix:Name`, for messages: the name as written in the document. */
export function nameOf(node: XmlNode): string {
  return node.nodeName;
}

/**
 * The element children of a signature part. Whitespace and comments between
 * them are allowed (exclusive c14n drops comments, whitespace is signed as
 * is); any other text, CDATA or processing instruction is refused.
 *
 * @throws ClaimsgateError `CG_SIG_STRUCTURE_INVALID`.
 */
export function strictElementChildren(parent: XmlElement): XmlElement[] {
  const result: XmlElement[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) result.push(node);
    else if (node.nodeType === COMMENT_NODE) continue;
    else if (node.nodeType !== TEXT_NODE || !XML_WHITESPACE.test(node.data)) {
      throw signatureError(
        'CG_SIG_STRUCTURE_INVALID',
        'unexpected-content',
        `<${nameOf(parent)}> contains a ${NODE_KIND[node.nodeType] ?? 'node'} where only child elements are allowed.`,
        {
          element: nameOf(parent),
          observed: NODE_KIND[node.nodeType] ?? node.nodeType,
          expected: 'elements',
        },
      );
    }
  }
  return result;
}

/** One expected child: its local name (in the XML-DSig namespace unless given) and whether it may be absent. */
export interface ChildSlot {
  readonly localName: string;
  readonly namespace?: string;
  readonly optional?: boolean;
}

/** `ds:Name` for an XML-DSig element, `{namespace}Name` for any other. */
export function describe(element: XmlElement): string {
  return element.namespaceURI === NS.ds
    ? `ds:${element.localName}`
    : `{${element.namespaceURI}}${element.localName}`;
}

/** Whether `child` is the element `slot` expects. */
function fits(child: XmlElement, slot: ChildSlot): boolean {
  return child.namespaceURI === (slot.namespace ?? NS.ds) && child.localName === slot.localName;
}

/** `ds:Name`, `{namespace}Name`, with `?` when optional: a slot as an error reports it. */
function describeSlot(slot: ChildSlot): string {
  return `${slot.namespace === undefined ? 'ds:' : `{${slot.namespace}}`}${slot.localName}${slot.optional === true ? '?' : ''}`;
}

/** What a matchChildren error reports: the children found and the slots expected. Made only when one is thrown. */
function found(
  children: readonly XmlElement[],
  slots: readonly ChildSlot[],
): { observed: string[]; expected: string[] } {
  return { observed: children.map(describe), expected: slots.map(describeSlot) };
}

/** The error for a child of `parent` that no slot expects there. */
function unexpected(
  parent: XmlElement,
  extra: XmlElement,
  children: readonly XmlElement[],
  slots: readonly ChildSlot[],
): ClaimsgateError {
  return signatureError(
    'CG_SIG_STRUCTURE_INVALID',
    'unexpected-element',
    `<${nameOf(parent)}> contains an unexpected <${nameOf(extra)}>.`,
    { element: describe(extra), parent: nameOf(parent), ...found(children, slots) },
  );
}

/**
 * Matches the element children of `parent` against an exact sequence of
 * slots: each slot at most once, in order, nothing else. Returns the element
 * for each slot (undefined for an absent optional one).
 *
 * @throws ClaimsgateError `CG_SIG_STRUCTURE_INVALID` with reason
 *   `duplicate-element`, `missing-element`, `unexpected-element` or `unexpected-content`.
 */
export function matchChildren(
  parent: XmlElement,
  slots: readonly ChildSlot[],
): Array<XmlElement | undefined> {
  const children = strictElementChildren(parent);
  for (const slot of slots) {
    let count = 0;
    for (const child of children) if (fits(child, slot)) count += 1;
    if (count > 1) {
      // SECURITY: two SignedInfo, two References or two DigestValues are how
      // CVE-2025-29774 made a verifier check one and report the other.
      throw signatureError(
        'CG_SIG_STRUCTURE_INVALID',
        'duplicate-element',
        `<${nameOf(parent)}> contains ${count} ${slot.localName} elements; exactly one is allowed.`,
        { element: slot.localName, parent: nameOf(parent), ...found(children, slots) },
      );
    }
  }
  const result: Array<XmlElement | undefined> = [];
  let index = 0;
  for (const slot of slots) {
    const child = children[index];
    if (child !== undefined && fits(child, slot)) {
      result.push(child);
      index += 1;
    } else if (slot.optional === true) {
      result.push(undefined);
    } else if (child !== undefined && !slots.some((other) => fits(child, other))) {
      throw unexpected(parent, child, children, slots);
    } else {
      throw signatureError(
        'CG_SIG_STRUCTURE_INVALID',
        'missing-element',
        `<${nameOf(parent)}> has no ${slot.localName} where one is required.`,
        { element: slot.localName, parent: nameOf(parent), ...found(children, slots) },
      );
    }
  }
  const extra = children[index];
  if (extra !== undefined) throw unexpected(parent, extra, children, slots);
  return result;
}

/**
 * The text of an element that must hold only character data: no child
 * element, comment, CDATA section or processing instruction.
 *
 * @throws ClaimsgateError `CG_SIG_STRUCTURE_INVALID` with reason `unexpected-content`.
 */
export function textOnly(element: XmlElement): string {
  let text = '';
  for (let node = element.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === TEXT_NODE) {
      text += node.data;
      continue;
    }
    // SECURITY: a comment inside DigestValue is CVE-2025-29775: a verifier
    // reading the first child compares the forged digest written in the comment,
    // while the SignatureValue still verifies because c14n drops the comment.
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'unexpected-content',
      `<${nameOf(element)}> contains a ${NODE_KIND[node.nodeType] ?? 'node'}; only text is allowed.`,
      {
        element: nameOf(element),
        observed: NODE_KIND[node.nodeType] ?? node.nodeType,
        expected: 'text only',
      },
    );
  }
  return text;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes base64 strictly: XML whitespace anywhere is ignored, anything else
 * outside the alphabet, wrong padding or non-zero padding bits are refused.
 *
 * @throws ClaimsgateError `CG_SIG_STRUCTURE_INVALID` with reason `base64-invalid`.
 */
export function decodeBase64Strict(text: string, element: XmlElement): Buffer {
  const compact = text.replace(/[\t\n\r ]+/g, '');
  const bytes =
    compact.length > 0 && compact.length % 4 === 0 && BASE64.test(compact)
      ? Buffer.from(compact, 'base64')
      : undefined;
  if (bytes === undefined || bytes.toString('base64') !== compact) {
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'base64-invalid',
      `<${nameOf(element)}> is not valid base64.`,
      { element: nameOf(element), observed: `${compact.length} characters`, expected: 'base64' },
    );
  }
  return bytes;
}

/**
 * The `Algorithm` attribute of a method element, which must have no children
 * other than those the caller matched.
 *
 * @throws ClaimsgateError `CG_SIG_STRUCTURE_INVALID` with reason `algorithm-missing`.
 */
export function algorithmOf(element: XmlElement): string {
  const algorithm = element.getAttribute('Algorithm');
  if (algorithm === null || algorithm === '') {
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'algorithm-missing',
      `<${nameOf(element)}> has no Algorithm attribute.`,
      { element: nameOf(element) },
    );
  }
  return algorithm;
}
