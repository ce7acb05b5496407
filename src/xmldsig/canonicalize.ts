/**
 * Exclusive XML canonicalisation (without comments) of a signed element and
 * of its SignedInfo, on the parsed DOM, without touching it: the bytes
 * xml-crypto 6's ExclusiveCanonicalization writes for the same element under
 * SignedXml (its differential tests hold the two byte-identical, quirks
 * included), in time linear in the element whatever its shape, and refused
 * past a size budget.
 *
 * xml-crypto copies the list of namespace bindings in scope for every child
 * node and searches it for every prefix, searches the PrefixList for every
 * attribute, and joins the output once per element (so the bytes of a
 * subtree are copied once per level above them); a namespace declared once
 * with a long URI and used by many siblings is written again on each of them.
 * A signed token of 256 KiB could so take seconds, or more memory than a
 * string can hold. Here the bindings are one stack per prefix unwound at the
 * element's end, the PrefixList is a set, the output is collected in parts
 * joined once, and the output length is counted as it grows.
 */
import { ClaimsgateError } from '../lib/errors.js';
import { childElements, NS } from '../xml/dom.js';
import type { SignatureInspection } from './inspect-signature.js';

const ELEMENT_NODE = 1;
const COMMENT_NODE = 8;
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/**
 * The longest canonical form produced when the inspection sets no budget, in
 * UTF-16 code units: four times the largest metadata document.
 */
export const DEFAULT_MAX_CANONICAL_LENGTH = 4 * 5 * 1024 * 1024;

// What SignedXml passes: a `ds:` element the parser left without a namespace
// is read in the XML-DSig namespace. Our parser never produces one.
const DEFAULT_NS_FOR_PREFIX: ReadonlyMap<string, string> = new Map([['ds', NS.ds]]);

/** A namespace binding in scope, as xml-crypto records one (its URI may be missing). */
interface NamespacePrefix {
  readonly prefix: string;
  readonly namespaceURI: string | null | undefined;
}

/** The prefix a namespace declaration attribute declares: `""` for `xmlns`, `p` for `xmlns:p`, else undefined. */
function declaredPrefix(attr: Attr): string | undefined {
  if (attr.name === 'xmlns') return '';
  return attr.name.startsWith('xmlns:') ? attr.name.slice('xmlns:'.length) : undefined;
}

/**
 * The namespace bindings in scope on `element` that are declared by its
 * ancestors, nearest first, one per prefix; undeclarations, the element's own
 * prefix and prefixes it declares itself are left out. This is what
 * xml-crypto's signer and verifier hand to exclusive c14n: they matter only
 * for prefixes named in an InclusiveNamespaces PrefixList, because a visibly
 * used prefix is rendered from the node's own (parser-resolved) namespace.
 * (xml-crypto also takes any attribute whose name merely starts with `xmlns`
 * for a declaration; only `xmlns` and `xmlns:p` are declarations here.)
 */
function ancestorNamespaces(element: Element): NamespacePrefix[] {
  const own = new Set<string>([element.prefix ?? '']);
  for (let i = 0; i < element.attributes.length; i += 1) {
    const prefix = declaredPrefix(element.attributes.item(i)!);
    if (prefix !== undefined) own.add(prefix);
  }
  const seen = new Set<string>();
  const result: NamespacePrefix[] = [];
  for (
    let node = element.parentNode;
    node !== null && node.nodeType === ELEMENT_NODE;
    node = node.parentNode
  ) {
    const attributes = (node as Element).attributes;
    for (let i = 0; i < attributes.length; i += 1) {
      const attr = attributes.item(i)!;
      const prefix = declaredPrefix(attr);
      if (prefix === undefined || seen.has(prefix)) continue;
      seen.add(prefix);
      if (attr.value !== '' && !own.has(prefix)) result.push({ prefix, namespaceURI: attr.value });
    }
  }
  return result;
}

/** The parts of an attribute the canonicaliser reads. */
interface AttributeView {
  readonly prefix: string | null;
  readonly localName: string | null;
  readonly namespaceURI: string | null;
  readonly value: string;
  readonly name: string;
}

const TEXT_SPECIAL = /[&<>\r]/;
const ATTRIBUTE_SPECIAL = /[&<"\r\n\t]/;

/** Text as c14n writes it (XML-C14N §2.3): `&`, `<`, `>` and CR escaped. */
function encodeText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

/** An attribute value as c14n writes it: `&`, `<`, `"`, CR, LF and TAB escaped. */
function encodeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value;
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#xD;')
    .replace(/\n/g, '&#xA;')
    .replace(/\t/g, '&#x9;');
}

/** xml-crypto's attribute order: no namespace first, then by namespace URI and local name concatenated. */
function compareAttributes(a: AttributeView, b: AttributeView): number {
  if (!a.namespaceURI && b.namespaceURI) return -1;
  if (!b.namespaceURI && a.namespaceURI) return 1;
  const left = `${a.namespaceURI}${a.localName}`;
  const right = `${b.namespaceURI}${b.localName}`;
  return left === right ? 0 : left < right ? -1 : 1;
}

