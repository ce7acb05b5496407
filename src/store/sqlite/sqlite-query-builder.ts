import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
} from 'kysely';
import type { ColumnType } from 'kysely';
import type { Database, DateColumn } from '../database.js';

/** The replay ledger as SQLite keeps it: the token ID itself (see postgres-query-builder.ts for the other). */
export interface SqliteReplaysTable {
  readonly id: string;
  readonly expires_at: ColumnType<DateColumn, Date, Date>;
}

export interface SqliteDatabase extends Database {
  readonly replays: SqliteReplaysTable;
}

/**
 * A kysely builder that writes SQLite's dialect and runs nothing: the store
 * runs the SQL itself, synchronously, on its better-sqlite3 connection (see
 * sqlite-context.ts), so that a transaction never yields to another caller.
 */
export function createSqliteQueryBuilder(): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
}

/** A value as better-sqlite3 binds it: dates as ISO-8601 text (they sort as text), booleans as 0/1. */
function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** The query's parameters in the form SQLite stores (see {@link sqliteValue}). */
export function sqliteParameters(query: CompiledQuery<unknown>): unknown[] {
  return query.parameters.map(sqliteValue);
}
