/**
 * Where the PostgreSQL tests find their server, and whether they may run:
 * one probe shared by every PostgreSQL test file.
 */
import pg from 'pg';
import type { ServiceGate } from './service-gate.js';
import { resolvePostgresTarget } from '../../src/store/postgres/postgres-connection.js';

/** The test database; CLAIMSGATE_TEST_POSTGRES_URL overrides it. */
export const TEST_POSTGRES_URL =
  process.env['CLAIMSGATE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where the tests look for PostgreSQL, for messages: user, host, port and database, never a password. */
function describeTarget(): string {
  const { host, port, database, user } = resolvePostgresTarget(TEST_POSTGRES_URL).where;
  return `${user}@${host}:${port}/${database}`;
}

/**
 * Connects with a 10 s timeout, up to three times (a loaded machine can be
 * slow to accept a connection). Resolves undefined when PostgreSQL can be
 * used, else the reason to skip (or, when required, to fail) with.
 */
export async function postgresSkipReason(): Promise<string | undefined> {
  let reason = '';
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (error) {
      reason = error instanceof Error ? error.message || error.name : String(error);
      // A refused connection will not be accepted a moment later: no retry.
      if (/ECONNREFUSED|ENOTFOUND|does not exist/.test(reason)) break;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return `PostgreSQL is not reachable at ${describeTarget()}: ${reason}`;
}

/**
 * The gate for PostgreSQL tests: CI sets CLAIMSGATE_REQUIRE_POSTGRES=1, and
 * then an unreachable server fails them instead of skipping them.
 */
export async function postgresGate(): Promise<ServiceGate> {
  return {
    service: 'PostgreSQL',
    skipReason: await postgresSkipReason(),
    requiredBy: 'CLAIMSGATE_REQUIRE_POSTGRES',
  };
}
