/**
 * What every module of the admin API shares: the Fastify instance typed by
 * the TypeBox type provider (so a handler's params, query, body and answer
 * are the static types of its route's schemas), the services the routes
 * call, and the administrator the guard let through.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { adminActor, type ManagementService } from '../../management/service.js';
import { ClaimsgateError } from '../../lib/errors.js';
import type { Session } from '../../session/session-cookie.js';
import type { Actor } from '../../store/model.js';
import type { GatewayServices } from '../gateway-services.js';
import { NoContentSchema, ProblemSchema } from '../openapi-schemas.js';

/** Where the admin API lives. */
export const ADMIN_API_PREFIX = '/admin/api';
/** The CSRF header as documented (HTTP header names are case-insensitive; admin-auth reads it lowercased). */
export const ADMIN_API_CSRF_HEADER = 'X-CSRF-Token';
/** The version of the API's OpenAPI document. */
export const ADMIN_API_VERSION = '1.0.0';

/** The admin API's Fastify instance: routes registered on it are typed by their TypeBox schemas. */
export type AdminApi = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The administrator calling a route. */
export interface AdminCaller {
  readonly session: Session;
  /** `admin:<user>`, for the audit log. */
  readonly actor: Actor;
}

/** What the route modules are given. */
export interface AdminApiContext {
  readonly services: GatewayServices;
  readonly service: ManagementService;
  /** The administrator of a request that passed the guard. */
  readonly callerOf: (request: FastifyRequest) => AdminCaller;
}

/** The context of the admin API's routes over `services`. */
export function createAdminApiContext(services: GatewayServices): AdminApiContext {
  return {
    services,
    service: services.adminService,
    callerOf(request) {
      const session = services.admin.adminOf(request);
      // The guard runs on every route before its handler: a request without an
      // admin session cannot get here, and is refused if it somehow does.
      if (session === undefined) {
        throw new ClaimsgateError('CG_ADMIN_UNAUTHENTICATED', 'Sign in as an administrator first.');
      }
      return { session, actor: adminActor(session) };
    },
  };
}

/** A route's answers: `schema` with 200, and the problem body for every 4xx. */
export function answers200<T extends TSchema>(schema: T): { 200: T; '4xx': typeof ProblemSchema } {
  return { 200: schema, '4xx': ProblemSchema };
}

/** A route's answers: `schema` with 201 Created, and the problem body for every 4xx. */
export function answers201<T extends TSchema>(schema: T): { 201: T; '4xx': typeof ProblemSchema } {
  return { 201: schema, '4xx': ProblemSchema };
}

/** A route's answers: 204 No Content, and the problem body for every 4xx. */
export function answers204(): { 204: typeof NoContentSchema; '4xx': typeof ProblemSchema } {
  return { 204: NoContentSchema, '4xx': ProblemSchema };
}
