/**
 * Helpers for the admin API's tests: session cookies sealed with the fixture
 * gateway's own keys, JSON calls, and the operations of the OpenAPI document.
 */
import type { LightMyRequestResponse } from 'fastify';
import { sessionCookie, type GatewayFixture } from './gateway-fixture.js';

export { sessionCookie };

/** A caller: its cookie header and, for an admin, the CSRF token of its session. */
export interface ApiCaller {
  readonly cookie?: string;
  readonly csrf?: string;
}

/** A local administrator's session, with the CSRF token read from `GET /admin/api/session`. */
export async function adminCaller(
  fixture: GatewayFixture,
  user = 'local:admin',
): Promise<Required<ApiCaller>> {
  const cookie = sessionCookie(fixture, { user, issuer: 'claimsgate:local', claims: {}, roles: ['admin'] });
  const response = await fixture.app.inject({
    method: 'GET',
    url: '/admin/api/session',
    headers: { cookie },
  });
  if (response.statusCode !== 200) throw new Error(`GET /admin/api/session: HTTP ${response.statusCode}`);
  return { cookie, csrf: response.json<{ csrfToken: string }>().csrfToken };
}

/** A signed-in user of an issuer, who is not an administrator. */
export function userCaller(fixture: GatewayFixture): ApiCaller {
  return {
    cookie: sessionCookie(fixture, {
      user: 'SIM:alice@contoso.test',
      issuer: fixture.issuer.issuerUri,
      claims: { upn: ['alice@contoso.test'] },
    }),
  };
}

/** Calls the API in-process: JSON body, the caller's cookie and CSRF header when it has them. */
export function callApi(
  fixture: GatewayFixture,
  method: string,
  url: string,
  caller: ApiCaller = {},
  body?: unknown,
): Promise<LightMyRequestResponse> {
  return fixture.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(caller.cookie === undefined ? {} : { cookie: caller.cookie }),
      ...(caller.csrf === undefined ? {} : { 'x-csrf-token': caller.csrf }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

/** One operation of the OpenAPI document. */
export interface DocumentedOperation {
  readonly method: string;
  /** The OpenAPI path (`/admin/api/issuers/{id}`). */
  readonly path: string;
  readonly operation: Record<string, unknown>;
}

/** Every operation of an OpenAPI document. */
export function operationsOf(document: {
  paths: Record<string, Record<string, unknown>>;
}): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      operation: operation as Record<string, unknown>,
    })),
  );
}

/** A concrete URL for an OpenAPI path: every `{param}` filled with `value`. */
export function concretePath(path: string, value = 'x'): string {
  return path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
}
