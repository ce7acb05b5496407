import { KindGuard, type TObject, type TSchema } from '@sinclair/typebox';
import type { RouteOptions } from 'fastify';
import { NAMED_SCHEMAS, NoContentSchema, ProblemSchema } from './openapi-schemas.js';

/** An error status a route may answer besides 400, 401, 403 and 500, which every route may. */
export type ApiErrorStatus = 404 | 409 | 422 | 503;

declare module 'fastify' {
  /**
   * What the OpenAPI document says of a route, written in its schema beside
   * the request and response schemas (the fields @fastify/swagger reads,
   * plus the error statuses).
   */
  interface FastifySchema {
    operationId?: string;
    summary?: string;
    description?: string;
    tags?: readonly string[];
    /** Error statuses the route may answer besides 400, 401, 403 and 500. */
    errorStatuses?: readonly ApiErrorStatus[];
  }
}

/** The HTTP methods the admin API uses. */
export type ApiMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One admin API route as the document describes it, read from the route Fastify registered. */
export interface ApiRouteDescription {
  readonly method: ApiMethod;
  /** Relative to the API's prefix, in Fastify's form: `/issuers/:id`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly params?: TObject;
  readonly query?: TObject;
  readonly body?: TSchema;
  /** The success status. */
  readonly status: 200 | 201 | 204;
  /** The success body; absent for 204. */
  readonly response?: TSchema;
  /** Error statuses the route may answer besides 400, 401, 403 and 500, which every route may. */
  readonly errors: readonly ApiErrorStatus[];
}

/** What the document says about the API as a whole. */
export interface OpenApiOptions {
  /** The path every route is under: `/admin/api`. */
  readonly prefix: string;
  /** The name of the session cookie (`config.session.cookieName`). */
  readonly cookieName: string;
  /** The CSRF header, as sent: `X-CSRF-Token`. */
  readonly csrfHeader: string;
  readonly version: string;
}

const TAGS: readonly { name: string; description: string }[] = [
  { name: 'session', description: 'Who is signed in, and the CSRF token of the session.' },
  {
    name: 'issuers',
    description: 'Identity providers the gateway trusts, with their refresh status and alerts.',
  },
  { name: 'keys', description: 'The signing keys trusted for each issuer.' },
  { name: 'import', description: 'Import an issuer from its metadata: preview the diff, then apply it.' },
  { name: 'realms', description: 'Relying-party realms and the issuers they allow.' },
  { name: 'mappings', description: "How each issuer's claims become an identity." },
  { name: 'audit', description: 'The append-only log of every change of trust.' },
  { name: 'tools', description: 'Thumbprint calculator and health.' },
  { name: 'meta', description: 'This document.' },
];

const ERROR_RESPONSES: Readonly<Record<number, { name: string; description: string }>> = {
  400: {
    name: 'BadRequest',
    description: 'The request is malformed or a value is refused (CG_ADMIN_INPUT_INVALID and others).',
  },
  401: {
    name: 'Unauthorized',
    description: 'No session: sign in as an administrator first (CG_ADMIN_UNAUTHENTICATED).',
  },
  403: {
    name: 'Forbidden',
    description:
      'The session is not an administrator (CG_ADMIN_FORBIDDEN), or an unsafe method came without the CSRF token of the session (CG_ADMIN_CSRF_INVALID).',
  },
  404: { name: 'NotFound', description: 'No such record (CG_STORE_NOT_FOUND).' },
  409: {
    name: 'Conflict',
    description:
      'A duplicate, or a change made against a stale version or a metadata document that changed since its preview (CG_STORE_DUPLICATE, CG_STORE_CONFLICT).',
  },
  422: {
    name: 'Unprocessable',
    description: 'The metadata or certificate given cannot be used (CG_META_*, CG_SIG_*).',
  },
  500: { name: 'InternalError', description: 'An unexpected error; it was logged.' },
  503: { name: 'StoreUnavailable', description: 'The store cannot be reached (CG_STORE_UNAVAILABLE).' },
};

const SAFE_METHODS: ReadonlySet<ApiMethod> = new Set(['GET']);

/**
 * Names of the named schemas by their JSON text: TypeBox copies a schema
 * when it marks it optional (`Type.Optional`), so the copy in an object's
 * properties is found by what it says, not by identity.
 */
const NAMES = new Map<string, string>(
  Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [JSON.stringify(schema), name]),
);

/**
 * A copy of `schema` in which every nested named schema is a `$ref` to
 * `components.schemas` (the top level is kept when `keepTop`, for the
 * component's own definition).
 */
function withRefs(schema: unknown, keepTop = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withRefs(item));
  if (typeof schema !== 'object' || schema === null) return schema;
  const name = NAMES.get(JSON.stringify(schema));
  if (name !== undefined && !keepTop) return { $ref: `#/components/schemas/${name}` };
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withRefs(value)]));
}

const METHODS: readonly ApiMethod[] = ['GET', 'POST', 'PATCH', 'DELETE'];

/**
 * The description of a route as Fastify registers it (from an `onRoute`
 * hook): its method, its path under `prefix`, and what its schema says
 * (operation fields, request schemas, the 2xx answer and the error
 * statuses). Undefined for the HEAD twin Fastify adds to every GET.
 *
 * @throws {TypeError} when the route lacks what the document needs (an
 *   operationId, a summary, one tag, one success answer): a route written
 *   without them is a programming mistake.
 */
