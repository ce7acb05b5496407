/** Relying-party realms and the issuers they allow. */
import {
  IdParamsSchema,
  listOf,
  RealmInputSchema,
  RealmSchema,
  RealmUpdateSchema,
} from '../openapi-schemas.js';
import {
  answers200,
  answers201,
  answers204,
  type AdminApi,
  type AdminApiContext,
} from './admin-api-context.js';

export function registerRealmRoutes(api: AdminApi, { service, callerOf }: AdminApiContext): void {
  api.get(
    '/realms',
    {
      schema: {
        operationId: 'listRealms',
        summary: 'Every realm.',
        tags: ['realms'],
        errorStatuses: [503],
        response: answers200(listOf(RealmSchema)),
      },
    },
    async () => service.listRealms(),
  );

  api.post(
    '/realms',
    {
      schema: {
        operationId: 'createRealm',
        summary: 'Creates a realm; allowed issuers by ID or name.',
        tags: ['realms'],
        errorStatuses: [404, 409, 503],
        body: RealmInputSchema,
        response: answers201(RealmSchema),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createRealm(request.body, callerOf(request).actor)),
  );

  api.get(
    '/realms/:id',
    {
      schema: {
        operationId: 'getRealm',
        summary: 'One realm, by ID or realm URI (URL-encoded).',
        tags: ['realms'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers200(RealmSchema),
      },
    },
    async (request) => service.getRealm(request.params.id),
  );

  api.patch(
    '/realms/:id',
    {
      schema: {
        operationId: 'updateRealm',
        summary: "Updates a realm's fields.",
        tags: ['realms'],
        errorStatuses: [404, 409, 503],
        params: IdParamsSchema,
        body: RealmUpdateSchema,
        response: answers200(RealmSchema),
      },
    },
    async (request) => service.updateRealm(request.params.id, request.body, callerOf(request).actor),
  );

  api.delete(
    '/realms/:id',
    {
      schema: {
        operationId: 'deleteRealm',
        summary: 'Deletes a realm.',
        tags: ['realms'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers204(),
      },
    },
    async (request, reply) => {
      await service.deleteRealm(request.params.id, callerOf(request).actor);
      return reply.code(204).send();
    },
  );
}
