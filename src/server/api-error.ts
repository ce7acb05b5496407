import type { FastifyReply } from 'fastify';
import type { ClaimsgateError } from '../lib/errors.js';

/** Sends an API refusal as a JSON problem body: the code, what went wrong, and what to do (never cached). */
export function sendApiError(reply: FastifyReply, status: number, error: ClaimsgateError): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ code: error.code, message: error.message, hint: error.hint });
}
