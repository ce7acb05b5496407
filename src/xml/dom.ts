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

const ELEMENT_NODE = 1;

/** The element children of `parent`, optionally only those with the given namespace and local name. */
export function childElements(parent: Node, namespace?: string, localName?: string): Element[] {
  const result: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType !== ELEMENT_NODE) continue;
    const element = node as Element;
    if (namespace !== undefined && element.namespaceURI !== namespace) continue;
    if (localName !== undefined && element.localName !== localName) continue;
    result.push(element);
  }
  return result;
}

/** The first element child with the given namespace and local name. */
export function firstChildElement(parent: Node, namespace: string, localName: string): Element | undefined {
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType !== ELEMENT_NODE) continue;
    const element = node as Element;
    if (element.namespaceURI === namespace && element.localName === localName) return element;
  }
  return undefined;
}

/** Every descendant element with the given namespace and local name, in document order. */
export function descendantElements(root: Node, namespace: string, localName: string): Element[] {
  const result: Element[] = [];
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
export function forEachDescendantElement(root: Node, visit: (element: Element) => void): void {
  let node = firstElementChild(root);
  while (node !== null) {
    visit(node);
    const child = firstElementChild(node);
    if (child !== null) {
      node = child;
      continue;
    }
    // No child: the next element sibling here or, climbing, of an ancestor below root.
    let current: Node | null = node;
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

function firstElementChild(node: Node): Element | null {
  let child = node.firstChild;
  while (child !== null && child.nodeType !== ELEMENT_NODE) child = child.nextSibling;
  return child as Element | null;
}

function nextElementSibling(node: Node): Element | null {
  let sibling = node.nextSibling;
  while (sibling !== null && sibling.nodeType !== ELEMENT_NODE) sibling = sibling.nextSibling;
  return sibling as Element | null;
}

/** The concatenated text of an element's text and CDATA children (not of its descendants). */
export function ownText(element: Element): string {
  let text = '';
  for (let node = element.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 3 || node.nodeType === 4) text += node.nodeValue ?? '';
  }
  return text;
}

/** An attribute's value, or `undefined` when the attribute is absent. */
export function attribute(element: Element, name: string): string | undefined {
  return element.hasAttribute(name) ? (element.getAttribute(name) ?? undefined) : undefined;
}

/** A namespaced attribute's value (whatever its prefix), or `undefined` when the attribute is absent. */
export function attributeNS(element: Element, namespace: string, localName: string): string | undefined {
  return element.hasAttributeNS(namespace, localName)
    ? (element.getAttributeNS(namespace, localName) ?? undefined)
    : undefined;
}

/**
 * Resolves a QName value such as `fed:SecurityTokenServiceType` (in an
 * `xsi:type` attribute) against the namespaces in scope on `element`.
 */
export function resolveQName(
  element: Element,
  qname: string,
): { namespace: string | null; localName: string } {
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? null : qname.slice(0, colon);
  const localName = colon === -1 ? qname : qname.slice(colon + 1);
  return { namespace: element.lookupNamespaceURI(prefix), localName };
}
