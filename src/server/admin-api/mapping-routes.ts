/** Claim mappings: how each issuer's claims become an identity. */
import {
  ClaimMappingInputSchema,
  ClaimMappingSchema,
  ClaimMappingUpdateSchema,
  IdParamsSchema,
  listOf,
  MappingQuerySchema,
} from '../openapi-schemas.js';
import {
  answers200,
  answers201,
  answers204,
  type AdminApi,
  type AdminApiContext,
} from './admin-api-context.js';

export function registerMappingRoutes(api: AdminApi, { service, callerOf }: AdminApiContext): void {
  api.get(
    '/mappings',
    {
      schema: {
        operationId: 'listClaimMappings',
        summary: 'Claim mappings of every issuer, or of the issuer named.',
        tags: ['mappings'],
        errorStatuses: [404, 503],
        querystring: MappingQuerySchema,
        response: answers200(listOf(ClaimMappingSchema)),
      },
    },
    async (request) => service.listClaimMappings(request.query.issuer),
  );

  api.post(
    '/mappings',
    {
      schema: {
        operationId: 'createClaimMapping',
        summary: 'Creates a claim mapping for an issuer (by ID or name).',
        tags: ['mappings'],
        errorStatuses: [404, 409, 503],
        body: ClaimMappingInputSchema,
        response: answers201(ClaimMappingSchema),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createClaimMapping(request.body, callerOf(request).actor)),
  );

  api.get(
    '/mappings/:id',
    {
      schema: {
        operationId: 'getClaimMapping',
        summary: 'One claim mapping.',
        tags: ['mappings'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers200(ClaimMappingSchema),
      },
    },
    async (request) => service.getClaimMapping(request.params.id),
  );

  api.patch(
    '/mappings/:id',
    {
      schema: {
        operationId: 'updateClaimMapping',
        summary: "Updates a claim mapping's label and claims.",
        tags: ['mappings'],
        errorStatuses: [404, 409, 503],
        params: IdParamsSchema,
        body: ClaimMappingUpdateSchema,
        response: answers200(ClaimMappingSchema),
      },
    },
    async (request) => service.updateClaimMapping(request.params.id, request.body, callerOf(request).actor),
  );

  api.delete(
    '/mappings/:id',
    {
      schema: {
        operationId: 'deleteClaimMapping',
        summary: 'Deletes a claim mapping.',
        tags: ['mappings'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers204(),
      },
    },
    async (request, reply) => {
      await service.deleteClaimMapping(request.params.id, callerOf(request).actor);
      return reply.code(204).send();
    },
  );
}
