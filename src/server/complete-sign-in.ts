import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import {
  checkSignInBinding,
  serializeSignInBindingCookie,
  signInBindingCookieName,
} from '../session/sign-in-binding.js';
import type { SignInProtocol, SignInState, SignInStatePurpose } from '../session/sign-in-state.js';
import type { IssuerRecord, RealmRecord } from '../store/model.js';
import { createTokenValidator, type TokenValidator } from '../tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../tokens/identity.js';
import { sendErrorPage } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { mapIdentity } from './map-identity.js';
import { refuseSharedLabel } from './refuse-shared-label.js';
import { readRequestCookie, setReplyCookie } from './reply-cookies.js';
import { safeReturnUrl } from './safe-return-url.js';

/** The one value of a form field; a missing or repeated one is undefined. */
export function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body as Record<string, unknown> | undefined | null;
  const value = typeof body === 'object' && body !== null ? body[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The one value of a query parameter; a repeated or missing one is undefined. */
export function queryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** Queues one Set-Cookie line for cookie `name`, replacing any already queued for it. */
function queueSetCookie(reply: FastifyReply, name: string, line: string): void {
  const queued = reply.getHeader('set-cookie');
  const existing = queued === undefined ? [] : Array.isArray(queued) ? queued : [String(queued)];
  const others = existing.filter((other) => !other.startsWith(`${name}=`));
  reply.removeHeader('set-cookie');
  reply.header('set-cookie', [...others, line]);
}

/**
 * Sets the sign-in binding cookie (`claimsgate_signin`, `__Secure-` prefixed
 * when cookies are secure; Path=/signin, HttpOnly, Max-Age the sign-in
 * state's lifetime) to `value`. The browser holds one binding at a time: a
 * sign-in started later (another tab) replaces an earlier one's.
 *
 * @throws TypeError when `value` is not a binding value (see `serializeSignInBindingCookie`).
 */
export function setSignInBindingCookie(services: GatewayServices, reply: FastifyReply, value: string): void {
  const options = { secure: services.config.session.secureCookies };
  queueSetCookie(
    reply,
    signInBindingCookieName(options),
    serializeSignInBindingCookie(value, services.signInState.ttlSeconds, options),
  );
}

/** Deletes the sign-in binding cookie (after a sign-in it bound has finished). */
export function clearSignInBindingCookie(services: GatewayServices, reply: FastifyReply): void {
  const options = { secure: services.config.session.secureCookies };
  queueSetCookie(reply, signInBindingCookieName(options), serializeSignInBindingCookie('', 0, options));
}

/**
 * Opens sealed sign-in state, checks it was started by this browser (its
 * binding cookie), burns it (single use, across every instance sharing the
 * store) and checks it was made for `protocol`, then finds the issuer it
 * names.
 *
 * @throws ClaimsgateError CG_SESSION_* for a value that does not open;
 *   CG_SESSION_BINDING_MISMATCH when the request lacks the binding cookie of
 *   that sign-in; CG_TOKEN_REPLAYED when it was already used;
 *   CG_SESSION_INVALID for another protocol's state; CG_TRUST_ISSUER_UNKNOWN
 *   when the issuer is gone.
 */
export async function openSignInState(
  services: GatewayServices,
  request: FastifyRequest,
  value: unknown,
  purpose: SignInStatePurpose,
  protocol: SignInProtocol,
): Promise<{ state: SignInState; issuer: IssuerRecord }> {
  const state = services.signInState.decode(value, purpose);
  // SECURITY: login CSRF — a sign-in answer captured by an attacker and
  // posted from a victim's browser lacks that sign-in's binding cookie.
  // Checked before the state is burnt, so a forged post cannot use up the
  // state of the browser that did start the sign-in.
  const cookieName = signInBindingCookieName({ secure: services.config.session.secureCookies });
  checkSignInBinding(readRequestCookie(request.headers.cookie, cookieName), state.bindingDigest);
  // SECURITY: the state is single-use, so a captured sign-in response cannot be posted again.
  if (!(await services.replayCache.checkAndStore(`${purpose}:${state.jti}`, state.expiresAt))) {
    throw new ClaimsgateError('CG_TOKEN_REPLAYED', `This sign-in state (${purpose}) was already used.`, {
      detail: { reason: `${purpose} reused`, expiresAt: state.expiresAt.toISOString() },
    });
  }
  if (state.protocol !== protocol) {
    throw new ClaimsgateError('CG_SESSION_INVALID', `The sign-in state was not made for ${protocol}.`, {
      detail: { observed: state.protocol, expected: protocol },
    });
  }
  const issuer = await services.store.getIssuer(state.issuerName);
  if (issuer === undefined) {
    throw new ClaimsgateError('CG_TRUST_ISSUER_UNKNOWN', 'The issuer this sign-in started with is gone.', {
      detail: { observed: state.issuerName },
    });
  }
  return { state, issuer };
}

/**
 * A token validator on the rollover engine's live trust (an unknown key
 * refreshes its issuer once, then the token is retried), with the gateway's
 * replay cache, clock and limits. `audiences` are what the token must be
 * addressed to: the realm URI (WS-Fed, SAML) or the client ID (OIDC).
 */
export function gatewayValidator(
  services: GatewayServices,
  audiences: readonly string[],
  extra: { readonly recipient?: string; readonly destination?: string } = {},
): TokenValidator {
  const { config, engine, replayCache, now, cpuGate } = services;
  return createTokenValidator({
    trust: () => engine.snapshot(),
    audiences,
    onUnknownKey: (event) => engine.onUnknownKey(event),
    runStep: (step) => cpuGate.run(step),
    replayCache,
    clockSkewSeconds: config.validation.clockSkewSeconds,
    maxTokenBytes: config.validation.maxTokenBytes,
    now,
    ...extra,
  });
}

/**
 * Finishes a sign-in with a verified identity: checks the token came from
 * the issuer the user was sent to, notes the key's use, maps the identity
 * with the issuer's claim mapping, sets the session cookie, counts the
 * success, and sends the browser to the (re-checked) return URL.
 *
 * @throws ClaimsgateError CG_TOKEN_ISSUER_MISMATCH for a token from another
 *   trusted issuer; CG_TRUST_LABEL_SHARED for an issuer whose label another
 *   issuer shares; CG_TOKEN_STRUCTURE_INVALID when it names nobody;
 *   CG_SESSION_TOO_LARGE when the claims do not fit in a cookie.
 */
export async function completeSignIn(
  services: GatewayServices,
  request: FastifyRequest,
  reply: FastifyReply,
  context: {
    readonly protocol: SignInProtocol;
    readonly state: SignInState;
    readonly issuer: IssuerRecord;
    readonly identity: VerifiedIdentity;
  },
): Promise<FastifyReply> {
  const { config, store, engine, cookies, metrics } = services;
  const { state, issuer, identity } = context;
  // SECURITY: a token from another trusted issuer cannot finish a sign-in the user started elsewhere.
  if (identity.trustedIssuer !== issuer.issuerUri) {
    throw new ClaimsgateError(
      'CG_TOKEN_ISSUER_MISMATCH',
      'The token comes from another issuer than the one the sign-in was sent to.',
      { detail: { issuer: identity.trustedIssuer, expected: issuer.issuerUri } },
    );
  }
  // Bookkeeping only (an announced key becomes active): a failure is logged, the sign-in stands.
  await engine.recordKeyUse(identity).catch((error: unknown) => {
    request.log.warn({ err: error }, 'recording the key use failed');
  });
  await refuseSharedLabel(store, issuer);
  const mapping = (await store.listClaimMappings(issuer.id))[0];
  const session = mapIdentity(identity, issuer, mapping);
  // Bookkeeping only (never throws): the claim types seen, and an alert when the mapping no longer matches.
  await engine.recordAcceptedClaims(issuer, mapping, identity.claims);
  setReplyCookie(reply, cookies.issue(session));
  clearSignInBindingCookie(services, reply);
  metrics.recordSignIn(context.protocol, 'success');
  request.log.info({ user: session.user, issuer: issuer.name, protocol: context.protocol }, 'signed in');
  // SECURITY: the return URL is checked again after decoding (open redirect), whatever was sealed.
  const returnUrl = safeReturnUrl(state.returnUrl, config.gateway.allowedReturnOrigins);
  return reply.header('cache-control', 'no-store').redirect(returnUrl, 303);
}

/**
 * Runs a sign-in callback: a refused sign-in (any `ClaimsgateError` but a
 * store failure) is counted by code and answered with a 400 error page that
 * shows the code only; the full error goes to the log. Store failures and
 * bugs propagate to the gateway's error handler (`handleGatewayError`: a
 * coded page with the request ID, the cause logged, never shown).
 */
export async function runSignInCallback(
  services: GatewayServices,
  protocol: SignInProtocol,
  request: FastifyRequest,
  reply: FastifyReply,
  callback: () => Promise<FastifyReply>,
): Promise<FastifyReply> {
  try {
    return await callback();
  } catch (error) {
    if (!isClaimsgateError(error) || error.code.startsWith('CG_STORE_')) throw error;
    services.metrics.recordSignIn(protocol, 'failure', error.code);
    return sendErrorPage(request, reply, 400, error);
  }
}

/** Where a sign-in starts: the chosen issuer and realm, and the checked return URL. */
export interface SignInStart {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly issuer: IssuerRecord;
  readonly realm: RealmRecord;
  /** Already checked against the allowed return origins. */
  readonly returnUrl: string;
  /** The digest of the binding cookie set on this reply; seal it into the state (`bindingDigest`). */
  readonly bindingDigest: string;
}

/** One sign-in protocol of the gateway. */
export interface SignInProtocolHandler {
  readonly protocol: SignInProtocol;
  /** Registers the protocol's own routes (callbacks, metadata). */
  register(): void;
  /**
   * Sends the browser to the issuer with sealed, single-use state bound to
   * the browser (`start.bindingDigest`; the caller has set the cookie).
   * @throws ClaimsgateError when the issuer lacks what the protocol needs
   *   (an endpoint, a client ID); the caller shows the error page.
   */
  start(start: SignInStart): Promise<FastifyReply>;
}
