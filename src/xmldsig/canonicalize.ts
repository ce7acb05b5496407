/**
 * Exclusive XML canonicalisation (without comments) of a signed element and
 * of its SignedInfo, on the parsed DOM, without touching it, as W3C Exclusive
 * XML Canonicalization 1.0 defines it over Canonical XML 1.0: the bytes a
 * standard signer (.NET, Apache Santuario, libxmlsec) digests for the same
 * element, in time linear in the element whatever its shape, and refused
 * past a size budget.
 *
 * It once copied xml-crypto's canonicaliser, quirks included, and refused
 * valid tokens standard signers made. Where an implementation departs from
 * the specification, the specification is followed: attributes are ordered
 * by namespace URI then local name, namespace declarations by prefix, both
 * by code point (xml-crypto concatenates URI and name, and compares prefixes
 * with `localeCompare`; the JDK compares UTF-16 units); namespace URIs are
 * escaped like any attribute value (xml-crypto does not escape them, libxml2
 * writes `&` as `&#38;`); a processing instruction is written as one;
 * `#default` in a PrefixList names the default namespace; only `xmlns` and
 * `xmlns:p` are namespace declarations. test/helpers/reference-c14n.ts lists
 * xml-crypto's deviations with their sections; test/xmldsig/standard-c14n-vectors.test.ts
 * holds this canonicaliser byte-identical to libxml2 and the JDK everywhere
 * else, and test/xmldsig/standard-signed-tokens.test.ts verifies the tokens
 * both sign.
 *
 * Namespace bindings are kept as one stack per prefix unwound at the
 * element's end (nothing is copied per element), the output is one string
 * grown by concatenation, and its length is checked as it grows. It reads
 * claimsgate's own nodes (src/xml/light-dom.ts): attributes are a plain array.
 */
import { ClaimsgateError } from '../lib/errors.js';
import type { SignatureInspection } from './inspect-signature.js';
import {
  CDATA_SECTION_NODE,
  ELEMENT_NODE,
  PROCESSING_INSTRUCTION_NODE,
  TEXT_NODE,
  type XmlAttribute,
  type XmlChildNode,
  type XmlElement,
  type XmlNode,
} from '../xml/light-dom.js';

/** The PrefixList token that names the default namespace (Exclusive XML Canonicalization 1.0 §4.1). */
const DEFAULT_PREFIX_TOKEN = '#default';

export { DEFAULT_MAX_CANONICAL_LENGTH } from './canonical-limits.js';

/**
 * The prefix a namespace declaration attribute declares: `""` for `xmlns`,
 * `p` for `xmlns:p`, else undefined (`xmlnsX` is an ordinary attribute).
 */
function declaredPrefix(name: string): string | undefined {
  if (!name.startsWith('xmlns')) return undefined;
  if (name.length === 5) return '';
  return name.charCodeAt(5) === 0x3a ? name.slice(6) : undefined;
}

/**
 * Compares two strings by Unicode code point, as Canonical XML orders
 * attributes and namespace declarations (XML-C14N 1.0 §2.2: "lexicographic
 * comparison ... based on the UCS codepoint values"). JavaScript's `<`
 * compares UTF-16 code units, which puts U+10000 and above (surrogate pairs)
 * before U+E000–U+FFFF; the first differing unit is remapped so that
 * surrogates sort above every other BMP unit.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

function codePointOrder(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

const TEXT_SPECIAL = /[&<>\r]/;
const ATTRIBUTE_SPECIAL = /[&<"\r\n\t]/;

/** Text as c14n writes it (XML-C14N 1.0 §2.3, Text Nodes): `&`, `<`, `>` and CR escaped. */
function encodeText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

/**
 * An attribute value (or a namespace URI) as c14n writes it (XML-C14N 1.0
 * §2.3, Attribute Nodes): `&`, `<`, `"`, TAB, LF and CR escaped.
 */
function encodeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value;
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

/**
 * XML-C14N 1.0 §2.2 (Document Order): attributes by namespace URI as the
 * primary key (no namespace is least) and local name as the secondary key.
 */
function compareAttributes(a: XmlAttribute, b: XmlAttribute): number {
  return (
    compareCodePoints(a.namespaceURI ?? '', b.namespaceURI ?? '') ||
    compareCodePoints(a.localName, b.localName)
  );
}

