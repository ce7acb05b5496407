import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { OidcClientConfig } from '../config/config-schema.js';
import { ClaimsgateError } from '../lib/errors.js';
import type { SignInState } from '../session/sign-in-state.js';
import type { IssuerRecord } from '../store/model.js';
import type { TokenKind, VerifiedIdentity } from '../tokens/identity.js';
import type { GatewayServices } from './gateway-services.js';
import { resolveOidcProvider } from './oidc-provider.js';
import { readOAuthError, redeemAuthorizationCode } from './oidc-token-request.js';
import { formField } from './request-fields.js';
import type { SignInStrategy } from './sign-in-strategy.js';

/** The scope every authorization request asks for. */
export const OIDC_SCOPE = 'openid profile email';

/** Room in a token endpoint answer beside its tokens (id_token, access token, refresh token). */
const TOKEN_ANSWER_OVERHEAD_BYTES = 64 * 1024;

/** A PKCE pair: a random 256-bit `code_verifier` and its S256 `code_challenge`. */
export interface PkcePair {
  readonly verifier: string;
  readonly challenge: string;
}

/**
 * The S256 code challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))).
 *
 * @see RFC 7636 §4.2
 */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * A fresh PKCE pair; the verifier is 43 characters of base64url (32 random bytes).
 *
 * @see RFC 7636 §4.1, §7.1 (entropy of the verifier)
 */
export function createPkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

/** Equality of two strings in time that does not depend on where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Checks the id_token's `nonce` claim is the nonce sealed in this sign-in's state.
 *
 * @throws ClaimsgateError CG_TOKEN_NONCE_MISMATCH when it is missing, repeated or another.
 * @see OpenID Connect Core 1.0 §3.1.3.7 step 11, §15.5.2 (nonce implementation notes)
 */
function checkNonce(identity: VerifiedIdentity, expected: string): void {
  const values = identity.claims['nonce'] ?? [];
  // SECURITY: the nonce binds the id_token to this browser's sign-in; an
  // id_token captured from another sign-in carries another one. Compared in
  // constant time, so response times tell nothing about the expected value.
  if (values.length === 1 && constantTimeEqual(values[0]!, expected)) return;
  throw new ClaimsgateError(
    'CG_TOKEN_NONCE_MISMATCH',
    values.length === 0
      ? `The id_token from ${identity.issuer} carries no nonce.`
      : `The id_token from ${identity.issuer} carries another nonce than the one sent with this sign-in.`,
    {
      detail: {
        issuer: identity.issuer,
        observed:
          values.length === 0 ? 'no nonce claim' : `${values.length} nonce value(s), not the one sent`,
        expected: 'the nonce sent with this sign-in',
      },
    },
  );
}

/**
 * The token kinds `/signin/oidc` accepts: a JWT. SECURITY: only a JWT is an
 * id_token; a SAML assertion from the same trusted issuer, addressed to an
 * audience equal to the client ID, must not stand in. XML is refused before
 * it is parsed.
 *
 * @see OpenID Connect Core 1.0 §2 (ID Token)
 */
const OIDC_TOKEN_KINDS: readonly TokenKind[] = Object.freeze(['jwt']);

/**
 * Checks the verified id_token names no authorized party (`azp`) other than the client.
 *
 * @throws ClaimsgateError CG_TOKEN_AUDIENCE_MISMATCH for another `azp`.
 * @see OpenID Connect Core 1.0 §3.1.3.7 (ID Token validation)
 */
function checkAuthorizedParty(identity: VerifiedIdentity, clientId: string): void {
  const azp = identity.claims['azp'];
  // SECURITY: a token issued to another client that merely lists us among its audiences is not ours.
  if (azp !== undefined && (azp.length !== 1 || azp[0] !== clientId)) {
    throw new ClaimsgateError(
      'CG_TOKEN_AUDIENCE_MISMATCH',
      `The id_token from ${identity.issuer} was issued to another client (azp).`,
      { detail: { issuer: identity.issuer, observed: { azp }, expected: clientId } },
    );
  }
}

/**
 * The refusal for an error answered by the identity provider. The state is
 * decoded only to name the issuer in the log, not burnt: a later post with it
 * is checked in full like any other. The OAuth error and its description go
 * to the log, never to the page.
 */
function authorizationDenied(services: GatewayServices, request: FastifyRequest): ClaimsgateError {
  let issuerName: string | undefined;
  try {
    issuerName = services.signInState.decode(formField(request, 'state'), 'oidc-state').issuerName;
  } catch {
    issuerName = undefined;
  }
  const body = request.body as Record<string, unknown> | null | undefined;
  const oauth = readOAuthError(typeof body === 'object' && body !== null ? body : {});
  return new ClaimsgateError(
    'CG_TOKEN_AUTHORIZATION_DENIED',
    `The identity provider${issuerName === undefined ? '' : ` of issuer ${issuerName}`} refused the sign-in${oauth.error === undefined ? '' : ` (${oauth.error})`}.`,
    { detail: { ...(issuerName === undefined ? {} : { issuerName }), ...oauth } },
  );
}

/**
 * The code flow's id_token: the posted `code` redeemed at the token endpoint
 * with the PKCE verifier sealed in the state, within
 * `rollover.fetchTimeoutMs` and an answer of at most three tokens' size.
 *
 * @throws ClaimsgateError CG_TOKEN_CODE_EXCHANGE_FAILED when no code was
 *   posted or the exchange fails; CG_SESSION_INVALID for state without a verifier.
 */
