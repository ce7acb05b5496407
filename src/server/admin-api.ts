import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminActor, inspectThumbprintInput, type AdminService } from '../admin/admin-service.js';
import type { ErrorCode } from '../lib/error-codes.js';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import type { Session } from '../session/session-cookie.js';
import { failureBody, isStoreFailure, storeFailureStatus } from './error-page.js';
import type { GatewayServices } from './gateway-services.js';
import { buildOpenApiDocument, type ApiRouteDescription } from './openapi-document.js';
import * as S from './openapi-schemas.js';

/** Where the admin API lives. */
export const ADMIN_API_PREFIX = '/admin/api';
/** The CSRF header as documented (HTTP header names are case-insensitive; admin-auth reads it lowercased). */
export const ADMIN_API_CSRF_HEADER = 'X-CSRF-Token';
/** The version of the API's OpenAPI document. */
export const ADMIN_API_VERSION = '1.0.0';

/** What a route handler gets: the request's parts, already validated, and the acting admin. */
interface ApiCall {
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly body: Record<string, unknown>;
  readonly session: Session;
  /** `admin:<user>`, for the audit log. */
  readonly actor: string;
  readonly request: FastifyRequest;
}

/** One admin API route: its description (schemas included) and its handler. */
export interface ApiRoute extends ApiRouteDescription {
  readonly handle: (call: ApiCall) => unknown;
}

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

function sendProblem(reply: FastifyReply, status: number, error: ClaimsgateError): FastifyReply {
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
    ...(item.keyword === 'additionalProperties'
      ? { property: (item.params as { additionalProperty?: unknown }).additionalProperty }
      : {}),
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
function handleApiError(
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

function text(value: unknown): string {
  return value as string;
}

/** The audit query's text parameters, as the service's filter. */
function auditFilter(query: Record<string, unknown>): Parameters<AdminService['listAudit']>[0] {
  const optional = <T>(name: string, map: (value: unknown) => T): Record<string, T> =>
    query[name] === undefined ? {} : { [name]: map(query[name]) };
  return {
    ...optional('issuer', text),
    ...optional('action', text),
    ...optional('actor', text),
    ...optional('text', text),
    ...optional('since', (value) => new Date(value as string)),
    ...optional('until', (value) => new Date(value as string)),
    ...optional('afterId', (value) => value as number),
    ...optional('limit', (value) => value as number),
  };
}

/** The body's fields without those named (e.g. `expectedVersion`, which is not an issuer field). */
function without(body: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([name]) => !names.includes(name)));
}

