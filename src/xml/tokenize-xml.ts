/**
 * The lexical half of the XML parser: turns text into tags, character data,
 * comments and processing instructions, in one forward pass, checking
 * everything that can be checked without knowing the tree (names, quoting,
 * references, the characters XML allows, the canonical grammar). Namespaces,
 * nesting and the document's shape are the tree builder's (build-dom.ts).
 *
 * Every step moves the position forward over the characters it examines, and
 * no character is examined twice except by a constant number of searches for
 * a delimiter, so the cost is linear in the input whatever its shape.
 */
import { ClaimsgateError } from '../lib/errors.js';

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
// ranges are those of XML 1.0 (Fifth Edition) §2.3, the planes above the BMP
// included (libxml2, and so libxmlsec signers, read them).
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// eslint-disable-next-line no-misleading-character-class -- the ranges of XML's NameChar include combining marks on purpose.
const QNAME = new RegExp(`[${NAME_START}][${NAME_CHAR}]*(?::[${NAME_START}][${NAME_CHAR}]*)?`, 'uy');
const NOT_WHITESPACE = /[^ \t\n]/;
/** What makes an attribute value need more than slicing. */
const ATTRIBUTE_VALUE_SPECIAL = /[<&\t\n\r]/;
/** Characters XML 1.0 allows in a document (§2.2), after line-ending normalisation. */
// eslint-disable-next-line no-control-regex -- these are exactly the control characters XML forbids.
const INVALID_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
/** `String.prototype.isWellFormed` (ES2024, in Node 20): false when a surrogate is not half of a pair. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CHARACTER_REFERENCE = /^#[0-9]{1,7}$|^#x[0-9A-Fa-f]{1,6}$/;

/** ASCII name characters, for the fast path of {@link XmlTokenizer.readName}: 1 start, 2 other. */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  const char = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(char)) ASCII_NAME[c] = 1;
  else if (/[-.0-9]/.test(char)) ASCII_NAME[c] = 2;
}
const COLON = 0x3a;

/** An attribute as written in a start tag: its qualified name and its normalised, decoded value. */
export interface XmlAttributeToken {
  readonly name: string;
  readonly value: string;
  /** True for a namespace declaration (`xmlns`, `xmlns:p`). */
  readonly declaration: boolean;
  /** Where the prefix ends in `name` (-1: no prefix). */
  readonly colon: number;
  /** Offset of the attribute's name in the (line-normalised) text. */
  readonly offset: number;
}

/** `<name attr="value" …>` or `<name …/>`. */
export interface StartTagToken {
  readonly kind: 'start';
  readonly name: string;
  /** In document order; namespace declarations (`xmlns`, `xmlns:p`) included. */
  readonly attributes: readonly XmlAttributeToken[];
  /** How many of `attributes` are namespace declarations. */
  readonly declarations: number;
  readonly selfClosing: boolean;
  readonly offset: number;
  readonly end: number;
}

/** `</name>`. */
export interface EndTagToken {
  readonly kind: 'end';
  readonly name: string;
  readonly offset: number;
  readonly end: number;
}

/**
 * A run of character data. Its value is decoded only on request
 * ({@link XmlTokenizer.decodeText}): text outside the root element is
 * refused as such, whatever it contains.
 */
export interface TextToken {
  readonly kind: 'text';
  readonly raw: string;
  readonly offset: number;
  readonly end: number;
}

export interface CDataToken {
  readonly kind: 'cdata';
  readonly value: string;
  readonly offset: number;
  readonly end: number;
}

export interface CommentToken {
  readonly kind: 'comment';
  readonly value: string;
  readonly offset: number;
  readonly end: number;
}

export interface ProcessingInstructionToken {
  readonly kind: 'pi';
  readonly target: string;
  readonly data: string;
  readonly offset: number;
  readonly end: number;
}

/**
 * One token. `offset` is where it starts and `end` where the next one does,
 * in the line-normalised text, so that a consumer never needs the tokenizer's
 * position.
 */
