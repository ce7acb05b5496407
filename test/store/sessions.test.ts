import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import pg from 'pg';
import type { StoreChange } from '../../src/store/model.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TEST_POSTGRES_URL, postgresGate } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import { POLICY, runSessionsContract } from './sessions-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'claimsgate-sessions-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

runSessionsContract('SQLite', ({ now, database }) => openSqliteStore(join(dir, `${database}.db`), { now }));

const postgres = await postgresGate();
const schemas = new Set<string>();

async function dropSchemas(): Promise<void> {
  if (schemas.size === 0) return;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    for (const schema of schemas)
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    schemas.clear();
  } finally {
    await client.end();
  }
}

// The schemas of the tests below the contract are dropped once every test of the file has run.
after(() => dropSchemas());

describeWithService('sessions contract: PostgreSQL', postgres, () => {
  runSessionsContract(
    'PostgreSQL',
    ({ now, database }) => {
      schemas.add(database);
      return openPostgresStore(TEST_POSTGRES_URL, { now, schema: database });
    },
    dropSchemas,
  );

  it('counts admin sign-in failures across instances on the same schema', async () => {
    const schema = `cgs_throttle_${process.pid.toString(36)}`;
    schemas.add(schema);
    const first = await openPostgresStore(TEST_POSTGRES_URL, { schema });
    const second = await openPostgresStore(TEST_POSTGRES_URL, { schema });
    try {
      const now = new Date();
      const attempt = { account: 'alice', address: '192.0.2.1' };
      // Interleaved and in parallel on two instances: three tries in all, not three each.
      const decisions = await Promise.all(
        [first, second, first, second, first, second].map((store) =>
          store.beginAdminLoginAttempt(attempt, now, POLICY),
        ),
      );
      assert.equal(decisions.filter((decision) => decision.admitted).length, 3);
      assert.equal((await second.beginAdminLoginAttempt(attempt, now, POLICY)).admitted, false);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('tells another instance on the same schema of a revocation', async () => {
    const schema = `cgs_pair_${process.pid.toString(36)}`;
    schemas.add(schema);
    const first = await openPostgresStore(TEST_POSTGRES_URL, { schema });
    const second = await openPostgresStore(TEST_POSTGRES_URL, { schema });
    try {
      const heard = new Promise<StoreChange>((resolve) => second.onChange(resolve));
      const expiresAt = new Date(Date.now() + 3_600_000);
      await first.revokeSessions({ sid: 'from-first', expiresAt });
      assert.deepEqual(await heard, { kind: 'session', issuerId: null });
      const seen = await second.listSessionRevocations(new Date());
      assert.deepEqual(
        seen.map((revocation) => revocation.sid),
        ['from-first'],
      );
    } finally {
      await first.close();
      await second.close();
    }
  });
});
