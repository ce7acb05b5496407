import { ClaimsgateError } from '../lib/errors.js';
import { buildDom } from './build-dom.js';
import type { XmlDocument, XmlElement } from './light-dom.js';

/**
 * Limits applied before and while parsing untrusted XML. Each is checked as
 * the count passes it, so a document over a limit costs no more than reading
 * up to that point. The defaults suit federation metadata up to 5 MiB; a
 * token is parsed with tighter ones (see `tokenXmlLimits` in
 * src/tokens/parse-xml-token.ts). docs/benchmarks.md gives the measurements
 * behind them.
 */
export interface XmlLimits {
  /** Largest accepted document, in bytes of UTF-8. Default 5 MiB. `CG_XML_TOO_LARGE`. */
  readonly maxBytes?: number;
  /** Deepest accepted element nesting. Default 64. `CG_XML_TOO_DEEP`. */
  readonly maxDepth?: number;
  /** Most attributes on one element, namespace declarations not counted. Default 64. `CG_XML_TOO_MANY_ATTRIBUTES`. */
  readonly maxAttributesPerElement?: number;
  /** Most namespace declarations on one element. Default 32. `CG_XML_TOO_MANY_NAMESPACES`. */
  readonly maxNamespaceDeclarationsPerElement?: number;
  /** Most namespace declarations in the document. Default 20,000. `CG_XML_TOO_MANY_NAMESPACES`. */
  readonly maxNamespaceDeclarations?: number;
  /** Most elements in the document. Default 100,000. `CG_XML_TOO_MANY_ELEMENTS`. */
  readonly maxElements?: number;
  /**
   * Most nodes in the document: elements, attributes (namespace declarations
   * included), text, CDATA, comments, processing instructions. Default 250,000.
   * `CG_XML_TOO_MANY_NODES`.
   */
  readonly maxNodes?: number;
}

export const DEFAULT_XML_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_XML_MAX_DEPTH = 64;

/** The defaults of {@link XmlLimits}: generous for real metadata, bounded for hostile input. */
export const DEFAULT_XML_LIMITS: Readonly<Required<XmlLimits>> = Object.freeze({
  maxBytes: DEFAULT_XML_MAX_BYTES,
  maxDepth: DEFAULT_XML_MAX_DEPTH,
  maxAttributesPerElement: 64,
  maxNamespaceDeclarationsPerElement: 32,
  maxNamespaceDeclarations: 20_000,
  maxElements: 100_000,
  maxNodes: 250_000,
});

/** A parsed document whose one root element is known. */
export interface ParsedXml {
  readonly document: XmlDocument;
  readonly root: XmlElement;
}

// SECURITY: any DOCTYPE (and so any entity declaration) is refused before the
// parser sees the text: XXE, billion laughs and internal-subset parser
// differentials all need one, and no federation document or token has one.
const DTD_PATTERN = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

const ENCODING_DECLARATION = /^<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

/**
 * Turns bytes into text the way the document declares, accepting only the
 * encodings federation documents use; a byte sequence that is not valid in
 * the encoding is refused rather than replaced.
 */
function decodeXmlBytes(bytes: Uint8Array): string {
  const hasBom = (a: number, b: number): boolean => bytes[0] === a && bytes[1] === b;
  let encoding = 'utf-8';
  if (hasBom(0xff, 0xfe)) encoding = 'utf-16le';
  else if (hasBom(0xfe, 0xff)) encoding = 'utf-16be';
  else {
    const head = Buffer.from(bytes.subarray(0, 200))
      .toString('latin1')
      .replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
    const declared = ENCODING_DECLARATION.exec(head)?.[1]?.toLowerCase();
    if (declared === 'iso-8859-1' || declared === 'latin1' || declared === 'windows-1252')
      encoding = declared;
    else if (declared !== undefined && !['utf-8', 'utf8', 'us-ascii', 'ascii', 'utf-16'].includes(declared)) {
      throw new ClaimsgateError(
        'CG_XML_MALFORMED',
        `The XML declares an unsupported encoding "${declared}".`,
        {
          detail: { observed: declared, expected: ['UTF-8', 'UTF-16', 'ISO-8859-1'] },
        },
      );
    }
  }
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new ClaimsgateError('CG_XML_MALFORMED', `The XML is not valid ${encoding.toUpperCase()} text.`, {
      cause,
      detail: { expected: encoding },
    });
  }
}

/**
 * `limits` over the defaults; a member set to undefined keeps its default.
 *
 * @throws TypeError naming a limit that is not a positive integer.
 */
function resolveLimits(limits: XmlLimits): Required<XmlLimits> {
  const resolved: Record<string, number> = { ...DEFAULT_XML_LIMITS };
  for (const [name, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_XML_LIMITS, name)) throw new TypeError(`Unknown XML limit ${name}.`);
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw new TypeError(`The XML limit ${name} must be a positive integer.`);
    }
    resolved[name] = value as number;
  }
  return resolved as Required<XmlLimits>;
}

/**
 * Parses untrusted XML with the protections every claimsgate input needs:
 * a size cap before anything else, no DTD or entity declarations, strict
 * well-formedness (no lenient recovery), exactly one root element, and
 * limits on depth, attributes, namespace declarations, elements and nodes
 * enforced while parsing (see {@link XmlLimits}). Nothing outside the
 * document is ever read. The cost is linear in the input for every shape.
 *
 * @throws ClaimsgateError `CG_XML_TOO_LARGE`, `CG_XML_DTD_FORBIDDEN`,
 *   `CG_XML_MALFORMED`, `CG_XML_MULTIPLE_ROOTS`, `CG_XML_TOO_DEEP`,
 *   `CG_XML_TOO_MANY_ATTRIBUTES`, `CG_XML_TOO_MANY_NAMESPACES`,
 *   `CG_XML_TOO_MANY_ELEMENTS`, `CG_XML_TOO_MANY_NODES`.
 * @throws TypeError for a limit that is not a positive integer.
 */
export function parseXml(input: string | Uint8Array, limits: XmlLimits = {}): ParsedXml {
  const { maxBytes, ...treeLimits } = resolveLimits(limits);
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxBytes) {
    throw new ClaimsgateError(
      'CG_XML_TOO_LARGE',
      `The XML document is ${size} bytes; the limit is ${maxBytes}.`,
      {
        detail: { observed: size, expected: `<= ${maxBytes}` },
      },
    );
  }
  const text = (typeof input === 'string' ? input : decodeXmlBytes(input)).replace(/^\uFEFF/, '');
  if (DTD_PATTERN.test(text)) {
    throw new ClaimsgateError(
      'CG_XML_DTD_FORBIDDEN',
      'The XML document contains a DTD or entity declaration.',
      {
        detail: { observed: DTD_PATTERN.exec(text)?.[0], expected: 'no DTD' },
      },
    );
  }
  if (!/^\s*</.test(text)) {
    throw new ClaimsgateError('CG_XML_MALFORMED', 'The input is not XML: it does not start with markup.', {
      detail: { expected: 'an XML document' },
    });
  }
  const document = buildDom(text, treeLimits);
  return { document, root: document.documentElement };
}
