/**
 * Security review 8: a busy connection pool is taken for an unreachable
 * database. pg-pool rejects a query that waited connectTimeoutMs for a free
 * connection with "timeout exceeded when trying to connect" (no code), which
 * postgres-connection.ts isConnectionFailure maps to CG_STORE_UNAVAILABLE;
 * the outage watch then marks the store down, and the replay cache (default
 * database.outage.replayCache = local) decides from this instance's ledger
 * alone: a token another instance already accepted is accepted here again.
 * Load alone — concurrent requests that each read the store — opens the
 * fail-open mode while PostgreSQL is perfectly reachable.
 *
 * Needs PostgreSQL at 127.0.0.1:5432 (db test, trust auth).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { createStoreOutage } from '../../src/store/store-outage.js';
import { createStoreReplayCache } from '../../src/store/store-replay-cache.js';
import { TEST_POSTGRES_URL, postgresSkipReason } from '../helpers/postgres.js';

const skip = await postgresSkipReason();

describe('security review 8: pool saturation is taken for an outage', { skip }, () => {
  it('a token accepted by instance A is refused by instance B under load (fails: replayed)', async () => {
    const schema = `sr8_${randomBytes(4).toString('hex')}`;
    const a = await openPostgresStore(TEST_POSTGRES_URL, { schema });
    // Instance B: a small pool and a short connect timeout, so that modest load saturates it.
    const bStore = await openPostgresStore(TEST_POSTGRES_URL, { schema, poolSize: 1, connectTimeoutMs: 50 });
    const outage = createStoreOutage({ store: bStore, probeIntervalMs: 1_000 });
    const cacheA = createStoreReplayCache(a, { whenUnreachable: 'local' });
    const cacheB = createStoreReplayCache(outage.store, { whenUnreachable: 'local', outage });
    const expiresAt = new Date(Date.now() + 600_000);
    try {
      assert.equal(await cacheA.checkAndStore('victim-token', expiresAt), true);
      // Unauthenticated load on B: many concurrent store reads (e.g. /signin?whr=<unknown name>).
      const load = Array.from({ length: 400 }, () =>
        outage.store.getIssuer('no-such-issuer').catch((e: unknown) => e),
      );
      const results = await Promise.all(load);
      const codes = new Set(results.map((r) => (r as { code?: string } | undefined)?.code ?? 'ok'));
      const replayed = await cacheB.checkAndStore('victim-token', expiresAt);
      assert.equal(
        outage.reachable,
        true,
        `the database was reachable all along, but the watch says down (codes met: ${[...codes].join(', ')}; replay accepted: ${replayed})`,
      );
      assert.equal(replayed, false, 'instance B accepted a token instance A had already accepted');
    } finally {
      outage.stop();
      await a.close();
      await bStore.close();
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });
});
