import { fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { cookieParts, type OwnCookie } from '../session/set-cookie.js';

/**
 * Registers `@fastify/cookie` on the gateway: every cookie of claimsgate's
 * is queued on the reply with `setReplyCookie` and written, one Set-Cookie
 * line per cookie, when the reply is sent. Cookies are read with
 * `readRequestCookie`, the one parser the reverse proxy's cookie stripping
 * agrees with.
 */
export function registerReplyCookies(app: FastifyInstance): void {
  void app.register(fastifyCookie);
}

/**
 * Sets `cookie` on the response, replacing any already queued for the same
 * name and path (a session hook's renewal or clearing, then a sign-in's new
 * session): the browser gets one instruction per cookie.
 *
 * @throws TypeError when the cookie cannot be serialized (see `cookieParts`).
 */
export function setReplyCookie(reply: FastifyReply, cookie: OwnCookie): void {
  const { name, value, options } = cookieParts(cookie);
  reply.setCookie(name, value, options);
}

/**
 * The value of the first cookie called `name` in a Cookie request header, or
 * undefined. Values are returned as sent (sealed values need no decoding).
 */
export function readRequestCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    if (pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return undefined;
}
