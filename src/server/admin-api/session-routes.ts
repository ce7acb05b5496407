/** `GET /session`: who is signed in, and the CSRF token of the session. */
import { SessionSchema } from '../openapi-schemas.js';
import {
  ADMIN_API_CSRF_HEADER,
  answers200,
  type AdminApi,
  type AdminApiContext,
} from './admin-api-context.js';

export function registerSessionRoutes(api: AdminApi, { services, callerOf }: AdminApiContext): void {
  api.get(
    '/session',
    {
      schema: {
        operationId: 'getSession',
        summary: 'The signed-in administrator and the CSRF token to send on POST, PATCH and DELETE.',
        tags: ['session'],
        response: answers200(SessionSchema),
      },
    },
    (request) => {
      const { session } = callerOf(request);
      return {
        user: session.user,
        issuer: session.issuer,
        roles: [...session.roles],
        csrfToken: services.admin.csrfToken(session),
        csrfHeader: ADMIN_API_CSRF_HEADER,
        expiresAt: session.expiresAt.toISOString(),
      };
    },
  );
}
