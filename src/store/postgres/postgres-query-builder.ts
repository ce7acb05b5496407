import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type ColumnType,
} from 'kysely';
import type { Database, DateColumn } from '../database.js';

/** The replay ledger as PostgreSQL keeps it: the SHA-256 of the token ID, a bounded index key. */
export interface PostgresReplaysTable {
  readonly id_sha256: Buffer;
  readonly expires_at: ColumnType<DateColumn, Date, Date>;
}

export interface PostgresDatabase extends Database {
  readonly replays: PostgresReplaysTable;
}

/**
 * A kysely builder that writes PostgreSQL's dialect and runs nothing: the
 * store runs the SQL itself on its own pool and transactions
 * (postgres-transaction.ts), with their timeouts and error mapping.
 */
export function createPostgresQueryBuilder(): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
}
