import { DOMImplementation } from '@xmldom/xmldom';
import { ClaimsgateError } from '../lib/errors.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Exclusive c14n writes only these references (XML-C14N 1.0 §2.3). */
const CANONICAL_TEXT_REFERENCES: ReadonlySet<string> = new Set(['amp', 'lt', 'gt', '#xD']);
const CANONICAL_ATTRIBUTE_REFERENCES: ReadonlySet<string> = new Set([
  'amp',
  'lt',
  'quot',
  '#x9',
  '#xA',
  '#xD',
]);

// An XML Name (namespace-aware: at most one colon, not first or last). The
// ranges are those of XML 1.0 (Fifth Edition) §2.3, limited to the BMP.
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// eslint-disable-next-line no-misleading-character-class -- the ranges of XML's NameChar include combining marks on purpose.
const QNAME = new RegExp(`[${NAME_START}][${NAME_CHAR}]*(?::[${NAME_START}][${NAME_CHAR}]*)?`, 'y');
const WHITESPACE = /[ \t\n]*/y;
/** Characters XML 1.0 allows in a document (§2.2), after line-ending normalisation. */
// eslint-disable-next-line no-control-regex -- these are exactly the control characters XML forbids.
const INVALID_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** What the builder enforces beyond well-formedness. */
export interface BuildOptions {
  /**
   * Accept only the output of exclusive canonicalisation: no declaration,
   * comment, processing instruction, CDATA or empty-element tag; double quotes;
   * single spaces between attributes; only the references c14n writes.
   */
  readonly canonical?: boolean;
  /** Deepest accepted element nesting; refused as soon as it is passed. Default unlimited. */
  readonly maxDepth?: number;
}

interface Frame {
  readonly element: Element;
  readonly qname: string;
  readonly namespaces: ReadonlyMap<string, string>;
}

function malformed(position: number, expected: string, canonical: boolean): ClaimsgateError {
  return new ClaimsgateError(
    'CG_XML_MALFORMED',
    canonical
      ? `The signed content is not in canonical form at offset ${position}: expected ${expected}.`
      : `The XML is not well-formed at offset ${position}: expected ${expected}.`,
    { detail: { observed: `offset ${position}`, expected } },
  );
}

/**
 * Builds a DOM from XML text, in one pass, with the nodes of `@xmldom/xmldom`
 * (so that XML-signature canonicalisation works on them unchanged).
 *
 * It is a strict, non-validating parser for what federation documents and
 * tokens use — elements, attributes, namespaces, text, character and
 * predefined entity references, CDATA, comments and processing instructions
 * — and it refuses the rest: a DTD, an undefined entity, a bare `&`, an
 * undeclared prefix, a duplicate attribute, a mismatched end tag, `]]>` in
 * text, `--` in a comment, a character XML does not allow. It reads what it
 * accepts exactly as xmldom's own parser does (line endings and attribute
 * whitespace normalised the same way), which a differential test checks over
 * every fixture and a fuzzed corpus; it is several times faster, which the
 * token path needs.
 *
 * The caller has already refused DOCTYPEs and capped the size.
 *
 * @throws ClaimsgateError `CG_XML_MALFORMED`, `CG_XML_MULTIPLE_ROOTS`, `CG_XML_DTD_FORBIDDEN`, `CG_XML_TOO_DEEP`.
 */