export type XmlToken =
  StartTagToken | EndTagToken | TextToken | CDataToken | CommentToken | ProcessingInstructionToken;

/** What the tokenizer enforces beyond the grammar. */
export interface TokenizeOptions {
  /**
   * Accept only the output of exclusive canonicalisation: no declaration,
   * comment, processing instruction, CDATA or empty-element tag; double quotes;
   * single spaces between attributes; only the references c14n writes.
   */
  readonly canonical?: boolean;
  /** Most attributes on one element, namespace declarations not counted. Default unlimited. */
  readonly maxAttributesPerElement?: number;
  /** Most namespace declarations on one element. Default unlimited. */
  readonly maxNamespaceDeclarationsPerElement?: number;
}

/** A `CG_XML_MALFORMED` error at `position`, worded for plain or canonical XML. */
export function malformed(position: number, expected: string, canonical: boolean): ClaimsgateError {
  return new ClaimsgateError(
    'CG_XML_MALFORMED',
    canonical
      ? `The signed content is not in canonical form at offset ${position}: expected ${expected}.`
      : `The XML is not well-formed at offset ${position}: expected ${expected}.`,
    { detail: { observed: `offset ${position}`, expected } },
  );
}

/** True for `xmlns` and `xmlns:p`: the attribute names that declare a namespace. */
export function isNamespaceDeclaration(name: string): boolean {
  return name.startsWith('xmlns') && (name.length === 5 || name.charCodeAt(5) === COLON);
}

/**
 * Reads XML text token by token (`next()` until it returns `undefined`).
 *
 * Line endings are normalised first, as XML 1.0 §2.11 says: CR LF and a lone
 * CR become LF; NEL (U+0085) and LINE SEPARATOR (U+2028) are characters like
 * any other (xmldom applies XML 1.1's rules and turns them into LF too, which
 * no standard XML-DSig signer does). Canonical text has none to normalise. An XML declaration at the very start is skipped. A DTD
 * or any other markup declaration is refused (`CG_XML_DTD_FORBIDDEN`).
 *
 * @throws ClaimsgateError `CG_XML_MALFORMED`, `CG_XML_DTD_FORBIDDEN`,
 *   `CG_XML_TOO_MANY_ATTRIBUTES`, `CG_XML_TOO_MANY_NAMESPACES`.
 */
export class XmlTokenizer {
  readonly canonical: boolean;
  readonly #text: string;
  readonly #maxAttributes: number;
  readonly #maxDeclarations: number;
  #position = 0;
  /**
   * Attribute name → the number of the start tag that last used it: a
   * duplicate is found with one lookup, without clearing anything per tag.
   */
  readonly #attributeSeenIn = new Map<string, number>();
  #tagNumber = 0;

  constructor(input: string, options: TokenizeOptions = {}) {
    this.canonical = options.canonical === true;
    this.#maxAttributes = options.maxAttributesPerElement ?? Number.POSITIVE_INFINITY;
    this.#maxDeclarations = options.maxNamespaceDeclarationsPerElement ?? Number.POSITIVE_INFINITY;
    // XML 1.0 §2.11: CR LF and a CR alone become LF, and nothing else does
    // (NEL and LINE SEPARATOR are line ends in XML 1.1 only). Canonical text
    // has no literal CR to normalise.
    const text = this.canonical || !input.includes('\r') ? input : input.replace(/\r\n?/g, '\n');
    const invalid = INVALID_CHARACTER.exec(text);
    if (invalid !== null) throw malformed(invalid.index, 'only characters XML allows', this.canonical);
    // XML 1.0 §2.2: a surrogate is no character; a string may hold one unpaired,
    // which UTF-8 would turn into U+FFFD in the digested bytes but not in the tree.
    if (!(text as unknown as WellFormedCheck).isWellFormed()) {
      const at = LONE_SURROGATE.exec(text)?.index ?? 0;
      throw malformed(at, 'only characters XML allows', this.canonical);
    }
    this.#text = text;
    if (!this.canonical && text.startsWith('<?xml') && /^<\?xml[ \t\n]/.test(text)) {
      const end = text.indexOf('?>');
      if (end === -1) this.fail('the end of the XML declaration');
      this.#position = end + 2;
    }
  }

