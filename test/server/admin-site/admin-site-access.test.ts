import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGatewayFixture, type GatewayFixture } from '../gateway-fixture.js';
import {
  concretePath,
  getPage,
  listAdminPageRoutes,
  postPage,
  signInAdmin,
  signInUser,
  type Browser,
  type RouteEntry,
} from './admin-site-helpers.js';

/** The pages the brief names: the route table must hold at least these. */
const EXPECTED_PAGES = [
  'GET /admin',
  'GET /admin/issuers/new',
  'GET /admin/issuers/:name',
  'POST /admin/issuers/:name/refresh',
  'POST /admin/issuers/:name/import',
  'POST /admin/issuers/:name/import/apply',
  'POST /admin/issuers/:name/keys/check',
  'POST /admin/issuers/:name/keys',
  'GET /admin/issuers/:name/keys/:keyId/revoke',
  'POST /admin/issuers/:name/keys/:keyId/revoke',
  'GET /admin/realms',
  'GET /admin/mappings',
  'GET /admin/audit',
  'GET /admin/thumbprint',
  'POST /admin/thumbprint',
  'GET /admin/health',
];

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

function describeRoute(route: RouteEntry): string {
  return `${route.method} ${route.path}`;
}

describe('admin site access control', () => {
  let fixture: GatewayFixture;
  let routes: RouteEntry[];
  let admin: Browser;
  let user: string;

  before(async () => {
    fixture = await createGatewayFixture();
    routes = await listAdminPageRoutes(fixture.app);
    admin = await signInAdmin(fixture);
    user = signInUser(fixture);
  });
  after(() => fixture.close());

  it('finds every admin page in the route table', () => {
    const found = new Set(routes.map(describeRoute));
    for (const expected of EXPECTED_PAGES) assert.ok(found.has(expected), `missing ${expected}`);
    assert.ok(routes.length >= 30, `only ${routes.length} admin page routes were found`);
  });

  it('sends an anonymous caller of every admin page to the login page', async () => {
    for (const route of routes) {
      const url = concretePath(route.path);
      const response =
        route.method === 'GET' ? await getPage(fixture.app, url) : await postPage(fixture.app, url, {});
      assert.equal(response.statusCode, 303, describeRoute(route));
      const location = new URL(response.headers.location as string, 'http://gateway.test');
      assert.equal(location.pathname, '/admin/login', describeRoute(route));
      if (route.method === 'GET')
        assert.equal(location.searchParams.get('returnUrl'), url, describeRoute(route));
      assert.equal(response.headers['cache-control'], 'no-store', describeRoute(route));
    }
  });

  it('refuses every admin page to a signed-in user who is not an administrator, with a 403 page', async () => {
    for (const route of routes) {
      const url = concretePath(route.path);
      const response =
        route.method === 'GET'
          ? await getPage(fixture.app, url, user)
          : await postPage(fixture.app, url, {}, user);
      assert.equal(response.statusCode, 403, describeRoute(route));
      assert.match(String(response.headers['content-type']), /^text\/html/, describeRoute(route));
      assert.match(response.body, /CG_ADMIN_FORBIDDEN/, describeRoute(route));
      assert.equal(response.headers['x-content-type-options'], 'nosniff', describeRoute(route));
    }
  });

  it('refuses every admin POST without a CSRF token, and with a forged one', async () => {
    const posts = routes.filter((route) => route.method === 'POST');
    assert.ok(posts.length >= 15, `only ${posts.length} POST routes`);
    const forged = `${admin.csrf.slice(0, -2)}${admin.csrf.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherSession = await signInAdmin(fixture, 'local:other');
    for (const route of posts) {
      const url = concretePath(route.path);
      for (const token of [undefined, '', forged, otherSession.csrf]) {
        const fields = token === undefined ? { reason: 'x' } : { _csrf: token, reason: 'x' };
        const response = await postPage(fixture.app, url, fields, admin.cookie);
        assert.equal(response.statusCode, 403, `${describeRoute(route)} with token ${String(token)}`);
        assert.match(response.body, /CG_ADMIN_CSRF_INVALID/, describeRoute(route));
      }
    }
    // Nothing was changed by the refused requests.
    const audit = await fixture.store.listAudit();
    assert.ok(!audit.some((entry) => entry.actor.startsWith('admin:')), 'an admin change was recorded');
  });

  it('sends the security headers with every admin page, redirect and refusal', async () => {
    const responses = [
      await getPage(fixture.app, '/admin', admin.cookie),
      await getPage(fixture.app, '/admin/audit', admin.cookie),
      await getPage(fixture.app, '/admin/issuers/no-such-issuer', admin.cookie),
      await getPage(fixture.app, '/admin/realms'),
      await getPage(fixture.app, '/admin/health', user),
      await postPage(fixture.app, '/admin/thumbprint', {}, admin.cookie),
    ];
    for (const response of responses) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        assert.equal(response.headers[name], value, `${name} on HTTP ${response.statusCode}`);
      }
    }
  });

  it('answers an unknown issuer with a 404 page in the admin shell', async () => {
    const response = await getPage(fixture.app, '/admin/issuers/no-such-issuer', admin.cookie);
    assert.equal(response.statusCode, 404);
    assert.match(response.body, /CG_STORE_NOT_FOUND/);
    assert.match(response.body, /<nav aria-label="Admin">/);
  });

  it('serves the style sheet to anyone, as CSS', async () => {
    const response = await getPage(fixture.app, '/admin/assets/admin.css');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/css/);
    assert.match(response.body, /:focus-visible/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });
});
