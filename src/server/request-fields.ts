import type { FastifyRequest } from 'fastify';

/** The one value of a form field; a missing or repeated one is undefined. */
export function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body as Record<string, unknown> | undefined | null;
  const value = typeof body === 'object' && body !== null ? body[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The one value of a query parameter; a repeated or missing one is undefined. */
export function queryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}