/** xml-crypto's namespace order: by prefix, with `localeCompare`. */
function compareNamespaces(a: NamespacePrefix, b: NamespacePrefix): number {
  return a.prefix === b.prefix ? 0 : a.prefix.localeCompare(b.prefix);
}

/**
 * The namespace bindings already written by output ancestors: per prefix a
 * stack whose top is the binding in force, and a log of the prefixes bound,
 * so that an element's bindings are undone after its subtree. A binding may
 * have no URI, as in xml-crypto.
 */
class RenderedScope {
  readonly #bindings = new Map<string, Array<string | null | undefined>>();
  readonly #log: string[] = [];

  /** True when `prefix` is in force with exactly `namespaceURI` (xml-crypto's isPrefixInScope). */
  has(prefix: string, namespaceURI: string | null | undefined): boolean {
    const stack = this.#bindings.get(prefix);
    return stack !== undefined && stack.length > 0 && stack[stack.length - 1] === namespaceURI;
  }

  push(prefix: string, namespaceURI: string | null | undefined): void {
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
  readonly element: Element;
  /** The default namespace in force for its children. */
  readonly defaultNs: string | null;
  /** Where its namespace bindings start, to undo them at its end tag. */
  readonly mark: number;
}

/** One exclusive canonicalisation: its output, its budget and its namespace scope. */
class ExclusiveCanonicalizer {
  readonly #parts: string[] = [];
  #length = 0;
  readonly #scope = new RenderedScope();

  constructor(
    private readonly top: Element,
    private readonly excluded: Node | undefined,
    private readonly inherited: readonly NamespacePrefix[],
    private readonly prefixList: ReadonlySet<string>,
    private readonly maxLength: number,
  ) {}

  /** Walks the subtree in document order by its sibling links, with a stack of the open elements only. */
  run(): string {
    const open: OpenElement[] = [];
    let node: Node | null = this.top;
    let defaultNs: string | null = '';
    while (node !== null) {
      if (node.nodeType === ELEMENT_NODE && node !== this.excluded) {
        const element = node as Element;
        const mark = this.#scope.mark();
        const childDefaultNs = this.#writeStartTag(element, defaultNs);
        if (element.firstChild !== null) {
          open.push({ element, defaultNs, mark });
          defaultNs = childDefaultNs;
          node = element.firstChild;
          continue;
        }
        this.#emit(`</${element.tagName}>`);
        this.#scope.undo(mark);
      } else if (node.nodeType !== COMMENT_NODE && node !== this.excluded) {
        // xml-crypto renders the data of any other node as text (a processing
        // instruction's too; signed content may hold none, see reference-target.ts).
        const data = (node as CharacterData).data;
        if (data) this.#emit(encodeText(data));
      }
      // The next node: the next sibling, or that of the nearest open ancestor, closing the ones left.
      node = node === this.top ? null : node.nextSibling;
      while (node === null && open.length > 0) {
        const done = open.pop()!;
        this.#emit(`</${done.element.tagName}>`);
        this.#scope.undo(done.mark);
        defaultNs = done.defaultNs;
        node = done.element === this.top ? null : done.element.nextSibling;
      }
    }
    return this.#parts.join('');
  }

  /** Writes `<name`, its namespace declarations, its attributes and `>`; returns the default namespace for its children. */
  #writeStartTag(element: Element, defaultNs: string | null): string | null {
    const { declarations, defaultNs: childDefaultNs } = this.#renderNamespaces(element, defaultNs);
    this.#emit(`<${element.tagName}${declarations}${this.#renderAttributes(element)}>`);
    return childDefaultNs;
  }

