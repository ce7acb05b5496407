import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isClaimsgateError } from '../lib/errors.js';
import type { Session, SessionCookies, SessionRead } from '../session/session-cookie.js';
import { readRequestCookie, setReplyCookie } from './reply-cookies.js';
import type { SessionRevocations } from './session-revocations.js';

/** The session hook: registers the hook and tells routes who is signed in. */
export interface SessionHook {
  /** Adds the `onRequest` hook that reads the session cookie to `app`. */
  register(app: FastifyInstance): void;
  /** The session of a request, or undefined when it is signed out. */
  sessionOf(request: FastifyRequest): Session | undefined;
}

/**
 * Builds the hook that reads the session cookie on every request. A valid
 * cookie attaches its session to the request and, when due, queues the
 * renewed cookie on the response. A tampered, unreadable or expired cookie
 * means signed out: the cookie is cleared and the reason logged at debug.
 * So does a revoked session (signed out, its account's password changed or
 * the account deleted, on any instance: see `createSessionRevocations`).
 * Sessions are kept in a WeakMap owned by this hook; nothing is decorated.
 *
 * @throws ClaimsgateError (from the hook) the store's failure while the
 *   revocation list has never been read: a session is not trusted unchecked.
 */
export function createSessionHook(
  cookies: SessionCookies,
  cookieName: string,
  revocations: SessionRevocations,
): SessionHook {
  const sessions = new WeakMap<FastifyRequest, Session>();
  return {
    register(app: FastifyInstance): void {
      // A callback hook: the common case (the revocation list is loaded) answers without a promise.
      app.addHook('onRequest', (request, reply, done) => {
        const value = readRequestCookie(request.headers.cookie, cookieName);
        if (value === undefined || value === '') {
          done();
          return;
        }
        let read: SessionRead;
        try {
          read = cookies.read(value);
        } catch (error) {
          // Only the cookie's own refusals (CG_SESSION_*) sign out; anything else answers as an error.
          if (!isClaimsgateError(error) || !error.code.startsWith('CG_SESSION_')) {
            done(error as Error);
            return;
          }
          // SECURITY: a cookie that does not open is never partly trusted; the user is signed out.
          request.log.debug({ code: error.code, detail: error.detail }, 'session cookie refused');
          setReplyCookie(reply, cookies.clear());
          done();
          return;
        }
        const admit = (): void => {
          if (revocations.isRevoked(read.session)) {
            request.log.debug({ user: read.session.user }, 'session cookie refused: the session was revoked');
            setReplyCookie(reply, cookies.clear());
            return;
          }
          sessions.set(request, read.session);
          if (read.renew !== undefined) setReplyCookie(reply, read.renew);
        };
        // SECURITY: fail closed — without the revocation list no session is trusted (a store failure answers).
        if (revocations.loaded) {
          try {
            admit();
          } catch (error) {
            done(error as Error);
            return;
          }
          done();
          return;
        }
        revocations
          .reload()
          .then(admit)
          .then(
            () => done(),
            (error: unknown) => done(error as Error),
          );
      });
    },
    sessionOf(request: FastifyRequest): Session | undefined {
      return sessions.get(request);
    },
  };
}