/** Every route of the admin API, relative to {@link ADMIN_API_PREFIX}. */
export function adminApiRoutes(services: GatewayServices, service: AdminService): ApiRoute[] {
  const params = S.IdParamsSchema;
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/session',
      operationId: 'getSession',
      summary: 'The signed-in administrator and the CSRF token to send on POST, PATCH and DELETE.',
      tag: 'session',
      status: 200,
      response: S.SessionSchema,
      errors: [],
      handle: ({ session }) => ({
        user: session.user,
        issuer: session.issuer,
        roles: [...session.roles],
        csrfToken: services.admin.csrfToken(session),
        csrfHeader: ADMIN_API_CSRF_HEADER,
        expiresAt: session.expiresAt.toISOString(),
      }),
    },
    {
      method: 'GET',
      path: '/issuers',
      operationId: 'listIssuers',
      summary: 'Every issuer with its key counts, next expiry, refresh status and alerts.',
      tag: 'issuers',
      status: 200,
      response: { type: 'array', items: S.IssuerSummarySchema },
      errors: [503],
      handle: () => service.listIssuers(),
    },
    {
      method: 'POST',
      path: '/issuers',
      operationId: 'createIssuer',
      summary: 'Creates an issuer (no refresh; see the refresh and import operations).',
      tag: 'issuers',
      body: S.IssuerInputSchema,
      status: 201,
      response: S.IssuerDetailSchema,
      errors: [409, 503],
      handle: ({ body, actor }) => service.createIssuer(body as never, actor),
    },
    {
      method: 'GET',
      path: '/issuers/:id',
      operationId: 'getIssuer',
      summary: 'One issuer (by ID or name) with its keys, last-known-good metadata and claim mappings.',
      tag: 'issuers',
      params,
      status: 200,
      response: S.IssuerDetailSchema,
      errors: [404, 503],
      handle: ({ params: p }) => service.getIssuer(text(p['id'])),
    },
    {
      method: 'PATCH',
      path: '/issuers/:id',
      operationId: 'updateIssuer',
      summary:
        "Updates an issuer's fields; with expectedVersion, refuses (409) when someone changed it since.",
      tag: 'issuers',
      params,
      body: S.IssuerUpdateSchema,
      status: 200,
      response: S.IssuerDetailSchema,
      errors: [404, 409, 503],
      handle: ({ params: p, body, actor }) =>
        service.updateIssuer(
          text(p['id']),
          without(body, 'expectedVersion'),
          actor,
          body['expectedVersion'] as number | undefined,
        ),
    },
    {
      method: 'DELETE',
      path: '/issuers/:id',
      operationId: 'deleteIssuer',
      summary:
        'Deletes an issuer with its keys and claim mappings (the audit log keeps its history), and takes it out of the realms that name it in the same transaction: a home realm naming it is cleared, and it leaves their allowed issuers. Answers what was removed and which realms changed; refuses (409 CG_STORE_REFERENCED, naming them) when a realm allows this issuer alone.',
      tag: 'issuers',
      params,
      status: 200,
      response: S.IssuerRemovalSchema,
      errors: [404, 409, 503],
      handle: ({ params: p, actor }) => service.deleteIssuer(text(p['id']), actor),
    },
    {
      method: 'POST',
      path: '/issuers/:id/refresh',
      operationId: 'refreshIssuer',
      summary: "Refresh now: fetches the issuer's metadata at once, whatever the schedule.",
      tag: 'issuers',
      params,
      status: 200,
      response: S.RefreshOutcomeSchema,
      errors: [404, 503],
      handle: ({ params: p, actor }) => service.refreshIssuer(text(p['id']), actor),
    },
    {
      method: 'GET',
      path: '/issuers/:id/pending-change',
      operationId: 'getPendingChange',
      summary:
        'The document a refresh held because it replaces the issuer’s keys without continuity, with the keys it would add and remove.',
      tag: 'issuers',
      params,
      status: 200,
      response: S.PendingChangeSchema,
      errors: [404, 503],
      handle: ({ params: p }) => service.getPendingChange(text(p['id'])),
    },
    {
      method: 'POST',
      path: '/issuers/:id/pending-change/approve',
      operationId: 'approvePendingChange',
      summary:
        'Approves the pending change reviewed (by its sha256; 409 when a newer document replaced it) and refreshes the issuer, applying it.',
      tag: 'issuers',
      params,
      body: S.PendingDecisionSchema,
      status: 200,
      response: S.RefreshOutcomeSchema,
      errors: [404, 409, 503],
      handle: ({ params: p, body, actor }) =>
        service.approvePendingChange(text(p['id']), text(body['sha256']), actor),
    },
    {
      method: 'POST',
      path: '/issuers/:id/pending-change/reject',
      operationId: 'rejectPendingChange',
      summary:
        'Rejects the pending change reviewed (by its sha256; 409 when a newer document replaced it): the issuer keeps its keys and the same document raises no new alert.',
      tag: 'issuers',
      params,
      body: S.PendingDecisionSchema,
      status: 200,
      response: S.PendingChangeSchema,
      errors: [404, 409, 503],
      handle: ({ params: p, body, actor }) =>
        service.rejectPendingChange(text(p['id']), text(body['sha256']), actor),
    },
    {
      method: 'GET',
      path: '/issuers/:id/keys',
      operationId: 'listKeys',
      summary: 'Every key of an issuer, usable ones first.',
      tag: 'keys',
      params,
      status: 200,
      response: { type: 'array', items: S.KeySchema },
      errors: [404, 503],
      handle: ({ params: p }) => service.listKeys(text(p['id'])),
    },
    {
      method: 'POST',
      path: '/issuers/:id/keys',
      operationId: 'addKey',
      summary: 'Adds a key by hand from a pasted certificate or thumbprint.',
      description:
        'A thumbprint is normalised explicitly: the answer lists every character removed (spaces, colons, U+200E LEFT-TO-RIGHT MARK…) with its code point and position.',
      tag: 'keys',
      params,
      body: S.AddKeyInputSchema,
      status: 201,
      response: S.AddedKeySchema,
      errors: [404, 409, 503],
      handle: ({ params: p, body, actor }) => service.addKey(text(p['id']), body, actor),
    },
    {
      method: 'POST',
      path: '/keys/:id/revoke',
      operationId: 'revokeKey',
      summary: 'Revokes a key: it stops validating tokens at once and no refresh revives it.',
      tag: 'keys',
      params,
      body: S.ReasonSchema,
      status: 200,
      response: S.KeySchema,
      errors: [404, 503],
      handle: ({ params: p, body, actor }) => service.revokeKey(text(p['id']), text(body['reason']), actor),
    },
    {
      method: 'POST',
      path: '/keys/:id/reactivate',
      operationId: 'reactivateKey',
      summary: 'Makes a revoked or retired key active again (not an expired certificate).',
      tag: 'keys',
      params,
      body: S.ReasonSchema,
      status: 200,
      response: S.KeySchema,
      errors: [404, 503],
      handle: ({ params: p, body, actor }) =>
        service.reactivateKey(text(p['id']), text(body['reason']), actor),
    },
    {
      method: 'POST',
      path: '/import/preview',
      operationId: 'previewImport',
      summary: 'Fetches and checks metadata and returns what an import would change. Stores nothing.',
      tag: 'import',
      body: S.ImportRequestSchema,
      status: 200,
      response: S.ImportPreviewSchema,
      errors: [404, 409, 422, 503],
      handle: ({ body }) => service.previewImport(body as never),
    },
    {
      method: 'POST',
      path: '/import/apply',
      operationId: 'applyImport',
      summary:
        'Applies a previewed import: refuses (409) when the document changed since the preview, else creates or updates the issuer and refreshes it.',
      tag: 'import',
      body: S.ImportApplyRequestSchema,
      status: 200,
      response: S.ImportResultSchema,
      errors: [404, 409, 422, 503],
      handle: ({ body, actor }) => service.applyImport(body as never, actor),
    },
    {
      method: 'GET',
      path: '/realms',
      operationId: 'listRealms',
      summary: 'Every realm.',
      tag: 'realms',
      status: 200,
      response: { type: 'array', items: S.RealmSchema },
      errors: [503],
      handle: () => service.listRealms(),
    },
    {
      method: 'POST',
      path: '/realms',
      operationId: 'createRealm',
      summary: 'Creates a realm; allowed issuers by ID or name.',
      tag: 'realms',
      body: S.RealmInputSchema,
      status: 201,
      response: S.RealmSchema,
      errors: [404, 409, 503],
      handle: ({ body, actor }) => service.createRealm(body as never, actor),
    },
    {
      method: 'GET',
      path: '/realms/:id',
      operationId: 'getRealm',
      summary: 'One realm, by ID or realm URI (URL-encoded).',
      tag: 'realms',
      params,
      status: 200,
      response: S.RealmSchema,
      errors: [404, 503],
      handle: ({ params: p }) => service.getRealm(text(p['id'])),
    },
    {
      method: 'PATCH',
      path: '/realms/:id',
      operationId: 'updateRealm',
      summary: "Updates a realm's fields.",
      tag: 'realms',
      params,
      body: S.RealmUpdateSchema,
      status: 200,
      response: S.RealmSchema,
      errors: [404, 409, 503],
      handle: ({ params: p, body, actor }) => service.updateRealm(text(p['id']), body, actor),
    },
    {
      method: 'DELETE',
      path: '/realms/:id',
      operationId: 'deleteRealm',
      summary: 'Deletes a realm.',
      tag: 'realms',
      params,
      status: 204,
      errors: [404, 503],
      handle: ({ params: p, actor }) => service.deleteRealm(text(p['id']), actor),
    },
    {
      method: 'GET',
      path: '/mappings',
      operationId: 'listClaimMappings',
      summary: 'Claim mappings of every issuer, or of the issuer named.',
      tag: 'mappings',
      query: S.MappingQuerySchema,
      status: 200,
      response: { type: 'array', items: S.ClaimMappingSchema },
      errors: [404, 503],
      handle: ({ query }) => service.listClaimMappings(query['issuer'] as string | undefined),
    },
    {
      method: 'POST',
      path: '/mappings',
      operationId: 'createClaimMapping',
      summary: 'Creates a claim mapping for an issuer (by ID or name).',
      tag: 'mappings',
      body: S.ClaimMappingInputSchema,
      status: 201,
      response: S.ClaimMappingSchema,
      errors: [404, 409, 503],
      handle: ({ body, actor }) => service.createClaimMapping(body as never, actor),
    },
    {
      method: 'GET',
      path: '/mappings/:id',
      operationId: 'getClaimMapping',
      summary: 'One claim mapping.',
      tag: 'mappings',
      params,
      status: 200,
      response: S.ClaimMappingSchema,
      errors: [404, 503],
      handle: ({ params: p }) => service.getClaimMapping(text(p['id'])),
    },
    {
      method: 'PATCH',
      path: '/mappings/:id',
      operationId: 'updateClaimMapping',
      summary: "Updates a claim mapping's label and claims.",
      tag: 'mappings',
      params,
      body: S.ClaimMappingUpdateSchema,
      status: 200,
      response: S.ClaimMappingSchema,
      errors: [404, 409, 503],
      handle: ({ params: p, body, actor }) => service.updateClaimMapping(text(p['id']), body, actor),
    },
    {
      method: 'DELETE',
      path: '/mappings/:id',
      operationId: 'deleteClaimMapping',
      summary: 'Deletes a claim mapping.',
      tag: 'mappings',
      params,
      status: 204,
      errors: [404, 503],
      handle: ({ params: p, actor }) => service.deleteClaimMapping(text(p['id']), actor),
    },
    {
      method: 'GET',
      path: '/audit',
      operationId: 'listAudit',
      summary:
        'The audit log, oldest first, filtered by issuer, action (exact, or a prefix ending in "."), actor, time range and text; paged with afterId.',
      tag: 'audit',
      query: S.AuditQuerySchema,
      status: 200,
      response: S.AuditPageSchema,
      errors: [404, 503],
      handle: ({ query }) => service.listAudit(auditFilter(query)),
    },
    {
      method: 'POST',
      path: '/thumbprint',
      operationId: 'computeThumbprints',
      summary:
        'Thumbprint calculator: every certificate in pasted text or in the metadata at a URL (SHA-1 and SHA-256), or a pasted thumbprint normalised.',
      tag: 'tools',
      body: S.ThumbprintRequestSchema,
      status: 200,
      response: S.ThumbprintResultSchema,
      errors: [422],
      handle: async ({ body }) => {
        if (typeof body['thumbprint'] === 'string') {
          const inspection = inspectThumbprintInput(body['thumbprint']);
          return {
            source: 'thumbprint',
            documentSha256: null,
            certificates: [],
            thumbprintInput: inspection,
          };
        }
        const result =
          typeof body['metadataUrl'] === 'string'
            ? await service.thumbprintsFromUrl(body['metadataUrl'])
            : service.thumbprintsFromText(text(body['text']));
        return { ...result, thumbprintInput: null };
      },
    },
    {
      method: 'GET',
      path: '/health',
      operationId: 'getHealth',
      summary: 'Store reachability, engine counters, and per issuer the last good refresh and alerts.',
      tag: 'tools',
      status: 200,
      response: S.HealthSchema,
      errors: [],
      handle: () => service.health(),
    },
  ];
  return routes;
}

