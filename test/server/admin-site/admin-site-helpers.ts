/**
 * Helpers for the admin site's tests: sessions sealed with the gateway's own
 * keys, page requests, the CSRF token read from a page, and the admin page
 * routes read from the app's route table.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sessionCookie, type GatewayFixture } from '../gateway-fixture.js';

export { sessionCookie };

/** A browser: a cookie header and the CSRF token of its session. */
export interface Browser {
  readonly cookie: string;
  readonly csrf: string;
}

/** The value of the first `_csrf` hidden field of a page. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (match === null) throw new Error('the page has no _csrf field');
  return match[1]!;
}

/** A signed-in local administrator, with the CSRF token read from the Issuers page. */
export async function signInAdmin(fixture: GatewayFixture, user = 'local:admin'): Promise<Browser> {
  const cookie = sessionCookie(fixture, {
    user,
    issuer: 'claimsgate:local',
    claims: {},
    roles: ['admin'],
  });
  const page = await fixture.app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
  if (page.statusCode !== 200) throw new Error(`GET /admin as admin: HTTP ${page.statusCode}`);
  return { cookie, csrf: csrfOf(page.body) };
}

/** A signed-in user who is not an administrator (an issuer's user without the admin claim). */
export function signInUser(fixture: GatewayFixture): string {
  return sessionCookie(fixture, {
    user: 'SIM:alice@contoso.test',
    issuer: fixture.issuer.issuerUri,
    claims: { upn: ['alice@contoso.test'] },
  });
}

/** GET a page. */
export function getPage(app: FastifyInstance, url: string, cookie?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: cookie === undefined ? {} : { cookie } });
}

/** POST a form; repeated fields as arrays. */
export function postPage(
  app: FastifyInstance,
  url: string,
  fields: Readonly<Record<string, string | readonly string[]>>,
  cookie?: string,
): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of typeof value === 'string' ? [value] : value) body.append(name, item);
  }
  return app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie === undefined ? {} : { cookie }),
    },
    payload: body.toString(),
  });
}

/** POST a form as `browser`, with its CSRF token. */
export function submit(
  app: FastifyInstance,
  browser: Browser,
  url: string,
  fields: Readonly<Record<string, string | readonly string[]>> = {},
): Promise<LightMyRequestResponse> {
  return postPage(app, url, { _csrf: browser.csrf, ...fields }, browser.cookie);
}

/** Follows a 303 of the site and returns the page it leads to. */
export async function follow(
  app: FastifyInstance,
  response: LightMyRequestResponse,
  cookie: string,
): Promise<LightMyRequestResponse> {
  if (response.statusCode !== 303) {
    throw new Error(`expected a 303, got ${response.statusCode}: ${response.body.slice(0, 500)}`);
  }
  return getPage(app, response.headers.location as string, cookie);
}

/** The text of a page without tags and with entities of the escaper decoded, whitespace collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** One route of the app. */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

/**
 * Every route of the app, read from Fastify's own route table
 * (`printRoutes({ commonPrefix: false })`: one node per line, children
 * indented by four characters, methods in parentheses).
 */
export async function listRoutes(app: FastifyInstance): Promise<RouteEntry[]> {
  await app.ready();
  const routes: RouteEntry[] = [];
  const pathAtDepth: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const node = /^([│ ]*)(?:├── |└── )(.*)$/u.exec(line);
    if (node === null) continue;
    const depth = node[1]!.length / 4;
    const parts = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(node[2]!)!;
    const path = (depth === 0 ? '' : pathAtDepth[depth - 1]!) + parts[1]!;
    pathAtDepth[depth] = path;
    pathAtDepth.length = depth + 1;
    for (const method of parts[2]?.split(', ') ?? []) routes.push({ method, path });
  }
  return routes;
}

/** Paths the admin site does not own: the sign-in pages, the JSON API and the style sheet. */
const NOT_SITE_PAGES = /^\/admin\/(?:login|logout|api|assets)(?:\/|$)/;

/** The admin site's page routes (GET and POST) from the app's route table. */
export async function listAdminPageRoutes(app: FastifyInstance): Promise<RouteEntry[]> {
  const routes = await listRoutes(app);
  return routes.filter(
    (route) =>
      (route.method === 'GET' || route.method === 'POST') &&
      (route.path === '/admin' || route.path.startsWith('/admin/')) &&
      !NOT_SITE_PAGES.test(route.path),
  );
}

/** A concrete URL for a route path: every `:param` filled with `value`. */
export function concretePath(path: string, value = 'sim'): string {
  return path.replace(/:[A-Za-z]+/g, value);
}