export function buildDom(input: string, options: BuildOptions = {}): Document {
  const canonical = options.canonical === true;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  // Line endings as xmldom normalises them (XML 1.1 §2.11 rules), so that both
  // read the same characters; canonical text has none to normalise.
  const text = canonical ? input : input.replace(/\r[\n\u0085]/g, '\n').replace(/[\r\u0085\u2028]/g, '\n');
  if (INVALID_CHARACTER.test(text)) {
    const at = INVALID_CHARACTER.exec(text)!.index;
    throw malformed(at, 'only characters XML allows', canonical);
  }
  const document = new DOMImplementation().createDocument(null, '', null);
  const stack: Frame[] = [];
  const rootNamespaces: ReadonlyMap<string, string> = new Map([['xml', XML_NS]]);
  let root: Element | undefined;
  let position = 0;

  const fail = (expected: string, at = position): never => {
    throw malformed(at, expected, canonical);
  };

  const decode = (raw: string, start: number, inAttribute: boolean): string => {
    if (!raw.includes('&')) return raw;
    let result = '';
    let last = 0;
    for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', last)) {
      const semicolon = raw.indexOf(';', amp);
      const name = semicolon === -1 ? '' : raw.slice(amp + 1, semicolon);
      let value: string | undefined;
      if (canonical) {
        const allowed = inAttribute ? CANONICAL_ATTRIBUTE_REFERENCES : CANONICAL_TEXT_REFERENCES;
        if (allowed.has(name))
          value = name.startsWith('#') ? String.fromCharCode(parseInt(name.slice(2), 16)) : PREDEFINED[name];
      } else if (Object.hasOwn(PREDEFINED, name)) {
        value = PREDEFINED[name];
      } else if (/^#[0-9]{1,7}$|^#x[0-9A-Fa-f]{1,6}$/.test(name)) {
        const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        const valid =
          code === 0x9 ||
          code === 0xa ||
          code === 0xd ||
          (code >= 0x20 && code <= 0xd7ff) ||
          (code >= 0xe000 && code <= 0xfffd) ||
          (code >= 0x10000 && code <= 0x10ffff);
        if (valid) value = String.fromCodePoint(code);
      }
      if (value === undefined) fail('a predefined entity or a valid character reference', start + amp);
      result += raw.slice(last, amp) + value;
      last = semicolon + 1;
    }
    return result + raw.slice(last);
  };

  const skipWhitespace = (): number => {
    WHITESPACE.lastIndex = position;
    WHITESPACE.exec(text);
    const skipped = WHITESPACE.lastIndex - position;
    position = WHITESPACE.lastIndex;
    return skipped;
  };

  const readName = (): string => {
    QNAME.lastIndex = position;
    const name = QNAME.exec(text)?.[0];
    if (name === undefined) return fail('a name');
    position += name.length;
    return name;
  };

  const appendNode = (node: Node): void => {
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.element.appendChild(node);
    else if (node.nodeType === 1) document.appendChild(node);
    // Comments outside the root element are dropped; they carry nothing.
  };

  if (!canonical && text.startsWith('<?xml') && /^<\?xml[ \t\n]/.test(text)) {
    const end = text.indexOf('?>');
    if (end === -1) fail('the end of the XML declaration');
    position = end + 2;
  }

  while (position < text.length) {
    const open = text.indexOf('<', position);
    if (open !== position) {
      const end = open === -1 ? text.length : open;
      const raw = text.slice(position, end);
      if (stack.length === 0) {
        if (/[^ \t\n]/.test(raw)) {
          throw new ClaimsgateError(
            'CG_XML_MULTIPLE_ROOTS',
            'The XML document has text outside its root element.',
            {
              detail: { expected: 'only the root element, comments and whitespace' },
            },
          );
        }
      } else {
        if (raw.includes(']]>')) fail('text without "]]>"');
        // Canonical text escapes ">" and carriage returns.
        if (canonical && /[>\r]/.test(raw)) fail('text with ">" and CR escaped');
        appendNode(document.createTextNode(decode(raw, position, false)));
      }
      position = end;
      continue;
    }
    const next = text.charCodeAt(position + 1);
    if (next === 0x2f /* / */) {
      const frame = stack.pop();
      if (frame === undefined) return fail('a start tag before an end tag');
      const close = `</${frame.qname}`;
      if (!text.startsWith(close, position)) fail(`</${frame.qname}>`);
      position += close.length;
      if (!canonical) skipWhitespace();
      if (text.charCodeAt(position) !== 0x3e) fail(`</${frame.qname}>`);
      position += 1;
      continue;
    }
    if (next === 0x21 /* ! */) {
      if (canonical) fail('an element (canonical XML has no comments or CDATA)');
      if (text.startsWith('<!--', position)) {
        const end = text.indexOf('-->', position + 4);
        if (end === -1) fail('the end of the comment');
        const data = text.slice(position + 4, end);
        if (data.includes('--') || data.endsWith('-')) fail('a comment without "--"');
        appendNode(document.createComment(data));
        position = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', position)) {
        if (stack.length === 0) fail('CDATA inside an element');
        const end = text.indexOf(']]>', position + 9);
        if (end === -1) fail('the end of the CDATA section');
        appendNode(document.createCDATASection(text.slice(position + 9, end)));
        position = end + 3;
        continue;
      }
      throw new ClaimsgateError('CG_XML_DTD_FORBIDDEN', 'The XML document contains a markup declaration.', {
        detail: { observed: text.slice(position, position + 12), expected: 'no DTD' },
      });
    }
    if (next === 0x3f /* ? */) {
      if (canonical) fail('an element (canonical XML has no processing instructions)');
      position += 2;
      const target = readName();
      if (target.toLowerCase() === 'xml') fail('no XML declaration after the start of the document');
      const end = text.indexOf('?>', position);
      if (end === -1) fail('the end of the processing instruction');
      const data = text.slice(position, end).replace(/^[ \t\n]+/, '');
      if (stack.length === 0) {
        throw new ClaimsgateError(
          'CG_XML_MULTIPLE_ROOTS',
          `The XML document has a processing instruction <?${target}?> outside its root element.`,
          { detail: { observed: target, expected: 'only the root element, comments and whitespace' } },
        );
      }
      appendNode(document.createProcessingInstruction(target, data));
      position = end + 2;
      continue;
    }

    // A start tag.
    if (root !== undefined && stack.length === 0) {
      throw new ClaimsgateError('CG_XML_MULTIPLE_ROOTS', 'The XML document has more than one root element.', {
        detail: { expected: 'exactly one root element' },
      });
    }
    position += 1;
    const qname = readName();
    const parentNamespaces = stack[stack.length - 1]?.namespaces ?? rootNamespaces;
    let namespaces = parentNamespaces;
    const attributes: Array<{ name: string; value: string }> = [];
    let selfClosing = false;
    for (;;) {
      const spaces = canonical
        ? text.charCodeAt(position) === 0x20
          ? ((position += 1), 1)
          : 0
        : skipWhitespace();
      const c = text.charCodeAt(position);
      if (c === 0x3e /* > */) {
        if (canonical && spaces > 0) fail('">" right after the last attribute');
        position += 1;
        break;
      }
      if (c === 0x2f /* / */ && text.charCodeAt(position + 1) === 0x3e) {
        if (canonical) fail('">" (canonical XML has no empty-element tags)');
        position += 2;
        selfClosing = true;
        break;
      }
      if (spaces === 0) fail('whitespace before an attribute, or the end of the tag');
      const name = readName();
      if (!canonical) skipWhitespace();
      if (text.charCodeAt(position) !== 0x3d /* = */) fail(`"=" after attribute ${name}`);
      position += 1;
      if (!canonical) skipWhitespace();
      const quote = text.charCodeAt(position);
      if (quote !== 0x22 && (canonical || quote !== 0x27))
        fail(canonical ? 'a double-quoted value' : 'a quoted value');
      const valueStart = position + 1;
      const valueEnd = text.indexOf(quote === 0x22 ? '"' : "'", valueStart);
      if (valueEnd === -1) fail('the closing quote of the attribute value');
      const raw = text.slice(valueStart, valueEnd);
      if (raw.includes('<')) fail('an attribute value without "<"', valueStart);
      if (canonical && /[\t\n\r]/.test(raw))
        fail('an attribute value with TAB, LF and CR escaped', valueStart);
      // XML 1.0 §3.3.3: literal whitespace characters in a value become spaces; references do not.
      const value = decode(raw.replace(/[\t\n\r]/g, ' '), valueStart, true);
      if (attributes.some((attribute) => attribute.name === name)) fail(`a single attribute ${name}`);
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        const prefix = name === 'xmlns' ? '' : name.slice(6);
        if (prefix !== '' && value === '') fail(`a namespace name for prefix ${prefix}`);
        if (prefix === 'xmlns' || (prefix === 'xml') !== (value === XML_NS))
          fail('a permitted namespace declaration');
        if (namespaces === parentNamespaces) namespaces = new Map(parentNamespaces);
        (namespaces as Map<string, string>).set(prefix, value);
      }
      attributes.push({ name, value });
      position = valueEnd + 1;
    }

    const colon = qname.indexOf(':');
    const prefix = colon === -1 ? '' : qname.slice(0, colon);
    const namespace = namespaces.get(prefix);
    if (prefix !== '' && namespace === undefined) fail(`a declaration of namespace prefix "${prefix}"`);
    const element = document.createElementNS(
      namespace === undefined || namespace === '' ? null : namespace,
      qname,
    );
    const seen = new Set<string>();
    for (const { name, value } of attributes) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        element.setAttributeNS(XMLNS_NS, name, value);
        continue;
      }
      const attributeColon = name.indexOf(':');
      const attributeNamespace = attributeColon === -1 ? null : namespaces.get(name.slice(0, attributeColon));
      if (attributeNamespace === undefined || attributeNamespace === '') {
        fail(`a declaration of namespace prefix "${name.slice(0, attributeColon)}"`);
      }
      // Namespaces in XML §6.3: no two attributes with the same expanded name.
      const expanded = `${attributeNamespace ?? ''} ${attributeColon === -1 ? name : name.slice(attributeColon + 1)}`;
      if (seen.has(expanded)) fail(`a single attribute ${name}`);
      seen.add(expanded);
      element.setAttributeNS(attributeNamespace ?? null, name, value);
    }
    appendNode(element);
    if (root === undefined) root = element;
    if (!selfClosing) {
      stack.push({ element, qname, namespaces });
      if (stack.length > maxDepth) {
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
  if (stack.length > 0) fail(`</${stack[stack.length - 1]!.qname}>`);
  if (root === undefined) fail('an element');
  return document;
}
