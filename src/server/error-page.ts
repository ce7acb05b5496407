import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../lib/error-codes.js';
import type { ClaimsgateError } from '../lib/errors.js';
import { escapeHtml, renderPage } from './html.js';

/**
 * An error page: the code and the registry's meaning of it, with a link to
 * start again. Only registry text is shown.
 *
 * SECURITY: the error's message and detail may quote the token or the
 * request; they go to the log, never to the page.
 */
export function renderErrorPage(code: ErrorCode, extraHtml = '', title = 'Sign-in failed'): string {
  return renderPage(
    title,
    [
      `<p>Error code: <code>${escapeHtml(code)}</code></p>`,
      `<p>${escapeHtml(ERROR_CODES[code].meaning)}</p>`,
      extraHtml,
      '<p><a href="/">Start again</a></p>',
    ].join('\n'),
  );
}

/** Logs the full error (message, hint, detail) and answers `status` with the safe error page titled `title`. */
export function sendErrorPage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: ClaimsgateError,
  extraHtml = '',
  title = 'Sign-in failed',
): FastifyReply {
  request.log.warn(
    { err: error, code: error.code, hint: error.hint, detail: error.detail },
    'sign-in refused',
  );
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(renderErrorPage(error.code, extraHtml, title));
}
