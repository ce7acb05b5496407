/**
 * The tree half of the XML parser: builds claimsgate's own read-only nodes
 * (light-dom.ts) from the tokens of tokenize-xml.ts, resolving namespaces,
 * matching end tags, and enforcing the document's shape and its limits.
 */
import { ClaimsgateError } from '../lib/errors.js';
import {
  AttributeNode,
  CDATA_SECTION_NODE,
  CommentNode,
  DocumentNode,
  ElementNode,
  ProcessingInstructionNode,
  TEXT_NODE,
  TextNode,
  XML_NAMESPACE,
  XMLNS_NAMESPACE,
  type BuiltChildNode,
  type XmlDocument,
} from './light-dom.js';
import {
  XmlTokenizer,
  limitError,
  type StartTagToken,
  type TextToken,
  type TokenizeOptions,
} from './tokenize-xml.js';

/** The attributes of every element that has none: one shared empty list. */
const NO_ATTRIBUTES: readonly AttributeNode[] = Object.freeze([]);

/** What the builder enforces beyond well-formedness. Every limit is unlimited unless given. */
export interface BuildOptions extends TokenizeOptions {
  /** Deepest accepted element nesting; refused as soon as it is passed. */
  readonly maxDepth?: number;
  /** Most namespace declarations in the whole document. */
  readonly maxNamespaceDeclarations?: number;
  /** Most elements in the document. */
  readonly maxElements?: number;
  /**
   * Most nodes in the tree: elements, attributes (namespace declarations
   * included), text, CDATA sections, comments and processing instructions.
   */
  readonly maxNodes?: number;
}

/**
 * The namespace bindings in scope, as one stack of URIs per prefix: a
 * declaration pushes, the end of its element pops, a lookup reads the top.
 * Nothing is copied per element, so an element costs the same however many
 * namespaces its ancestors declared (Namespaces in XML 1.0 §6.1, scoping).
 */
class NamespaceScope {
  readonly #bindings = new Map<string, string[]>([['xml', [XML_NAMESPACE]]]);

  /** The namespace `prefix` is bound to (`''` for the default namespace), if any. */
  lookup(prefix: string): string | undefined {
    const stack = this.#bindings.get(prefix);
    return stack === undefined ? undefined : stack[stack.length - 1];
  }

  bind(prefix: string, namespace: string): void {
    const stack = this.#bindings.get(prefix);
    if (stack === undefined) this.#bindings.set(prefix, [namespace]);
    else stack.push(namespace);
  }

  /** Ends the bindings an element made, given the prefixes it declared. */
  unbind(prefixes: readonly string[]): void {
    for (const prefix of prefixes) this.#bindings.get(prefix)!.pop();
  }
}

/** Builds the tree from the tokens, counting against the limits as it goes. */
class TreeBuilder {
  readonly #tokenizer: XmlTokenizer;
  readonly #document = new DocumentNode();
  readonly #scope = new NamespaceScope();
  /** The open elements, innermost last; their names are what the end tags must match. */
  readonly #stack: ElementNode[] = [];
  /** For each open element, the prefixes it declared, unbound at its end tag. */
  readonly #declaredStack: Array<readonly string[] | undefined> = [];
  /** Expanded attribute name → number of the element that last used it (see XmlTokenizer). */
  readonly #expandedSeenIn = new Map<string, number>();
  readonly #maxDepth: number;
  readonly #maxDeclarations: number;
  readonly #maxElements: number;
  readonly #maxNodes: number;
  #root: ElementNode | undefined;
  #declarations = 0;
  #elements = 0;
  #nodes = 0;

  constructor(input: string, options: BuildOptions) {
    this.#tokenizer = new XmlTokenizer(input, options);
    this.#maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
    this.#maxDeclarations = options.maxNamespaceDeclarations ?? Number.POSITIVE_INFINITY;
    this.#maxElements = options.maxElements ?? Number.POSITIVE_INFINITY;
    this.#maxNodes = options.maxNodes ?? Number.POSITIVE_INFINITY;
  }

