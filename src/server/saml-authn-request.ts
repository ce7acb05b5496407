import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SAML, escapeXml, samlInstant } from './saml-xml.js';

/** What an AuthnRequest says. */
export interface AuthnRequestInput {
  /** The request ID, echoed by the identity provider as InResponseTo (see {@link newRequestId}). */
  readonly id: string;
  readonly issueInstant: Date;
  /** The identity provider's single sign-on URL the request is sent to. */
  readonly destination: string;
  /** Where the identity provider posts its Response (HTTP-POST binding). */
  readonly assertionConsumerServiceUrl: string;
  /** The service provider's entity ID: the realm URI, and the audience the assertion must name. */
  readonly issuer: string;
}

/**
 * A fresh AuthnRequest ID: `_` and 32 random hex digits (128 bits). The
 * underscore makes it an xs:ID, which may not start with a digit.
 *
 * @see SAML Core 2.0 §1.3.4 (ID values: at least 128 bits of randomness)
 */
export function newRequestId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

/**
 * Builds an unsigned SAML 2.0 AuthnRequest asking for the Response by the
 * HTTP-POST binding at the assertion consumer URL, with a NameIDPolicy that
 * lets the identity provider create an identifier for a new user. Every value
 * is escaped.
 *
 * @see SAML Core 2.0 §3.4.1 (AuthnRequest), §3.4.1.1 (NameIDPolicy); SAML Profiles 2.0 §4.1.4.1
 */
export function buildAuthnRequest(input: AuthnRequestInput): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="${SAML.protocol}" xmlns:saml="${SAML.assertion}"` +
    ` ID="${escapeXml(input.id)}" Version="2.0" IssueInstant="${samlInstant(input.issueInstant)}"` +
    ` Destination="${escapeXml(input.destination)}"` +
    ` AssertionConsumerServiceURL="${escapeXml(input.assertionConsumerServiceUrl)}"` +
    ` ProtocolBinding="${SAML.httpPost}">` +
    `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>` +
    `<samlp:NameIDPolicy AllowCreate="true"/>` +
    `</samlp:AuthnRequest>`
  );
}

/**
 * The URL that sends an AuthnRequest by the HTTP-Redirect binding: the
 * request DEFLATE-compressed (raw, no zlib header), base64-encoded and
 * URL-encoded as `SAMLRequest`, with `RelayState` beside it. Query parameters
 * already in the single sign-on URL are kept. The request is not signed (no
 * `SigAlg` / `Signature`).
 *
 * @throws TypeError when `ssoUrl` is not an absolute URL.
 * @see SAML Bindings 2.0 §3.4.4.1 (DEFLATE encoding), §3.4.3 (RelayState)
 */
export function redirectBindingUrl(ssoUrl: string, authnRequest: string, relayState: string): string {
  const url = new URL(ssoUrl);
  url.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(authnRequest, 'utf8')).toString('base64'));
  url.searchParams.set('RelayState', relayState);
  return url.href;
}
