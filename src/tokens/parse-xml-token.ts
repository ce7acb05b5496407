import { parseXml, type XmlLimits } from '../xml/parse-xml.js';
import { locateAssertion, type LocatedAssertion } from './locate-assertion.js';

/** An XML token parsed once, with its assertion located: what every validation attempt works on. */
export interface ParsedXmlToken {
  readonly root: Element;
  readonly located: LocatedAssertion;
}

/**
 * The XML limits a token is parsed with, scaled to the token size limit so
 * that an operator who raises `validation.maxTokenBytes` for large tokens
 * raises them in step: per 16 bytes of the limit one element, per 6 bytes one
 * node, per 64 bytes one namespace declaration (at the default 256 KiB:
 * 16,384 elements, 43,690 nodes, 4,096 declarations). The densest real token
 * in the fixtures has one element per 105 bytes and one node per 36, a large
 * Azure AD token (group claims) one element per 69 bytes; an element-only
 * document at the limits costs, per byte, no more than three typical tokens
 * (docs/benchmarks.md).
 */
export function tokenXmlLimits(maxTokenBytes: number): Required<XmlLimits> {
  return {
    maxBytes: maxTokenBytes,
    maxDepth: 64,
    maxAttributesPerElement: 64,
    maxNamespaceDeclarationsPerElement: 32,
    maxNamespaceDeclarations: Math.max(256, Math.floor(maxTokenBytes / 64)),
    maxElements: Math.max(1024, Math.floor(maxTokenBytes / 16)),
    maxNodes: Math.max(4096, Math.floor(maxTokenBytes / 6)),
  };
}

/**
 * Parses an XML token (wresult, SAML Response or assertion) with the token
 * limits and locates its one assertion. Done once per validation: a retry
 * against fresher trust after a key refresh reuses the result.
 *
 * @throws ClaimsgateError the `CG_XML_*` codes of parseXml; the codes of locateAssertion.
 */
export function parseXmlToken(xml: Uint8Array | string, maxTokenBytes: number): ParsedXmlToken {
  const { root } = parseXml(xml, tokenXmlLimits(maxTokenBytes));
  return { root, located: locateAssertion(root) };
}
