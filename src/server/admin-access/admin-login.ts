import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashPassword, verifyPassword } from '../../management/account-passwords.js';
import { isClaimsgateError } from '../../lib/errors.js';
import type { OwnCookie } from '../../session/set-cookie.js';
import { adminUsernameKey } from '../../store/validate-admin-input.js';
import { CSRF_FIELD } from '../csrf-names.js';
import { ADMIN_ROLE, LOCAL_ADMIN_ISSUER } from './admin-auth.js';
import {
  renderLoginPage,
  renderSignedInPage,
  renderRefusalPage,
  sendPage,
  type LoginPageState,
} from './login-page.js';
import { createLoginThrottle, type LoginThrottle, type RefusedAttempt } from './login-throttle.js';
import type { GatewayServices } from '../gateway-services.js';
import { findLoginOptions } from '../login-options.js';
import { readRequestCookie, setReplyCookie } from '../reply-cookies.js';
import { safeReturnUrl } from '../safe-return-url.js';

/** Where an admin goes after signing in when no (acceptable) return URL was given. */
export const ADMIN_HOME = '/admin';
/** The cookie carrying the login form's CSRF token over plain http (`__Host-` prefixed over https). */
export const LOGIN_CSRF_COOKIE = 'claimsgate_admin_login';
/** How long a login form stays usable. */
const LOGIN_CSRF_MAX_AGE_SECONDS = 3600;
/** 32 random bytes, base64url. */
const LOGIN_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** The throttle's account for every user name no account can have ('#' is never in a user name). */
const MALFORMED_NAME_ACCOUNT = '#malformed';

/** Options of {@link registerAdminLoginRoutes}. */
export interface AdminLoginOptions {
  /** The failed-sign-in counter; default {@link createLoginThrottle} on the gateway's store, with its defaults. */
  readonly throttle?: LoginThrottle;
}

/** What the 429 page says, by the counter that locked the attempt. */
const THROTTLED_MESSAGES: Readonly<Record<RefusedAttempt['scope'], string>> = {
  pair: 'Too many failed sign-ins for this user name from this address.',
  address: 'Too many failed sign-ins from this address.',
  account: 'Too many failed sign-ins for this user name.',
};

/**
 * The path to send an admin to after signing in: `value` when it is a path
 * of this site under `/admin` (normalised: dot segments resolved), else
 * `/admin`. The login and logout pages themselves are never a destination.
 *
 * SECURITY: no open redirect — absolute and protocol-relative URLs,
 * backslashes, control characters and paths leaving `/admin` after
 * normalisation (`/admin/../elsewhere`) all give `/admin`.
 */
export function adminReturnPath(value: unknown): string {
  const path = safeReturnUrl(value, []);
  if (!path.startsWith('/') || path.startsWith('//')) return ADMIN_HOME;
  const base = 'http://admin.invalid';
  let url: URL;
  try {
    url = new URL(path, base);
  } catch {
    return ADMIN_HOME;
  }
  if (url.origin !== base) return ADMIN_HOME;
  const { pathname } = url;
  if (pathname !== ADMIN_HOME && !pathname.startsWith(`${ADMIN_HOME}/`)) return ADMIN_HOME;
  if (pathname === '/admin/login' || pathname === '/admin/logout') return ADMIN_HOME;
  return `${pathname}${url.search}`;
}

