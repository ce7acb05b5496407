/**
 * The exclusive canonicaliser claimsgate used before it had its own:
 * xml-crypto 6's ExclusiveCanonicalization, driven on the parsed DOM with the
 * semantics SignedXml gives it (enveloped signature left out, PrefixList
 * namespaces inherited from ancestors), with its deviations from the
 * specification corrected. Its tree walk and its rules for which namespace
 * declarations to write are xml-crypto's own, which keeps it an independent
 * check of src/xmldsig/canonicalize.ts; test/xmldsig/standard-c14n-vectors.test.ts
 * checks both against libxml2 and the JDK. Quadratic on hostile shapes: for
 * tests only.
 *
 * xml-crypto deviates from W3C Canonical XML 1.0 and Exclusive XML
 * Canonicalization 1.0 as follows; each is corrected here, and each made a
 * token signed by a standard implementation fail with CG_SIG_DIGEST_MISMATCH
 * (test/fixtures/standard-xmldsig/):
 *
 * - X1 attribute order: it sorts by namespace URI and local name
 *   concatenated (`http://x/` + `b` after `http://x/a` + `z`); XML-C14N 1.0
 *   §2.2 sorts by namespace URI, then by local name.
 * - X2 namespace declaration order: it sorts prefixes with `localeCompare`
 *   (`a` before `B`, `saml` before `X`); XML-C14N 1.0 §2.2 orders them
 *   lexicographically by code point. Both orders here compare code points,
 *   not UTF-16 units (§2.2: "based on the UCS codepoint values").
 * - X3 namespace URIs are written unescaped (`xmlns:p="urn:a&b"`);
 *   XML-C14N 1.0 §2.3 writes a namespace node as an attribute, escaped.
 * - X4 a processing instruction's data is written as if it were text;
 *   XML-C14N 1.0 §2.3 (PI Nodes) writes `<?target data?>`.
 * - X5 any attribute whose name starts with `xmlns` (`xmlnsX="1"`) is left
 *   out as if it were a namespace declaration; only `xmlns` and `xmlns:p`
 *   are (Namespaces in XML 1.0 §3).
 * - X6 a prefixed attribute whose local name is in the PrefixList
 *   (`p:type="…"` with PrefixList "type") declares that "prefix" with the
 *   attribute's value; Exclusive XML Canonicalization 1.0 §3 treats only
 *   namespace nodes by the PrefixList.
 * - X7 below an undeclaration (`xmlns=""`), every element without a
 *   namespace writes `xmlns=""` again, because xmldom gives it a null
 *   namespace and the default in force is then null, not "" (Exclusive XML
 *   Canonicalization 1.0 §3: only when the nearest output ancestor that
 *   uses the default namespace had a non-empty one).
 * - X8 with no PrefixList it reads the one of a `CanonicalizationMethod`
 *   child of the element (how SignedXml gives SignedInfo its own); the
 *   PrefixList is the transform's (Exclusive XML Canonicalization 1.0 §4),
 *   and none means none: here the PrefixList given is the one used.
 *
 * Not corrected, so the callers leave these inputs out:
 * - X9 `#default` in the PrefixList is ignored (Exclusive XML
 *   Canonicalization 1.0 §4.1 makes it name the default namespace);
 * - X10 an element prefixed `xml` (with `xmlns:xml` declared) gets
 *   `xmlns:xml` written; XML-C14N 1.0 never writes the xml namespace.
 */
import { ExclusiveCanonicalization, type NamespacePrefix } from 'xml-crypto';

const ELEMENT_NODE = 1;
const PROCESSING_INSTRUCTION_NODE = 7;
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** `xmlns` and `xmlns:p` only (X5). */
function isDeclaration(name: string): boolean {
  return name === 'xmlns' || name.startsWith('xmlns:');
}

/** The prefix a namespace declaration attribute declares: `""` for `xmlns`, `p` for `xmlns:p`, else undefined. */
function declaredPrefix(attr: Attr): string | undefined {
  if (attr.name === 'xmlns') return '';
  return attr.name.startsWith('xmlns:') ? attr.name.slice('xmlns:'.length) : undefined;
}

/** Code-point order (X1, X2): UTF-16 units with surrogates moved above the rest of the BMP. */
function compareCodePoints(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i += 1;
  }
  return a.length - b.length;
}

/** An attribute value as c14n writes it (XML-C14N 1.0 §2.3). */
function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

/**
 * The namespace bindings in scope on `element` that are declared by its
 * ancestors, nearest first, one per prefix; undeclarations, the element's own
 * prefix and prefixes it declares itself are left out. This is what
 * xml-crypto's signer and verifier hand to exclusive c14n: they matter only
 * for prefixes named in an InclusiveNamespaces PrefixList.
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

/** The parts of an attribute xml-crypto's `renderNs` reads. */
type AttributeView = Pick<Attr, 'prefix' | 'localName' | 'namespaceURI' | 'value' | 'name'>;

