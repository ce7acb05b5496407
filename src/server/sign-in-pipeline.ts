import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config-schema.js';
import type { DeepReadonly } from '../config/deep-freeze.js';
import type { CpuGate } from '../lib/cpu-gate.js';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import type { RolloverEngine } from '../rollover/rollover-engine.js';
import {
  checkSignInBinding,
  signInBindingCookie,
  signInBindingCookieName,
} from '../session/sign-in-binding.js';
import type { IssuerRecord } from '../store/model.js';
import { createTokenValidator, type TokenValidator } from '../tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../tokens/identity.js';
import type { ReplayCache } from '../tokens/replay-cache.js';
import { sendErrorPage } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { mapIdentity } from './map-identity.js';
import { refuseSharedLabel } from './refuse-shared-label.js';
import { readRequestCookie, setReplyCookie } from './reply-cookies.js';
import { formField } from './request-fields.js';
import { safeReturnUrl } from './safe-return-url.js';
import type { SignInCallback, SignInStrategy } from './sign-in-strategy.js';

/**
 * Sets the sign-in binding cookie (`claimsgate_signin`, `__Secure-` prefixed
 * when cookies are secure; Path=/signin, HttpOnly, Max-Age the sign-in
 * state's lifetime) to `value`. The browser holds one binding at a time: a
 * sign-in started later (another tab) replaces an earlier one's.
 *
 * @throws TypeError when `value` is not a binding value (see `signInBindingCookie`).
 */
export function setSignInBindingCookie(services: GatewayServices, reply: FastifyReply, value: string): void {
  const options = { secure: services.config.session.secureCookies };
  setReplyCookie(reply, signInBindingCookie(value, services.signInState.ttlSeconds, options));
}

/** Deletes the sign-in binding cookie (after a sign-in it bound has finished). */
function clearSignInBindingCookie(services: GatewayServices, reply: FastifyReply): void {
  setReplyCookie(reply, signInBindingCookie('', 0, { secure: services.config.session.secureCookies }));
}

/**
 * The gateway's one token validator, shared by every sign-in protocol and
 * request: the rollover engine's live trust (a key unknown to the token's
 * issuer refreshes that issuer once, single-flight, and the token is retried
 * in the same request), the store's replay cache, the CPU gate, the clock
 * and the limits. Each call names its own audiences and recipient (the
 * protocol's answer), so nothing in it belongs to one request.
 */
export function createGatewayValidator(parts: {
  readonly config: DeepReadonly<Config>;
  readonly engine: RolloverEngine;
  readonly replayCache: ReplayCache;
  readonly cpuGate: CpuGate;
  readonly now: () => Date;
}): TokenValidator {
  const { config, engine, replayCache, cpuGate, now } = parts;
  return createTokenValidator({
    trust: () => engine.snapshot(),
    onUnknownKey: (event) => engine.onUnknownKey(event),
    runStep: (step) => cpuGate.run(step),
    replayCache,
    clockSkewSeconds: config.validation.clockSkewSeconds,
    maxTokenBytes: config.validation.maxTokenBytes,
    now,
  });
}

/**
 * Steps 1–4: opens the sealed sign-in state of the callback, checks it was
 * started by this browser (its binding cookie), burns it (single use, across
 * every instance sharing the store) and checks it was made for the
 * strategy's protocol, then finds the issuer it names.
 *
 * @throws ClaimsgateError CG_SESSION_* for a value that does not open;
 *   CG_SESSION_BINDING_MISMATCH when the request lacks the binding cookie of
 *   that sign-in; CG_TOKEN_REPLAYED when it was already used;
 *   CG_SESSION_INVALID for another protocol's state; CG_TRUST_ISSUER_UNKNOWN
 *   when the issuer is gone.
 */
async function openCallback(
  services: GatewayServices,
  strategy: SignInStrategy,
  request: FastifyRequest,
): Promise<SignInCallback> {
  const purpose = strategy.statePurpose;
  const state = services.signInState.decode(formField(request, strategy.stateField), purpose);
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
  if (state.protocol !== strategy.protocol) {
    throw new ClaimsgateError(
      'CG_SESSION_INVALID',
      `The sign-in state was not made for ${strategy.protocol}.`,
      {
        detail: { observed: state.protocol, expected: strategy.protocol },
      },
    );
  }
  const issuer = await services.directory.getIssuer(state.issuerName);
  if (issuer === undefined) {
    throw new ClaimsgateError('CG_TRUST_ISSUER_UNKNOWN', 'The issuer this sign-in started with is gone.', {
      detail: { observed: state.issuerName },
    });
  }
  return { request, state, issuer };
}

/**
 * Steps 5–7: the strategy reads its answer; the gateway's validator checks
 * the token kind (before any key lookup, refresh or replay record), the
 * signature by a key trusted for the token's issuer, the audience, lifetime,
 * recipient and replay; then the strategy confirms the identity answers this
 * sign-in.
 */
async function verifyAnswer(
  services: GatewayServices,
  strategy: SignInStrategy,
  callback: SignInCallback,
): Promise<VerifiedIdentity> {
  const answer = await strategy.readAnswer(callback);
  const identity = await services.validator.validate(answer.token, {
    kinds: strategy.acceptedKinds,
    audiences: answer.audiences,
    ...(answer.recipient === undefined ? {} : { recipient: answer.recipient }),
    ...(answer.destination === undefined ? {} : { destination: answer.destination }),
    ...(answer.inResponseTo === undefined ? {} : { inResponseTo: answer.inResponseTo }),
  });
  answer.confirm?.(identity);
  return identity;
}

