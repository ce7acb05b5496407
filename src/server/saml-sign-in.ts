import type { FastifyInstance } from 'fastify';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import { html } from '../lib/html.js';
import type { TokenKind } from '../tokens/identity.js';
import { sendErrorPage } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { findGatewayRealm } from './login-options.js';
import { formField } from './request-fields.js';
import { buildAuthnRequest, newRequestId, redirectBindingUrl } from './saml-authn-request.js';
import { renderSpMetadata, SAML_METADATA_CONTENT_TYPE } from './saml-sp-metadata.js';
import { createSamlSsoFinder } from './saml-sso-url.js';
import type { SignInStrategy } from './sign-in-strategy.js';

/** Base64 as the POST binding sends it, once line breaks and spaces are removed. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function formatError(message: string, observed: string): ClaimsgateError {
  return new ClaimsgateError('CG_TOKEN_FORMAT_UNKNOWN', message, {
    hint: 'The identity provider must post a base64-encoded samlp:Response in the SAMLResponse field (SAML HTTP-POST binding).',
    detail: { parameter: 'SAMLResponse', observed, expected: 'base64 of a samlp:Response' },
  });
}

/**
 * Decodes the `SAMLResponse` form field of the HTTP-POST binding: base64,
 * possibly wrapped over several lines, which must decode to XML. Strict: any
 * character outside the base64 alphabet is refused rather than skipped.
 *
 * @throws ClaimsgateError `CG_TOKEN_FORMAT_UNKNOWN` when the field is missing,
 *   not base64, or not XML once decoded; `CG_TOKEN_TOO_LARGE` when it would
 *   decode to more than `maxTokenBytes`.
 * @see SAML Bindings 2.0 §3.5.4 (base64-encoded SAMLResponse)
 */
export function decodeSamlResponse(value: string | undefined, maxTokenBytes: number): Buffer {
  if (value === undefined || value === '') throw formatError('The form carries no SAMLResponse.', 'missing');
  const compact = value.replace(/[\r\n\t ]+/g, '');
  // Checked before decoding: base64 decodes to three bytes per four characters.
  if (compact.length > Math.ceil(maxTokenBytes / 3) * 4) {
    throw new ClaimsgateError(
      'CG_TOKEN_TOO_LARGE',
      `The SAMLResponse is ${compact.length} characters of base64; the limit is ${maxTokenBytes} bytes.`,
      { detail: { observed: compact.length, expected: `<= ${maxTokenBytes} bytes` } },
    );
  }
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw formatError('The SAMLResponse is not base64.', `${compact.length} characters, not base64`);
  }
  const bytes = Buffer.from(compact, 'base64');
  // SECURITY: only XML goes on to the validator, which would also take a JWT
  // or a form body; the ACS speaks SAML only.
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[start]!)) start += 1;
  if (bytes[start] !== 0x3c) {
    throw formatError('The SAMLResponse does not decode to XML.', `${bytes.length} bytes, not XML`);
  }
  return bytes;
}

/** The refusal of a response that answers no request of ours (IdP-initiated, or its RelayState lost). */
function unsolicited(): ClaimsgateError {
  return new ClaimsgateError(
    'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    'The SAML Response came without RelayState, so it answers no sign-in started here (unsolicited, IdP-initiated).',
    {
      hint: 'Users must start at the gateway (/signin); IdP-initiated sign-in is not supported. If they did, check that the identity provider returns the RelayState it was sent.',
      detail: { observed: 'no RelayState', expected: 'the RelayState of a sign-in started at the gateway' },
    },
  );
}

/**
 * The token kinds `/signin/saml2` accepts: a samlp:Response. SAML Bindings
 * §3.5.3: the POST binding carries a protocol message; a bare assertion or a
 * WS-Federation wresult is not one.
 */
const SAML_TOKEN_KINDS: readonly TokenKind[] = Object.freeze(['saml20-response']);

/**
 * SAML 2.0 Web Browser SSO, SP-initiated, as a strategy of the sign-in
 * pipeline. `start` sends the browser to the issuer's single sign-on
 * endpoint (HTTP-Redirect binding; from its stored metadata, else its login
 * URL when SAML 2.0 is its first protocol) with an unsigned AuthnRequest and
 * a sealed, single-use `RelayState` that holds the request ID. At
 * `POST /signin/saml2` (the assertion consumer service) a response without
 * RelayState is refused as unsolicited; the strategy decodes the
 * `SAMLResponse`, to be validated with audience the realm URI, Recipient and
 * Destination the ACS URL, InResponseTo the request ID on the Response and
 * on the signed bearer confirmation. `GET /saml2/metadata` serves the
 * service provider metadata to register the gateway at an identity provider.
 *
 * @see SAML Profiles 2.0 §4.1 (Web Browser SSO); SAML Bindings 2.0 §3.4 (Redirect), §3.5 (POST)
 */