/** A namespace declaration to write: `""` is the default namespace. */
interface RenderedNamespace {
  readonly prefix: string;
  readonly namespaceURI: string;
}

/** XML-C14N 1.0 §2.2: namespace nodes by local name (the prefix); the default namespace has none and comes first. */
function compareNamespaces(a: RenderedNamespace, b: RenderedNamespace): number {
  return compareCodePoints(a.prefix, b.prefix);
}

/**
 * Namespace bindings per prefix as stacks, with a log of the prefixes bound
 * so that an element's bindings are undone after its subtree.
 */
class BindingStacks {
  readonly #bindings = new Map<string, string[]>();
  readonly #log: string[] = [];

  /** The binding in force for `prefix`, if any. */
  top(prefix: string): string | undefined {
    const stack = this.#bindings.get(prefix);
    return stack === undefined ? undefined : stack[stack.length - 1];
  }

  push(prefix: string, namespaceURI: string): void {
    const stack = this.#bindings.get(prefix);
    if (stack === undefined) this.#bindings.set(prefix, [namespaceURI]);
    else stack.push(namespaceURI);
    this.#log.push(prefix);
  }

  /** A point to come back to with {@link undo}. */
  mark(): number {
    return this.#log.length;
  }

  undo(mark: number): void {
    while (this.#log.length > mark) this.#bindings.get(this.#log.pop()!)!.pop();
  }
}

/** An element whose start tag is written and whose end tag is not yet. */
interface OpenElement {
  readonly element: XmlElement;
  /** Where its rendered bindings and in-scope bindings start, to undo them at its end tag. */
  readonly renderedMark: number;
  readonly inScopeMark: number;
}

/**
 * The namespaces in scope on `element` (its own declarations and its
 * ancestors'), for the prefixes of an InclusiveNamespaces PrefixList only
 * (`""` for `#default`); an undeclared default namespace is `""`.
 */
function inScopeAt(element: XmlElement, prefixes: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  for (
    let node: XmlNode | null = element;
    node !== null && node.nodeType === ELEMENT_NODE && found.size < prefixes.size;
    node = node.parentNode
  ) {
    for (const attribute of node.attributes) {
      const prefix = declaredPrefix(attribute.name);
      if (prefix !== undefined && prefixes.has(prefix) && !found.has(prefix))
        found.set(prefix, attribute.value);
    }
  }
  return found;
}

/** One exclusive canonicalisation: its output, its budget and its namespace scopes. */
class ExclusiveCanonicalizer {
  /** The output so far (V8 keeps a string built by `+=` as a rope and flattens it once). */
  #output = '';
  /**
   * Bindings written by output ancestors, for prefixes outside the PrefixList
   * (and the default namespace unless `#default` is in it), which are written
   * where they are visibly utilised.
   */
  readonly #rendered = new BindingStacks();
  /** Bindings in scope, for PrefixList prefixes only, which follow Canonical XML's inclusive rule. */
  readonly #inScope = new BindingStacks();

  constructor(
    private readonly top: XmlElement,
    private readonly excluded: XmlElement | undefined,
    /** The PrefixList, with `#default` as `""`. */
    private readonly inclusive: ReadonlySet<string>,
    private readonly maxLength: number,
  ) {}

  /** Walks the subtree in document order by its sibling links, with a stack of the open elements only. */
  run(): string {
    const open: OpenElement[] = [];
    let node: XmlElement | XmlChildNode | null = this.top;
    while (node !== null) {
      if (node === this.excluded) {
        // The enveloped-signature transform: the node and its subtree are not in the node-set.
      } else if (node.nodeType === ELEMENT_NODE) {
        const element: XmlElement = node;
        const renderedMark = this.#rendered.mark();
        const inScopeMark = this.#inScope.mark();
        this.#writeStartTag(element);
        if (element.firstChild !== null) {
          open.push({ element, renderedMark, inScopeMark });
          node = element.firstChild;
          continue;
        }
        this.#emit(`</${element.tagName}>`);
        this.#rendered.undo(renderedMark);
        this.#inScope.undo(inScopeMark);
      } else if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) {
        // A CDATA section is text (XML-C14N 1.0 §1.1: CDATA sections are replaced by their character content).
        const data = node.data;
        if (data) this.#emit(encodeText(data));
      } else if (node.nodeType === PROCESSING_INSTRUCTION_NODE) {
        // XML-C14N 1.0 §2.3, PI Nodes: inside the element, with no line breaks around it.
        this.#emit(node.data ? `<?${node.target} ${node.data}?>` : `<?${node.target}?>`);
      }
      // Comments are not in the node-set of c14n without comments.
      node = node === this.top ? null : node.nextSibling;
      while (node === null && open.length > 0) {
        const done = open.pop()!;
        this.#emit(`</${done.element.tagName}>`);
        this.#rendered.undo(done.renderedMark);
        this.#inScope.undo(done.inScopeMark);
        node = done.element === this.top ? null : done.element.nextSibling;
      }
    }
    return this.#output;
  }