/** A string form field, or undefined for a missing or repeated one. */
function field(request: FastifyRequest, name: string): string | undefined {
  const body = request.body as Record<string, unknown> | null | undefined;
  const value = typeof body === 'object' && body !== null ? body[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function queryField(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** True when two login tokens are equal, compared in constant time. */
function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !LOGIN_TOKEN.test(a) || !LOGIN_TOKEN.test(b)) return false;
  // SECURITY: constant time, so the cookie's value cannot be found byte by byte.
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The first 16 hex digits of a user name's SHA-256: enough to correlate log lines, not to read the name. */
function nameDigest(name: string | undefined): string | null {
  return name === undefined ? null : createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
}

/**
 * Registers the local admin sign-in (nothing when `admin.enabled` is false):
 *
 * - `GET /admin/login[?returnUrl=/admin/…]` — the sign-in form, and, when
 *   `admin.adminClaim` is set, a "Sign in with <issuer>" link per sign-in
 *   issuer named in `admin.adminClaim.issuers`; for an admin already signed in, a page with a sign-out button.
 * - `POST /admin/login` — checks the form's CSRF token, the throttle (per
 *   account, per client address and per pair, in the store), then
 *   the password; on success issues an admin session cookie
 *   (`local:<username>`, role `admin`), records the sign-in, and answers 303
 *   to the return path. Wrong name or password: 401 with one message for
 *   both; a throttled attempt: 429 with Retry-After; a bad form token: 403.
 * - `POST /admin/logout` — with the session's CSRF token (`_csrf`), revokes
 *   the session (every instance refuses its cookie from then on), clears the
 *   cookie and answers 303 to `/admin/login`; without it, 403.
 *
 * SECURITY (login CSRF): a forged cross-site POST could sign a victim's
 * browser in to an attacker's admin account. The form carries a random token
 * that must equal the one in a `SameSite=Strict; HttpOnly` cookie set with
 * the form (`__Host-` prefixed over https, so a sibling domain cannot plant
 * it); another site can neither read the cookie nor make the browser send it.
 */
export function registerAdminLoginRoutes(
  app: FastifyInstance,
  services: GatewayServices,
  options: AdminLoginOptions = {},
): void {
  const { config, store, cookies, sessions, admin, now, revocations } = services;
  if (!config.admin.enabled) return;
  const throttle = options.throttle ?? createLoginThrottle({ store });
  const secure = config.session.secureCookies;
  const cookieName = secure ? `__Host-${LOGIN_CSRF_COOKIE}` : LOGIN_CSRF_COOKIE;
  let dummyHash: Promise<string> | undefined;

  /**
   * The hash an unknown user name is checked against: made once (started by
   * the first form served, so that the first refusal takes no longer than
   * the others), from a random password nobody knows.
   */
  function dummy(): Promise<string> {
    if (dummyHash === undefined) {
      dummyHash = hashPassword(randomBytes(18).toString('base64'));
      // Awaited by sign-ins; a failure surfaces there, never as an unhandled rejection.
      dummyHash.catch(() => undefined);
    }
    return dummyHash;
  }

  /** The login token's cookie: `SameSite=Strict`, HttpOnly, on every path (`__Host-` over https needs `/`). */
  function loginTokenCookie(value: string, maxAge: number): OwnCookie {
    return {
      name: cookieName,
      value,
      attributes: { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge },
    };
  }

  /** The login form's token: the one in the request's cookie when well-formed, else a new one; (re)set on the reply. */
  function loginToken(request: FastifyRequest, reply: FastifyReply, fresh: boolean): string {
    const presented = readRequestCookie(request.headers.cookie, cookieName);
    const token =
      !fresh && presented !== undefined && LOGIN_TOKEN.test(presented)
        ? presented
        : randomBytes(32).toString('base64url');
    setReplyCookie(reply, loginTokenCookie(token, LOGIN_CSRF_MAX_AGE_SECONDS));
    return token;
  }

  function clearLoginToken(reply: FastifyReply): void {
    setReplyCookie(reply, loginTokenCookie('', 0));
  }

  /** The issuers offered beside the form: those whose claim can make an admin (`admin.adminClaim.issuers`). */
  async function adminIssuers(request: FastifyRequest): Promise<LoginPageState['issuers']> {
    const adminClaim = config.admin.adminClaim;
    if (adminClaim === undefined || adminClaim.issuers.length === 0) return [];
    try {
      const { issuers } = await findLoginOptions(store, config.server.publicUrl);
      return issuers
        .filter((issuer) => adminClaim.issuers.includes(issuer.name))
        .map((issuer) => ({
          name: issuer.name,
          text: issuer.description === '' ? issuer.name : issuer.description,
        }));
    } catch (error) {
      // No realm yet: the local form still works, so the page is served without the links.
      if (!isClaimsgateError(error, 'CG_STORE_NOT_FOUND')) throw error;
      request.log.debug({ code: error.code }, 'admin login: no realm, no issuer links');
      return [];
    }
  }

  async function sendLoginForm(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: { returnPath: string; message?: string; username?: string; freshToken?: boolean },
  ): Promise<FastifyReply> {
    const session = sessions.sessionOf(request);
    const state: LoginPageState = {
      csrfToken: loginToken(request, reply, extra.freshToken === true),
      returnPath: extra.returnPath,
      issuers: await adminIssuers(request),
      ...(extra.message === undefined ? {} : { message: extra.message }),
      ...(extra.username === undefined ? {} : { username: extra.username }),
      ...(session === undefined ? {} : { signedInAs: session.user }),
    };
    return sendPage(reply, status, renderLoginPage(state));
  }

  app.get('/admin/login', async (request, reply) => {
    const returnPath = adminReturnPath(queryField(request, 'returnUrl'));
    void dummy();
    const signedIn = admin.adminOf(request);
    if (signedIn !== undefined)
      return sendPage(reply, 200, renderSignedInPage(signedIn, admin.csrfToken(signedIn), returnPath));
    return sendLoginForm(request, reply, 200, { returnPath });
  });

  app.post('/admin/login', async (request, reply) => {
    const returnPath = adminReturnPath(field(request, 'returnUrl'));
    const presented = readRequestCookie(request.headers.cookie, cookieName);
    if (!sameToken(presented, field(request, CSRF_FIELD))) {
      request.log.warn(
        { code: 'CG_ADMIN_CSRF_INVALID', ip: request.ip },
        'admin login refused: no valid form token',
      );
      return sendLoginForm(request, reply, 403, {
        returnPath,
        freshToken: true,
        message: 'The sign-in form had expired or did not come from this site. Please sign in again.',
      });
    }
    const typed = field(request, 'username');
    const password = field(request, 'password');
    const key = adminUsernameKey(typed);
    const refill = key === undefined ? {} : { username: typed! };

    // SECURITY: a name no account can have still costs a full scrypt below, so it is throttled
    // like any other, all such names counted as one pseudo-account that no real one can be.
    const attempt = await throttle.begin(key ?? MALFORMED_NAME_ACCOUNT, request.ip, now());
    if (!attempt.admitted) {
      request.log.warn(
        {
          code: 'CG_ADMIN_LOGIN_THROTTLED',
          usernameSha256: nameDigest(key),
          ip: request.ip,
          lockedBy: attempt.scope,
          retryAfterSeconds: attempt.retryAfterSeconds,
        },
        'admin login refused: too many failures',
      );
      const minutes = Math.max(1, Math.ceil(attempt.retryAfterSeconds / 60));
      reply.header('retry-after', String(attempt.retryAfterSeconds));
      return sendLoginForm(request, reply, 429, {
        returnPath,
        ...refill,
        message: `${THROTTLED_MESSAGES[attempt.scope]} Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      });
    }

    let verified = false;
    try {
      const account = key === undefined ? undefined : await store.getAdminAccount(key);
      // SECURITY: an unknown name costs the same scrypt as a known one, so timing tells nothing.
      verified = await verifyPassword(password ?? '', account?.passwordHash ?? (await dummy()));
      verified &&= account !== undefined;
      if (verified) {
        await store.recordAdminLogin(key!, now());
        setReplyCookie(
          reply,
          cookies.issue({
            user: `local:${key!}`,
            issuer: LOCAL_ADMIN_ISSUER,
            claims: {},
            roles: [ADMIN_ROLE],
          }),
        );
        clearLoginToken(reply);
        request.log.info({ event: 'admin.login', user: `local:${key!}`, ip: request.ip }, 'admin signed in');
        return await reply.header('cache-control', 'no-store').redirect(returnPath, 303);
      }
      request.log.warn(
        {
          code: 'CG_ADMIN_LOGIN_FAILED',
          // SECURITY: a name that is no account may be a password typed in the wrong field: only its digest is logged.
          ...(account === undefined ? { usernameSha256: nameDigest(key) } : { username: key }),
          reason:
            key === undefined
              ? 'malformed user name'
              : account === undefined
                ? 'no such account'
                : 'wrong password',
          ip: request.ip,
        },
        'admin login refused',
      );
    } catch (error) {
      // The account may have been deleted between the check and the record: a failure like any other.
      if (!isClaimsgateError(error, 'CG_STORE_NOT_FOUND')) throw error;
      verified = false;
      request.log.warn({ code: error.code, username: key ?? null, ip: request.ip }, 'admin login refused');
    } finally {
      await attempt.finish(verified, now());
    }
    return sendLoginForm(request, reply, 401, {
      returnPath,
      ...refill,
      message: 'Sign-in failed: the user name or the password is wrong.',
    });
  });

  app.post('/admin/logout', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const session = sessions.sessionOf(request);
    if (session === undefined) return reply.redirect('/admin/login', 303);
    // SECURITY: a cross-site form cannot sign an admin out (logout CSRF): the session's token is required.
    if (!admin.checkCsrf(session, field(request, CSRF_FIELD))) {
      request.log.warn(
        { code: 'CG_ADMIN_CSRF_INVALID', user: session.user, ip: request.ip },
        'admin logout refused',
      );
      return sendPage(reply, 403, renderRefusalPage('CG_ADMIN_CSRF_INVALID'));
    }
    // SECURITY: the session ends on every instance, not only in this browser: the old cookie stops working.
    await revocations.revoke(session);
    setReplyCookie(reply, cookies.clear());
    request.log.info({ event: 'admin.logout', user: session.user, ip: request.ip }, 'admin signed out');
    return reply.redirect('/admin/login', 303);
  });
}
