import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Config } from '../../config/config-schema.js';
import type { DeepReadonly } from '../../config/deep-freeze.js';
import { ClaimsgateError } from '../../lib/errors.js';
import type { SealingKeyRing } from '../../session/sealing-keys.js';
import type { Session } from '../../session/session-cookie.js';
import { CSRF_FIELD, CSRF_HEADER } from '../csrf-names.js';
import { sendApiError } from '../api-error.js';
import type { SessionHook } from '../session-hook.js';

/** The role a local admin account's session carries (see `Session.roles`). */
export const ADMIN_ROLE = 'admin';

/**
 * The `issuer` of a session opened with a local admin account. It is a label
 * only: admin rights come from the session's gateway-granted roles, which a
 * token can never set, not from this name.
 */
export const LOCAL_ADMIN_ISSUER = 'claimsgate:local';

/** How an admin route answers a caller it refuses. */
export type AdminRouteKind = 'api' | 'page';

/** Who may administer the gateway, and the CSRF tokens bound to their sessions. */
export interface AdminGuard {
  /**
   * True when the session may administer: a local admin account (the
   * gateway-granted `admin` role), or a session from one of the issuers
   * named in `admin.adminClaim.issuers` whose claims carry
   * `admin.adminClaim` (type and value, exact match).
   */
  isAdmin(session: Session | undefined): boolean;
  /** The admin session of a request, or undefined (signed out or not an admin). */
  adminOf(request: FastifyRequest): Session | undefined;
  /** The CSRF token for a session: HMAC-SHA256 of its `sid` under the ring's `csrf` key, base64url. */
  csrfToken(session: Session): string;
  /** True when `token` is the CSRF token of `session` under any key of the ring (rotation). */
  checkCsrf(session: Session, token: unknown): boolean;
  /**
   * A preHandler that refuses anonymous callers (401 for the API; a 303 to
   * `/admin/login?returnUrl=…` for pages), non-admins (403), and — for
   * POST, PUT, PATCH and DELETE — a missing or wrong CSRF token (403), read
   * from the `X-CSRF-Token` header or the `_csrf` form field. API refusals
   * are JSON problem bodies `{ code, message, hint }`; page refusals are
   * HTML pages.
   */
  requireAdmin(kind: AdminRouteKind): preHandlerAsyncHookHandler;
}

export interface AdminGuardOptions {
  readonly config: DeepReadonly<Config>;
  readonly ring: SealingKeyRing;
  readonly sessions: SessionHook;
  /** Renders an HTML refusal page for `code` (403 pages). */
  readonly renderRefusal: (reply: FastifyReply, status: number, error: ClaimsgateError) => FastifyReply;
}

const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hmac(key: KeyObject, sid: string): Buffer {
  return createHmac('sha256', key).update(`claimsgate csrf v1 ${sid}`, 'utf8').digest();
}

/** The CSRF token a request carries: the header first, then the form field. */
function presentedToken(request: FastifyRequest): unknown {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined | null;
  return typeof body === 'object' && body !== null ? body[CSRF_FIELD] : undefined;
}

/**
 * Builds the admin guard. Admin is never a claim the token alone decides:
 * either the gateway granted the role at a local-account sign-in, or the
 * operator configured exactly which claim of which value grants it.
 */
export function createAdminGuard(options: AdminGuardOptions): AdminGuard {
  const { config, ring, sessions, renderRefusal } = options;
  const adminClaim = config.admin.adminClaim;

  function isAdmin(session: Session | undefined): boolean {
    if (session === undefined) return false;
    // Roles are granted by the gateway alone (a local admin sign-in); mapIdentity never sets them.
    if (session.roles.includes(ADMIN_ROLE)) return true;
    if (adminClaim === undefined) return false;
    // SECURITY: a claim means something only in the tenant that issued it: another trusted
    // issuer (a partner's tenant, a test IdP) may assert the same type and value for anyone.
    if (!adminClaim.issuers.includes(session.issuer)) return false;
    return session.claims[adminClaim.type]?.includes(adminClaim.value) === true;
  }

  function keyOf(keyId: string): KeyObject {
    const key = ring.purposeKey(keyId, 'csrf');
    if (key === undefined) throw new TypeError(`The key ring has no key ${keyId}.`);
    return key;
  }

  function csrfToken(session: Session): string {
    return hmac(keyOf(ring.sealingKeyId), session.sid).toString('base64url');
  }

  function checkCsrf(session: Session, token: unknown): boolean {
    if (typeof token !== 'string' || token.length === 0 || token.length > 128) return false;
    const presented = Buffer.from(token, 'utf8');
    return ring.keyIds.some((keyId) => {
      const expected = Buffer.from(hmac(keyOf(keyId), session.sid).toString('base64url'), 'utf8');
      // SECURITY: constant-time comparison, so the token cannot be guessed byte by byte.
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
  }

  function requireAdmin(kind: AdminRouteKind): preHandlerAsyncHookHandler {
    return async function adminOnly(request, reply) {
      const session = sessions.sessionOf(request);
      if (session === undefined) {
        const error = new ClaimsgateError('CG_ADMIN_UNAUTHENTICATED', 'Sign in as an administrator first.');
        if (kind === 'api') return sendApiError(reply, 401, error);
        const returnUrl = request.method === 'GET' ? request.url : '/admin';
        return reply
          .header('cache-control', 'no-store')
          .redirect(`/admin/login?${new URLSearchParams({ returnUrl }).toString()}`, 303);
      }
      if (!isAdmin(session)) {
        const error = new ClaimsgateError('CG_ADMIN_FORBIDDEN', `${session.user} is not an administrator.`, {
          detail: { observed: session.user },
        });
        request.log.warn({ code: error.code, user: session.user }, 'admin route refused');
        return kind === 'api' ? sendApiError(reply, 403, error) : renderRefusal(reply, 403, error);
      }
      // SECURITY: every state change needs the token bound to this session (CSRF), whatever the content type.
      if (UNSAFE_METHODS.has(request.method) && !checkCsrf(session, presentedToken(request))) {
        const error = new ClaimsgateError(
          'CG_ADMIN_CSRF_INVALID',
          'The request carries no valid CSRF token for this session.',
        );
        request.log.warn({ code: error.code, user: session.user, url: request.url }, 'admin route refused');
        return kind === 'api' ? sendApiError(reply, 403, error) : renderRefusal(reply, 403, error);
      }
      return undefined;
    };
  }

  return {
    isAdmin,
    adminOf(request: FastifyRequest): Session | undefined {
      const session = sessions.sessionOf(request);
      return isAdmin(session) ? session : undefined;
    },
    csrfToken,
    checkCsrf,
    requireAdmin,
  };
}