export function describeRoute(route: RouteOptions, prefix: string): ApiRouteDescription | undefined {
  const method = METHODS.find((candidate) => candidate === route.method);
  if (method === undefined) return undefined;
  const schema = route.schema ?? {};
  const where = `${method} ${route.url}`;
  const [tag, ...otherTags] = schema.tags ?? [];
  if (
    schema.operationId === undefined ||
    schema.summary === undefined ||
    tag === undefined ||
    otherTags.length > 0
  ) {
    throw new TypeError(`${where}: an admin API route needs an operationId, a summary and one tag.`);
  }
  if (!route.url.startsWith(prefix)) throw new TypeError(`${where}: not under ${prefix}.`);
  const answers = typeof schema.response === 'object' && schema.response !== null ? schema.response : {};
  const successes = Object.entries(answers).filter(([status]) => /^2\d\d$/.test(status));
  const [success] = successes;
  const status = success === undefined ? undefined : Number(success[0]);
  if (successes.length !== 1 || (status !== 200 && status !== 201 && status !== 204)) {
    throw new TypeError(`${where}: an admin API route answers exactly one of 200, 201 or 204.`);
  }
  const answer: unknown = success?.[1];
  const objectOrUndefined = (value: unknown, part: string): TObject | undefined => {
    if (value === undefined) return undefined;
    if (KindGuard.IsObject(value)) return value;
    throw new TypeError(`${where}: its ${part} schema must be a TypeBox object.`);
  };
  const body: unknown = schema.body;
  if (body !== undefined && !KindGuard.IsSchema(body))
    throw new TypeError(`${where}: its body must be a TypeBox schema.`);
  if (answer !== NoContentSchema && !KindGuard.IsSchema(answer)) {
    throw new TypeError(`${where}: its answer must be a TypeBox schema.`);
  }
  const params = objectOrUndefined(schema.params, 'params');
  const query = objectOrUndefined(schema.querystring, 'querystring');
  return {
    method,
    path: route.url.slice(prefix.length),
    operationId: schema.operationId,
    summary: schema.summary,
    ...(schema.description === undefined ? {} : { description: schema.description }),
    tag,
    ...(params === undefined ? {} : { params }),
    ...(query === undefined ? {} : { query }),
    ...(body === undefined ? {} : { body }),
    status,
    ...(answer === NoContentSchema || !KindGuard.IsSchema(answer) ? {} : { response: answer }),
    errors: schema.errorStatuses ?? [],
  };
}

/** `/issuers/:id` → `/issuers/{id}`. */
export function toOpenApiPath(prefix: string, path: string): string {
  return `${prefix}${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

function parameters(route: ApiRouteDescription): unknown[] {
  const list: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (schema === undefined) continue;
    const required = new Set(schema.required ?? []);
    for (const [name, property] of Object.entries(schema.properties)) {
      const { description, ...rest } = property;
      list.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: withRefs(rest),
      });
    }
  }
  return list;
}

function operation(route: ApiRouteDescription): Record<string, unknown> {
  const responses: Record<string, unknown> = {
    [String(route.status)]:
      route.response === undefined
        ? { description: 'Done; no content.' }
        : {
            description: route.status === 201 ? 'Created.' : 'OK.',
            content: { 'application/json': { schema: withRefs(route.response) } },
          },
  };
  for (const status of [400, 401, 403, ...route.errors, 500].sort((a, b) => a - b)) {
    responses[String(status)] = { $ref: `#/components/responses/${ERROR_RESPONSES[status]!.name}` };
  }
  const params = parameters(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [route.tag],
    // SECURITY: unsafe methods need the CSRF header as well as the session cookie.
    security: [SAFE_METHODS.has(route.method) ? { sessionCookie: [] } : { sessionCookie: [], csrfToken: [] }],
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: { required: true, content: { 'application/json': { schema: withRefs(route.body) } } },
        }),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of the admin API, built from the very route
 * descriptions (and schema objects) the routes are registered with, so the
 * document and the API cannot drift apart. Named schemas become
 * `components.schemas` referred to by `$ref`; every error answer is the
 * `Problem` schema.
 *
 * @see OpenAPI Specification 3.1.0 §4.8
 */
export function buildOpenApiDocument(
  routes: readonly ApiRouteDescription[],
  options: OpenApiOptions,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(options.prefix, route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  const usedErrors = new Set<number>([400, 401, 403, 500, ...routes.flatMap((route) => route.errors)]);
  const responses = Object.fromEntries(
    [...usedErrors]
      .sort((a, b) => a - b)
      .map((status) => {
        const { name, description } = ERROR_RESPONSES[status]!;
        return [name, { description, content: { 'application/json': { schema: withRefs(ProblemSchema) } } }];
      }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'claimsgate admin API',
      version: options.version,
      description:
        'Manage the issuers claimsgate trusts, their keys, realms, claim mappings and the audit log. ' +
        `Every call needs an administrator's session cookie; POST, PATCH and DELETE also need the session's CSRF token in the ${options.csrfHeader} header (GET ${options.prefix}/session gives it).`,
    },
    tags: TAGS.map((tag) => ({ ...tag })),
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [name, withRefs(schema, true)]),
      ),
      responses,
      securitySchemes: {
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: options.cookieName,
          description: 'The session cookie of an administrator (sign in at /admin/login).',
        },
        csrfToken: {
          type: 'apiKey',
          in: 'header',
          name: options.csrfHeader,
          description: `The CSRF token of the session, from GET ${options.prefix}/session; required on POST, PATCH and DELETE.`,
        },
      },
    },
  };
}