  /** Appends to the output, refusing it as soon as it passes the budget. */
  #emit(part: string): void {
    this.#output += part;
    // SECURITY: a namespace declared once and used by many siblings is written
    // on each of them, and escaping lengthens text; the output is checked as
    // each start tag or text is written, so it never grows much past the
    // budget (by at most one start tag, itself bounded by the document).
    if (this.#output.length > this.maxLength) {
      throw new ClaimsgateError(
        'CG_SIG_CANONICAL_TOO_LARGE',
        `The canonical form of <${this.top.nodeName}> is longer than ${this.maxLength} characters.`,
        {
          detail: {
            reason: 'canonical-too-large',
            element: this.top.nodeName,
            observed: `> ${this.maxLength}`,
            expected: `<= ${this.maxLength}`,
          },
        },
      );
    }
  }

  /** Writes `<name`, its namespace declarations, its attributes and `>`. */
  #writeStartTag(element: XmlElement): void {
    const namespaces: RenderedNamespace[] = [];
    // Most elements of a token have no attribute but namespace declarations: no list for them.
    let attributes: XmlAttribute[] | undefined;
    if (element === this.top) this.#renderInclusiveAtTop(element, namespaces);
    for (const attribute of element.attributes) {
      const prefix = declaredPrefix(attribute.name);
      if (prefix !== undefined) {
        if (element !== this.top) this.#renderInclusiveDeclaration(prefix, attribute.value, namespaces);
        continue;
      }
      (attributes ??= []).push(attribute);
      // Exclusive XML Canonicalization 1.0 §3: an attribute's prefix is visibly
      // utilised; `xml` is never declared (XML-C14N 1.0 §2.3; Namespaces in XML §3).
      const attributePrefix = attribute.prefix;
      if (attributePrefix && attributePrefix !== 'xml')
        this.#renderVisible(attributePrefix, attribute.namespaceURI ?? '', namespaces);
    }
    // The element's own prefix (or the default namespace when it has none) is visibly utilised.
    const prefix = element.prefix ?? '';
    if (prefix !== 'xml') this.#renderVisible(prefix, element.namespaceURI ?? '', namespaces);

    let tag = `<${element.tagName}`;
    if (namespaces.length > 1) namespaces.sort(compareNamespaces);
    for (const { prefix, namespaceURI } of namespaces) {
      tag += prefix === '' ? ' xmlns="' : ` xmlns:${prefix}="`;
      tag += `${encodeAttribute(namespaceURI)}"`;
    }
    if (attributes !== undefined) {
      if (attributes.length > 1) attributes.sort(compareAttributes);
      for (const attribute of attributes) tag += ` ${attribute.name}="${encodeAttribute(attribute.value)}"`;
    }
    this.#emit(`${tag}>`);
  }

  /**
   * Exclusive XML Canonicalization 1.0 §3: a namespace outside the PrefixList
   * is written on the element that visibly utilises it, unless the nearest
   * output ancestor that does already has it with the same value. For the
   * default namespace, `xmlns=""` is written on an unprefixed element without
   * a namespace when such an ancestor had a non-empty one, and nothing when
   * none did.
   */
  #renderVisible(prefix: string, namespaceURI: string, namespaces: RenderedNamespace[]): void {
    if (this.inclusive.has(prefix)) return;
    // Nothing written yet is the empty default namespace (a prefix is never bound to "").
    if ((this.#rendered.top(prefix) ?? '') === namespaceURI) return;
    // A second attribute with the same prefix on one element finds it pushed already.
    this.#rendered.push(prefix, namespaceURI);
    namespaces.push({ prefix, namespaceURI });
  }

  /**
   * Canonical XML 1.0 §2.3 for the PrefixList prefixes on the top element:
   * every one in scope there is written, whether declared on it or on an
   * ancestor outside the node-set (a default namespace only when not empty).
   */
  #renderInclusiveAtTop(element: XmlElement, namespaces: RenderedNamespace[]): void {
    if (this.inclusive.size === 0) return;
    for (const [prefix, namespaceURI] of inScopeAt(element, this.inclusive)) {
      this.#inScope.push(prefix, namespaceURI);
      if (namespaceURI === '' || prefix === 'xml' || prefix === 'xmlns') continue;
      namespaces.push({ prefix, namespaceURI });
    }
  }

  /**
   * Canonical XML 1.0 §2.3 for a PrefixList prefix declared below the top
   * element: written when it differs from the binding in scope on the parent
   * (`xmlns=""` when the default namespace is undeclared under a non-empty one).
   */
  #renderInclusiveDeclaration(prefix: string, namespaceURI: string, namespaces: RenderedNamespace[]): void {
    if (!this.inclusive.has(prefix) || prefix === 'xml') return;
    const parent = this.#inScope.top(prefix) ?? '';
    this.#inScope.push(prefix, namespaceURI);
    if (parent !== namespaceURI) namespaces.push({ prefix, namespaceURI });
  }
}

