import { parseXml, type XmlLimits } from '../xml/parse-xml.js';
import { locateAssertion, type LocatedAssertion } from './locate-assertion.js';
import type { XmlElement } from '../xml/light-dom.js';

/** An XML token parsed once, with its assertion located: what every validation attempt works on. */
export interface ParsedXmlToken {
  readonly root: XmlElement;
  readonly located: LocatedAssertion;
}

/**
 * The XML limits a token is parsed with, scaled to the token size limit so
 * that an operator who raises `validation.maxTokenBytes` for large tokens
 * raises them in step: per 32 bytes of the limit one element, per 12 bytes
 * one node, per 64 bytes one namespace declaration; 64 attributes and 32
 * declarations on one element (at the default 128 KiB: 4,096 elements, 10,922
 * nodes, 2,048 declarations; at 256 KiB twice that).
 *
 * Building the tree cost about half a kilobyte of heap per element with
 * xmldom's nodes (a third to a half of that with claimsgate's own), and past
 * the young generation's size the collector's cost per element grows several
 * times: the counts keep the DOM of the largest token to a few megabytes, so
 * that no token within the size limit costs much more than an honest one of
 * that size (docs/benchmarks.md, `npm run bench -- shapes`). The densest real
 * token in the fixtures has one element per 105 bytes and one node per 36; an
 * Azure AD token as large as the limit (group claims) one element per 69 bytes
 * and one node per 35.
 */
export function tokenXmlLimits(maxTokenBytes: number): Required<XmlLimits> {
  return {
    maxBytes: maxTokenBytes,
    maxDepth: 64,
    maxAttributesPerElement: 64,
    maxNamespaceDeclarationsPerElement: 32,
    maxNamespaceDeclarations: Math.max(256, Math.floor(maxTokenBytes / 64)),
    maxElements: Math.max(1024, Math.floor(maxTokenBytes / 32)),
    maxNodes: Math.max(4096, Math.floor(maxTokenBytes / 12)),
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