async function redeemCode(
  services: GatewayServices,
  request: FastifyRequest,
  context: {
    readonly issuer: IssuerRecord;
    readonly state: SignInState;
    readonly tokenEndpoint: string | undefined;
    readonly redirectUri: string;
    readonly client: OidcClientConfig;
  },
): Promise<string> {
  const { issuer, state, tokenEndpoint, client } = context;
  // SECURITY: the flow is the configured one, not whatever was posted: an
  // id_token posted to a code-flow client is never looked at.
  const code = formField(request, 'code');
  if (code === undefined || code === '' || tokenEndpoint === undefined) {
    throw new ClaimsgateError(
      'CG_TOKEN_CODE_EXCHANGE_FAILED',
      `The answer of issuer ${issuer.name} carries no authorization code.`,
      {
        hint: `Check that issuer ${issuer.name} is set up for the code flow, or set oidc.clients.${issuer.name}.responseType to id_token.`,
        detail: { issuer: issuer.name, reason: 'no code in the authorization response' },
      },
    );
  }
  if (state.codeVerifier === undefined) {
    throw new ClaimsgateError(
      'CG_SESSION_INVALID',
      'The OpenID Connect sign-in state carries no PKCE verifier for the code flow.',
      { detail: { issuer: issuer.name, expected: 'a code verifier' } },
    );
  }
  const { config } = services;
  return redeemAuthorizationCode(
    {
      tokenEndpoint,
      code,
      redirectUri: context.redirectUri,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      codeVerifier: state.codeVerifier,
    },
    {
      fetch: services.fetch,
      timeoutMs: config.rollover.fetchTimeoutMs,
      maxBytes: config.validation.maxTokenBytes * 3 + TOKEN_ANSWER_OVERHEAD_BYTES,
    },
  );
}

/**
 * OpenID Connect sign-in, as a client registered in `oidc.clients`, as a
 * strategy of the sign-in pipeline.
 *
 * `start` redirects to the authorization endpoint of the issuer's stored
 * discovery document with `client_id`, `response_type` (`code` or
 * `id_token`), `response_mode=form_post`, `redirect_uri`
 * `<publicUrl>/signin/oidc`, `scope`, a random 128-bit `nonce`, sealed
 * single-use `state` (carrying the nonce and, for the code flow, the PKCE
 * verifier) and, for the code flow, `code_challenge` with
 * `code_challenge_method=S256`.
 *
 * At `POST /signin/oidc` an `error` answer is refused before the state is
 * opened; once the pipeline has checked the state, the strategy redeems the
 * code at the token endpoint (code flow) or takes the posted `id_token`, to
 * be validated with the client ID as audience, and confirms the verified
 * id_token's authorized party and nonce.
 *
 * @see OpenID Connect Core 1.0 §3.1 (code flow), §3.2 (implicit flow);
 *   OAuth 2.0 Form Post Response Mode; RFC 7636 (PKCE)
 */
export function createOidcSignIn(services: GatewayServices): SignInStrategy {
  const { config, signInState } = services;
  const redirectUri = `${config.server.publicUrl}/signin/oidc`;
  return {
    protocol: 'oidc',
    callbackPath: '/signin/oidc',
    stateField: 'state',
    statePurpose: 'oidc-state',
    acceptedKinds: OIDC_TOKEN_KINDS,
    refusalOf(request) {
      return formField(request, 'error') === undefined ? undefined : authorizationDenied(services, request);
    },
    async readAnswer({ request, state, issuer }) {
      const { client, tokenEndpoint } = await resolveOidcProvider(services, issuer);
      const nonce = state.nonce;
      if (nonce === undefined) {
        const detail = { issuer: issuer.name, expected: 'a nonce' };
        throw new ClaimsgateError('CG_SESSION_INVALID', 'The sign-in state carries no nonce.', { detail });
      }
      const idToken =
        client.responseType === 'code'
          ? await redeemCode(services, request, { issuer, state, tokenEndpoint, redirectUri, client })
          : (formField(request, 'id_token') ?? '');
      return {
        token: idToken,
        audiences: [client.clientId],
        confirm(identity) {
          checkAuthorizedParty(identity, client.clientId);
          checkNonce(identity, nonce);
        },
      };
    },
    async start({ reply, issuer, returnUrl, bindingDigest }) {
      const { client, authorizationEndpoint } = await resolveOidcProvider(services, issuer);
      const nonce = randomBytes(16).toString('base64url');
      const pkce = client.responseType === 'code' ? createPkcePair() : undefined;
      // SECURITY: the verifier rides in the sealed (encrypted) state, so
      // neither the browser nor the identity provider's front channel sees it.
      const state = signInState.encode(
        {
          returnUrl,
          issuerName: issuer.name,
          protocol: 'oidc',
          bindingDigest,
          nonce,
          ...(pkce === undefined ? {} : { codeVerifier: pkce.verifier }),
        },
        'oidc-state',
      );
      const url = new URL(authorizationEndpoint);
      url.searchParams.set('client_id', client.clientId);
      url.searchParams.set('response_type', client.responseType);
      url.searchParams.set('response_mode', 'form_post');
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', OIDC_SCOPE);
      url.searchParams.set('state', state);
      url.searchParams.set('nonce', nonce);
      if (pkce !== undefined) {
        url.searchParams.set('code_challenge', pkce.challenge);
        url.searchParams.set('code_challenge_method', 'S256');
      }
      return reply.header('cache-control', 'no-store').redirect(url.href, 302);
    },
  };
}
