/**
 * The world of one multi-instance test: a fresh PostgreSQL schema holding
 * one issuer, a metadata server on 127.0.0.1, and instances running as real
 * processes on that schema; plus the test's own views of the database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { startMetadataServer, type MetadataServer } from '../helpers/metadata-server.js';
import { TEST_POSTGRES_URL } from '../helpers/postgres.js';
import { startInstance, type Instance } from './instance-process.js';

export const DATABASE_URL = TEST_POSTGRES_URL;
/** Names this run's schemas and sessions apart from other runs on the same database. */
export const RUN = `${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;

const schemas = new Set<string>();
let schemaCounter = 0;

/** Runs `work` with a plain client of its own: the test's view of the database. */
export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops every schema this run created. */
export async function dropSchemas(): Promise<void> {
  if (schemas.size === 0) return;
  await withAdmin(async (client) => {
    for (const schema of schemas)
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  });
  schemas.clear();
}

/** The database URL of one schema, with an application_name that finds the sessions of one instance. */
function schemaUrl(schema: string, applicationName?: string): string {
  const url = new URL(DATABASE_URL);
  url.searchParams.set('schema', schema);
  if (applicationName !== undefined) url.searchParams.set('application_name', applicationName);
  return url.toString();
}

/** One test's world: a fresh schema with the issuer, a metadata server, and the instances. */
export interface Cluster {
  readonly schema: string;
  readonly server: MetadataServer;
  readonly issuerId: string;
  readonly instances: readonly Instance[];
  /** The application_name of an instance's sessions. */
  applicationName(instance: Instance): string;
  /** A store connection of the test's own (opened fresh on each call). */
  openStore(): Promise<Store>;
  /**
   * Waits until the instances are quiet: no session of theirs holds an
   * advisory lock and the audit log has not grown for 500 ms.
   *
   * After starting, each instance reloads on the others' start refreshes
   * and may fire alerts under the issuer's refresh lock; a forced refresh
   * meeting that lock is deferred without any fetch (the defect the `todo`
   * test below shows). Tests about other things act once that is over.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly names: readonly string[];
  readonly reconcileIntervalMs: number;
  /** The issuer created in the schema, named `contoso`. */
  readonly issuerUri: string;
  /** The metadata document served at first. */
  readonly document: string;
  /** The instances' metadata fetch timeout; default 2 s. */
  readonly fetchTimeoutMs?: number;
}

/** Creates the schema and the issuer, starts the metadata server and the instances. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { names, reconcileIntervalMs } = options;
  schemaCounter += 1;
  const schema = `cg_mi_${RUN}_${schemaCounter}`;
  schemas.add(schema);
  const server = await startMetadataServer({ kind: 'document', body: options.document });
  const seed = await openStore(schemaUrl(schema));
  let issuerId: string;
  try {
    const issuer = await seed.createIssuer(
      {
        name: 'contoso',
        issuerUri: options.issuerUri,
        metadataUrl: server.url,
        refreshIntervalSeconds: 3600,
      },
      'admin:test',
    );
    issuerId = issuer.id;
  } finally {
    await seed.close();
  }
  const applicationNames = new Map<string, string>();
  const sessionPrefix = `cgmi_${RUN}_${schemaCounter}_`;
  const started = await Promise.allSettled(
    names.map((name) => {
      const applicationName = `${sessionPrefix}${name}`;
      applicationNames.set(name, applicationName);
      return startInstance({
        name,
        databaseUrl: schemaUrl(schema, applicationName),
        reconcileIntervalMs,
        ...(options.fetchTimeoutMs === undefined ? {} : { fetchTimeoutMs: options.fetchTimeoutMs }),
      });
    }),
  );
  const instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(instances.map((instance) => instance.kill()));
    await server.close();
    throw failed.reason;
  }
  return {
    schema,
    server,
    issuerId,
    instances,
    applicationName: (instance) => applicationNames.get(instance.name)!,
    openStore: () => openStore(schemaUrl(schema)),
    settle: () => settle(schema, sessionPrefix),
    async close() {
      await Promise.all(instances.map((instance) => instance.stop()));
      await server.close();
    },
  };
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** See {@link Cluster.settle}. */
async function settle(schema: string, sessionPrefix: string): Promise<void> {
  await withAdmin(async (client) => {
    const deadline = performance.now() + 5000;
    let quietSince = performance.now();
    let lastCount = -1;
    for (;;) {
      const result = await client.query<{ locks: string; audit: string }>(
        `SELECT (SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE l.locktype = 'advisory' AND a.application_name LIKE $1) AS locks,
                (SELECT count(*) FROM ${pg.escapeIdentifier(schema)}.audit_log) AS audit`,
        [`${sessionPrefix}%`],
      );
      const row = result.rows[0]!;
      const count = Number(row.audit);
      if (Number(row.locks) > 0 || count !== lastCount) quietSince = performance.now();
      lastCount = count;
      if (performance.now() - quietSince >= 500) return;
      if (performance.now() > deadline) assert.fail('the instances did not settle within 5 s');
      await pause(100);
    }
  });
}

export async function untilTrue(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await pause(20);
  }
}

/** What a refresh may change, read through a fresh store connection. */
export async function refreshRecords(cluster: Cluster) {
  const store = await cluster.openStore();
  try {
    const [keys, snapshot, state, audit] = await Promise.all([
      store.listKeys(cluster.issuerId),
      store.getMetadataSnapshot(cluster.issuerId),
      store.getRefreshState(cluster.issuerId),
      store.listAudit({ issuerId: cluster.issuerId, limit: 10_000 }),
    ]);
    return {
      keys: keys.map((key) => ({
        id: key.id,
        sha1: key.sha1,
        state: key.state,
        lastSeenInMetadataAt: key.lastSeenInMetadataAt,
      })),
      snapshot,
      state,
      // Alerts are appended on their own after a refresh, not in its transaction.
      audit: audit.filter((entry) => !entry.action.startsWith('alert.')),
    };
  } finally {
    await store.close();
  }
}

/** The sessions an instance still has open. */
export async function sessionsOf(applicationName: string): Promise<number> {
  return withAdmin(async (client) => {
    const result = await client.query<{ count: string }>(
      'SELECT count(*) AS count FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    return Number(result.rows[0]!.count);
  });
}
