/**
 * The admin REST API under `/admin/api/`: one encapsulated Fastify plugin
 * whose routes, registered by area (admin-api/*-routes.ts), are typed by
 * their TypeBox schemas through Fastify's type provider, and whose OpenAPI
 * document is built from the very routes registered.
 */
import { AjvCompiler, type RouteDefinition } from '@fastify/ajv-compiler';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { ClaimsgateError } from '../lib/errors.js';
import {
  ADMIN_API_CSRF_HEADER,
  ADMIN_API_PREFIX,
  ADMIN_API_VERSION,
  answers200,
  createAdminApiContext,
  type AdminApi,
} from './admin-api/admin-api-context.js';
import { handleApiError, sendProblem } from './admin-api/admin-api-errors.js';
import { registerAuditRoutes } from './admin-api/audit-routes.js';
import { registerImportRoutes } from './admin-api/import-routes.js';
import { registerIssuerRoutes } from './admin-api/issuer-routes.js';
import { registerKeyRoutes } from './admin-api/key-routes.js';
import { registerMappingRoutes } from './admin-api/mapping-routes.js';
import { registerRealmRoutes } from './admin-api/realm-routes.js';
import { registerSessionRoutes } from './admin-api/session-routes.js';
import { registerToolRoutes } from './admin-api/tool-routes.js';
import type { GatewayServices } from './gateway-services.js';
import { buildOpenApiDocument, describeRoute, type ApiRouteDescription } from './openapi-document.js';
import { OpenApiDocumentSchema } from './openapi-schemas.js';

export { ADMIN_API_CSRF_HEADER, ADMIN_API_PREFIX, ADMIN_API_VERSION } from './admin-api/admin-api-context.js';
export { statusOfAdminError } from './admin-api/admin-api-errors.js';

/** `GET /openapi.json`, described like the others, so the document lists itself. */
function registerOpenApiRoute(api: AdminApi, document: () => Record<string, unknown>): void {
  api.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI 3.1 document.',
        tags: ['meta'],
        response: answers200(OpenApiDocumentSchema),
      },
    },
    () => document(),
  );
}

/**
 * Registers the admin REST API under `/admin/api/`: JSON routes over the
 * admin service (`services.adminService`), each with TypeBox schemas for its
 * params, query, body and answers (additional properties refused), and the
 * OpenAPI 3.1 document built from the same routes at
 * `GET /admin/api/openapi.json`.
 *
 * SECURITY: every route of the plugin, the document included, runs the
 * admin guard (`requireAdmin('api')`) as an `onRequest` hook, i.e. before
 * the body is parsed or validated: an anonymous caller gets 401 and a
 * non-admin 403 whatever they send, and POST / PATCH / DELETE need the
 * session's CSRF token in `X-CSRF-Token` (403 otherwise). Running it as a
 * preHandler instead would let Fastify's validation answer (400, with the
 * schema's complaints) before the caller is known.
 */
/**
 * The admin API's validator: a JSON body is checked as sent, never coerced
 * (`"true"` is not `true`, `"5"` not `5`, `["x"]` not `"x"`), for a body is
 * typed JSON and a coerced value would reach the service looking like what
 * the caller did not send; the query string and path parameters, which are
 * text by nature, keep Fastify's coercion. Neither drops unknown properties
 * (they are refused, 400).
 */
function adminApiValidator(): FastifySchemaCompiler<RouteDefinition['schema']> {
  const buildValidator = AjvCompiler();
  const asSent = buildValidator({}, { customOptions: { coerceTypes: false, removeAdditional: false } });
  const fromText = buildValidator({}, { customOptions: { coerceTypes: 'array', removeAdditional: false } });
  return (route) => (route.httpPart === 'body' ? asSent(route) : fromText(route));
}

export function registerAdminApi(app: FastifyInstance, services: GatewayServices): void {
  if (!services.config.admin.enabled) return;
  const context = createAdminApiContext(services);
  const routes: ApiRouteDescription[] = [];
  let document: Record<string, unknown> | undefined;
  const guard = services.admin.requireAdmin('api');
  void app.register(
    (plugin, _options, done) => {
      const api = plugin.withTypeProvider<TypeBoxTypeProvider>();
      // The document describes what is registered, read as each route is added.
      api.addHook('onRoute', (route) => {
        const description = describeRoute(route, ADMIN_API_PREFIX);
        if (description !== undefined) routes.push(description);
      });
      api.addHook('onRequest', async function adminApiGuard(request, reply) {
        return guard.call(api, request, reply);
      });
      api.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        return payload;
      });
      api.setValidatorCompiler(adminApiValidator());
      api.setErrorHandler(handleApiError);
      api.setNotFoundHandler((request, reply) =>
        sendProblem(
          reply,
          404,
          new ClaimsgateError(
            'CG_STORE_NOT_FOUND',
            `The admin API has no route ${request.method} ${request.url}.`,
            {
              hint: `The routes are listed in ${ADMIN_API_PREFIX}/openapi.json.`,
              detail: { entity: 'route', observed: `${request.method} ${request.url.split('?')[0] ?? ''}` },
            },
          ),
        ),
      );
      registerSessionRoutes(api, context);
      registerIssuerRoutes(api, context);
      registerKeyRoutes(api, context);
      registerImportRoutes(api, context);
      registerRealmRoutes(api, context);
      registerMappingRoutes(api, context);
      registerAuditRoutes(api, context);
      registerToolRoutes(api, context);
      registerOpenApiRoute(api, () => {
        document ??= buildOpenApiDocument(routes, {
          prefix: ADMIN_API_PREFIX,
          cookieName: services.config.session.cookieName,
          csrfHeader: ADMIN_API_CSRF_HEADER,
          version: ADMIN_API_VERSION,
        });
        return document;
      });
      done();
    },
    { prefix: ADMIN_API_PREFIX },
  );
}