export function createSamlSignIn(services: GatewayServices): SignInStrategy {
  const { config, store, signInState, now } = services;
  const publicUrl = config.server.publicUrl;
  const acsUrl = `${publicUrl}/signin/saml2`;
  const findSsoEndpoint = createSamlSsoFinder(store);
  return {
    protocol: 'saml2',
    callbackPath: '/signin/saml2',
    stateField: 'RelayState',
    statePurpose: 'relay-state',
    acceptedKinds: SAML_TOKEN_KINDS,
    refusalOf(request) {
      const relayState = formField(request, 'RelayState');
      // SECURITY: without our RelayState there is no request to answer; an
      // unsolicited response is refused (login CSRF, injected assertions).
      return relayState === undefined || relayState === '' ? unsolicited() : undefined;
    },
    async readAnswer({ request, state }) {
      if (state.requestId === undefined) {
        throw new ClaimsgateError('CG_SESSION_INVALID', 'The RelayState holds no AuthnRequest ID.', {
          detail: { observed: 'no request ID', expected: 'the AuthnRequest ID' },
        });
      }
      const xml = decodeSamlResponse(formField(request, 'SAMLResponse'), config.validation.maxTokenBytes);
      const realm = await findGatewayRealm(services.directory, publicUrl);
      return {
        token: xml,
        audiences: [realm.realmUri],
        recipient: acsUrl,
        destination: acsUrl,
        inResponseTo: state.requestId,
      };
    },
    registerRoutes(app: FastifyInstance): void {
      app.get('/saml2/metadata', async (request, reply) => {
        let realmUri: string;
        try {
          realmUri = (await findGatewayRealm(services.directory, publicUrl)).realmUri;
        } catch (error) {
          if (!isClaimsgateError(error, 'CG_STORE_NOT_FOUND')) throw error;
          return sendErrorPage(
            request,
            reply,
            500,
            error,
            html`<p>The gateway has no realm yet, so it has no SAML entity ID. An administrator must create one with <code>claimsgate realms add</code>.</p>`,
          );
        }
        const samlIssuers = (await services.directory.listIssuers()).filter((issuer) =>
          issuer.protocols.includes('saml2'),
        );
        const wantAssertionsSigned = samlIssuers.every((issuer) => issuer.requireSignedAssertion);
        return reply.type(SAML_METADATA_CONTENT_TYPE).send(
          renderSpMetadata({
            entityId: realmUri,
            assertionConsumerServiceUrl: acsUrl,
            wantAssertionsSigned,
          }),
        );
      });
    },

    async start({ reply, issuer, realm, returnUrl, bindingDigest }) {
      const endpoint = await findSsoEndpoint(issuer);
      if (endpoint === undefined) {
        throw new ClaimsgateError(
          'CG_CONFIG_SIGN_IN_UNAVAILABLE',
          `Issuer ${issuer.name} has no SAML 2.0 single sign-on endpoint for the HTTP-Redirect binding.`,
          {
            hint: `Give it metadata that lists one (claimsgate issuers edit ${issuer.name} --metadata-url <url>, then claimsgate issuers refresh ${issuer.name}), or make SAML 2.0 its first protocol with the SSO URL as login URL (claimsgate issuers edit ${issuer.name} --protocol saml2 --login-url <SSO URL>).`,
            detail: {
              issuer: issuer.name,
              observed: { protocols: issuer.protocols, loginUrl: issuer.loginUrl },
              expected: 'an HTTP-Redirect SingleSignOnService in its metadata, or a SAML login URL',
            },
          },
        );
      }
      const requestId = newRequestId();
      const authnRequest = buildAuthnRequest({
        id: requestId,
        issueInstant: now(),
        destination: endpoint.url,
        assertionConsumerServiceUrl: acsUrl,
        issuer: realm.realmUri,
      });
      const relayState = signInState.encode(
        { returnUrl, issuerName: issuer.name, protocol: 'saml2', bindingDigest, requestId },
        'relay-state',
      );
      return reply
        .header('cache-control', 'no-store')
        .redirect(redirectBindingUrl(endpoint.url, authnRequest, relayState), 302);
    },
  };
}
