import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TEST_POSTGRES_URL, postgresGate } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';
import { runAdminAccountsContract } from './admin-accounts-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'claimsgate-admin-accounts-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

runAdminAccountsContract('SQLite', ({ now, database }) =>
  openSqliteStore(join(dir, `${database}.db`), { now }),
);

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

describeWithService('admin accounts contract: PostgreSQL', postgres, () => {
  runAdminAccountsContract(
    'PostgreSQL',
    ({ now, database }) => {
      schemas.add(database);
      return openPostgresStore(TEST_POSTGRES_URL, { now, schema: database });
    },
    dropSchemas,
  );
});
