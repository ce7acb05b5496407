import type { FastifyInstance, FastifyReply } from 'fastify';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import { html, joinHtml } from '../lib/html.js';
import type { IssuerRecord, Protocol } from '../store/model.js';
import { createSignInBinding } from '../session/sign-in-binding.js';
import type { Session } from '../session/session-cookie.js';
import { CSRF_FIELD } from './csrf-names.js';
import { sendErrorPage } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { renderPage } from './html.js';
import { findGatewayRealm, findOfferedIssuer, listOfferedIssuers } from './login-options.js';
import { setReplyCookie } from './reply-cookies.js';
import { formField, queryValue } from './request-fields.js';
import { safeReturnUrl } from './safe-return-url.js';
import { registerSignInCallback, setSignInBindingCookie } from './sign-in-pipeline.js';
import type { SignInStrategy } from './sign-in-strategy.js';

/** The home-realm discovery page: one link per issuer, no JavaScript. */
function renderHomeRealmPage(issuers: readonly IssuerRecord[], returnUrl: string): string {
  const links = issuers.map((issuer) => {
    const query = new URLSearchParams({ returnUrl, whr: issuer.name });
    const text = issuer.description === '' ? issuer.name : issuer.description;
    return html`<li><a href="/signin?${query.toString()}">${text}</a></li>`;
  });
  return renderPage(
    'Choose how to sign in',
    html`<nav aria-label="Identity providers">\n<ul>\n${joinHtml(links, '\n')}\n</ul>\n</nav>`,
  );
}

/**
 * The protocol to sign in with at `issuer`: the one asked for with
 * `protocol=` when the issuer speaks it, else the first of the issuer's
 * protocols the gateway has a strategy for.
 *
 * @throws ClaimsgateError CG_CONFIG_SIGN_IN_UNAVAILABLE when there is none.
 */
function chooseStrategy(
  strategies: ReadonlyMap<Protocol, SignInStrategy>,
  issuer: IssuerRecord,
  asked: string | undefined,
): SignInStrategy {
  const candidates = asked === undefined ? issuer.protocols : issuer.protocols.filter((p) => p === asked);
  for (const protocol of candidates) {
    const strategy = strategies.get(protocol);
    if (strategy !== undefined) return strategy;
  }
  throw new ClaimsgateError(
    'CG_CONFIG_SIGN_IN_UNAVAILABLE',
    `Issuer ${issuer.name} cannot be used for sign-in${asked === undefined ? '' : ` with ${asked}`}.`,
    {
      detail: { issuer: issuer.name, observed: issuer.protocols, expected: asked ?? [...strategies.keys()] },
    },
  );
}

/**
 * Registers sign-in and sign-out:
 * `GET /signin?returnUrl=…[&whr=<issuer name>][&protocol=wsfed|saml2|oidc]`
 * sets the sign-in binding cookie and sends the browser to the chosen issuer
 * with the chosen protocol's strategy (or shows the home-realm page when
 * several issuers are offered); each strategy's callback runs on the one
 * sign-in pipeline (`registerSignInCallback`). `GET /signout` asks "Sign out?" with
 * a form carrying the session's CSRF token; `POST /signout` with that token
 * revokes the session (in the store: every instance refuses the cookie from
 * then on), clears the cookie and sends WS-Federation issuers' users to
 * `wsignout1.0`; without the token it asks again (403).
 *
 * @see WS-Federation 1.2 §13.2 (wsignin1.0, wsignout1.0)
 */
