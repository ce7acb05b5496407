import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/load-config.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { TEST_POSTGRES_URL, postgresGate } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { LOCAL_ADMIN_ISSUER } from '../../src/server/admin-access/admin-auth.js';
import {
  cookiePair,
  createGatewayFixture,
  postForm,
  sessionCookie,
  setCookieOf,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';
import {
  createProxyGateway,
  startEchoUpstream,
  type EchoUpstream,
  type ProxyGateway,
} from './proxy-fixture.js';

const COOKIE = 'claimsgate_session';
const HASH = `scrypt$15$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`;

/** The hidden `_csrf` value of the first form of a page. */
function csrfOf(page: LightMyRequestResponse): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page.body);
  assert.ok(match !== null, `a form with a CSRF token in ${page.body}`);
  return match[1]!;
}

function assertCleared(response: LightMyRequestResponse): void {
  assert.match(setCookieOf(response, COOKIE) ?? '', /^claimsgate_session=; Max-Age=0;/);
}

describe('signing out ends the session everywhere', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  async function signIn(): Promise<string> {
    const signedIn = await signInThroughGateway(fixture.app);
    return cookiePair(setCookieOf(signedIn, COOKIE)!);
  }

  function visit(cookie: string, app = fixture.app): Promise<LightMyRequestResponse> {
    return app.inject({ method: 'GET', url: '/', headers: { cookie } });
  }

  it('asks before signing out on GET, and signs out nobody without the form', async () => {
    const cookie = await signIn();
    const asked = await fixture.app.inject({ method: 'GET', url: '/signout', headers: { cookie } });
    assert.equal(asked.statusCode, 200);
    assert.match(asked.body, /<form method="post" action="\/signout">/);
    assert.equal(setCookieOf(asked, COOKIE), undefined, 'the cookie is kept');
    assert.equal((await visit(cookie)).statusCode, 200, 'still signed in');

    for (const fields of [{}, { _csrf: 'forged' }]) {
      const refused = await postForm(fixture.app, '/signout', fields, cookie);
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /<form method="post" action="\/signout">/, 'asked again');
      assert.equal(setCookieOf(refused, COOKIE), undefined);
    }
    assert.equal((await visit(cookie)).statusCode, 200, 'still signed in');
  });

  it('revokes the session on POST with the token: the old cookie stops working, here and on another instance', async () => {
    const cookie = await signIn();
    const other = createGatewayServer({
      config: fixture.config,
      store: fixture.store,
      engine: fixture.engine,
      now: fixture.now,
    });
    try {
      assert.equal((await visit(cookie, other)).statusCode, 200, 'the other instance knows the session');
      const page = await visit(cookie);
      const response = await postForm(fixture.app, '/signout', { _csrf: csrfOf(page) }, cookie);
      assert.equal(response.statusCode, 303);
      assert.equal(new URL(response.headers.location as string).searchParams.get('wa'), 'wsignout1.0');
      assertCleared(response);
      for (const app of [fixture.app, other]) {
        const replayed = await visit(cookie, app);
        assert.equal(replayed.statusCode, 302, 'the old cookie is signed out');
        assert.equal(replayed.headers.location, '/signin?returnUrl=%2F');
        assertCleared(replayed);
      }
      const again = await signIn();
      assert.equal((await visit(again)).statusCode, 200, 'a new sign-in works');
    } finally {
      await other.close();
    }
  });

  it('keeps a revocation across a restart of the gateway', async () => {
    const cookie = await signIn();
    const page = await visit(cookie);
    await postForm(fixture.app, '/signout', { _csrf: csrfOf(page) }, cookie);
    const restarted = createGatewayServer({
      config: fixture.config,
      store: fixture.store,
      engine: fixture.engine,
      now: fixture.now,
    });
    try {
      assert.equal((await visit(cookie, restarted)).statusCode, 302);
    } finally {
      await restarted.close();
    }
  });
});

