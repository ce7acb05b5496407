import {
  CDATA_SECTION_NODE,
  ELEMENT_NODE,
  TEXT_NODE,
  type XmlElement,
  type XmlNode,
  type XmlParentNode,
} from './light-dom.js';

/** Namespace URIs used across metadata and tokens. */
export const NS = {
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  fed: 'http://docs.oasis-open.org/wsfed/federation/200706',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  wsa: 'http://www.w3.org/2005/08/addressing',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml1: 'urn:oasis:names:tc:SAML:1.0:assertion',
  wst2005: 'http://schemas.xmlsoap.org/ws/2005/02/trust',
  wst13: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
} as const;

/** The element children of `parent`, optionally only those with the given namespace and local name. */
export function childElements(parent: XmlParentNode, namespace?: string, localName?: string): XmlElement[] {
  const result: XmlElement[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType !== ELEMENT_NODE) continue;
    if (namespace !== undefined && node.namespaceURI !== namespace) continue;
    if (localName !== undefined && node.localName !== localName) continue;
    result.push(node);
  }
  return result;
}

/** The first element child with the given namespace and local name. */
export function firstChildElement(
  parent: XmlParentNode,
  namespace: string,
  localName: string,
): XmlElement | undefined {
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE && node.namespaceURI === namespace && node.localName === localName)
      return node;
  }
  return undefined;
}

/** Every descendant element with the given namespace and local name, in document order. */
export function descendantElements(root: XmlParentNode, namespace: string, localName: string): XmlElement[] {
  const result: XmlElement[] = [];
  forEachDescendantElement(root, (element) => {
    if (element.namespaceURI === namespace && element.localName === localName) result.push(element);
  });
  return result;
}

/**
 * Calls `visit` for every descendant element of `root` in document order,
 * walking the sibling links: nothing is allocated per node, so a walk costs
 * the same for a deep tree as for a wide one.
 */
export function forEachDescendantElement(root: XmlParentNode, visit: (element: XmlElement) => void): void {
  let node = firstElementChild(root);
  while (node !== null) {
    visit(node);
    const child = firstElementChild(node);
    if (child !== null) {
      node = child;
      continue;
    }
    // No child: the next element sibling here or, climbing, of an ancestor below root.
    let current: XmlParentNode | null = node;
    node = null;
    while (current !== null && current !== root) {
      const sibling = nextElementSibling(current);
      if (sibling !== null) {
        node = sibling;
        break;
      }
      current = current.parentNode;
    }
  }
}

function firstElementChild(node: XmlParentNode): XmlElement | null {
  let child = node.firstChild;
  while (child !== null && child.nodeType !== ELEMENT_NODE) child = child.nextSibling;
  return child;
}

function nextElementSibling(node: XmlNode): XmlElement | null {
  let sibling = node.nextSibling;
  while (sibling !== null && sibling.nodeType !== ELEMENT_NODE) sibling = sibling.nextSibling;
  return sibling;
}

/** The concatenated text of an element's text and CDATA children (not of its descendants). */
export function ownText(element: XmlElement): string {
  let text = '';
  for (let node = element.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) text += node.data;
  }
  return text;
}

/** An attribute's value, or `undefined` when the attribute is absent. */
export function attribute(element: XmlElement, name: string): string | undefined {
  return element.getAttributeNode(name)?.value;
}

/** A namespaced attribute's value (whatever its prefix), or `undefined` when the attribute is absent. */
export function attributeNS(element: XmlElement, namespace: string, localName: string): string | undefined {
  return element.getAttributeNS(namespace, localName) ?? undefined;
}

/**
 * Resolves a QName value such as `fed:SecurityTokenServiceType` (in an
 * `xsi:type` attribute) against the namespaces declared on `element` and its
 * ancestors. An unprefixed value resolves to no namespace (the default
 * namespace is not applied), as it always has here.
 */
export function resolveQName(
  element: XmlElement,
  qname: string,
): { namespace: string | null; localName: string } {
  const colon = qname.indexOf(':');
  if (colon === -1) return { namespace: null, localName: qname };
  return { namespace: element.lookupNamespaceURI(qname.slice(0, colon)), localName: qname.slice(colon + 1) };
}
