import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '../lib/error-codes.js';
import { ClaimsgateError } from '../lib/errors.js';
import { html, joinHtml } from '../lib/html.js';
import { sendApiError } from './api-error.js';
import { renderPage } from './html.js';

/** True when the Accept header asks for an HTML page (a browser navigating). */
export function acceptsHtml(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  return /(^|[\s,])text\/html\s*(;|,|$)/i.test(value);
}

/** The error for a request that needs a signed-in session. */
export function signInRequired(): ClaimsgateError {
  return new ClaimsgateError('CG_GATEWAY_SIGN_IN_REQUIRED', 'Sign in to use this application.');
}

/**
 * Answers a signed-out request for the application: a browser asking for a
 * page with GET or HEAD is redirected (302) to
 * `/signin?returnUrl=<path and query>`; anything else gets 401 with the JSON
 * body `{ code: 'CG_GATEWAY_SIGN_IN_REQUIRED', message, hint }`.
 */
export function sendSignInRequired(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('cache-control', 'no-store');
  if ((request.method === 'GET' || request.method === 'HEAD') && acceptsHtml(request.headers.accept)) {
    // The return URL is checked again by /signin (safeReturnUrl): a `//host` path becomes `/`.
    return reply.redirect(`/signin?${new URLSearchParams({ returnUrl: request.url }).toString()}`, 302);
  }
  return sendApiError(reply, 401, signInRequired());
}

/** The HTTP status for a gateway-mode refusal: 400, 401, 403, 504, else 502. */
export function refusalStatus(error: ClaimsgateError): number {
  switch (error.code) {
    case 'CG_GATEWAY_REQUEST_INVALID':
      return 400;
    case 'CG_GATEWAY_UPSTREAM_TIMEOUT':
      return 504;
    case 'CG_GATEWAY_SIGN_IN_REQUIRED':
      return 401;
    case 'CG_GATEWAY_ORIGIN_FORBIDDEN':
      return 403;
    default:
      return 502;
  }
}

/**
 * Answers a request the upstream failed: 502 (`CG_GATEWAY_UPSTREAM_UNAVAILABLE`)
 * or 504 (`CG_GATEWAY_UPSTREAM_TIMEOUT`), as an HTML page for a browser and
 * JSON `{ code, message, hint }` otherwise. The full error goes to the log.
 *
 * SECURITY: the answer carries only the code and the registry's words; the
 * upstream's address and socket error stay in the log.
 */
export function sendUpstreamFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  error: ClaimsgateError,
): FastifyReply {
  request.log.warn({ err: error, code: error.code, detail: error.detail }, 'upstream request failed');
  const status = refusalStatus(error);
  if (!acceptsHtml(request.headers.accept)) return sendApiError(reply, status, error);
  const body = joinHtml(
    [
      html`<p>Error code: <code>${error.code}</code></p>`,
      html`<p>${ERROR_CODES[error.code].meaning}</p>`,
      html`<p>Try again in a moment. If it keeps happening, tell the administrator the error code.</p>`,
    ],
    '\n',
  );
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(renderPage('The application is unavailable', body));
}

/**
 * Answers a request the gateway will not pass on (`CG_GATEWAY_REQUEST_INVALID`)
 * with 400, as an HTML page for a browser and JSON `{ code, message, hint }`
 * otherwise, and closes the connection: the rest of a refused request is
 * never read as a next one.
 */
export function sendRequestRefused(
  request: FastifyRequest,
  reply: FastifyReply,
  error: ClaimsgateError,
): FastifyReply {
  request.log.info({ code: error.code, detail: error.detail }, 'request refused');
  reply.header('connection', 'close');
  const status = refusalStatus(error);
  if (!acceptsHtml(request.headers.accept)) return sendApiError(reply, status, error);
  const body = joinHtml(
    [html`<p>Error code: <code>${error.code}</code></p>`, html`<p>${error.message}</p>`],
    '\n',
  );
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(renderPage('The request was refused', body));
}

/**
 * Answers a WebSocket handshake on its raw socket and closes it: `status`
 * with the JSON body `{ code, message, hint }` when there is an error, an
 * empty body otherwise; `setCookies` are added as Set-Cookie lines.
 */
export function writeUpgradeRefusal(
  socket: Duplex,
  status: number,
  error?: ClaimsgateError,
  setCookies: readonly string[] = [],
): void {
  if (socket.destroyed) return;
  const body =
    error === undefined ? '' : JSON.stringify({ code: error.code, message: error.message, hint: error.hint });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Cache-Control: no-store',
    ...(error === undefined ? [] : ['Content-Type: application/json; charset=utf-8']),
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...setCookies.map((line) => `Set-Cookie: ${line}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
