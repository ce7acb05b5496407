/** An issuer's keys: list, add by hand, revoke, reactivate. */
import {
  AddedKeySchema,
  AddKeyInputSchema,
  IdParamsSchema,
  KeySchema,
  listOf,
  ReasonSchema,
} from '../openapi-schemas.js';
import { answers200, answers201, type AdminApi, type AdminApiContext } from './admin-api-context.js';

export function registerKeyRoutes(api: AdminApi, { service, callerOf }: AdminApiContext): void {
  api.get(
    '/issuers/:id/keys',
    {
      schema: {
        operationId: 'listKeys',
        summary: 'Every key of an issuer, usable ones first.',
        tags: ['keys'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers200(listOf(KeySchema)),
      },
    },
    async (request) => service.listKeys(request.params.id),
  );

  api.post(
    '/issuers/:id/keys',
    {
      schema: {
        operationId: 'addKey',
        summary: 'Adds a key by hand from a pasted certificate or thumbprint.',
        description:
          'A thumbprint is normalised explicitly: the answer lists every character removed (spaces, colons, U+200E LEFT-TO-RIGHT MARK…) with its code point and position.',
        tags: ['keys'],
        errorStatuses: [404, 409, 503],
        params: IdParamsSchema,
        body: AddKeyInputSchema,
        response: answers201(AddedKeySchema),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.addKey(request.params.id, request.body, callerOf(request).actor)),
  );

  api.post(
    '/keys/:id/revoke',
    {
      schema: {
        operationId: 'revokeKey',
        summary: 'Revokes a key: it stops validating tokens at once and no refresh revives it.',
        tags: ['keys'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        body: ReasonSchema,
        response: answers200(KeySchema),
      },
    },
    async (request) => service.revokeKey(request.params.id, request.body.reason, callerOf(request).actor),
  );

  api.post(
    '/keys/:id/reactivate',
    {
      schema: {
        operationId: 'reactivateKey',
        summary: 'Makes a revoked or retired key active again (not an expired certificate).',
        tags: ['keys'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        body: ReasonSchema,
        response: answers200(KeySchema),
      },
    },
    async (request) => service.reactivateKey(request.params.id, request.body.reason, callerOf(request).actor),
  );
}
