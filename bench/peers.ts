import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import * as samlify from 'samlify';
import type { BenchToken } from './make-token.js';

/** One validation by a contender; resolves when the token is accepted, rejects otherwise. */
export type Validation = () => Promise<unknown>;

/** What a contender read from the token, to check that it really accepted it. */
export interface PeerResult {
  readonly subject: string | undefined;
  readonly issuer: string | undefined;
}

/**
 * node-saml has no WS-Federation entry point: it validates the assertion
 * inside a samlp:Response (POST binding). It gets the unsigned Response
 * around the very same signed assertion, and `idpCert` as the list of
 * trusted PEMs. It tries the signature once per listed certificate, in
 * order, until one verifies.
 */
export function createNodeSamlValidation(
  token: BenchToken,
  trustedPems: readonly string[],
): () => Promise<PeerResult> {
  const saml = new SAML({
    idpCert: [...trustedPems],
    issuer: token.audience,
    audience: token.audience,
    callbackUrl: token.recipient,
    idpIssuer: token.issuer,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: 300_000,
  });
  const body = { SAMLResponse: token.samlResponseBase64 };
  return async () => {
    const { profile } = await saml.validatePostResponseAsync(body);
    return { subject: profile?.nameID, issuer: profile?.issuer };
  };
}

let samlifyConfigured = false;

/**
 * samlify needs a schema validator registered before it parses anything. The
 * bench registers one that accepts every document, so samlify is measured
 * without XSD validation (which would only make it slower).
 */
function configureSamlify(): void {
  if (samlifyConfigured) return;
  samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });
  samlifyConfigured = true;
}

/**
 * samlify validates a SAML-P Response through its service provider's
 * `parseLoginResponse` with a POST-binding request object. Its identity
 * provider lists the trusted signing certificates (several are allowed: it
 * compares the token's embedded certificate with each listed one as text,
 * then verifies the signature once with the one that matched).
 */
export function createSamlifyValidation(
  token: BenchToken,
  trustedPems: readonly string[],
): () => Promise<PeerResult> {
  configureSamlify();
  const idp = samlify.IdentityProvider({
    entityID: token.issuer,
    signingCert: [...trustedPems],
    wantAuthnRequestsSigned: false,
    isAssertionEncrypted: false,
    singleSignOnService: [
      {
        Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        Location: `https://login.microsoftonline.com/${token.tenantId}/saml2`,
      },
    ],
    singleLogoutService: [
      {
        Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        Location: `https://login.microsoftonline.com/${token.tenantId}/saml2`,
      },
    ],
  });
  const sp = samlify.ServiceProvider({
    entityID: token.audience,
    wantAssertionsSigned: true,
    wantMessageSigned: false,
    isAssertionEncrypted: false,
    clockDrifts: [-300_000, 300_000],
    assertionConsumerService: [
      { Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: token.recipient },
    ],
  });
  const request = { body: { SAMLResponse: token.samlResponseBase64 } };
  return async () => {
    const result = await sp.parseLoginResponse(idp, 'post', request);
    const extract = result.extract as { nameID?: string; issuer?: string };
    return { subject: extract.nameID, issuer: extract.issuer };
  };
}