  /** Appends to the output, refusing it as soon as it passes the budget. */
  #emit(part: string): void {
    this.#length += part.length;
    this.#parts.push(part);
    // SECURITY: a namespace declared once and used by many siblings is written
    // on each of them, and escaping lengthens text; the output is checked as
    // each start tag or text is written, so it never grows much past the
    // budget (by at most one start tag, itself bounded by the document).
    if (this.#length > this.maxLength) {
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

  /**
   * Writes the namespace declarations of `element` (xml-crypto's renderNs):
   * its own prefix and the prefixes of its attributes not yet in force,
   * PrefixList prefixes it declares, and the default namespace when it
   * changes; the top element also sees the PrefixList bindings of its
   * ancestors. Returns the default namespace in force for its children.
   */
  #renderNamespaces(
    element: Element,
    defaultNs: string | null,
  ): { declarations: string; defaultNs: string | null } {
    const scope = this.#scope;
    const toRender: NamespacePrefix[] = [];
    let declarations = '';
    let newDefaultNs = defaultNs;
    const prefix = element.prefix;
    if (prefix) {
      const namespaceURI = element.namespaceURI || DEFAULT_NS_FOR_PREFIX.get(prefix);
      if (!scope.has(prefix, namespaceURI)) {
        toRender.push({ prefix, namespaceURI });
        scope.push(prefix, namespaceURI);
      }
    } else if (defaultNs !== (element.namespaceURI || '')) {
      newDefaultNs = element.namespaceURI;
      declarations = ` xmlns="${newDefaultNs ?? ''}"`;
    }
    const attributes = element.attributes;
    for (let i = 0; i < attributes.length; i += 1) this.#visitAttribute(attributes.item(i)!, toRender);
    if (element === this.top) {
      // What xml-crypto does by copying them onto the element as attributes.
      for (const { prefix: inheritedPrefix, namespaceURI } of this.inherited) {
        this.#visitAttribute(
          {
            prefix: 'xmlns',
            localName: inheritedPrefix,
            namespaceURI: XMLNS_NS,
            value: namespaceURI ?? '',
            name: `xmlns:${inheritedPrefix}`,
          },
          toRender,
        );
      }
    }
    if (toRender.length > 1) toRender.sort(compareNamespaces);
    for (const binding of toRender)
      declarations += ` xmlns:${binding.prefix}="${binding.namespaceURI ?? ''}"`;
    return { declarations, defaultNs: newDefaultNs };
  }

  /**
   * The namespaces one attribute makes visible: a PrefixList prefix it
   * declares (xml-crypto takes the local name of any prefixed attribute), and
   * its own prefix unless `xmlns` or `xml`.
   */
  #visitAttribute(attribute: AttributeView, toRender: NamespacePrefix[]): void {
    if (!attribute.prefix) return;
    const scope = this.#scope;
    const localName = attribute.localName ?? '';
    if (!scope.has(localName, attribute.value) && this.prefixList.has(localName)) {
      toRender.push({ prefix: localName, namespaceURI: attribute.value });
      scope.push(localName, attribute.value);
    }
    if (
      !scope.has(attribute.prefix, attribute.namespaceURI) &&
      attribute.prefix !== 'xmlns' &&
      attribute.prefix !== 'xml'
    ) {
      toRender.push({ prefix: attribute.prefix, namespaceURI: attribute.namespaceURI });
      scope.push(attribute.prefix, attribute.namespaceURI);
    }
  }

  /** The attributes of `element` as written, declarations aside (xml-crypto skips any name starting with `xmlns`). */
  #renderAttributes(element: Element): string {
    const attributes = element.attributes;
    const toRender: Attr[] = [];
    for (let i = 0; i < attributes.length; i += 1) {
      const attribute = attributes.item(i)!;
      if (!attribute.name.startsWith('xmlns')) toRender.push(attribute);
    }
    if (toRender.length > 1) toRender.sort(compareAttributes);
    let rendered = '';
    for (const attribute of toRender) rendered += ` ${attribute.name}="${encodeAttribute(attribute.value)}"`;
    return rendered;
  }
}

/**
 * The PrefixList xml-crypto applies when none is given: that of a
 * `CanonicalizationMethod/InclusiveNamespaces` child of the element, matched
 * by local name (this is how SignedInfo gets its own PrefixList).
 */
function fallbackPrefixList(element: Element): string[] {
  const method = childElements(element).find((child) => child.localName === 'CanonicalizationMethod');
  const inclusive =
    method === undefined
      ? undefined
      : childElements(method).find((child) => child.localName === 'InclusiveNamespaces');
  // Empty tokens are dropped: xml-crypto keeps them, and an empty prefix would
  // inherit the default namespace as a malformed `xmlns:` declaration.
  return inclusive === undefined
    ? []
    : (inclusive.getAttribute('PrefixList') ?? '').split(' ').filter(Boolean);
}

/**
 * Exclusive c14n (without comments) of `element`, leaving out `excluded` (one
 * of its direct children, or any node below it), with the given PrefixList
 * (none: that of a `CanonicalizationMethod/InclusiveNamespaces` child, as
 * xml-crypto does): what xml-crypto's SignedXml computes for the same element
 * and transforms. Linear in the element's subtree.
 *
 * @throws ClaimsgateError `CG_SIG_CANONICAL_TOO_LARGE` past `maxLength` (UTF-16 code units).
 * @see Exclusive XML Canonicalization 1.0 §3; XML-C14N 1.0 §2.3.
 */
export function canonicalizeExclusive(
  element: Element,
  prefixes: readonly string[],
  excluded: Element | undefined,
  maxLength: number,
): string {
  const prefixList = new Set(prefixes.length > 0 ? prefixes : fallbackPrefixList(element));
  const inherited = ancestorNamespaces(element).filter((ns) => prefixList.has(ns.prefix));
  return new ExclusiveCanonicalizer(element, excluded, inherited, prefixList, maxLength).run();
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
export function canonicalizeSignedElement(inspection: SignatureInspection, signedElement: Element): string {
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