export function registerSignInRoutes(
  app: FastifyInstance,
  services: GatewayServices,
  signInStrategies: readonly SignInStrategy[],
): void {
  const { config, directory, cookies, sessions, admin, revocations } = services;
  const publicUrl = config.server.publicUrl;
  const strategies = new Map(signInStrategies.map((strategy) => [strategy.protocol, strategy]));
  for (const strategy of signInStrategies) {
    registerSignInCallback(app, services, strategy);
    strategy.registerRoutes?.(app);
  }

  app.get('/signin', async (request, reply) => {
    const returnUrl = safeReturnUrl(queryValue(request, 'returnUrl'), config.gateway.allowedReturnOrigins);
    try {
      const realm = await findGatewayRealm(directory, publicUrl);
      const whr = queryValue(request, 'whr') ?? realm.homeRealm ?? undefined;
      // A named issuer is read by its name alone; the list only when the user must choose.
      let chosen = whr === undefined ? undefined : await findOfferedIssuer(directory, realm, whr);
      let issuers: readonly IssuerRecord[] = [];
      if (chosen === undefined) {
        issuers = await listOfferedIssuers(directory, realm);
        if (issuers.length === 1) chosen = issuers[0];
      }
      if (chosen === undefined) {
        return await reply
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(renderHomeRealmPage(issuers, returnUrl));
      }
      const strategy = chooseStrategy(strategies, chosen, queryValue(request, 'protocol'));
      // SECURITY: login CSRF — the state is bound to this browser by a random
      // value in a cookie only it holds; the callback requires both.
      const binding = createSignInBinding();
      setSignInBindingCookie(services, reply, binding.value);
      return await strategy.start({
        request,
        reply,
        issuer: chosen,
        realm,
        returnUrl,
        bindingDigest: binding.digest,
      });
    } catch (error) {
      if (isClaimsgateError(error, 'CG_STORE_NOT_FOUND')) {
        return sendErrorPage(
          request,
          reply,
          500,
          error,
          html`<p>The gateway has no realm yet. An administrator must create one with <code>claimsgate realms add</code>.</p>`,
        );
      }
      if (!isClaimsgateError(error) || error.code.startsWith('CG_STORE_')) throw error;
      return sendErrorPage(request, reply, 400, error);
    }
  });

  /** Sends the browser on after a sign-out: to a WS-Federation issuer's `wsignout1.0`, else to `/`. */
  async function afterSignOut(issuerName: string | undefined, reply: FastifyReply): Promise<FastifyReply> {
    const issuer = issuerName === undefined ? undefined : await directory.getIssuer(issuerName);
    if (issuer?.loginUrl === undefined || issuer.loginUrl === null || !issuer.protocols.includes('wsfed')) {
      return reply.redirect('/', 303);
    }
    const url = new URL(issuer.loginUrl);
    url.searchParams.set('wa', 'wsignout1.0');
    url.searchParams.set('wreply', `${publicUrl}/`);
    return reply.redirect(url.href, 303);
  }

  /** The "Sign out?" page: a form that posts the session's CSRF token to `POST /signout`. */
  function sendConfirmation(reply: FastifyReply, status: number, session: Session): FastifyReply {
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(
        renderPage(
          'Sign out',
          joinHtml(
            [
              html`<p>Sign out <strong>${session.user}</strong>?</p>`,
              html`<form method="post" action="/signout">`,
              html`<input type="hidden" name="${CSRF_FIELD}" value="${admin.csrfToken(session)}">`,
              html`<button type="submit">Sign out</button>`,
              html`</form>`,
              html`<p><a href="/">Stay signed in</a></p>`,
            ],
            '\n',
          ),
        ),
      );
  }

  // SECURITY: a link or an image on another site must not sign the user out (logout CSRF):
  // GET only asks; the sign-out itself needs the session's CSRF token, posted.
  app.get('/signout', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const session = sessions.sessionOf(request);
    if (session === undefined) {
      setReplyCookie(reply, cookies.clear());
      return reply.redirect('/', 303);
    }
    return sendConfirmation(reply, 200, session);
  });

  app.post('/signout', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const session = sessions.sessionOf(request);
    if (session === undefined) {
      setReplyCookie(reply, cookies.clear());
      return reply.redirect('/', 303);
    }
    if (!admin.checkCsrf(session, formField(request, CSRF_FIELD))) {
      request.log.warn(
        { code: 'CG_ADMIN_CSRF_INVALID', user: session.user, ip: request.ip },
        'sign-out refused: no valid form token; asking again',
      );
      return sendConfirmation(reply, 403, session);
    }
    // SECURITY: the session ends on every instance, not only in this browser: the old cookie stops working.
    await revocations.revoke(session);
    setReplyCookie(reply, cookies.clear());
    request.log.info({ event: 'signout', user: session.user, ip: request.ip }, 'signed out');
    return afterSignOut(session.issuer, reply);
  });
}
