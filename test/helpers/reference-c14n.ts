/**
 * The exclusive canonicaliser claimsgate used before it had its own: xml-crypto
 * 6's ExclusiveCanonicalization, driven on the parsed DOM with the semantics
 * SignedXml gives it (enveloped signature left out, PrefixList namespaces
 * inherited from ancestors). The differential tests of
 * src/xmldsig/canonicalize.ts hold the new one byte-identical to it; it was
 * itself held byte-identical to SignedXml's checkSignature by
 * test/xmldsig/xml-crypto-differential.test.ts. Quadratic on hostile shapes:
 * for tests only.
 */
import { ExclusiveCanonicalization, type NamespacePrefix } from 'xml-crypto';
import { childElements, NS } from '../../src/xml/dom.js';

const ELEMENT_NODE = 1;
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

// What SignedXml passes: a `ds:` element the parser left without a namespace
// is read in the XML-DSig namespace. Our parser never produces one.
const DEFAULT_NS_FOR_PREFIX: Record<string, string> = { ds: NS.ds };

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

/** The parts of an element xml-crypto's `renderNs` reads. */
interface NamespaceView {
  readonly prefix: string | null;
  readonly namespaceURI: string | null;
  readonly attributes: ArrayLike<Pick<Attr, 'prefix' | 'localName' | 'namespaceURI' | 'value' | 'name'>>;
}

/**
 * xml-crypto's exclusive canonicaliser, driven without a clone: a deep clone
 * of an xmldom element costs as much as the canonicalisation itself, and
 * the two things xml-crypto does to the element it is given are done here
 * without writing to it:
 * - the enveloped-signature transform: the excluded node renders as nothing;
 * - PrefixList namespaces inherited from ancestors: xml-crypto copies them
 *   onto the element as `xmlns:p` attributes; here `renderNs` is shown a view
 *   of the element with those attributes added.
 * The differential tests against SignedXml keep this byte-identical.
 */
class ScopedExclusiveCanonicalization extends ExclusiveCanonicalization {
  constructor(
    private readonly top: Element,
    private readonly excluded: Node | undefined,
    private readonly inherited: readonly NamespacePrefix[],
  ) {
    super();
  }

  override processInner(
    node: Node,
    prefixesInScope: NamespacePrefix[],
    defaultNs: string,
    defaultNsForPrefix: Record<string, string>,
    inclusiveNamespacesPrefixList: string[],
  ): string {
    if (node === this.excluded) return '';
    return super.processInner(
      node,
      prefixesInScope,
      defaultNs,
      defaultNsForPrefix,
      inclusiveNamespacesPrefixList,
    );
  }

  override renderNs(
    node: Element,
    prefixesInScope: NamespacePrefix[],
    defaultNs: string,
    defaultNsForPrefix: Record<string, string>,
    inclusiveNamespacesPrefixList: string[],
  ): { rendered: string; newDefaultNs: string } {
    let target: Element | NamespaceView = node;
    if (node === this.top && this.inherited.length > 0) {
      const attributes = Array.from({ length: node.attributes.length }, (_, i) => node.attributes.item(i)!);
      const declarations = this.inherited.map(({ prefix, namespaceURI }) => ({
        prefix: 'xmlns',
        localName: prefix,
        namespaceURI: XMLNS_NS,
        value: namespaceURI,
        name: `xmlns:${prefix}`,
      }));
      target = {
        prefix: node.prefix,
        namespaceURI: node.namespaceURI,
        attributes: [...attributes, ...declarations],
      };
    }
    return super.renderNs(
      target,
      prefixesInScope,
      defaultNs,
      defaultNsForPrefix,
      inclusiveNamespacesPrefixList,
    );
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
 * of its direct children), with the given PrefixList: what xml-crypto's
 * SignedXml computes for the same element and transforms.
 */
export function referenceCanonicalize(
  element: Element,
  prefixes: readonly string[],
  excluded: Element | undefined,
): string {
  const prefixList = prefixes.length > 0 ? [...prefixes] : fallbackPrefixList(element);
  const ancestors = ancestorNamespaces(element);
  const inherited = ancestors.filter((ns) => prefixList.includes(ns.prefix));
  const canonicalizer = new ScopedExclusiveCanonicalization(element, excluded, inherited);
  return canonicalizer.processInner(element, [], '', DEFAULT_NS_FOR_PREFIX, prefixList);
}
