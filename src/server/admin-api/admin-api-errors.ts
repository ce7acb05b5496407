/**
 * How the admin API answers what goes wrong: Fastify's validation failures
 * and unreadable bodies as 400 `CG_ADMIN_INPUT_INVALID` naming the field,
 * ClaimsgateErrors with the status their code calls for, store failures
 * with the status and body every part of the gateway uses, and anything
 * else as a 500 whose cause is logged and never sent.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../lib/error-codes.js';
import { ClaimsgateError, isClaimsgateError } from '../../lib/errors.js';
import { failureBody, isStoreFailure, storeFailureStatus } from '../error-page.js';

/**
 * The HTTP status of a ClaimsgateError from the admin service: not found
 * 404; duplicate and conflict 409; store down 503; unusable metadata or
 * signatures 422; anything else the admin gave 400.
 */
export function statusOfAdminError(code: ErrorCode): number {
  switch (code) {
    case 'CG_ADMIN_UNAUTHENTICATED':
      return 401;
    case 'CG_ADMIN_FORBIDDEN':
    case 'CG_ADMIN_CSRF_INVALID':
      return 403;
    case 'CG_STORE_NOT_FOUND':
      return 404;
    case 'CG_STORE_DUPLICATE':
    case 'CG_STORE_CONFLICT':
    case 'CG_STORE_REFERENCED':
      return 409;
    case 'CG_STORE_UNAVAILABLE':
    case 'CG_STORE_TIMEOUT':
      return 503;
    case 'CG_META_URL_INVALID':
    case 'CG_META_URL_INSECURE':
      return 400;
    default:
      return code.startsWith('CG_META_') || code.startsWith('CG_SIG_') ? 422 : 400;
  }
}

/** Sends a coded error as the API's problem body, never cached. */
export function sendProblem(reply: FastifyReply, status: number, error: ClaimsgateError): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({
    code: error.code,
    message: error.message,
    hint: error.hint,
    // SECURITY: the detail names fields, URLs and thumbprints; never a session, cookie or token.
    detail: error.detail,
  });
}

/** Fastify's validation failure, as the API's problem body. */
function validationProblem(error: FastifyError): ClaimsgateError {
  const errors = (error.validation ?? []).map((item) => ({
    path: item.instancePath === '' ? '/' : item.instancePath,
    keyword: item.keyword,
    message: item.message ?? 'is not acceptable',
    ...(item.keyword === 'additionalProperties' ? { property: item.params['additionalProperty'] } : {}),
  }));
  const first = errors[0];
  const where = error.validationContext ?? 'request';
  const subject = first === undefined ? where : `${where}${first.path === '/' ? '' : first.path}`;
  const what =
    first === undefined
      ? 'is not acceptable'
      : first.keyword === 'additionalProperties'
        ? `has a property it does not accept (${String(first.property)})`
        : first.message;
  return new ClaimsgateError('CG_ADMIN_INPUT_INVALID', `The ${subject} ${what}.`, {
    detail: { context: where, errors },
  });
}

/**
 * The API's error handler: validation failures and unreadable bodies become
 * 400 `CG_ADMIN_INPUT_INVALID`, ClaimsgateErrors their status (see
 * {@link statusOfAdminError}), anything else a 500 whose cause is logged,
 * never sent.
 */
export function handleApiError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if ('validation' in error && error.validation !== undefined) {
    return sendProblem(reply, 400, validationProblem(error));
  }
  if (isStoreFailure(error)) {
    // SECURITY: the store's message names the database and host: the log has it, the caller the code.
    request.log.error({ err: error, code: error.code, detail: error.detail }, 'admin API: the store failed');
    return reply
      .code(storeFailureStatus(error))
      .header('cache-control', 'no-store')
      .send(failureBody(error.code, request));
  }
  if (isClaimsgateError(error)) {
    const status = statusOfAdminError(error.code);
    if (status >= 500) request.log.error({ err: error }, 'admin API: store unavailable');
    else request.log.info({ code: error.code, detail: error.detail }, 'admin API refused a request');
    return sendProblem(reply, status, error);
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    // A body Fastify could not read (bad JSON, wrong content type, too large): the message says which, and echoes nothing of the body.
    return sendProblem(
      reply,
      status,
      new ClaimsgateError('CG_ADMIN_INPUT_INVALID', `The request could not be read: ${error.message}`, {
        detail: { status, ...('code' in error ? { fastifyCode: error.code } : {}) },
      }),
    );
  }
  request.log.error({ err: error }, 'admin API failed');
  // SECURITY: an unexpected error's message may carry internals: the log has it, the caller gets the request ID.
  return reply
    .code(500)
    .header('cache-control', 'no-store')
    .send({ message: 'An unexpected error occurred; it was logged.', requestId: String(request.id) });
}
