import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import type { SignInState } from '../session/sign-in-state.js';
import type { IssuerRecord } from '../store/model.js';
import { createTokenValidator } from '../tokens/create-token-validator.js';
import { sendErrorPage } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { findLoginOptions } from './login-options.js';
import { mapIdentity } from './map-identity.js';
import { setReplyCookie } from './reply-cookies.js';
import { safeReturnUrl } from './safe-return-url.js';

/** The one value of a form field; a missing or repeated one is undefined. */
function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Registers `POST /signin/wsfed`, where the issuer's form posts `wa`,
 * `wresult` and `wctx`: opens and burns the sign-in state, validates the
 * token against the rollover engine's trust (refreshing an issuer whose key
 * is unknown), checks it came from the issuer the user was sent to, maps the
 * identity, sets the session cookie and sends the user to the return URL.
 * Every refusal is a 400 page with the code; the full error is logged.
 *
 * @see WS-Federation 1.2 §13.2.2 (wresult, wctx)
 */
export function registerWsFedCallback(app: FastifyInstance, services: GatewayServices): void {
  const { config, store, engine, signInState, cookies, replayCache, now } = services;

  async function openState(wctx: string | undefined): Promise<SignInState> {
    const state = signInState.decode(wctx, 'wctx');
    // SECURITY: the state is single-use, so a captured sign-in response cannot be posted again.
    if (!(await replayCache.checkAndStore(`wctx:${state.jti}`, state.expiresAt))) {
      throw new ClaimsgateError('CG_TOKEN_REPLAYED', 'This sign-in state (wctx) was already used.', {
        detail: { reason: 'wctx reused', expiresAt: state.expiresAt.toISOString() },
      });
    }
    if (state.protocol !== 'wsfed') {
      throw new ClaimsgateError('CG_SESSION_INVALID', 'The sign-in state was not made for WS-Federation.', {
        detail: { observed: state.protocol, expected: 'wsfed' },
      });
    }
    return state;
  }

  async function stateIssuer(state: SignInState): Promise<IssuerRecord> {
    const issuer = await store.getIssuer(state.issuerName);
    if (issuer === undefined) {
      throw new ClaimsgateError('CG_TRUST_ISSUER_UNKNOWN', 'The issuer this sign-in started with is gone.', {
        detail: { observed: state.issuerName },
      });
    }
    return issuer;
  }

  async function signIn(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const state = await openState(formField(request, 'wctx'));
    const issuer = await stateIssuer(state);
    const { realm } = await findLoginOptions(store, config.server.publicUrl);
    const validator = createTokenValidator({
      trust: () => engine.snapshot(),
      audiences: [realm.realmUri],
      onUnknownKey: (event) => engine.onUnknownKey(event),
      replayCache,
      clockSkewSeconds: config.validation.clockSkewSeconds,
      maxTokenBytes: config.validation.maxTokenBytes,
      now,
    });
    const identity = await validator.validate(formField(request, 'wresult') ?? '');
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
    const mapping = (await store.listClaimMappings(issuer.id))[0];
    setReplyCookie(reply, cookies.issue(mapIdentity(identity, issuer, mapping)));
    // SECURITY: the return URL is checked again after decoding (open redirect), whatever was sealed.
    const returnUrl = safeReturnUrl(state.returnUrl, config.gateway.allowedReturnOrigins);
    return reply.header('cache-control', 'no-store').redirect(returnUrl, 303);
  }

  app.post('/signin/wsfed', async (request, reply) => {
    try {
      return await signIn(request, reply);
    } catch (error) {
      if (!isClaimsgateError(error) || error.code.startsWith('CG_STORE_')) throw error;
      return sendErrorPage(request, reply, 400, error);
    }
  });
}