  /** Throws `CG_XML_MALFORMED` for the current position (or `at`). */
  fail(expected: string, at = this.#position): never {
    throw malformed(at, expected, this.canonical);
  }

  /** The next token, or `undefined` at the end of the text. */
  next(): XmlToken | undefined {
    const text = this.#text;
    const position = this.#position;
    if (position >= text.length) return undefined;
    const open = text.indexOf('<', position);
    if (open !== position) {
      const end = open === -1 ? text.length : open;
      this.#position = end;
      return { kind: 'text', raw: text.slice(position, end), offset: position, end };
    }
    const next = text.charCodeAt(position + 1);
    if (next === 0x2f /* / */) return this.#readEndTag();
    if (next === 0x21 /* ! */) return this.#readDeclaration();
    if (next === 0x3f /* ? */) return this.#readProcessingInstruction();
    return this.#readStartTag();
  }

  /** True when a text token is only XML whitespace. */
  static isWhitespace(token: TextToken): boolean {
    return !NOT_WHITESPACE.test(token.raw);
  }

  /**
   * The value of character data inside an element: `]]>` refused, references
   * decoded (in canonical text, `>` and CR must be escaped).
   */
  decodeText(token: TextToken): string {
    const raw = token.raw;
    if (raw.includes(']]>')) this.fail('text without "]]>"', token.offset);
    // Canonical text escapes ">" and carriage returns.
    if (this.canonical && /[>\r]/.test(raw)) this.fail('text with ">" and CR escaped', token.offset);
    return this.#decode(raw, token.offset, false);
  }