  build(): XmlDocument {
    const tokenizer = this.#tokenizer;
    for (let token = tokenizer.next(); token !== undefined; token = tokenizer.next()) {
      switch (token.kind) {
        case 'start':
          this.#startElement(token);
          break;
        case 'end': {
          const element = this.#stack.pop();
          if (element === undefined) return tokenizer.fail('a start tag before an end tag', token.offset);
          if (token.name !== element.nodeName) tokenizer.fail(`</${element.nodeName}>`, token.offset);
          const declared = this.#declaredStack.pop();
          if (declared !== undefined) this.#scope.unbind(declared);
          break;
        }
        case 'text':
          this.#text(token);
          break;
        case 'cdata':
          if (this.#stack.length === 0) tokenizer.fail('CDATA inside an element', token.offset);
          this.#append(
            new TextNode(CDATA_SECTION_NODE, '#cdata-section', this.#parent(), token.value),
            token.end,
          );
          break;
        case 'comment':
          // Comments outside the root element are dropped; they carry nothing.
          if (this.#stack.length > 0) this.#append(new CommentNode(this.#parent(), token.value), token.end);
          break;
        case 'pi':
          if (this.#stack.length === 0) {
            throw new ClaimsgateError(
              'CG_XML_MULTIPLE_ROOTS',
              `The XML document has a processing instruction <?${token.target}?> outside its root element.`,
              {
                detail: {
                  observed: token.target,
                  expected: 'only the root element, comments and whitespace',
                },
              },
            );
          }
          this.#append(new ProcessingInstructionNode(this.#parent(), token.target, token.data), token.end);
          break;
      }
    }
    const open = this.#stack[this.#stack.length - 1];
    if (open !== undefined) tokenizer.fail(`</${open.nodeName}>`);
    if (this.#root === undefined) tokenizer.fail('an element');
    return this.#document;
  }

  #text(token: TextToken): void {
    if (this.#stack.length === 0) {
      if (XmlTokenizer.isWhitespace(token)) return;
      throw new ClaimsgateError(
        'CG_XML_MULTIPLE_ROOTS',
        'The XML document has text outside its root element.',
        {
          detail: { expected: 'only the root element, comments and whitespace' },
        },
      );
    }
    this.#append(
      new TextNode(TEXT_NODE, '#text', this.#parent(), this.#tokenizer.decodeText(token)),
      token.end,
    );
  }

  #startElement(token: StartTagToken): void {
    const tokenizer = this.#tokenizer;
    const scope = this.#scope;
    if (this.#root !== undefined && this.#stack.length === 0) {
      throw new ClaimsgateError('CG_XML_MULTIPLE_ROOTS', 'The XML document has more than one root element.', {
        detail: { expected: 'exactly one root element' },
      });
    }
    this.#elements += 1;
    if (this.#elements > this.#maxElements) {
      throw limitError(
        'CG_XML_TOO_MANY_ELEMENTS',
        `The XML document has more than ${this.#maxElements} elements.`,
        this.#maxElements,
        { offset: token.offset },
      );
    }
    this.#nodes += 1 + token.attributes.length;
    if (this.#nodes > this.#maxNodes) {
      throw limitError(
        'CG_XML_TOO_MANY_NODES',
        `The XML document has more than ${this.#maxNodes} nodes.`,
        this.#maxNodes,
        { offset: token.offset },
      );
    }

    let declared: string[] | undefined;
    if (token.declarations > 0) {
      declared = [];
      for (const { name, value, declaration, offset } of token.attributes) {
        if (!declaration) continue;
        const prefix = name.length === 5 ? '' : name.slice(6);
        if (prefix !== '' && value === '') tokenizer.fail(`a namespace name for prefix ${prefix}`, offset);
        // Namespaces in XML 1.0 §3: xmlns is never declared, xml only to its own
        // namespace, and nothing is bound to the xmlns namespace. SECURITY: an
        // attribute `p:fed` with p bound to it would look like a declaration of
        // fed to a reader that tells declarations by their namespace.
        if (
          prefix === 'xmlns' ||
          (prefix === 'xml') !== (value === XML_NAMESPACE) ||
          value === XMLNS_NAMESPACE
        )
          tokenizer.fail('a permitted namespace declaration', offset);
        scope.bind(prefix, value);
        declared.push(prefix);
      }
      this.#declarations += declared.length;
      if (this.#declarations > this.#maxDeclarations) {
        throw limitError(
          'CG_XML_TOO_MANY_NAMESPACES',
          `The XML document declares more than ${this.#maxDeclarations} namespaces.`,
          this.#maxDeclarations,
          { scope: 'document', offset: token.offset },
        );
      }
    }

    const name = token.name;
    const colon = name.indexOf(':');
    const prefix = colon === -1 ? '' : name.slice(0, colon);
    const namespace = scope.lookup(prefix);
    if (prefix !== '' && namespace === undefined)
      tokenizer.fail(`a declaration of namespace prefix "${prefix}"`, token.offset);
    // Two attributes besides declarations are needed for a duplicate expanded name.
    const checkExpanded = token.attributes.length - token.declarations > 1;
    const attributes: AttributeNode[] = [];
    for (const attribute of token.attributes) {
      if (attribute.declaration) {
        // As the DOM has them: `xmlns` unprefixed, `xmlns:p` with prefix xmlns and local name p.
        attributes.push(
          attribute.name.length === 5
            ? new AttributeNode('xmlns', 'xmlns', null, XMLNS_NAMESPACE, attribute.value)
            : new AttributeNode(
                attribute.name,
                attribute.name.slice(6),
                'xmlns',
                XMLNS_NAMESPACE,
                attribute.value,
              ),
        );
        continue;
      }
      if (attribute.colon === -1) {
        // Unprefixed: no namespace. Unique by qualified name already, and no
        // prefixed attribute can share its (empty) namespace.
        attributes.push(new AttributeNode(attribute.name, attribute.name, null, null, attribute.value));
        continue;
      }
      const attributePrefix = attribute.name.slice(0, attribute.colon);
      const attributeNamespace = scope.lookup(attributePrefix);
      if (attributeNamespace === undefined || attributeNamespace === '')
        return tokenizer.fail(`a declaration of namespace prefix "${attributePrefix}"`, attribute.offset);
      // Namespaces in XML §6.3: no two attributes with the same expanded name.
      if (checkExpanded) {
        const expanded = `${attributeNamespace} ${attribute.name.slice(attribute.colon + 1)}`;
        if (this.#expandedSeenIn.get(expanded) === this.#elements)
          tokenizer.fail(`a single attribute ${attribute.name}`, attribute.offset);
        this.#expandedSeenIn.set(expanded, this.#elements);
      }
      attributes.push(
        new AttributeNode(
          attribute.name,
          attribute.name.slice(attribute.colon + 1),
          attributePrefix,
          attributeNamespace,
          attribute.value,
        ),
      );
    }

    const open = this.#stack[this.#stack.length - 1];
    const element = new ElementNode(
      open ?? this.#document,
      name,
      colon === -1 ? name : name.slice(colon + 1),
      colon === -1 ? null : prefix,
      namespace === undefined || namespace === '' ? null : namespace,
      attributes.length === 0 ? NO_ATTRIBUTES : attributes,
    );
    if (open === undefined) this.#document.documentElement = element;
    else this.#link(open, element);
    if (this.#root === undefined) this.#root = element;
    if (token.selfClosing) {
      if (declared !== undefined) scope.unbind(declared);
      return;
    }
    this.#stack.push(element);
    this.#declaredStack.push(declared);
    if (this.#stack.length > this.#maxDepth) {
      throw new ClaimsgateError(
        'CG_XML_TOO_DEEP',
        `The XML nests elements more than ${this.#maxDepth} levels deep.`,
        {
          detail: { observed: `> ${this.#maxDepth}`, expected: `<= ${this.#maxDepth}` },
        },
      );
    }
  }

  /** The element a node that is not an element goes in: there is one, or the token was refused. */
  #parent(): ElementNode {
    return this.#stack[this.#stack.length - 1]!;
  }

  /** Appends a node that is not an element to the open element, counting it; `end` is where its token ends. */
  #append(node: BuiltChildNode, end: number): void {
    this.#nodes += 1;
    if (this.#nodes > this.#maxNodes) {
      throw limitError(
        'CG_XML_TOO_MANY_NODES',
        `The XML document has more than ${this.#maxNodes} nodes.`,
        this.#maxNodes,
        { offset: end },
      );
    }
    this.#link(this.#parent(), node);
  }

  /** Makes `node` the last child of `parent`. */
  #link(parent: ElementNode, node: BuiltChildNode): void {
    const last = parent.lastChild;
    if (last === null) parent.firstChild = node;
    else last.nextSibling = node;
    parent.lastChild = node;
  }
}

