/** Small SAML-shaped documents and DOM helpers shared by the xmldsig tests. */
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { descendantElements } from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import type { XmlElement } from '../../src/xml/light-dom.js';

export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** XPath of the assertion, for the test signer. */
export const ASSERTION = "//*[local-name(.)='Assertion']";

/**
 * A SAML 2.0 Response around one Assertion (`ID="_a1"`). The `xs` prefix is
 * declared on the Response only and used in an attribute value, so an
 * InclusiveNamespaces PrefixList="xs" has something to inherit.
 */
export function responseXml(nameId = 'admin@evil.com', extra = ''): string {
  return (
    `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:xs="http://www.w3.org/2001/XMLSchema" ` +
    `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_r1" Version="2.0">` +
    `<saml:Issuer xmlns:saml="${SAML}">https://idp.example/</saml:Issuer>${extra}` +
    `<saml:Assertion xmlns:saml="${SAML}" ID="_a1" Version="2.0" IssueInstant="2024-05-01T10:00:00Z">` +
    `<saml:Issuer>https://idp.example/</saml:Issuer>` +
    `<saml:Subject><saml:NameID>${nameId}</saml:NameID></saml:Subject>` +
    `<saml:AttributeStatement><saml:Attribute Name="role">` +
    `<saml:AttributeValue xsi:type="xs:string">user</saml:AttributeValue>` +
    `</saml:Attribute></saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`
  );
}

/** Parses with the hardened parser and returns the document's only Assertion. */
export function assertionOf(xml: string): XmlElement {
  const { root } = parseXml(xml);
  const assertion = descendantElements(root, SAML, 'Assertion')[0];
  assert.ok(assertion !== undefined, 'the document has an Assertion');
  return assertion;
}

/** Asserts that `fn` throws a ClaimsgateError with `code` (and `reason`, when given). */
export function assertSignatureError(fn: () => unknown, code: ErrorCode, reason?: string): ClaimsgateError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ClaimsgateError, `expected a ClaimsgateError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (reason !== undefined) assert.equal(caught.detail['reason'], reason);
  return caught;
}

/** Replaces exactly one occurrence of `search` (which must occur) in `text`. */
export function replaceOnce(text: string, search: string | RegExp, replacement: string): string {
  const index = typeof search === 'string' ? text.indexOf(search) : text.search(search);
  assert.ok(index !== -1, `the document contains ${String(search)}`);
  return text.replace(search, replacement);
}
