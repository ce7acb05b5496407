/** The issuers: list, create, read, update, delete, refresh, and the pending-change review. */
import {
  IdParamsSchema,
  IssuerDetailSchema,
  IssuerInputSchema,
  IssuerRemovalSchema,
  IssuerSummarySchema,
  IssuerUpdateSchema,
  listOf,
  PendingChangeSchema,
  PendingDecisionSchema,
  RefreshAllSchema,
  RefreshOutcomeSchema,
} from '../openapi-schemas.js';
import { answers200, answers201, type AdminApi, type AdminApiContext } from './admin-api-context.js';

export function registerIssuerRoutes(api: AdminApi, { service, callerOf }: AdminApiContext): void {
  api.get(
    '/issuers',
    {
      schema: {
        operationId: 'listIssuers',
        summary: 'Every issuer with its key counts, next expiry, refresh status and alerts.',
        tags: ['issuers'],
        errorStatuses: [503],
        response: answers200(listOf(IssuerSummarySchema)),
      },
    },
    async () => service.listIssuers(),
  );

  api.post(
    '/issuers',
    {
      schema: {
        operationId: 'createIssuer',
        summary: 'Creates an issuer (no refresh; see the refresh and import operations).',
        tags: ['issuers'],
        errorStatuses: [409, 503],
        body: IssuerInputSchema,
        response: answers201(IssuerDetailSchema),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await service.createIssuer(request.body, callerOf(request).actor)),
  );

  api.get(
    '/issuers/:id',
    {
      schema: {
        operationId: 'getIssuer',
        summary: 'One issuer (by ID or name) with its keys, last-known-good metadata and claim mappings.',
        tags: ['issuers'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers200(IssuerDetailSchema),
      },
    },
    async (request) => service.getIssuer(request.params.id),
  );

  api.patch(
    '/issuers/:id',
    {
      schema: {
        operationId: 'updateIssuer',
        summary:
          "Updates an issuer's fields; with expectedVersion, refuses (409) when someone changed it since.",
        tags: ['issuers'],
        errorStatuses: [404, 409, 503],
        params: IdParamsSchema,
        body: IssuerUpdateSchema,
        response: answers200(IssuerDetailSchema),
      },
    },
    async (request) => {
      // expectedVersion guards the update; it is not an issuer field.
      const { expectedVersion, ...fields } = request.body;
      return service.updateIssuer(request.params.id, fields, callerOf(request).actor, expectedVersion);
    },
  );

  api.delete(
    '/issuers/:id',
    {
      schema: {
        operationId: 'deleteIssuer',
        summary:
          'Deletes an issuer with its keys and claim mappings (the audit log keeps its history), and takes it out of the realms that name it in the same transaction: a home realm naming it is cleared, and it leaves their allowed issuers. Answers what was removed and which realms changed; refuses (409 CG_STORE_REFERENCED, naming them) when a realm allows this issuer alone.',
        tags: ['issuers'],
        errorStatuses: [404, 409, 503],
        params: IdParamsSchema,
        response: answers200(IssuerRemovalSchema),
      },
    },
    async (request) => service.deleteIssuer(request.params.id, callerOf(request).actor),
  );

  api.post(
    '/issuers/refresh',
    {
      schema: {
        operationId: 'refreshAllIssuers',
        summary:
          'Refresh all: fetches the metadata of every issuer with a metadata URL at once, 8 at a time; answers when all are done, with the outcomes counted and the failures named.',
        tags: ['issuers'],
        errorStatuses: [503],
        response: answers200(RefreshAllSchema),
      },
    },
    async (request) => service.refreshAllIssuers(callerOf(request).actor),
  );

  api.post(
    '/issuers/:id/refresh',
    {
      schema: {
        operationId: 'refreshIssuer',
        summary: "Refresh now: fetches the issuer's metadata at once, whatever the schedule.",
        tags: ['issuers'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers200(RefreshOutcomeSchema),
      },
    },
    async (request) => service.refreshIssuer(request.params.id, callerOf(request).actor),
  );

  api.get(
    '/issuers/:id/pending-change',
    {
      schema: {
        operationId: 'getPendingChange',
        summary:
          'The document a refresh held because it replaces the issuer’s keys without continuity, with the keys it would add and remove.',
        tags: ['issuers'],
        errorStatuses: [404, 503],
        params: IdParamsSchema,
        response: answers200(PendingChangeSchema),
      },
    },
    async (request) => service.getPendingChange(request.params.id),
  );

  api.post(
    '/issuers/:id/pending-change/approve',
    {
      schema: {
        operationId: 'approvePendingChange',
        summary:
          'Approves the pending change reviewed (by its sha256; 409 when a newer document replaced it) and refreshes the issuer, applying it.',
        tags: ['issuers'],
        errorStatuses: [404, 409, 503],
        params: IdParamsSchema,
        body: PendingDecisionSchema,
        response: answers200(RefreshOutcomeSchema),
      },
    },
    async (request) =>
      service.approvePendingChange(request.params.id, request.body.sha256, callerOf(request).actor),
  );

  api.post(
    '/issuers/:id/pending-change/reject',
    {
      schema: {
        operationId: 'rejectPendingChange',
        summary:
          'Rejects the pending change reviewed (by its sha256; 409 when a newer document replaced it): the issuer keeps its keys and the same document raises no new alert.',
        tags: ['issuers'],
        errorStatuses: [404, 409, 503],
        params: IdParamsSchema,
        body: PendingDecisionSchema,
        response: answers200(PendingChangeSchema),
      },
    },
    async (request) =>
      service.rejectPendingChange(request.params.id, request.body.sha256, callerOf(request).actor),
  );
}