/** The route serving the OpenAPI document (described like the others, so the document lists itself). */
function openApiRoute(document: () => Record<string, unknown>): ApiRoute {
  return {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document.',
    tag: 'meta',
    status: 200,
    response: S.OpenApiDocumentSchema,
    errors: [],
    handle: () => document(),
  };
}

function fastifySchema(route: ApiRouteDescription): Record<string, unknown> {
  return {
    ...(route.params === undefined ? {} : { params: route.params }),
    ...(route.query === undefined ? {} : { querystring: route.query }),
    ...(route.body === undefined ? {} : { body: route.body }),
    response: {
      ...(route.response === undefined ? {} : { [route.status]: route.response }),
      '4xx': S.ProblemSchema,
    },
  };
}

/**
 * Registers the admin REST API under `/admin/api/`: JSON routes over the
 * admin service (`services.adminService`), each with JSON schemas for its params, query, body and
 * response (additional properties refused), and the OpenAPI 3.1 document
 * built from the same route descriptions at `GET /admin/api/openapi.json`.
 *
 * SECURITY: every route of the plugin, the document included, runs the
 * admin guard (`requireAdmin('api')`) as an `onRequest` hook, i.e. before
 * the body is parsed or validated: an anonymous caller gets 401 and a
 * non-admin 403 whatever they send, and POST / PATCH / DELETE need the
 * session's CSRF token in `X-CSRF-Token` (403 otherwise). Running it as a
 * preHandler instead would let Fastify's validation answer (400, with the
 * schema's complaints) before the caller is known.
 */