/** The parts of an element xml-crypto's `renderNs` reads. */
interface NamespaceView {
  readonly prefix: string | null;
  readonly namespaceURI: string | null;
  readonly attributes: ArrayLike<AttributeView>;
}

/**
 * xml-crypto's exclusive canonicaliser, driven without a clone and corrected
 * where it deviates from the specification (see the list above):
 * - the enveloped-signature transform: the excluded node renders as nothing;
 * - PrefixList namespaces inherited from ancestors: xml-crypto copies them
 *   onto the element as `xmlns:p` attributes; here `renderNs` is shown a view
 *   of the element with those attributes added;
 * - `renderNs` is shown namespace URIs escaped (X3: escaping is one to one,
 *   so its comparisons are unchanged), an element without a namespace as in
 *   the namespace "" (X7), and prefixed attributes that are not declarations
 *   under a local name no PrefixList holds (X6).
 */
class CorrectedExclusiveCanonicalization extends ExclusiveCanonicalization {
  constructor(
    private readonly top: Element,
    private readonly excluded: Node | undefined,
    private readonly inherited: readonly NamespacePrefix[],
  ) {
    super();
  }

  override attrCompare(a: Attr, b: Attr): 0 | 1 | -1 {
    return Math.sign(
      compareCodePoints(a.namespaceURI ?? '', b.namespaceURI ?? '') ||
        compareCodePoints(a.localName ?? '', b.localName ?? ''),
    ) as 0 | 1 | -1;
  }

  override nsCompare(a: NamespacePrefix, b: NamespacePrefix): number {
    return compareCodePoints(a.prefix, b.prefix);
  }

  override renderAttrs(node: Element): string {
    const attributes: Attr[] = [];
    for (let i = 0; i < node.attributes.length; i += 1) {
      const attribute = node.attributes.item(i)!;
      if (!isDeclaration(attribute.name)) attributes.push(attribute);
    }
    attributes.sort((a, b) => this.attrCompare(a, b));
    return attributes.map((a) => ` ${a.name}="${escapeAttribute(a.value)}"`).join('');
  }

  override processInner(
    node: Node,
    prefixesInScope: NamespacePrefix[],
    defaultNs: string,
    defaultNsForPrefix: Record<string, string>,
    inclusiveNamespacesPrefixList: string[],
  ): string {
    if (node === this.excluded) return '';
    if (node.nodeType === PROCESSING_INSTRUCTION_NODE) {
      const pi = node as ProcessingInstruction;
      return pi.data ? `<?${pi.target} ${pi.data}?>` : `<?${pi.target}?>`;
    }
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
    const attributes: AttributeView[] = [];
    for (let i = 0; i < node.attributes.length; i += 1) {
      const attribute = node.attributes.item(i)!;
      const declaration = isDeclaration(attribute.name);
      attributes.push({
        prefix: attribute.prefix,
        localName: declaration ? attribute.localName : '#not-a-declaration',
        namespaceURI: attribute.namespaceURI === null ? null : escapeAttribute(attribute.namespaceURI),
        value: declaration ? escapeAttribute(attribute.value) : attribute.value,
        name: attribute.name,
      });
    }
    if (node === this.top) {
      for (const { prefix, namespaceURI } of this.inherited) {
        attributes.push({
          prefix: 'xmlns',
          localName: prefix,
          namespaceURI: XMLNS_NS,
          value: escapeAttribute(namespaceURI ?? ''),
          name: `xmlns:${prefix}`,
        });
      }
    }
    const view: NamespaceView = {
      prefix: node.prefix,
      namespaceURI: escapeAttribute(node.namespaceURI ?? ''),
      attributes,
    };
    return super.renderNs(
      view,
      prefixesInScope,
      defaultNs,
      defaultNsForPrefix,
      inclusiveNamespacesPrefixList,
    );
  }
}

/**
 * Exclusive c14n (without comments) of `element`, leaving out `excluded` (one
 * of its direct children), with the given PrefixList: what xml-crypto's
 * SignedXml computes for the same element and transforms, with xml-crypto's
 * deviations from the specification corrected. `#default` must not be in
 * the PrefixList, nor an element prefixed `xml` in the subtree (X9, X10).
 */
export function referenceCanonicalize(
  element: Element,
  prefixes: readonly string[],
  excluded: Element | undefined,
): string {
  if (prefixes.includes('#default')) throw new TypeError('xml-crypto does not read #default (X9)');
  const prefixList = [...prefixes];
  const inherited = ancestorNamespaces(element).filter((ns) => prefixList.includes(ns.prefix));
  const canonicalizer = new CorrectedExclusiveCanonicalization(element, excluded, inherited);
  return canonicalizer.processInner(element, [], '', {}, prefixList);
}
