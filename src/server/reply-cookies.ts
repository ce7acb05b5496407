import type { FastifyReply } from 'fastify';
import { serializeSetCookie, type Cookie } from '../session/set-cookie.js';

/**
 * Sets `cookie` on the response, replacing any Set-Cookie already queued for
 * the same name (a session hook's renewal or clearing, then a sign-in's new
 * session): the browser gets one instruction per cookie.
 *
 * @throws TypeError when the cookie cannot be serialized (see `serializeSetCookie`).
 */
export function setReplyCookie(reply: FastifyReply, cookie: Cookie): void {
  const header = serializeSetCookie(cookie);
  const queued = reply.getHeader('set-cookie');
  const existing = queued === undefined ? [] : Array.isArray(queued) ? queued : [String(queued)];
  const others = existing.filter((line) => !line.startsWith(`${cookie.name}=`));
  reply.removeHeader('set-cookie');
  reply.header('set-cookie', [...others, header]);
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
