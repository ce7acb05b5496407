/**
 * claimsgate's own read-only XML tree: the nodes build-dom.ts makes from
 * untrusted XML, and the only ones the readers of tokens, signatures and
 * metadata take.
 *
 * The members keep the names and meanings of the W3C DOM (nodeType,
 * localName, namespaceURI, firstChild, getAttributeNS…) so that a reader
 * written against the DOM reads the same, but there is nothing else: no
 * mutation, no live lists, no owner document. Every field is set once by the
 * builder; attributes are a plain array in document order (namespace
 * declarations included, as the DOM keeps them), looked up by a scan, which
 * for the handful of attributes an element has is faster than any map.
 */

/** `nodeType` of an element. */
export const ELEMENT_NODE = 1;
/** `nodeType` of text. */
export const TEXT_NODE = 3;
/** `nodeType` of a CDATA section. */
export const CDATA_SECTION_NODE = 4;
/** `nodeType` of a processing instruction. */
export const PROCESSING_INSTRUCTION_NODE = 7;
/** `nodeType` of a comment. */
export const COMMENT_NODE = 8;
/** `nodeType` of the document. */
export const DOCUMENT_NODE = 9;

/** The namespace of the `xml` prefix (Namespaces in XML 1.0 §3). */
export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
/** The namespace of namespace declarations (`xmlns`, `xmlns:p`), as the DOM gives them. */
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

/** An attribute of an element, a namespace declaration included. */
export interface XmlAttribute {
  /** The qualified name as written: `ID`, `xsi:type`, `xmlns:saml`. */
  readonly name: string;
  readonly localName: string;
  /** `null` when unprefixed; `xmlns` for `xmlns:p`. */
  readonly prefix: string | null;
  /** `null` for an unprefixed attribute; {@link XMLNS_NAMESPACE} for a namespace declaration. */
  readonly namespaceURI: string | null;
  readonly value: string;
}

/** What every node below the document has. */
interface NodeLinks {
  /** The parent element (the document for the root element). */
  readonly parentNode: XmlParentNode;
  readonly nextSibling: XmlChildNode | null;
}

/** An element, with its attributes and its children. */
export interface XmlElement extends NodeLinks {
  readonly nodeType: typeof ELEMENT_NODE;
  /** The qualified name as written (`saml:Assertion`). */
  readonly nodeName: string;
  /** The same as `nodeName`. */
  readonly tagName: string;
  readonly localName: string;
  /** `null` when unprefixed. */
  readonly prefix: string | null;
  /** `null` when the element is in no namespace. */
  readonly namespaceURI: string | null;
  /** In document order, namespace declarations included. */
  readonly attributes: readonly XmlAttribute[];
  readonly firstChild: XmlChildNode | null;
  readonly lastChild: XmlChildNode | null;
  /** The concatenated text and CDATA of every descendant, in document order. */
  readonly textContent: string;
  /** The attribute with qualified name `name`, or `null`. */
  getAttributeNode(name: string): XmlAttribute | null;
  /** The value of the attribute with qualified name `name`, or `null`. */
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  /** The value of the attribute with this expanded name (`null` or `""`: no namespace), or `null`. */
  getAttributeNS(namespaceURI: string | null, localName: string): string | null;
  hasAttributeNS(namespaceURI: string | null, localName: string): boolean;
  /**
   * The namespace `prefix` is bound to here (`null` or `""`: the default
   * namespace), from the declarations on this element and its ancestors;
   * `xml` is always bound. `null` when unbound or bound to `""` (`xmlns=""`).
   */
  lookupNamespaceURI(prefix: string | null): string | null;
}

/** A run of text or a CDATA section (CDATA only in `nodeType`). */
export interface XmlText extends NodeLinks {
  readonly nodeType: typeof TEXT_NODE | typeof CDATA_SECTION_NODE;
  readonly nodeName: '#text' | '#cdata-section';
  readonly data: string;
  /** The same as `data`. */
  readonly nodeValue: string;
}

/** A comment inside the root element (those outside it are not kept). */
export interface XmlComment extends NodeLinks {
  readonly nodeType: typeof COMMENT_NODE;
  readonly nodeName: '#comment';
  readonly data: string;
  /** The same as `data`. */
  readonly nodeValue: string;
}

/** A processing instruction inside the root element. */
export interface XmlProcessingInstruction extends NodeLinks {
  readonly nodeType: typeof PROCESSING_INSTRUCTION_NODE;
  /** The same as `target`. */
  readonly nodeName: string;
  readonly target: string;
  readonly data: string;
  /** The same as `data`. */
  readonly nodeValue: string;
}

/** Any node below the document: what `firstChild` and `nextSibling` lead to. */
export type XmlChildNode = XmlElement | XmlText | XmlComment | XmlProcessingInstruction;

/** The document: its one child is the root element. */
export interface XmlDocument {
  readonly nodeType: typeof DOCUMENT_NODE;
  readonly nodeName: '#document';
  readonly parentNode: null;
  readonly nextSibling: null;
  readonly documentElement: XmlElement;
  /** The root element. */
  readonly firstChild: XmlElement;
  readonly lastChild: XmlElement;
}

/** Any node of the tree. */
export type XmlNode = XmlChildNode | XmlDocument;

/** A node that can have children. */
export type XmlParentNode = XmlElement | XmlDocument;