/**
 * Builds a tree of claimsgate's own read-only nodes (light-dom.ts) from XML
 * text, in one pass: the tokens of {@link XmlTokenizer}, assembled into a tree.
 *
 * It is a strict, non-validating parser for what federation documents and
 * tokens use — elements, attributes, namespaces, text, character and
 * predefined entity references, CDATA, comments and processing instructions
 * — and it refuses the rest: a DTD, an undefined entity, a bare `&`, an
 * undeclared prefix, a duplicate attribute, a mismatched end tag, `]]>` in
 * text, `--` in a comment, a character XML does not allow (an unpaired
 * surrogate included). It reads XML 1.0 as XML 1.0 (Fifth Edition) says, as
 * the XML-DSig signers of identity providers read it, and otherwise exactly
 * as xmldom's own parser does, which a differential test checks over every
 * fixture and a fuzzed corpus. Where xmldom departs from XML 1.0 it is not
 * followed: it turns NEL (U+0085) and LINE SEPARATOR (U+2028) into LF, as
 * XML 1.1 §2.11 does, and refuses names with characters above the BMP. It is
 * several times faster, which the token path needs.
 *
 * Its cost is linear in the input for every shape: namespace scope is kept
 * as per-prefix stacks (no copy per element), a duplicate attribute is found
 * with one lookup (no rescan), and every limit in `options` is checked as the
 * count passes it, before the rest of the document is read.
 *
 * The caller has already refused DOCTYPEs and capped the size.
 *
 * @throws ClaimsgateError `CG_XML_MALFORMED`, `CG_XML_MULTIPLE_ROOTS`, `CG_XML_DTD_FORBIDDEN`,
 *   `CG_XML_TOO_DEEP`, `CG_XML_TOO_MANY_ATTRIBUTES`, `CG_XML_TOO_MANY_NAMESPACES`,
 *   `CG_XML_TOO_MANY_ELEMENTS`, `CG_XML_TOO_MANY_NODES`.
 * @see Namespaces in XML 1.0 (Third Edition) §3, §5, §6.
 */
export function buildDom(input: string, options: BuildOptions = {}): XmlDocument {
  return new TreeBuilder(input, options).build();
}
