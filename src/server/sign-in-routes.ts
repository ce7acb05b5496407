import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isClaimsgateError } from '../lib/errors.js';
import type { IssuerRecord } from '../store/model.js';
import { sendErrorPage } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { escapeHtml, renderPage } from './html.js';
import { findLoginOptions } from './login-options.js';
import { setReplyCookie } from './reply-cookies.js';
import { safeReturnUrl } from './safe-return-url.js';
import { registerWsFedCallback } from './wsfed-callback.js';

/** The one value of a query parameter; a repeated or missing one is undefined. */
function singleQueryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The issuer's WS-Federation sign-in URL: its login URL with wa, wtrealm, wreply and wctx set. */
function wsFedSignInUrl(loginUrl: string, realmUri: string, wreply: string, wctx: string): string {
  const url = new URL(loginUrl);
  url.searchParams.set('wa', 'wsignin1.0');
  url.searchParams.set('wtrealm', realmUri);
  url.searchParams.set('wreply', wreply);
  url.searchParams.set('wctx', wctx);
  return url.href;
}

/** The home-realm discovery page: one link per issuer, no JavaScript. */
function renderHomeRealmPage(issuers: readonly IssuerRecord[], returnUrl: string): string {
  const links = issuers.map((issuer) => {
    const query = new URLSearchParams({ returnUrl, whr: issuer.name });
    const text = issuer.description === '' ? issuer.name : issuer.description;
    return `<li><a href="/signin?${escapeHtml(query.toString())}">${escapeHtml(text)}</a></li>`;
  });
  return renderPage(
    'Choose how to sign in',
    `<nav aria-label="Identity providers">\n<ul>\n${links.join('\n')}\n</ul>\n</nav>`,
  );
}

/**
 * Registers WS-Federation sign-in and sign-out:
 * `GET /signin?returnUrl=…[&whr=<issuer name>]` redirects to the chosen
 * issuer (or shows the home-realm page when several are offered),
 * `POST /signin/wsfed` receives the token, and `GET|POST /signout` ends the
 * session.
 *
 * @see WS-Federation 1.2 §13.2 (wsignin1.0, wsignout1.0)
 */
export function registerSignInRoutes(app: FastifyInstance, services: GatewayServices): void {
  const { config, store, signInState, cookies, sessions } = services;
  const publicUrl = config.server.publicUrl;

  app.get('/signin', async (request, reply) => {
    const returnUrl = safeReturnUrl(
      singleQueryValue(request, 'returnUrl'),
      config.gateway.allowedReturnOrigins,
    );
    let options;
    try {
      options = await findLoginOptions(store, publicUrl);
    } catch (error) {
      if (!isClaimsgateError(error, 'CG_STORE_NOT_FOUND')) throw error;
      return sendErrorPage(
        request,
        reply,
        500,
        error,
        '<p>The gateway has no realm yet. An administrator must create one with <code>claimsgate realms add</code>.</p>',
      );
    }
    const { realm, issuers } = options;
    const whr = singleQueryValue(request, 'whr') ?? realm.homeRealm ?? undefined;
    const chosen =
      issuers.find((issuer) => issuer.name === whr) ?? (issuers.length === 1 ? issuers[0] : undefined);
    if (chosen === undefined) {
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(renderHomeRealmPage(issuers, returnUrl));
    }
    const wctx = signInState.encode({ returnUrl, issuerName: chosen.name, protocol: 'wsfed' }, 'wctx');
    return reply
      .header('cache-control', 'no-store')
      .redirect(wsFedSignInUrl(chosen.loginUrl!, realm.realmUri, `${publicUrl}/signin/wsfed`, wctx), 302);
  });

  registerWsFedCallback(app, services);

  async function signOut(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const session = sessions.sessionOf(request);
    setReplyCookie(reply, cookies.clear());
    reply.header('cache-control', 'no-store');
    const issuer = session === undefined ? undefined : await store.getIssuer(session.issuer);
    if (issuer?.loginUrl === undefined || issuer.loginUrl === null) return reply.redirect('/', 303);
    const url = new URL(issuer.loginUrl);
    url.searchParams.set('wa', 'wsignout1.0');
    url.searchParams.set('wreply', `${publicUrl}/`);
    return reply.redirect(url.href, 303);
  }
  app.get('/signout', signOut);
  app.post('/signout', signOut);
}
