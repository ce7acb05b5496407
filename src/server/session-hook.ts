import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isClaimsgateError } from '../lib/errors.js';
import type { Session, SessionCookies } from '../session/session-cookie.js';
import { readRequestCookie, setReplyCookie } from './reply-cookies.js';

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
 * Sessions are kept in a WeakMap owned by this hook; nothing is decorated.
 */
export function createSessionHook(cookies: SessionCookies, cookieName: string): SessionHook {
  const sessions = new WeakMap<FastifyRequest, Session>();
  return {
    register(app: FastifyInstance): void {
      app.addHook('onRequest', async (request, reply) => {
        const value = readRequestCookie(request.headers.cookie, cookieName);
        if (value === undefined || value === '') return;
        try {
          const read = cookies.read(value);
          sessions.set(request, read.session);
          if (read.renew !== undefined) setReplyCookie(reply, read.renew);
        } catch (error) {
          if (!isClaimsgateError(error)) throw error;
          // SECURITY: a cookie that does not open is never partly trusted; the user is signed out.
          request.log.debug({ code: error.code, detail: error.detail }, 'session cookie refused');
          setReplyCookie(reply, cookies.clear());
        }
      });
    },
    sessionOf(request: FastifyRequest): Session | undefined {
      return sessions.get(request);
    },
  };
}
