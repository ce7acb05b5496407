import { domainToUnicode } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import { html, joinHtml } from '../lib/html.js';
import { emailDomainOf, toDomainName } from '../store/email-domains.js';
import type { IssuerRecord, Protocol, RealmRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import { createSignInBinding } from '../session/sign-in-binding.js';
import type { Session } from '../session/session-cookie.js';
import { CSRF_FIELD } from './csrf-names.js';
import { sendErrorPage } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { LOGIN_HINT_FIELD, renderHomeRealmPage } from './home-realm-page.js';
import { renderPage } from './html.js';
import {
  findGatewayRealm,
  findOfferedIssuer,
  findOfferedIssuerByDomain,
  listOfferedIssuers,
} from './login-options.js';
import { setReplyCookie } from './reply-cookies.js';
import { formField, queryValue } from './request-fields.js';
import { safeReturnUrl } from './safe-return-url.js';
import { registerSignInCallback, setSignInBindingCookie } from './sign-in-pipeline.js';
import type { SignInStrategy } from './sign-in-strategy.js';

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

/** Where a `domain_hint` or `login_hint` led: the issuer, or what to tell the user. */
interface DomainHintOutcome {
  readonly via: 'domain_hint' | 'login_hint';
  /** The domain in its stored form, when the hint had one. */
  readonly domain?: string;
  readonly issuer?: IssuerRecord;
  /** Why no issuer was found, in words for the user. */
  readonly problem?: string;
}

/**
 * Follows `?domain_hint=<domain>`, else `?login_hint=<e-mail address>` (what
 * the e-mail form sends) to the issuer the realm offers for that domain: one
 * lookup in the directory's domain index. Undefined when neither is given.
 *
 * SECURITY: only the domain leaves this function; the address is neither
 * logged nor kept.
 */
async function followDomainHint(
  store: Pick<Store, 'findIssuerByDomain'>,
  realm: RealmRecord,
  request: FastifyRequest,
): Promise<DomainHintOutcome | undefined> {
  const domainHint = queryValue(request, 'domain_hint');
  const loginHint = queryValue(request, LOGIN_HINT_FIELD);
  let via: DomainHintOutcome['via'];
  let domain: string | undefined;
  if (domainHint !== undefined) {
    via = 'domain_hint';
    domain = toDomainName(domainHint.trim());
    if (domain === undefined) return { via, problem: 'That is not a domain name such as example.com.' };
  } else if (loginHint !== undefined) {
    via = 'login_hint';
    if (loginHint.trim() === '') return { via, problem: 'Enter your e-mail address.' };
    domain = emailDomainOf(loginHint.trim());
    if (domain === undefined)
      return { via, problem: 'That is not an e-mail address. Enter it as name@example.com.' };
  } else {
    return undefined;
  }
  const issuer = await findOfferedIssuerByDomain(store, realm, domain);
  if (issuer !== undefined) return { via, domain, issuer };
  return {
    via,
    domain,
    problem: `Signing in with an address at ${domainToUnicode(domain) || domain} is not set up here. Check the address, or ask your administrator.`,
  };
}

/**
 * Registers sign-in and sign-out:
 * `GET /signin?returnUrl=…[&whr=<issuer name>][&protocol=wsfed|saml2|oidc]`
 * sets the sign-in binding cookie and sends the browser to the chosen issuer
 * with the chosen protocol's strategy. The issuer is the one `whr` names,
 * else the one holding the domain of `domain_hint=` or `login_hint=` (an
 * e-mail address), else the realm's home realm, else the only one offered;
 * otherwise the home-realm page lists the offered issuers (at most
 * `signIn.chooserLimit`) and asks for an e-mail address when there are more
 * or any has domains (docs/sign-in.md). Each strategy's callback runs on the one
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
      const whr = queryValue(request, 'whr');
      // A named issuer and a domain's issuer are found by one lookup in the directory (in memory);
      // the list only when the user must choose.
      let chosen = whr === undefined ? undefined : await findOfferedIssuer(directory, realm, whr);
      const hint = chosen === undefined ? await followDomainHint(directory, realm, request) : undefined;
      if (hint !== undefined) {
        chosen = hint.issuer;
        request.log.info(
          {
            event: 'home-realm-discovery',
            via: hint.via,
            domain: hint.domain ?? null,
            issuer: chosen?.name ?? null,
          },
          chosen === undefined ? 'no issuer offered for the domain' : 'issuer found by domain',
        );
      }
      if (chosen === undefined && whr === undefined && hint === undefined && realm.homeRealm !== null)
        chosen = await findOfferedIssuer(directory, realm, realm.homeRealm);
      let issuers: readonly IssuerRecord[] = [];
      if (chosen === undefined) {
        issuers = await listOfferedIssuers(directory, realm);
        if (issuers.length === 1) chosen = issuers[0];
      }
      if (chosen === undefined) {
        const tooMany = issuers.length > config.signIn.chooserLimit;
        const page = renderHomeRealmPage(tooMany ? [] : issuers, {
          returnUrl,
          askEmail: tooMany || hint !== undefined || issuers.some((issuer) => issuer.domains.length > 0),
          problem: hint?.problem,
          address: hint?.via === 'login_hint' ? queryValue(request, LOGIN_HINT_FIELD) : undefined,
        });
        return await reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
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