describe('admin sessions end on logout, a password change and an account deletion', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  function adminCookie(username: string): string {
    return sessionCookie(fixture, {
      user: `local:${username}`,
      issuer: LOCAL_ADMIN_ISSUER,
      claims: {},
      roles: ['admin'],
    });
  }

  function apiSession(cookie: string): Promise<LightMyRequestResponse> {
    return fixture.app.inject({ method: 'GET', url: '/admin/api/session', headers: { cookie } });
  }

  it('refuses the old cookie after POST /admin/logout', async () => {
    const cookie = adminCookie('alice');
    const session = await apiSession(cookie);
    assert.equal(session.statusCode, 200);
    const { csrfToken } = session.json<{ csrfToken: string }>();
    const logout = await postForm(fixture.app, '/admin/logout', { _csrf: csrfToken }, cookie);
    assert.equal(logout.statusCode, 303);
    assertCleared(logout);
    assert.equal((await apiSession(cookie)).statusCode, 401);
    const page = await fixture.app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
    assert.equal(page.statusCode, 303, 'the admin site sends it to the login page');
  });

  it('refuses sessions opened before a password change, and accepts those opened after', async () => {
    await fixture.store.createAdminAccount({ username: 'bob', passwordHash: HASH }, 'test');
    const before = adminCookie('bob');
    const other = adminCookie('carol');
    fixture.advance(60);
    await fixture.store.setAdminPassword('bob', HASH, 'cli:root');
    assert.equal((await apiSession(before)).statusCode, 401);
    assert.equal((await apiSession(other)).statusCode, 200, 'another account is not affected');
    fixture.advance(1);
    assert.equal((await apiSession(adminCookie('bob'))).statusCode, 200, 'a later sign-in works');
  });

  it('refuses every session of a deleted account', async () => {
    await fixture.store.createAdminAccount({ username: 'dave', passwordHash: HASH }, 'test');
    fixture.advance(1);
    const cookie = adminCookie('dave');
    assert.equal((await apiSession(cookie)).statusCode, 200);
    fixture.advance(1);
    await fixture.store.deleteAdminAccount('dave', 'cli:root');
    assert.equal((await apiSession(cookie)).statusCode, 401);
  });
});

describe('gateway mode refuses a revoked session', () => {
  let upstream: EchoUpstream;
  let gateway: ProxyGateway;
  let port: number;
  before(async () => {
    upstream = await startEchoUpstream();
    gateway = await createProxyGateway(upstream.url);
    port = await gateway.listen();
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  function handshake(cookie: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/live/feed`, { headers: { cookie } });
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('unexpected-response', (request, response: IncomingMessage) => {
        request.destroy();
        resolve(response.statusCode ?? 0);
      });
      socket.on('error', reject);
    });
  }

  it('on proxied requests and WebSocket handshakes', async () => {
    const cookie = gateway.signIn();
    const get = () =>
      gateway.app.inject({
        method: 'GET',
        url: '/api/items',
        headers: { cookie, accept: 'application/json' },
      });
    assert.equal((await get()).statusCode, 200);
    assert.equal(await handshake(cookie), 101);
    const session = gateway.sessionOf(cookie);
    await gateway.store.revokeSessions({ sid: session.sid, expiresAt: session.expiresAt });
    const refused = await get();
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json<{ code: string }>().code, 'CG_GATEWAY_SIGN_IN_REQUIRED');
    assert.equal(await handshake(cookie), 401);
  });
});

const postgres = await postgresGate();

describeWithService('revocation across PostgreSQL instances', postgres, () => {
  it('refuses a cookie signed out on one instance on another within moments', async () => {
    const schema = `cg_revoke_${process.pid.toString(36)}`;
    const now = (): Date => new Date('2026-03-02T09:30:00Z');
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    const stores = [
      await openPostgresStore(TEST_POSTGRES_URL, { schema, now }),
      await openPostgresStore(TEST_POSTGRES_URL, { schema, now }),
    ];
    const apps = stores.map((store) =>
      createGatewayServer({ config, store, engine: createRolloverEngine({ store, now }), now }),
    );
    try {
      const cookie = sessionCookie(
        { config, now },
        { user: 'local:alice', issuer: LOCAL_ADMIN_ISSUER, claims: {}, roles: ['admin'] },
      );
      const session = (app: (typeof apps)[number]) =>
        app.inject({ method: 'GET', url: '/admin/api/session', headers: { cookie } });
      const [first, second] = apps as [(typeof apps)[number], (typeof apps)[number]];
      assert.equal((await session(second)).statusCode, 200);
      const { csrfToken } = (await session(first)).json<{ csrfToken: string }>();
      const logout = await postForm(first, '/admin/logout', { _csrf: csrfToken }, cookie);
      assert.equal(logout.statusCode, 303);
      assert.equal((await session(first)).statusCode, 401, 'at once on the instance that signed out');
      const deadline = Date.now() + 5000;
      let status = (await session(second)).statusCode;
      while (status === 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        status = (await session(second)).statusCode;
      }
      assert.equal(status, 401, 'the other instance heard of it through LISTEN/NOTIFY');
    } finally {
      for (const app of apps) await app.close();
      for (const store of stores) await store.close();
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      await client.end();
    }
  });
});
