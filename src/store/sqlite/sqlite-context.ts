import type { Database as Connection, Statement } from 'better-sqlite3';
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { AuditEntry, NewAuditEntry } from '../model.js';
import { auditColumns, insertAuditQuery } from '../queries/audit-queries.js';
import { auditFromRow } from '../records.js';
import { createSqliteQueryBuilder, sqliteParameters, type SqliteDatabase } from './sqlite-query-builder.js';

/** What the SQLite entity modules share: the connection, the clock, the query runner and the audit writer. */
export interface SqliteContext {
  readonly db: Connection;
  readonly now: () => Date;
  /** Builds the shared queries in SQLite's dialect (see sqlite-query-builder.ts). */
  readonly sql: Kysely<Database>;
  /** The same, with the tables only SQLite has (its replay ledger). */
  readonly local: Kysely<SqliteDatabase>;
  /** The rows `query` returns. */
  all<R>(query: CompiledQuery<R>): R[];
  /** The first row `query` returns, if any. */
  first<R>(query: CompiledQuery<R>): R | undefined;
  /** Runs a statement that returns no rows; returns how many rows it changed. */
  run(query: CompiledQuery<unknown>): number;
  /** Appends an audit entry; call inside the transaction of the change it tells about. */
  audit(entry: NewAuditEntry & { readonly at: Date }): AuditEntry;
}

export function createSqliteContext(db: Connection, now: () => Date): SqliteContext {
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const builder = createSqliteQueryBuilder();
  // The one place rows get their type: the query that selected them declares it.
  const all = <R>(query: CompiledQuery<R>): R[] => prepare(query.sql).all(sqliteParameters(query)) as R[];
  const first = <R>(query: CompiledQuery<R>): R | undefined =>
    prepare(query.sql).get(sqliteParameters(query)) as R | undefined;
  return {
    db,
    now,
    sql: builder,
    local: builder.withTables<Pick<SqliteDatabase, 'replays'>>(),
    all,
    first,
    run: (query) => prepare(query.sql).run(sqliteParameters(query)).changes,
    audit(entry) {
      const row = first(insertAuditQuery.bind(builder, auditColumns(entry)));
      if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
      return auditFromRow(row);
    },
  };
}
