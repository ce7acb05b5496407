import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';

import pg from 'pg';

import { isClaimsgateError } from '../../src/lib/errors.js';
import type { StoreChange } from '../../src/store/model.js';
import {
  applyPostgresMigrations,
  MIGRATION_LOCK_SQL,
  POSTGRES_MIGRATIONS,
  POSTGRES_SCHEMA_VERSION,
} from '../../src/store/postgres/postgres-migrations.js';
import { clientConfig, resolvePostgresTarget } from '../../src/store/postgres/postgres-connection.js';
import {
  openPostgresStore,
  resolveConnectionSettings,
  type PostgresStoreOptions,
} from '../../src/store/postgres/postgres-store.js';
import { selectIssuerByDomainQuery } from '../../src/store/queries/issuer-domain-queries.js';
import { selectIssuerKeysQuery } from '../../src/store/queries/key-queries.js';
import { createPostgresQueryBuilder } from '../../src/store/postgres/postgres-query-builder.js';
import type { Store } from '../../src/store/store.js';
import { TEST_POSTGRES_URL, postgresGate } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import { runStoreContract } from './store-contract.js';

const DATABASE_URL = TEST_POSTGRES_URL;
const START = new Date('2026-03-01T09:00:00.000Z');
const ACTOR = 'admin:alice';
const RUN = `${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;

const postgres = await postgresGate();

const schemas = new Set<string>();
let schemaCounter = 0;

/** A new schema name for one test; dropped after the file. */
function freshSchema(): string {
  schemaCounter += 1;
  const name = `cg_pg_${RUN}_${schemaCounter}`;
  schemas.add(name);
  return name;
}

async function dropSchemas(): Promise<void> {
  if (schemas.size === 0) return;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const schema of schemas)
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    schemas.clear();
  } finally {
    await client.end();
  }
}

/** Runs `work` with a plain client of its own (the test's view of the database). */
async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function open(schema: string, options: PostgresStoreOptions = {}): Promise<Store> {
  return openPostgresStore(DATABASE_URL, { now: () => START, schema, reconnectDelayMs: 50, ...options });
}

/** Resolves once `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
async function eventually(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    assert.ok(isClaimsgateError(error), `expected a ClaimsgateError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
  return caught as Error;
}

describeWithService('PostgreSQL store', postgres, () => {
  runStoreContract(
    'PostgreSQL',
    ({ now, database }) => {
      schemas.add(database);
      return openPostgresStore(DATABASE_URL, { now, schema: database });
    },
    dropSchemas,
  );

  describe('PostgreSQL store capabilities', () => {
    after(dropSchemas);

    describe('changes across instances', () => {
      it('tells a second instance of each change within 2 seconds, and the first instance once', async () => {
        const schema = freshSchema();
        const first = await open(schema);
        const second = await open(schema);
        const elsewhere = await open(freshSchema());
        try {
          const seenByFirst: StoreChange[] = [];
          const seenBySecond: StoreChange[] = [];
          const seenElsewhere: StoreChange[] = [];
          first.onChange((change) => seenByFirst.push(change));
          second.onChange((change) => seenBySecond.push(change));
          elsewhere.onChange((change) => seenElsewhere.push(change));

          const issuer = await first.createIssuer({ name: 'contoso', issuerUri: 'https://sts.test/' }, ACTOR);
          assert.deepEqual(seenByFirst, [{ kind: 'issuer', issuerId: issuer.id }], 'told at commit');
          await eventually(() => seenBySecond.length === 1, 2000, 'the second instance hears of the issuer');
          assert.deepEqual(seenBySecond, [{ kind: 'issuer', issuerId: issuer.id }]);
          assert.deepEqual(
            await second.getIssuer(issuer.id),
            issuer,
            'the change is readable when announced',
          );

          await second.addKey({ issuerId: issuer.id, sha1: 'AB'.repeat(20), source: 'manual' }, ACTOR);
          await eventually(() => seenByFirst.length === 2, 2000, 'the first instance hears of the key');
          assert.deepEqual(seenByFirst[1], { kind: 'key', issuerId: issuer.id });

          await pause(200);
          assert.equal(seenByFirst.length, 2, 'no echo of its own change');
          assert.equal(seenBySecond.length, 2, 'no echo of its own change');
          assert.deepEqual(seenElsewhere, [], 'a store in another schema hears nothing');
        } finally {
          await Promise.all([first.close(), second.close(), elsewhere.close()]);
        }
      });

      it('announces nothing for a rolled-back change', async () => {
        const schema = freshSchema();
        const first = await open(schema);
        const second = await open(schema);
        try {
          const seen: StoreChange[] = [];
          second.onChange((change) => seen.push(change));
          await first.createIssuer({ name: 'contoso', issuerUri: 'https://sts.test/' }, ACTOR);
          await eventually(() => seen.length === 1, 2000, 'the committed change arrives');
          seen.length = 0;
          await rejectsWithCode(
            first.createIssuer({ name: 'contoso', issuerUri: 'https://other.test/' }, ACTOR),
            'CG_STORE_DUPLICATE',
          );
          await pause(300);
          assert.deepEqual(seen, []);
        } finally {
          await Promise.all([first.close(), second.close()]);
        }
      });

      it('reconnects after its listening connection is terminated and announces a resync', async () => {
        const schema = freshSchema();
        const applicationName = `claimsgate-test-${RUN}`;
        const listening = await open(schema, { applicationName });
        const writer = await open(schema);
        try {
          const seen: StoreChange[] = [];
          listening.onChange((change) => seen.push(change));
          const listenerPids = (): Promise<number[]> =>
            withAdmin(async (client) => {
              const result = await client.query<{ pid: number }>(
                `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'`,
                [applicationName],
              );
              return result.rows.map((row) => row.pid);
            });
          const [pid] = await listenerPids();
          assert.ok(pid !== undefined, 'the listening connection is visible');

          await withAdmin((client) => client.query('SELECT pg_terminate_backend($1)', [pid]));
          await eventually(
            () => seen.some((change) => change.kind === 'refresh' && change.issuerId === null),
            3000,
            'a resync change after reconnecting',
          );
          const [newPid] = await listenerPids();
          assert.ok(newPid !== undefined && newPid !== pid, 'a new listening connection');

          const issuer = await writer.createIssuer(
            { name: 'contoso', issuerUri: 'https://sts.test/' },
            ACTOR,
          );
          await eventually(
            () => seen.some((change) => change.kind === 'issuer' && change.issuerId === issuer.id),
            2000,
            'changes arrive again after the reconnection',
          );
        } finally {
          await Promise.all([listening.close(), writer.close()]);
        }
      });
    });

    describe('refresh lock', () => {
      it('is exclusive across instances: the second gets undefined at once while the first holds it', async () => {
        const schema = freshSchema();
        const first = await open(schema);
        const second = await open(schema);
        try {
          const issuer = await first.createIssuer({ name: 'contoso', issuerUri: 'https://sts.test/' }, ACTOR);
          let release: () => void = () => undefined;
          const gate = new Promise<void>((resolve) => {
            release = resolve;
          });
          let entered: () => void = () => undefined;
          const holding = new Promise<void>((resolve) => {
            entered = resolve;
          });
          const held = first.withRefreshLock(issuer.id, async () => {
            entered();
            await gate;
            return 'first';
          });
          await holding;
          const startedAt = Date.now();
          assert.equal(await second.withRefreshLock(issuer.id, () => Promise.resolve('second')), undefined);
          assert.ok(Date.now() - startedAt < 1000, 'the refusal does not wait for the holder');
          release();
          assert.equal(await held, 'first');
          assert.equal(await second.withRefreshLock(issuer.id, () => Promise.resolve('second')), 'second');
          await assert.rejects(
            second.withRefreshLock(issuer.id, () => Promise.reject(new Error('fetch failed'))),
            /fetch failed/,
          );
          assert.equal(await first.withRefreshLock(issuer.id, () => Promise.resolve('again')), 'again');
        } finally {
          await Promise.all([first.close(), second.close()]);
        }
      });

      it('is released when the session holding it ends, as when an instance crashes', async () => {
        const schema = freshSchema();
        const applicationName = `claimsgate-lock-${RUN}`;
        const first = await open(schema, { applicationName });
        const second = await open(schema);
        try {
          let release: () => void = () => undefined;
          const gate = new Promise<void>((resolve) => {
            release = resolve;
          });
          let entered: () => void = () => undefined;
          const holding = new Promise<void>((resolve) => {
            entered = resolve;
          });
          const stranded = first.withRefreshLock('issuer-x', async () => {
            entered();
            await gate;
            return 'finished';
          });
          await holding;
          assert.equal(await second.withRefreshLock('issuer-x', () => Promise.resolve(1)), undefined);
          await withAdmin((client) =>
            client.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE application_name = $1 AND query LIKE '%pg_try_advisory_lock%'`,
              [applicationName],
            ),
          );
          let acquired: number | undefined;
          const deadline = Date.now() + 2000;
          while (acquired === undefined && Date.now() < deadline) {
            acquired = await second.withRefreshLock('issuer-x', () => Promise.resolve(2));
            if (acquired === undefined) await pause(20);
          }
          assert.equal(acquired, 2, 'the lock went with the session');
          release();
          assert.equal(await stranded, 'finished', 'the holder finishes; its failed unlock is not its error');
          assert.equal(await first.withRefreshLock('issuer-x', () => Promise.resolve(3)), 3);
        } finally {
          await Promise.all([first.close(), second.close()]);
        }
      });
    });

    describe('statement timeout', () => {
      /** Holds an exclusive lock on `table` from another session until `release` is called. */
      async function holdTable(schema: string, table: string): Promise<() => Promise<void>> {
        const client = new pg.Client({ connectionString: DATABASE_URL });
        client.on('error', () => undefined);
        await client.connect();
        await client.query('BEGIN');
        await client.query(`LOCK TABLE ${pg.escapeIdentifier(schema)}.${table} IN ACCESS EXCLUSIVE MODE`);
        return async () => {
          await client.query('ROLLBACK');
          await client.end();
        };
      }

      it('cancels a statement over the limit with CG_STORE_TIMEOUT, in a read and in a transaction that stores nothing', async () => {
        const schema = freshSchema();
        const store = await open(schema, { statementTimeoutMs: 300 });
        try {
          await store.createIssuer({ name: 'before', issuerUri: 'https://before.test/' }, ACTOR);
          const release = await holdTable(schema, 'issuers');
          try {
            const startedAt = Date.now();
            const error = await rejectsWithCode(store.listIssuers(), 'CG_STORE_TIMEOUT');
            assert.equal((error as unknown as { detail: { timeoutMs: number } }).detail.timeoutMs, 300);
            assert.ok(Date.now() - startedAt < 5000);
            await rejectsWithCode(
              store.createIssuer({ name: 'stuck', issuerUri: 'https://stuck.test/' }, ACTOR),
              'CG_STORE_TIMEOUT',
            );
          } finally {
            await release();
          }
          assert.deepEqual(
            (await store.listIssuers()).map((issuer) => issuer.name),
            ['before'],
          );
          assert.deepEqual(
            (await store.listAudit()).map((entry) => entry.subject),
            ['before'],
          );
        } finally {
          await store.close();
        }
      });

      it('takes the limit from the URL, the option winning over it, and refuses a malformed one', async () => {
        const schema = freshSchema();
        const fromUrl = await openPostgresStore(`${DATABASE_URL}?statement_timeout=250`, { schema });
        try {
          const release = await holdTable(schema, 'realms');
          try {
            await rejectsWithCode(fromUrl.listRealms(), 'CG_STORE_TIMEOUT');
          } finally {
            await release();
          }
        } finally {
          await fromUrl.close();
        }
        const overridden = await openPostgresStore(`${DATABASE_URL}?statement_timeout=600000`, {
          schema,
          statementTimeoutMs: 250,
        });
        try {
          const release = await holdTable(schema, 'realms');
          try {
            await rejectsWithCode(overridden.listRealms(), 'CG_STORE_TIMEOUT');
          } finally {
            await release();
          }
        } finally {
          await overridden.close();
        }
        await assert.rejects(
          openPostgresStore(`${DATABASE_URL}?statement_timeout=30s`, { schema }),
          TypeError,
        );
        await assert.rejects(open(schema, { statementTimeoutMs: -1 }), TypeError);
      });

      it('resolves 30 s when neither the option nor the URL gives a limit, and 0 as none', () => {
        const settings = (url: string, options: PostgresStoreOptions = {}) =>
          resolveConnectionSettings(options, resolvePostgresTarget(url)).statementTimeoutMs;
        assert.equal(settings(DATABASE_URL), 30_000);
        assert.equal(settings(`${DATABASE_URL}?statement_timeout=5000`), 5000);
        assert.equal(settings(`${DATABASE_URL}?statement_timeout=5000`, { statementTimeoutMs: 0 }), 0);
        const target = resolvePostgresTarget(`${DATABASE_URL}?statement_timeout=5000&schema=x`);
        assert.doesNotMatch(target.connectionString, /statement_timeout|schema/);
        assert.equal(clientConfig(target, resolveConnectionSettings({}, target)).statement_timeout, 5000);
      });
    });

    describe('replay detection', () => {
      it('is shared: an ID recorded by one instance is a replay for another, and one concurrent caller wins', async () => {
        const schema = freshSchema();
        const first = await open(schema);
        const second = await open(schema);
        try {
          const expiresAt = new Date(START.getTime() + 300_000);
          assert.equal(await first.checkAndStoreReplay('_assertion-1', expiresAt, START), true);
          assert.equal(await second.checkAndStoreReplay('_assertion-1', expiresAt, START), false);
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, index) =>
              (index % 2 === 0 ? first : second).checkAndStoreReplay('_race', expiresAt, START),
            ),
          );
          assert.equal(results.filter(Boolean).length, 1);
          const long = `_${'x'.repeat(2047)}`;
          assert.equal(await first.checkAndStoreReplay(long, expiresAt, START), true, 'long IDs are indexed');
          assert.equal(await second.checkAndStoreReplay(long, expiresAt, START), false);
        } finally {
          await Promise.all([first.close(), second.close()]);
        }
      });
    });

    describe('e-mail domains', () => {
      /** Resolves once another session waits for `client`'s open transaction (the claim it blocks). */
      async function untilClaimWaits(client: pg.Client): Promise<void> {
        const xid = await client.query<{ xid: string }>('SELECT (txid_current() % 4294967296)::text AS xid');
        const deadline = Date.now() + 10_000;
        for (;;) {
          const waiting = await client.query(
            "SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1",
            [xid.rows[0]?.xid],
          );
          if (waiting.rowCount !== 0) return;
          if (Date.now() > deadline) assert.fail('the claim never waited for the other transaction');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }

      for (const outcome of ['COMMIT', 'ROLLBACK'] as const) {
        it(`makes a claim wait for another transaction claiming the domain, then ${outcome === 'COMMIT' ? 'refuses it naming the holder' : 'take it once that one rolls back'}`, async () => {
          const schema = freshSchema();
          const store = await open(schema);
          try {
            const a = await store.createIssuer({ name: 'holder', issuerUri: 'https://a.test/' }, ACTOR);
            const b = await store.createIssuer({ name: 'claimant', issuerUri: 'https://b.test/' }, ACTOR);
            await withAdmin(async (client) => {
              await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
              await client.query('BEGIN');
              await client.query('INSERT INTO issuer_domains (domain, issuer_id) VALUES ($1, $2)', [
                'contested.example',
                a.id,
              ]);
              await client.query(`UPDATE issuers SET domains = '["contested.example"]' WHERE id = $1`, [
                a.id,
              ]);
              const claim = store.updateIssuer(b.id, { domains: ['contested.example'] }, ACTOR);
              const settled = claim.then(
                (issuer) => ({ issuer }),
                (error: unknown) => ({ error }),
              );
              await untilClaimWaits(client);
              await client.query(outcome);
              const result = await settled;
              if (outcome === 'COMMIT') {
                assert.ok('error' in result && isClaimsgateError(result.error, 'CG_STORE_DUPLICATE'));
                assert.equal(result.error.detail['holder'], 'holder');
                assert.deepEqual((await store.getIssuer(b.id))?.domains, []);
                assert.equal((await store.findIssuerByDomain('contested.example'))?.id, a.id);
              } else {
                assert.ok('issuer' in result, String((result as { error: unknown }).error));
                assert.equal((await store.findIssuerByDomain('contested.example'))?.id, b.id);
              }
            });
          } finally {
            await store.close();
          }
        });
      }

      it('reads one issuer’s keys through the index on the issuer: the plan has no sequential scan', async () => {
        const schema = freshSchema();
        const store = await open(schema);
        try {
          const query = selectIssuerKeysQuery.bind(createPostgresQueryBuilder(), { issuerId: 'iss' });
          const plan = await withAdmin(async (client) => {
            await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
            // With sequential scans priced out, a plan still holding one has no index to use.
            await client.query('SET enable_seqscan = off');
            const result = await client.query<{ 'QUERY PLAN': string }>(
              `EXPLAIN ${query.sql}`,
              query.parameters as unknown[],
            );
            return result.rows.map((row) => row['QUERY PLAN']).join('\n');
          });
          assert.match(plan, /keys_issuer/);
          assert.doesNotMatch(plan, /Seq Scan/);
        } finally {
          await store.close();
        }
      });

      it('finds the issuer of a domain through the primary keys: the plan has no sequential scan', async () => {
        const schema = freshSchema();
        const store = await open(schema);
        try {
          await store.createIssuer(
            { name: 'a', issuerUri: 'https://a.test/', domains: ['contoso.com'] },
            ACTOR,
          );
          const query = selectIssuerByDomainQuery.bind(createPostgresQueryBuilder(), {
            domain: 'contoso.com',
          });
          const plan = await withAdmin(async (client) => {
            await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
            // With sequential scans priced out, a plan still holding one has no index to use.
            await client.query('SET enable_seqscan = off');
            const result = await client.query<{ 'QUERY PLAN': string }>(
              `EXPLAIN ${query.sql}`,
              query.parameters as unknown[],
            );
            return result.rows.map((row) => row['QUERY PLAN']).join('\n');
          });
          assert.match(plan, /Index Scan using issuer_domains_pkey on issuer_domains/);
          assert.match(plan, /Index Scan using issuers_pkey on issuers/);
          assert.doesNotMatch(plan, /Seq Scan/);
        } finally {
          await store.close();
        }
      });
    });

    describe('migrations', () => {
      it('migrates a fresh schema once when several instances open it at the same time', async () => {
        const schema = freshSchema();
        const stores = await Promise.all([open(schema), open(schema), open(schema)]);
        try {
          const rows = await withAdmin(async (client) => {
            const result = await client.query<{ version: number }>(
              `SELECT version FROM ${pg.escapeIdentifier(schema)}.schema_migrations ORDER BY version`,
            );
            return result.rows.map((row) => row.version);
          });
          assert.deepEqual(
            rows,
            POSTGRES_MIGRATIONS.map((migration) => migration.version),
          );
          assert.equal(rows.at(-1), POSTGRES_SCHEMA_VERSION);
        } finally {
          await Promise.all(stores.map((store) => store.close()));
        }
      });

      it('waits for the migration lock held by another session before migrating', async () => {
        const schema = freshSchema();
        await withAdmin(async (client) => {
          await client.query('BEGIN');
          await client.query(MIGRATION_LOCK_SQL, [schema]);
          let settled = false;
          const opening = open(schema).then((store) => {
            settled = true;
            return store;
          });
          await pause(300);
          assert.equal(settled, false, 'the store waits for the lock');
          await client.query('COMMIT');
          const store = await opening;
          await store.close();
        });
      });

      it('gives existing keys a probation start by who added them when it adds the column (migration 8)', async () => {
        const schema = freshSchema();
        await withAdmin(async (client) => {
          await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
          await applyPostgresMigrations(client, schema, START, POSTGRES_MIGRATIONS.slice(0, 7));
          await client.query(`
INSERT INTO issuers (id, name, description, issuer_uri, protocols, metadata_url, login_url, use_for_login,
  label, refresh_interval_seconds, signature_policy, allow_sha1, allowed_tenants, created_at, updated_at, version)
VALUES ('iss', 'contoso', '', 'https://sts.example.test/', '["wsfed"]', NULL, NULL, true, 'CONTOSO', 3600,
  '{"mode":"self-consistent"}', false, '[]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1);
INSERT INTO keys (id, issuer_id, sha1, source, added_by, state, state_changed_at, first_seen_at)
VALUES ('from-refresh', 'iss', '${'A'.repeat(40)}', 'metadata', 'refresh', 'retired',
          '2026-02-01T00:00:00Z', '2026-01-15T00:00:00Z'),
       ('by-hand', 'iss', '${'B'.repeat(40)}', 'manual', 'admin:alice', 'active',
          '2026-01-20T00:00:00Z', '2026-01-20T00:00:00Z');
`);
        });
        const store = await open(schema);
        try {
          const probation = Object.fromEntries(
            (await store.listKeys()).map((key) => [key.id, key.probationFrom]),
          );
          assert.deepEqual(probation, {
            'from-refresh': new Date('2026-01-15T00:00:00.000Z'),
            'by-hand': null,
          });
        } finally {
          await store.close();
        }
      });

      it('gives existing issuers no domains when it adds them (migration 9), and they can then claim some', async () => {
        const schema = freshSchema();
        await withAdmin(async (client) => {
          await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
          await applyPostgresMigrations(client, schema, START, POSTGRES_MIGRATIONS.slice(0, 8));
          await client.query(`
INSERT INTO issuers (id, name, description, issuer_uri, protocols, metadata_url, login_url, use_for_login,
  label, refresh_interval_seconds, signature_policy, allow_sha1, allowed_tenants, created_at, updated_at, version)
VALUES ('iss', 'contoso', '', 'https://sts.example.test/', '["wsfed"]', NULL, NULL, true, 'CONTOSO', 3600,
  '{"mode":"self-consistent"}', false, '[]', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1);
`);
        });
        const store = await open(schema);
        try {
          assert.deepEqual((await store.getIssuer('contoso'))?.domains, []);
          await store.updateIssuer('iss', { domains: ['contoso.com'] }, ACTOR);
          assert.equal((await store.findIssuerByDomain('contoso.com'))?.name, 'contoso');
        } finally {
          await store.close();
        }
      });

      it('refuses a schema written by a newer claimsgate with CG_STORE_MIGRATION_FAILED', async () => {
        const schema = freshSchema();
        await (await open(schema)).close();
        const ahead = POSTGRES_SCHEMA_VERSION + 1;
        await withAdmin((client) =>
          client.query(
            `INSERT INTO ${pg.escapeIdentifier(schema)}.schema_migrations (version, name, applied_at)
             VALUES ($1, 'from the future', now())`,
            [ahead],
          ),
        );
        const error = await rejectsWithCode(open(schema), 'CG_STORE_MIGRATION_FAILED');
        assert.ok(isClaimsgateError(error));
        assert.equal(error.detail.observed, ahead);
        assert.equal(error.detail.expected, POSTGRES_SCHEMA_VERSION);
      });

      it('rolls a failing migration back entirely', async () => {
        const schema = freshSchema();
        await (await open(schema)).close();
        const broken = [
          ...POSTGRES_MIGRATIONS,
          {
            version: POSTGRES_SCHEMA_VERSION + 1,
            name: 'broken',
            sql: 'CREATE TABLE half_done (id integer); SELECT * FROM no_such_table;',
          },
        ];
        await withAdmin(async (client) => {
          await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
          await rejectsWithCode(
            applyPostgresMigrations(client, schema, START, broken),
            'CG_STORE_MIGRATION_FAILED',
          );
          const table = await client.query(`SELECT to_regclass('half_done') AS name`);
          assert.equal((table.rows[0] as { name: unknown }).name, null);
          const version = await client.query('SELECT max(version) AS version FROM schema_migrations');
          assert.equal((version.rows[0] as { version: number }).version, POSTGRES_SCHEMA_VERSION);
        });
      });

      it('keeps the audit log append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
        const schema = freshSchema();
        const store = await open(schema);
        try {
          await store.appendAudit({
            actor: 'system',
            action: 'alert.key-expiring',
            issuerId: null,
            subject: null,
            before: null,
            after: null,
            refresh: null,
          });
        } finally {
          await store.close();
        }
        await withAdmin(async (client) => {
          await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
          for (const statement of [
            "UPDATE audit_log SET actor = 'mallory'",
            'DELETE FROM audit_log',
            'TRUNCATE audit_log',
          ])
            await assert.rejects(client.query(statement), { code: '42501' }, statement);
          const count = await client.query('SELECT count(*)::int AS n FROM audit_log');
          assert.equal((count.rows[0] as { n: number }).n, 1);
        });
      });
    });

    describe('opening', () => {
      it('takes the schema from the URL', async () => {
        const schema = freshSchema();
        const store = await openPostgresStore(`${DATABASE_URL}?schema=${schema}`, { now: () => START });
        try {
          await store.createIssuer({ name: 'contoso', issuerUri: 'https://sts.test/' }, ACTOR);
        } finally {
          await store.close();
        }
        const count = await withAdmin((client) =>
          client.query(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(schema)}.issuers`),
        );
        assert.equal((count.rows[0] as { n: number }).n, 1);
      });

      it('reports an unreachable server as CG_STORE_UNAVAILABLE naming host and database, never the password', async () => {
        const error = await rejectsWithCode(
          openPostgresStore('postgres://claimsgate:s3cret-pw@127.0.0.1:1/claims', { connectTimeoutMs: 2000 }),
          'CG_STORE_UNAVAILABLE',
        );
        assert.ok(isClaimsgateError(error));
        assert.equal(error.detail['host'], '127.0.0.1');
        assert.equal(error.detail['port'], 1);
        assert.equal(error.detail['database'], 'claims');
        const shown = JSON.stringify({ ...error.toJSON(), message: error.message });
        assert.ok(!shown.includes('s3cret-pw'), 'the password is never shown');
      });

      it('reports a database that does not exist as CG_STORE_UNAVAILABLE', async () => {
        const url = new URL(DATABASE_URL);
        url.pathname = `/cg_missing_${RUN}`;
        const error = await rejectsWithCode(openPostgresStore(url.toString()), 'CG_STORE_UNAVAILABLE');
        assert.ok(isClaimsgateError(error));
        assert.equal(error.detail['database'], `cg_missing_${RUN}`);
      });

      it('refuses bad options and URLs with a TypeError', async () => {
        await assert.rejects(openPostgresStore('mysql://127.0.0.1/test'), TypeError);
        await assert.rejects(openPostgresStore(DATABASE_URL, { schema: 'Robert"; DROP' }), TypeError);
        await assert.rejects(openPostgresStore(`${DATABASE_URL}?schema=a-b`), TypeError);
        await assert.rejects(openPostgresStore(DATABASE_URL, { poolSize: 0 }), TypeError);
      });
    });
  });
});