/** The namespace `prefix` (`""` for the default) is bound to on `element`; see {@link XmlElement.lookupNamespaceURI}. */
function lookupNamespace(element: XmlElement, prefix: string): string | null {
  if (prefix === 'xml') return XML_NAMESPACE;
  if (prefix === 'xmlns') return XMLNS_NAMESPACE;
  for (let node: XmlParentNode = element; node.nodeType === ELEMENT_NODE; node = node.parentNode) {
    for (const attribute of node.attributes) {
      // A declaration is `xmlns` or `xmlns:p` by name, whatever else is in its namespace.
      if (attribute.namespaceURI !== XMLNS_NAMESPACE || (attribute.prefix ?? attribute.name) !== 'xmlns')
        continue;
      const declared = attribute.prefix === null ? '' : attribute.localName;
      if (declared === prefix) return attribute.value === '' ? null : attribute.value;
    }
  }
  return null;
}

/** Any node below the document as the builder makes it. */
export type BuiltChildNode = ElementNode | TextNode | CommentNode | ProcessingInstructionNode;

/**
 * The builder's side of the nodes: the same shapes with their links writable.
 * Only build-dom.ts makes and links them; everything else sees the read-only
 * interfaces above.
 */
export class AttributeNode implements XmlAttribute {
  constructor(
    readonly name: string,
    readonly localName: string,
    readonly prefix: string | null,
    readonly namespaceURI: string | null,
    readonly value: string,
  ) {}
}

/** An element as the builder makes it; see {@link XmlElement}. */
export class ElementNode implements XmlElement {
  readonly nodeType = ELEMENT_NODE;
  readonly tagName: string;
  firstChild: BuiltChildNode | null = null;
  lastChild: BuiltChildNode | null = null;
  nextSibling: XmlChildNode | null = null;

  constructor(
    readonly parentNode: XmlParentNode,
    readonly nodeName: string,
    readonly localName: string,
    readonly prefix: string | null,
    readonly namespaceURI: string | null,
    readonly attributes: readonly XmlAttribute[],
  ) {
    this.tagName = nodeName;
  }

  get textContent(): string {
    let text = '';
    let node: XmlChildNode | null = this.firstChild;
    while (node !== null) {
      if (node.nodeType === ELEMENT_NODE && node.firstChild !== null) {
        node = node.firstChild;
        continue;
      }
      if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) text += node.data;
      // No further child: the next sibling here or, climbing, of an ancestor below this element.
      while (node !== null && node.nextSibling === null) {
        const parent: XmlParentNode = node.parentNode;
        node = parent === this || parent.nodeType !== ELEMENT_NODE ? null : parent;
      }
      if (node !== null) node = node.nextSibling;
    }
    return text;
  }

  getAttributeNode(name: string): XmlAttribute | null {
    const attributes = this.attributes;
    for (let i = 0; i < attributes.length; i += 1) {
      const attribute = attributes[i]!;
      if (attribute.name === name) return attribute;
    }
    return null;
  }

  getAttribute(name: string): string | null {
    return this.getAttributeNode(name)?.value ?? null;
  }

  hasAttribute(name: string): boolean {
    return this.getAttributeNode(name) !== null;
  }

  getAttributeNS(namespaceURI: string | null, localName: string): string | null {
    return this.#attributeNS(namespaceURI, localName)?.value ?? null;
  }

  hasAttributeNS(namespaceURI: string | null, localName: string): boolean {
    return this.#attributeNS(namespaceURI, localName) !== null;
  }

  lookupNamespaceURI(prefix: string | null): string | null {
    return lookupNamespace(this, prefix ?? '');
  }

  #attributeNS(namespaceURI: string | null, localName: string): XmlAttribute | null {
    const namespace = namespaceURI === '' ? null : namespaceURI;
    const attributes = this.attributes;
    for (let i = 0; i < attributes.length; i += 1) {
      const attribute = attributes[i]!;
      if (attribute.localName === localName && attribute.namespaceURI === namespace) return attribute;
    }
    return null;
  }
}

/** Text or CDATA as the builder makes it; see {@link XmlText}. */
export class TextNode implements XmlText {
  nextSibling: XmlChildNode | null = null;
  readonly nodeValue: string;

  constructor(
    readonly nodeType: typeof TEXT_NODE | typeof CDATA_SECTION_NODE,
    readonly nodeName: '#text' | '#cdata-section',
    readonly parentNode: XmlElement,
    readonly data: string,
  ) {
    this.nodeValue = data;
  }
}

/** A comment as the builder makes it; see {@link XmlComment}. */
export class CommentNode implements XmlComment {
  readonly nodeType = COMMENT_NODE;
  readonly nodeName = '#comment';
  nextSibling: XmlChildNode | null = null;
  readonly nodeValue: string;

  constructor(
    readonly parentNode: XmlElement,
    readonly data: string,
  ) {
    this.nodeValue = data;
  }
}

/** A processing instruction as the builder makes it; see {@link XmlProcessingInstruction}. */
export class ProcessingInstructionNode implements XmlProcessingInstruction {
  readonly nodeType = PROCESSING_INSTRUCTION_NODE;
  readonly nodeName: string;
  nextSibling: XmlChildNode | null = null;
  readonly nodeValue: string;

  constructor(
    readonly parentNode: XmlElement,
    readonly target: string,
    readonly data: string,
  ) {
    this.nodeName = target;
    this.nodeValue = data;
  }
}

/**
 * The document as the builder makes it; see {@link XmlDocument}. Made
 * before its root element (the root's parent), which is set once when read.
 */
export class DocumentNode implements XmlDocument {
  readonly nodeType = DOCUMENT_NODE;
  readonly nodeName = '#document';
  readonly parentNode = null;
  readonly nextSibling = null;
  documentElement!: XmlElement;

  get firstChild(): XmlElement {
    return this.documentElement;
  }

  get lastChild(): XmlElement {
    return this.documentElement;
  }
}
