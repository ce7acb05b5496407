import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../lib/error-codes.js';
import { isClaimsgateError, type ClaimsgateError } from '../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../lib/html.js';
import { renderPage } from './html.js';
import { acceptsHtml } from './proxy-refusals.js';

/** The codes of a store that failed (as opposed to input it refused): the gateway cannot serve the request. */
const STORE_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CG_STORE_UNAVAILABLE',
  'CG_STORE_QUERY_FAILED',
  'CG_STORE_TIMEOUT',
  'CG_STORE_IN_USE',
  'CG_STORE_MIGRATION_FAILED',
]);

/**
 * True for an error of the store itself (unreachable, a statement failing),
 * not of the input it was given (`CG_STORE_NOT_FOUND`, `…_DUPLICATE`, …).
 * SECURITY: its message names the database, host or table: it goes to the
 * log only; clients get the code, its registry meaning and the request ID.
 */
export function isStoreFailure(error: unknown): error is ClaimsgateError {
  return isClaimsgateError(error) && STORE_FAILURES.has(error.code);
}

/** 503 for a store that cannot serve now (unreachable, busy, a statement over its timeout: retry later), 500 for one that fails otherwise. */
export function storeFailureStatus(error: ClaimsgateError): number {
  return error.code === 'CG_STORE_UNAVAILABLE' ||
    error.code === 'CG_STORE_IN_USE' ||
    error.code === 'CG_STORE_TIMEOUT'
    ? 503
    : 500;
}

/** The JSON body of a failure for API clients: code, registry meaning, request ID; nothing from the error itself. */
export function failureBody(code: ErrorCode, request: FastifyRequest): Record<string, string> {
  return { code, message: ERROR_CODES[code].meaning, requestId: String(request.id) };
}

/**
 * An error page: the code and the registry's meaning of it, with a link to
 * start again. Only registry text is shown.
 *
 * SECURITY: the error's message and detail may quote the token or the
 * request; they go to the log, never to the page.
 */
export function renderErrorPage(
  code: ErrorCode,
  extraHtml: SafeHtml = html``,
  title = 'Sign-in failed',
  requestId?: string,
): string {
  return renderPage(
    title,
    joinHtml(
      [
        html`<p>Error code: <code>${code}</code></p>`,
        html`<p>${ERROR_CODES[code].meaning}</p>`,
        extraHtml,
        ...(requestId === undefined
          ? []
          : [html`<p>Support ID: <code>${requestId}</code> (quote it to your administrator)</p>`]),
        html`<p><a href="/">Start again</a></p>`,
      ],
      '\n',
    ),
  );
}

/**
 * What the log says of an expected refusal: its code, message, hint and
 * detail on one line. A refusal is the gateway working as meant (a wrong key,
 * an expired token), so no stack trace: one refused sign-in is one short line
 * however many arrive.
 */
function refusalFacts(error: ClaimsgateError): Record<string, unknown> {
  return {
    code: error.code,
    reason: error.message,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.detail === undefined ? {} : { detail: error.detail }),
  };
}

/** Logs the refusal (code, message, hint, detail; no stack) and answers `status` with the safe error page titled `title`. */
export function sendErrorPage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: ClaimsgateError,
  extraHtml: SafeHtml = html``,
  title = 'Sign-in failed',
): FastifyReply {
  request.log.warn(refusalFacts(error), 'sign-in refused');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(renderErrorPage(error.code, extraHtml, title, String(request.id)));
}

/**
 * Answers a store failure (see {@link isStoreFailure}): logged in full at
 * `error`, then an HTML error page for a browser or a JSON body for an API
 * client, each with the code, its registry meaning and the request ID.
 */
export function sendStoreFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  error: ClaimsgateError,
): FastifyReply {
  request.log.error({ err: error, code: error.code, detail: error.detail }, 'the store failed');
  const status = storeFailureStatus(error);
  reply.code(status).header('cache-control', 'no-store');
  if (status === 503) reply.header('retry-after', '5');
  if (!acceptsHtml(request.headers.accept)) return reply.send(failureBody(error.code, request));
  return reply
    .type('text/html; charset=utf-8')
    .send(renderErrorPage(error.code, html``, 'Service unavailable', String(request.id)));
}

/**
 * The gateway's last-resort error handler, for whatever a route did not
 * answer itself: a store failure as {@link sendStoreFailure}; another coded
 * error with its status (400 unless it says otherwise) and registry text; a
 * request Fastify refused (4xx) with Fastify's own answer; anything else a
 * 500 naming only the request ID.
 *
 * SECURITY: nothing of an unexpected error — a driver's message, a database
 * name, a host, a stack — reaches the client; the log has it all.
 */
export function handleGatewayError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isStoreFailure(error)) return sendStoreFailure(request, reply, error);
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (isClaimsgateError(error)) {
    const coded = status >= 400 && status < 600 ? status : 400;
    if (acceptsHtml(request.headers.accept))
      return sendErrorPage(request, reply, coded, error, html``, 'Request refused');
    request.log.warn(refusalFacts(error), 'request refused');
    return reply.code(coded).header('cache-control', 'no-store').send(failureBody(error.code, request));
  }
  if (status >= 400 && status < 500) {
    request.log.info({ err: error }, 'request could not be read');
    return reply.code(status).send({
      statusCode: status,
      code: 'code' in error ? error.code : undefined,
      message: error.message,
    });
  }
  request.log.error({ err: error }, 'request failed');
  reply.code(500).header('cache-control', 'no-store');
  const requestId = String(request.id);
  if (!acceptsHtml(request.headers.accept))
    return reply.send({ message: 'An unexpected error occurred; it was logged.', requestId });
  return reply
    .type('text/html; charset=utf-8')
    .send(
      renderPage(
        'Something went wrong',
        html`<p>The request could not be served; the error was logged.</p>\n<p>Support ID: <code>${requestId}</code> (quote it to your administrator)</p>\n<p><a href="/">Start again</a></p>`,
      ),
    );
}