/**
 * Exclusive c14n (without comments) of `element`, leaving out `excluded` (one
 * of its direct children, or any node below it, with its subtree), with the
 * given InclusiveNamespaces PrefixList (`#default` names the default
 * namespace). Linear in the element's subtree.
 *
 * @throws ClaimsgateError `CG_SIG_CANONICAL_TOO_LARGE` past `maxLength` (UTF-16 code units).
 * @see Exclusive XML Canonicalization 1.0 §3; XML-C14N 1.0 §2.2, §2.3.
 */
export function canonicalizeExclusive(
  element: XmlElement,
  prefixes: readonly string[],
  excluded: XmlElement | undefined,
  maxLength: number,
): string {
  const inclusive = new Set(prefixes.map((prefix) => (prefix === DEFAULT_PREFIX_TOKEN ? '' : prefix)));
  return new ExclusiveCanonicalizer(element, excluded, inclusive, maxLength).run();
}
/**
 * The canonical XML of the element an enveloped signature covers: the
 * signed element with that signature (and only it) removed, then exclusive
 * c14n without comments, with the reference's InclusiveNamespaces. These are
 * exactly the octets the DigestValue is computed over, so a token validator
 * can re-parse them and read the identity from nothing else.
 *
 * Comments are gone from the result: `<NameID>admin<!---->@evil.com</NameID>`
 * canonicalises to `<NameID>admin@evil.com</NameID>`, one text node when parsed
 * again, and has the same digest as the comment-free original.
 *
 * @throws ClaimsgateError `CG_SIG_CANONICAL_TOO_LARGE` when the canonical form
 *   is longer than the inspection's `maxCanonicalLength`.
 * @throws TypeError when `signedElement` is not the parent of the inspected signature.
 * @see XML Signature 1.1 §6.6.4 (enveloped signature transform); Exclusive XML Canonicalization 1.0 §3.
 */
export function canonicalizeSignedElement(
  inspection: SignatureInspection,
  signedElement: XmlElement,
): string {
  if (inspection.signature.parentNode !== signedElement) {
    throw new TypeError('signedElement must be the element that carries the inspected signature.');
  }
  return canonicalizeExclusive(
    signedElement,
    inspection.inclusiveNamespacePrefixes,
    inspection.signature,
    inspection.maxCanonicalLength,
  );
}

/**
 * The canonical XML of the SignedInfo: what the SignatureValue is computed over.
 *
 * @throws ClaimsgateError `CG_SIG_CANONICAL_TOO_LARGE` past the inspection's `maxCanonicalLength`.
 * @see XML Signature 1.1 §3.2.2 (signature validation); §4.4.3 (CanonicalizationMethod).
 */
export function canonicalizeSignedInfo(inspection: SignatureInspection): string {
  return canonicalizeExclusive(
    inspection.signedInfo,
    inspection.signedInfoInclusiveNamespacePrefixes,
    undefined,
    inspection.maxCanonicalLength,
  );
}
