/** The SAML 2.0 names the gateway writes, and the escaping every value goes through. */

/** SAML 2.0 namespaces, protocol, bindings and name ID format the gateway writes. */
export const SAML = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  httpPost: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  httpRedirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  nameIdUnspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Escapes text for an XML text node or a quoted attribute value. Tabs and
 * line breaks are written as character references so that attribute-value
 * normalisation cannot change them.
 *
 * SECURITY: every configured value (realm URI, URLs) written into an
 * AuthnRequest or the SP metadata goes through here, so none can open markup
 * or leave its attribute (XML injection).
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\t\n\r]/g, (character) => XML_ESCAPES[character]!);
}

/** An xs:dateTime in UTC to the second, as SAML writes instants (`2026-03-02T09:30:00Z`). */
export function samlInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
