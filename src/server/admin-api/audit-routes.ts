/** The append-only audit log, filtered and paged. */
import type { Static } from '@sinclair/typebox';
import type { AuditFilter } from '../../management/service.js';
import { AuditPageSchema, AuditQuerySchema } from '../openapi-schemas.js';
import { answers200, type AdminApi, type AdminApiContext } from './admin-api-context.js';

/** The audit query as the service's filter: the time range as instants, the rest as given. */
function auditFilter(query: Static<typeof AuditQuerySchema>): AuditFilter {
  const { since, until, ...rest } = query;
  return {
    ...rest,
    ...(since === undefined ? {} : { since: new Date(since) }),
    ...(until === undefined ? {} : { until: new Date(until) }),
  };
}

export function registerAuditRoutes(api: AdminApi, { service }: AdminApiContext): void {
  api.get(
    '/audit',
    {
      schema: {
        operationId: 'listAudit',
        summary:
          'The audit log, oldest first, filtered by issuer, action (exact, or a prefix ending in "."), actor, time range and text; paged with afterId.',
        tags: ['audit'],
        errorStatuses: [404, 503],
        querystring: AuditQuerySchema,
        response: answers200(AuditPageSchema),
      },
    },
    async (request) => service.listAudit(auditFilter(request.query)),
  );
}
