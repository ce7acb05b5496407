import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { createGatewayLogger, lineDestination } from '../../src/server/logging.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { TEST_POSTGRES_URL, postgresGate } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import { sessionCookie } from './gateway-fixture.js';

const NOW = new Date('2026-03-02T09:30:00Z');
const HTML = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';
const RUN = `${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;

/** A gateway on `store` whose log lines are kept, and an admin's session cookie for it. */
function gatewayOn(store: Store): { app: FastifyInstance; lines: string[]; adminCookie: string } {
  const lines: string[] = [];
  const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
  const now = (): Date => NOW;
  const engine = createRolloverEngine({ store, now });
  const logger = createGatewayLogger({
    level: 'info',
    destination: lineDestination((line) => lines.push(line)),
  });
  const app = createGatewayServer({ config, store, engine, now, logger });
  const adminCookie = sessionCookie(
    { config, now },
    { user: 'local:root', issuer: 'claimsgate:local', claims: {}, roles: ['admin'] },
  );
  return { app, lines, adminCookie };
}

/**
 * Asserts that an answer names the code and the request ID and nothing of
 * the database: none of `secrets` (its name, host, table, driver wording).
 */
function assertCoded(response: LightMyRequestResponse, code: string, secrets: readonly string[]): void {
  assert.ok(response.statusCode === 500 || response.statusCode === 503, `status ${response.statusCode}`);
  assert.ok(response.body.includes(code), `${code} in ${response.body}`);
  const requestId = response.headers['x-request-id'];
  assert.equal(typeof requestId, 'string');
  assert.ok(response.body.includes(requestId as string), 'the request ID is shown');
  for (const secret of secrets) {
    assert.ok(
      !response.body.toLowerCase().includes(secret.toLowerCase()),
      `"${secret}" leaked: ${response.body}`,
    );
  }
  assert.doesNotMatch(response.body, /\bat [\w.<>]+ \(|node:internal|\.ts:\d+/, 'no stack');
}

/** Every route family that reads the store, as a browser and as an API client. */
async function assertEveryRouteCoded(
  gateway: ReturnType<typeof gatewayOn>,
  code: string,
  secrets: readonly string[],
): Promise<void> {
  const { app, adminCookie } = gateway;
  const page = await app.inject({ method: 'GET', url: '/signin?returnUrl=%2F', headers: { accept: HTML } });
  assertCoded(page, code, secrets);
  assert.match(String(page.headers['content-type']), /^text\/html/);

  const api = await app.inject({ method: 'GET', url: '/signin', headers: { accept: 'application/json' } });
  assertCoded(api, code, secrets);
  const body = api.json<{ code: string; requestId: string; message: string }>();
  assert.equal(body.code, code);
  assert.equal(body.requestId, api.headers['x-request-id']);

  const adminApi = await app.inject({
    method: 'GET',
    url: '/admin/api/realms',
    headers: { cookie: adminCookie, accept: 'application/json' },
  });
  assertCoded(adminApi, code, secrets);
  assert.equal(adminApi.json<{ code: string }>().code, code);

  const adminPage = await app.inject({
    method: 'GET',
    url: '/admin/realms',
    headers: { cookie: adminCookie, accept: HTML },
  });
  assertCoded(adminPage, code, secrets);

  const login = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { accept: HTML, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'username=root&password=x',
  });
  assert.ok(login.statusCode < 500 || login.body.includes(code), 'the login form refuses or names the code');
}

describe('a SQLite store that fails', () => {
  let directory: string;
  let store: Store;
  let gateway: ReturnType<typeof gatewayOn>;
  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'claimsgate-store-failure-'));
    // A database whose realms table is gone: every read of realms fails in SQLite itself.
    const broken = [
      ...SQLITE_MIGRATIONS,
      { version: SQLITE_MIGRATIONS.length + 1, name: 'lose a table', up: 'DROP TABLE realms;' },
    ];
    store = await openSqliteStore(join(directory, 'store.db'), { migrations: broken });
    gateway = gatewayOn(store);
  });
  after(async () => {
    await gateway.app.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers browsers and API clients with CG_STORE_QUERY_FAILED and the request ID, and logs the cause', async () => {
    await assertEveryRouteCoded(gateway, 'CG_STORE_QUERY_FAILED', [
      'no such table',
      'realms',
      'SQLITE_ERROR',
      directory,
      'store.db',
    ]);
    assert.ok(
      gateway.lines.some((line) => line.includes('no such table')),
      'the driver message is in the log',
    );
  });
});

const postgres = await postgresGate();

describeWithService('a PostgreSQL store that fails', postgres, () => {
  const admin = async <T>(work: (client: pg.Client) => Promise<T>, url = TEST_POSTGRES_URL): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  it('answers CG_STORE_QUERY_FAILED, naming no schema or table, when its schema is dropped', async () => {
    const schema = `cg_outage_${RUN}`;
    const store = await openPostgresStore(TEST_POSTGRES_URL, { schema, now: () => NOW });
    const gateway = gatewayOn(store);
    try {
      await admin((client) => client.query(`DROP SCHEMA ${pg.escapeIdentifier(schema)} CASCADE`));
      await assertEveryRouteCoded(gateway, 'CG_STORE_QUERY_FAILED', [
        schema,
        'relation',
        '42P01',
        'does not exist',
        '127.0.0.1:5432',
      ]);
      assert.ok(
        gateway.lines.some((line) => line.includes('42P01')),
        'the SQLSTATE is in the log',
      );
    } finally {
      await gateway.app.close();
      await store.close();
      await admin((client) => client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`));
    }
  });

  it('answers CG_STORE_TIMEOUT with 503, naming no database, when a statement outlasts the statement timeout', async () => {
    const schema = `cg_slow_${RUN}`;
    const store = await openPostgresStore(TEST_POSTGRES_URL, {
      schema,
      now: () => NOW,
      statementTimeoutMs: 300,
    });
    const gateway = gatewayOn(store);
    const locker = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    locker.on('error', () => undefined);
    await locker.connect();
    try {
      // Every read of realms waits for this lock until the server cancels it (SQLSTATE 57014).
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${pg.escapeIdentifier(schema)}.realms IN ACCESS EXCLUSIVE MODE`);
      await assertEveryRouteCoded(gateway, 'CG_STORE_TIMEOUT', [
        schema,
        '57014',
        'canceling statement',
        '127.0.0.1:5432',
        '300 ms',
      ]);
      const api = await gateway.app.inject({
        method: 'GET',
        url: '/admin/api/realms',
        headers: { cookie: gateway.adminCookie, accept: 'application/json' },
      });
      // A slow statement is not a broken database: retry later, not a server error.
      assert.equal(api.statusCode, 503);
      assert.ok(
        gateway.lines.some((line) => line.includes('CG_STORE_TIMEOUT') && line.includes('timeoutMs')),
        'the timeout and its detail are in the log',
      );
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await gateway.app.close();
      await store.close();
      await admin((client) => client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`));
    }
  });

  it('answers CG_STORE_UNAVAILABLE, naming no database, when the database stops accepting connections', async () => {
    const database = `cg_outage_${RUN}`;
    await admin((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`));
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${database}`;
    const store = await openPostgresStore(url.href, { now: () => NOW, reconnectDelayMs: 60_000 });
    const gateway = gatewayOn(store);
    try {
      // The outage of the issue: `database "…" is not currently accepting connections` (SQLSTATE 55000).
      await admin(async (client) => {
        await client.query(`ALTER DATABASE ${pg.escapeIdentifier(database)} ALLOW_CONNECTIONS false`);
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
          database,
        ]);
      });
      await assertEveryRouteCoded(gateway, 'CG_STORE_UNAVAILABLE', [
        database,
        'accepting connections',
        '55000',
        '127.0.0.1',
        'postgres@',
      ]);
      assert.ok(
        gateway.lines.some((line) => line.includes('not currently accepting connections')),
        'the driver message is in the log',
      );
    } finally {
      await gateway.app.close();
      await store.close();
      await admin((client) =>
        client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`),
      );
    }
  });
});