/**
 * Steps 8–13: finishes a sign-in with a verified identity: checks the token
 * came from the issuer the user was sent to, notes the key's use, maps the
 * identity with the issuer's claim mapping, sets the session cookie, counts
 * the success, and sends the browser to the (re-checked) return URL.
 *
 * @throws ClaimsgateError CG_TOKEN_ISSUER_MISMATCH for a token from another
 *   trusted issuer; CG_TRUST_LABEL_SHARED for an issuer whose label another
 *   issuer shares; CG_TOKEN_STRUCTURE_INVALID when it names nobody;
 *   CG_SESSION_TOO_LARGE when the claims do not fit in a cookie.
 */
async function finishSignIn(
  services: GatewayServices,
  strategy: SignInStrategy,
  callback: SignInCallback,
  identity: VerifiedIdentity,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { config, directory, engine, cookies, metrics } = services;
  const { request, state, issuer } = callback;
  checkIssuerMatch(identity, issuer);
  // Bookkeeping only (an announced key becomes active): a failure is logged, the sign-in stands.
  await engine.recordKeyUse(identity).catch((error: unknown) => {
    request.log.warn({ err: error }, 'recording the key use failed');
  });
  await refuseSharedLabel(directory, issuer);
  const mapping = (await directory.listClaimMappings(issuer.id))[0];
  const session = mapIdentity(identity, issuer, mapping);
  // Bookkeeping only (never throws): the claim types seen, and an alert when the mapping no longer matches.
  await engine.recordAcceptedClaims(issuer, mapping, identity.claims);
  setReplyCookie(reply, cookies.issue(session));
  clearSignInBindingCookie(services, reply);
  metrics.recordSignIn(strategy.protocol, 'success');
  request.log.info({ user: session.user, issuer: issuer.name, protocol: strategy.protocol }, 'signed in');
  // SECURITY: the return URL is checked again after decoding (open redirect), whatever was sealed.
  const returnUrl = safeReturnUrl(state.returnUrl, config.gateway.allowedReturnOrigins);
  return reply.header('cache-control', 'no-store').redirect(returnUrl, 303);
}

/** @throws ClaimsgateError CG_TOKEN_ISSUER_MISMATCH when the token's issuer is not the one the sign-in was sent to. */
function checkIssuerMatch(identity: VerifiedIdentity, issuer: IssuerRecord): void {
  // SECURITY: a token from another trusted issuer cannot finish a sign-in the user started elsewhere.
  if (identity.trustedIssuer === issuer.issuerUri) return;
  throw new ClaimsgateError(
    'CG_TOKEN_ISSUER_MISMATCH',
    'The token comes from another issuer than the one the sign-in was sent to.',
    { detail: { issuer: identity.trustedIssuer, expected: issuer.issuerUri } },
  );
}

/**
 * Registers a strategy's callback (`POST strategy.callbackPath`) on the one
 * sign-in pipeline, which runs the same steps in the same order for every
 * protocol:
 *
 * 0. the answer's own refusal (`strategy.refusalOf`: an identity provider's
 *    error answer, a SAML response without RelayState);
 * 1. the sealed state opens for the strategy's purpose;
 * 2. it was started by this browser (binding cookie);
 * 3. it is burnt (single use);
 * 4. it was made for this protocol, and its issuer still exists;
 * 5. the strategy reads its answer (token, audiences, recipient…);
 * 6. the gateway's validator: accepted token kinds first, then the key
 *    trusted for the token's issuer (unknown-key refresh), the conditions,
 *    the token's replay;
 * 7. the strategy confirms the identity answers this sign-in (OIDC nonce);
 * 8. the token's issuer is the one the sign-in was sent to;
 * 9. the key's use is recorded;
 * 10. the issuer's label is its own; the identity is mapped;
 * 11. the session cookie is set and the binding cookie cleared;
 * 12. the browser goes to the re-checked return URL.
 *
 * A refused sign-in (any `ClaimsgateError` but a store failure) is counted by
 * code and answered with a 400 error page that shows the code only; the full
 * error goes to the log. Store failures and bugs propagate to the gateway's
 * error handler (`handleGatewayError`: a coded page with the request ID, the
 * cause logged, never shown).
 */
export function registerSignInCallback(
  app: FastifyInstance,
  services: GatewayServices,
  strategy: SignInStrategy,
): void {
  app.post(strategy.callbackPath, async (request, reply) => {
    try {
      const refusal = strategy.refusalOf?.(request);
      if (refusal !== undefined) throw refusal;
      const callback = await openCallback(services, strategy, request);
      const identity = await verifyAnswer(services, strategy, callback);
      return await finishSignIn(services, strategy, callback, identity, reply);
    } catch (error) {
      if (!isClaimsgateError(error) || error.code.startsWith('CG_STORE_')) throw error;
      services.metrics.recordSignIn(strategy.protocol, 'failure', error.code);
      return sendErrorPage(request, reply, 400, error);
    }
  });
}