  #readEndTag(): EndTagToken {
    const offset = this.#position;
    this.#position += 2;
    const name = this.#readName();
    if (!this.canonical) this.#skipWhitespace();
    if (this.#text.charCodeAt(this.#position) !== 0x3e) this.fail(`</${name}>`);
    this.#position += 1;
    return { kind: 'end', name, offset, end: this.#position };
  }

  #readDeclaration(): CommentToken | CDataToken {
    const text = this.#text;
    const offset = this.#position;
    if (this.canonical) this.fail('an element (canonical XML has no comments or CDATA)');
    if (text.startsWith('<!--', offset)) {
      const end = text.indexOf('-->', offset + 4);
      if (end === -1) this.fail('the end of the comment');
      const value = text.slice(offset + 4, end);
      if (value.includes('--') || value.endsWith('-')) this.fail('a comment without "--"');
      this.#position = end + 3;
      return { kind: 'comment', value, offset, end: this.#position };
    }
    if (text.startsWith('<![CDATA[', offset)) {
      const end = text.indexOf(']]>', offset + 9);
      if (end === -1) this.fail('the end of the CDATA section');
      this.#position = end + 3;
      return { kind: 'cdata', value: text.slice(offset + 9, end), offset, end: this.#position };
    }
    throw new ClaimsgateError('CG_XML_DTD_FORBIDDEN', 'The XML document contains a markup declaration.', {
      detail: { observed: text.slice(offset, offset + 12), expected: 'no DTD' },
    });
  }

  #readProcessingInstruction(): ProcessingInstructionToken {
    const offset = this.#position;
    if (this.canonical) this.fail('an element (canonical XML has no processing instructions)');
    this.#position += 2;
    const target = this.#readName();
    if (target.toLowerCase() === 'xml') this.fail('no XML declaration after the start of the document');
    const end = this.#text.indexOf('?>', this.#position);
    if (end === -1) this.fail('the end of the processing instruction');
    const data = this.#text.slice(this.#position, end).replace(/^[ \t\n]+/, '');
    this.#position = end + 2;
    return { kind: 'pi', target, data, offset, end: this.#position };
  }

  #readStartTag(): StartTagToken {
    const text = this.#text;
    const canonical = this.canonical;
    const offset = this.#position;
    this.#position += 1;
    const name = this.#readName();
    const tagNumber = (this.#tagNumber += 1);
    const attributes: XmlAttributeToken[] = [];
    let declarations = 0;
    for (;;) {
      let spaces: number;
      if (!canonical) spaces = this.#skipWhitespace();
      else if (text.charCodeAt(this.#position) === 0x20) {
        this.#position += 1;
        spaces = 1;
      } else spaces = 0;
      const c = text.charCodeAt(this.#position);
      if (c === 0x3e /* > */) {
        if (canonical && spaces > 0) this.fail('">" right after the last attribute');
        this.#position += 1;
        return {
          kind: 'start',
          name,
          attributes,
          declarations,
          selfClosing: false,
          offset,
          end: this.#position,
        };
      }
      if (c === 0x2f /* / */ && text.charCodeAt(this.#position + 1) === 0x3e) {
        if (canonical) this.fail('">" (canonical XML has no empty-element tags)');
        this.#position += 2;
        return {
          kind: 'start',
          name,
          attributes,
          declarations,
          selfClosing: true,
          offset,
          end: this.#position,
        };
      }
      if (spaces === 0) this.fail('whitespace before an attribute, or the end of the tag');
      const attributeOffset = this.#position;
      const attributeName = this.#readName();
      if (!canonical) this.#skipWhitespace();
      if (text.charCodeAt(this.#position) !== 0x3d /* = */) this.fail(`"=" after attribute ${attributeName}`);
      this.#position += 1;
      if (!canonical) this.#skipWhitespace();
      const quote = text.charCodeAt(this.#position);
      if (quote !== 0x22 && (canonical || quote !== 0x27))
        this.fail(canonical ? 'a double-quoted value' : 'a quoted value');
      const valueStart = this.#position + 1;
      const valueEnd = text.indexOf(quote === 0x22 ? '"' : "'", valueStart);
      if (valueEnd === -1) this.fail('the closing quote of the attribute value');
      const raw = text.slice(valueStart, valueEnd);
      const value = ATTRIBUTE_VALUE_SPECIAL.test(raw) ? this.#attributeValue(raw, valueStart) : raw;
      // XML 1.0 §3.1 (Unique Att Spec): one lookup, however many attributes the tag has.
      if (this.#attributeSeenIn.get(attributeName) === tagNumber)
        this.fail(`a single attribute ${attributeName}`);
      this.#attributeSeenIn.set(attributeName, tagNumber);
      const declaration = isNamespaceDeclaration(attributeName);
      if (declaration) {
        declarations += 1;
        if (declarations > this.#maxDeclarations) {
          throw limitError(
            'CG_XML_TOO_MANY_NAMESPACES',
            `An element <${name}> declares more than ${this.#maxDeclarations} namespaces.`,
            this.#maxDeclarations,
            { scope: 'element', element: name, offset },
          );
        }
      } else if (attributes.length - declarations >= this.#maxAttributes) {
        throw limitError(
          'CG_XML_TOO_MANY_ATTRIBUTES',
          `An element <${name}> has more than ${this.#maxAttributes} attributes.`,
          this.#maxAttributes,
          { element: name, offset },
        );
      }
      attributes.push({
        name: attributeName,
        value,
        declaration,
        colon: attributeName.indexOf(':'),
        offset: attributeOffset,
      });
      this.#position = valueEnd + 1;
    }
  }

  /** A value with `<`, `&` or literal whitespace in it: checked, normalised and decoded. */
  #attributeValue(raw: string, valueStart: number): string {
    if (raw.includes('<')) this.fail('an attribute value without "<"', valueStart);
    if (this.canonical && /[\t\n\r]/.test(raw))
      this.fail('an attribute value with TAB, LF and CR escaped', valueStart);
    // XML 1.0 §3.3.3: literal whitespace characters in a value become spaces; references do not.
    return this.#decode(raw.replace(/[\t\n\r]/g, ' '), valueStart, true);
  }

  /** Skips XML whitespace (space, TAB, LF: CR is gone after normalisation); returns how much. */
  #skipWhitespace(): number {
    const text = this.#text;
    const start = this.#position;
    let i = start;
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a; c = text.charCodeAt(i)) i += 1;
    this.#position = i;
    return i - start;
  }

  /**
   * A qualified name at the current position. ASCII names (nearly all of
   * them) are scanned by a table; a name with any other character is read by
   * the full XML Name pattern.
   */
  #readName(): string {
    const text = this.#text;
    const start = this.#position;
    let i = start;
    let c = text.charCodeAt(i);
    if (c < 128 && ASCII_NAME[c] === 1) {
      let colon = -1;
      for (i += 1; i < text.length; i += 1) {
        c = text.charCodeAt(i);
        if (c < 128) {
          if (ASCII_NAME[c] !== 0) continue;
          // A colon belongs to the name only once, and only before a name start character.
          if (c !== COLON || colon !== -1) break;
          const after = text.charCodeAt(i + 1);
          if (after >= 128) return this.#readNameByPattern();
          if (ASCII_NAME[after] !== 1) break;
          colon = i;
          continue;
        }
        return this.#readNameByPattern();
      }
      this.#position = i;
      return text.slice(start, i);
    }
    return this.#readNameByPattern();
  }

  #readNameByPattern(): string {
    QNAME.lastIndex = this.#position;
    const name = QNAME.exec(this.#text)?.[0];
    if (name === undefined) return this.fail('a name');
    this.#position += name.length;
    return name;
  }

  /** Decodes the references in `raw`; the parts are collected and joined once. */
  #decode(raw: string, start: number, inAttribute: boolean): string {
    let amp = raw.indexOf('&');
    if (amp === -1) return raw;
    const parts: string[] = [];
    let last = 0;
    for (; amp !== -1; amp = raw.indexOf('&', last)) {
      const semicolon = raw.indexOf(';', amp);
      const name = semicolon === -1 ? '' : raw.slice(amp + 1, semicolon);
      const value = this.#resolveReference(name, inAttribute);
      if (value === undefined) this.fail('a predefined entity or a valid character reference', start + amp);
      parts.push(raw.slice(last, amp), value);
      last = semicolon + 1;
    }
    parts.push(raw.slice(last));
    return parts.join('');
  }

  #resolveReference(name: string, inAttribute: boolean): string | undefined {
    if (this.canonical) {
      const allowed = inAttribute ? CANONICAL_ATTRIBUTE_REFERENCES : CANONICAL_TEXT_REFERENCES;
      if (!allowed.has(name)) return undefined;
      return name.startsWith('#') ? String.fromCharCode(parseInt(name.slice(2), 16)) : PREDEFINED[name];
    }
    if (Object.hasOwn(PREDEFINED, name)) return PREDEFINED[name];
    if (!CHARACTER_REFERENCE.test(name)) return undefined;
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    const valid =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      (code >= 0x10000 && code <= 0x10ffff);
    return valid ? String.fromCodePoint(code) : undefined;
  }
}

/** A refusal for a count past its limit, with the limit in `detail.expected`. */
export function limitError(
  code:
    | 'CG_XML_TOO_MANY_ATTRIBUTES'
    | 'CG_XML_TOO_MANY_NAMESPACES'
    | 'CG_XML_TOO_MANY_ELEMENTS'
    | 'CG_XML_TOO_MANY_NODES',
  message: string,
  limit: number,
  detail: Record<string, unknown> = {},
): ClaimsgateError {
  return new ClaimsgateError(code, message, {
    detail: { observed: `> ${limit}`, expected: `<= ${limit}`, limit, ...detail },
  });
}