export function registerAdminApi(app: FastifyInstance, services: GatewayServices): void {
  if (!services.config.admin.enabled) return;
  const routes = adminApiRoutes(services, services.adminService);
  let document: Record<string, unknown> | undefined;
  const all = [
    ...routes,
    openApiRoute(() => {
      document ??= buildOpenApiDocument(all, {
        prefix: ADMIN_API_PREFIX,
        cookieName: services.config.session.cookieName,
        csrfHeader: ADMIN_API_CSRF_HEADER,
        version: ADMIN_API_VERSION,
      });
      return document;
    }),
  ];
  const guard = services.admin.requireAdmin('api');
  void app.register(
    (api, _options, done) => {
      api.addHook('onRequest', async function adminApiGuard(request, reply) {
        return guard.call(api, request, reply);
      });
      api.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        return payload;
      });
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
      for (const route of all) {
        api.route({
          method: route.method,
          url: route.path,
          schema: fastifySchema(route),
          handler: async (request, reply) => {
            // The guard has let the request through: its session is an admin's.
            const session = services.admin.adminOf(request)!;
            const result = await route.handle({
              params: (request.params ?? {}) as Record<string, string>,
              query: (request.query ?? {}) as Record<string, unknown>,
              body: (request.body ?? {}) as Record<string, unknown>,
              session,
              actor: adminActor(session),
              request,
            });
            if (route.status === 204) return reply.code(204).send();
            return reply.code(route.status).send(result);
          },
        });
      }
      done();
    },
    { prefix: ADMIN_API_PREFIX },
  );
}
