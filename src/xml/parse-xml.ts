import { DOMParser } from '@xmldom/xmldom';
import { ClaimsgateError } from '../lib/errors.js';

/** Limits applied before and while parsing untrusted XML. */
export interface XmlLimits {
  /** Largest accepted document, in bytes of UTF-8. Default 5 MiB. */
  readonly maxBytes?: number;
  /** Deepest accepted element nesting. Default 64. */
  readonly maxDepth?: number;
}

export const DEFAULT_XML_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_XML_MAX_DEPTH = 64;

/** A parsed document whose one root element is known. */
export interface ParsedXml {
  readonly document: Document;
  readonly root: Element;
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

function measureDepth(root: Element, maxDepth: number): void {
  // Iterative walk: a recursive one is itself a stack-exhaustion target.
  const stack: Array<{ node: Element; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > maxDepth) {
      throw new ClaimsgateError(
        'CG_XML_TOO_DEEP',
        `The XML nests elements more than ${maxDepth} levels deep.`,
        {
          detail: { observed: `> ${maxDepth}`, expected: `<= ${maxDepth}` },
        },
      );
    }
    for (let child = node.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType === 1) stack.push({ node: child as Element, depth: depth + 1 });
    }
  }
}

/**
 * Cheap pre-check of nesting depth on the raw text, so that a document of a
 * hundred thousand nested elements is refused before a DOM is built for it.
 * It over-counts nothing that matters: self-closing tags, declarations and
 * comments are skipped; it may under-count, and the DOM walk is exact.
 */
function precheckDepth(text: string, maxDepth: number): void {
  let depth = 0;
  const tag = /<(\/?)([A-Za-z_][^\s/>]*)[^>]*?(\/?)>/g;
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    if (m[1] === '/') depth -= 1;
    else if (m[3] !== '/') {
      depth += 1;
      if (depth > maxDepth) {
        throw new ClaimsgateError(
          'CG_XML_TOO_DEEP',
          `The XML nests elements more than ${maxDepth} levels deep.`,
          {
            detail: { observed: `> ${maxDepth}`, expected: `<= ${maxDepth}` },
          },
        );
      }
    }
  }
}

function checkSingleRoot(document: Document): Element {
  let root: Element | undefined;
  for (let node = document.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 1) {
      if (root !== undefined) {
        throw new ClaimsgateError(
          'CG_XML_MULTIPLE_ROOTS',
          'The XML document has more than one root element.',
          {
            detail: {
              observed: `another root element <${node.nodeName}>`,
              expected: 'exactly one root element',
            },
          },
        );
      }
      root = node as Element;
    } else if (node.nodeType === 10) {
      throw new ClaimsgateError('CG_XML_DTD_FORBIDDEN', 'The XML document has a DOCTYPE.', {
        detail: { observed: 'DOCTYPE', expected: 'no DTD' },
      });
    } else if (node.nodeType === 7 && node.nodeName.toLowerCase() !== 'xml') {
      throw new ClaimsgateError(
        'CG_XML_MULTIPLE_ROOTS',
        `The XML document has a processing instruction <?${node.nodeName}?> outside its root element.`,
        { detail: { observed: node.nodeName, expected: 'only the root element, comments and whitespace' } },
      );
    } else if (node.nodeType === 3 && (node.nodeValue ?? '').trim() !== '') {
      throw new ClaimsgateError(
        'CG_XML_MULTIPLE_ROOTS',
        'The XML document has text outside its root element.',
        {
          detail: { expected: 'only the root element, comments and whitespace' },
        },
      );
    }
  }
  if (root === undefined) {
    throw new ClaimsgateError('CG_XML_MALFORMED', 'The input contains no XML element.', {
      detail: { expected: 'an XML document' },
    });
  }
  return root;
}

/**
 * Parses untrusted XML with the protections every claimsgate input needs:
 * a size cap before anything else, no DTD or entity declarations, a
 * throwing error handler (no lenient recovery), exactly one root element,
 * and a depth limit. Nothing outside the document is ever read.
 *
 * @throws ClaimsgateError `CG_XML_TOO_LARGE`, `CG_XML_DTD_FORBIDDEN`,
 *   `CG_XML_MALFORMED`, `CG_XML_MULTIPLE_ROOTS`, `CG_XML_TOO_DEEP`.
 */
export function parseXml(input: string | Uint8Array, limits: XmlLimits = {}): ParsedXml {
  const maxBytes = limits.maxBytes ?? DEFAULT_XML_MAX_BYTES;
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_MAX_DEPTH;
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
  precheckDepth(text, maxDepth);
  const fail = (message: string): never => {
    const observed = message.trim().split('\n')[0] ?? '';
    // xmldom reports a second root element as a DOM hierarchy error.
    if (observed.includes('Hierarchy request error')) {
      throw new ClaimsgateError('CG_XML_MULTIPLE_ROOTS', 'The XML document has more than one root element.', {
        detail: { observed, expected: 'exactly one root element' },
      });
    }
    throw new ClaimsgateError('CG_XML_MALFORMED', `The XML is not well-formed: ${observed}`, {
      detail: { observed },
    });
  };
  let document: Document;
  try {
    document = new DOMParser({
      locator: {},
      errorHandler: { warning: fail, error: fail, fatalError: fail },
    }).parseFromString(text, 'application/xml');
  } catch (error) {
    if (error instanceof ClaimsgateError) throw error;
    throw new ClaimsgateError('CG_XML_MALFORMED', 'The XML is not well-formed.', {
      cause: error,
      detail: { observed: error instanceof Error ? error.message.split('\n')[0] : String(error) },
    });
  }
  const root = checkSingleRoot(document);
  measureDepth(root, maxDepth);
  return { document, root };
}
