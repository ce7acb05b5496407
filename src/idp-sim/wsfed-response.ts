import type { SignedAssertion } from './saml-assertions.js';
import { xmlElement, xmlText, type XmlMarkup } from './xml-markup.js';

const WST = 'http://schemas.xmlsoap.org/ws/2005/02/trust';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const WSP = 'http://schemas.xmlsoap.org/ws/2004/09/policy';
const WSA = 'http://www.w3.org/2005/08/addressing';

/** The WS-Security SAML token profile URIs Azure AD names its token types with. */
export const TOKEN_TYPE_URIS = {
  saml2: 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0',
  saml11: 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1',
} as const;

/**
 * The `wresult` of a WS-Federation sign-in as Azure AD posts it: a WS-Trust
 * 2005/02 RequestSecurityTokenResponse with the token's Lifetime, AppliesTo
 * (the wtrealm), the signed assertion inserted as minted, and its TokenType,
 * RequestType and KeyType.
 *
 * @see WS-Federation 1.2 §13.2.3; WS-Trust (February 2005) §6
 */
export function buildRequestSecurityTokenResponse(
  assertion: SignedAssertion,
  tokenType: keyof typeof TOKEN_TYPE_URIS,
  appliesTo: string,
): XmlMarkup {
  const instant = (date: Date): XmlMarkup => xmlText(date.toISOString());
  return xmlElement(
    't:RequestSecurityTokenResponse',
    { 'xmlns:t': WST },
    xmlElement(
      't:Lifetime',
      {},
      xmlElement('wsu:Created', { 'xmlns:wsu': WSU }, instant(assertion.notBefore)),
      xmlElement('wsu:Expires', { 'xmlns:wsu': WSU }, instant(assertion.notOnOrAfter)),
    ),
    xmlElement(
      'wsp:AppliesTo',
      { 'xmlns:wsp': WSP },
      xmlElement(
        'wsa:EndpointReference',
        { 'xmlns:wsa': WSA },
        xmlElement('wsa:Address', {}, xmlText(appliesTo)),
      ),
    ),
    xmlElement('t:RequestedSecurityToken', {}, assertion.xml),
    xmlElement('t:TokenType', {}, xmlText(TOKEN_TYPE_URIS[tokenType])),
    xmlElement('t:RequestType', {}, xmlText(`${WST}/Issue`)),
    xmlElement('t:KeyType', {}, xmlText('http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey')),
  );
}
