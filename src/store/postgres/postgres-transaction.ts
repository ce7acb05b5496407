import type { CompiledQuery, Kysely } from 'kysely';
import type pg from 'pg';

import { ClaimsgateError } from '../../lib/errors.js';
import type { AuditEntry, NewAuditEntry, StoreChange } from '../model.js';
import type { Database } from '../database.js';
import type { PostgresDatabase } from './postgres-query-builder.js';
import { auditColumns, insertAuditQuery } from '../queries/audit-queries.js';
import { auditFromRow } from '../records.js';
import { normalizeNewAuditEntry } from '../validate-input.js';
import { changePayload, NOTIFY_SQL, type ChangeOrigin } from './postgres-change-feed.js';
import { storeFailure, takeConnection, type PostgresTarget } from './postgres-connection.js';

/** What every query module of the PostgreSQL store works with. */
export interface PostgresContext {
  readonly pool: pg.Pool;
  readonly target: PostgresTarget;
  /** This store, as named in the NOTIFY payloads it sends. */
  readonly origin: ChangeOrigin;
  /** Tells this instance's listeners of a committed change. */
  readonly emit: (change: StoreChange) => void;
  readonly now: () => Date;
  /** True once the store is closed: every call then fails with `CG_STORE_UNAVAILABLE`. */
  readonly isClosed: () => boolean;
  /** The sessions' statement timeout, for the error of a statement cancelled by it. */
  readonly statementTimeoutMs: number;
  /** Builds the shared queries in PostgreSQL's dialect (see postgres-query-builder.ts). */
  readonly sql: Kysely<Database>;
  /** The same, with the tables only PostgreSQL has (its replay ledger). */
  readonly local: Kysely<PostgresDatabase>;
}

/** One open transaction: its queries, and the audit entries and changes it will commit with. */
export interface Transaction {
  readonly client: pg.PoolClient;
  /** The store clock read once at BEGIN: the timestamps the transaction writes and its audit entries' `at`. */
  readonly now: Date;
  /** Appends an audit entry inside the transaction. */
  audit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Broadcasts a change when (and only if) the transaction commits. */
  notify(change: StoreChange): void;
  /** The store's query builder (see {@link PostgresContext.sql}). */
  readonly sql: Kysely<Database>;
  /** The rows `query` returns. */
  rows<R>(query: CompiledQuery<R>): Promise<R[]>;
  /** The first row `query` returns, if any. */
  first<R>(query: CompiledQuery<R>): Promise<R | undefined>;
  /** Runs a statement; returns how many rows it changed (or returned). */
  run(query: CompiledQuery<unknown>): Promise<number>;
}

/** The rows of a compiled query: the one place rows get their type, from the query that selected them. */
async function rowsOf<R>(client: pg.ClientBase | pg.Pool, query: CompiledQuery<R>): Promise<R[]> {
  const result = await client.query<pg.QueryResultRow>(query.sql, query.parameters as unknown[]);
  return result.rows as R[];
}

async function countOf(client: pg.ClientBase | pg.Pool, query: CompiledQuery<unknown>): Promise<number> {
  const result = await client.query(query.sql, query.parameters as unknown[]);
  return result.rowCount ?? 0;
}

/** Appends one audit entry with `client` (in whatever transaction it is in). */
export async function insertAudit(
  client: pg.ClientBase,
  sql: Kysely<Database>,
  entry: NewAuditEntry,
  now: Date,
): Promise<AuditEntry> {
  const checked = normalizeNewAuditEntry(entry, now);
  const [row] = await rowsOf(client, insertAuditQuery.bind(sql, auditColumns(checked)));
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  return auditFromRow(row);
}

/**
 * Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on any error).
 * The NOTIFYs for the changes it recorded are sent inside the transaction,
 * so PostgreSQL delivers them to other instances at COMMIT and never for a
 * rolled-back change; this instance's listeners are told right after COMMIT,
 * before the returned promise settles (as with SQLite), and skip the echo.
 * Duplicate changes are sent once.
 *
 * @throws ClaimsgateError `CG_STORE_UNAVAILABLE` when the connection fails, `CG_STORE_TIMEOUT` when
 *   a statement ran past the statement timeout (rolled back), `CG_STORE_QUERY_FAILED` for any other
 *   error PostgreSQL reports (see `storeFailure`); the work's own coded errors unchanged.
 */
export async function inTransaction<T>(
  context: PostgresContext,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  assertOpen(context);
  const taken = await takeConnection(context.pool, context.target);
  const client = taken.client;
  const changes = new Map<string, StoreChange>();
  const now = context.now();
  const transaction: Transaction = {
    client,
    now,
    sql: context.sql,
    audit: (entry) => insertAudit(client, context.sql, entry, now),
    rows: (query) => rowsOf(client, query),
    first: async (query) => (await rowsOf(client, query))[0],
    run: (query) => countOf(client, query),
    notify(change) {
      changes.set(`${change.kind}\u0000${change.issuerId ?? ''}`, change);
    },
  };
  let broken: unknown;
  let result: T;
  try {
    await client.query('BEGIN');
    result = await work(transaction);
    for (const change of changes.values())
      await client.query(NOTIFY_SQL, [changePayload(context.origin, change)]);
    await client.query('COMMIT');
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError;
    }
    throw storeFailure(context.target, error, context.statementTimeoutMs);
  } finally {
    taken.release(broken);
  }
  for (const change of changes.values()) context.emit(change);
  return result;
}

/** The rows of one query outside any transaction, every database failure coded (see `storeFailure`); `translate` names the failures the statement expects first (a constraint violation as `CG_STORE_NOT_FOUND`, see `translatePgError`). */
export async function selectRows<R>(
  context: PostgresContext,
  compiled: CompiledQuery<R>,
  translate: (error: unknown) => unknown = (error) => error,
): Promise<R[]> {
  assertOpen(context);
  try {
    return await rowsOf(context.pool, compiled);
  } catch (error) {
    throw storeFailure(context.target, translate(error), context.statementTimeoutMs);
  }
}

/** The first row of one query outside any transaction, if any (see {@link selectRows}). */
export async function selectFirst<R>(
  context: PostgresContext,
  compiled: CompiledQuery<R>,
): Promise<R | undefined> {
  return (await selectRows(context, compiled))[0];
}

/** Runs one statement outside any transaction; returns how many rows it changed (see {@link selectRows}). */
export async function execute(
  context: PostgresContext,
  compiled: CompiledQuery<unknown>,
  translate: (error: unknown) => unknown = (error) => error,
): Promise<number> {
  assertOpen(context);
  try {
    return await countOf(context.pool, compiled);
  } catch (error) {
    throw storeFailure(context.target, translate(error), context.statementTimeoutMs);
  }
}

/**
 * The row a write inside `tx` returns (INSERT or UPDATE … RETURNING by key);
 * `translate` names the failures it expects (see `translatePgError`).
 */
export async function writeRow<R>(
  tx: Transaction,
  compiled: CompiledQuery<R>,
  translate: (error: unknown) => unknown,
): Promise<R> {
  let row: R | undefined;
  try {
    row = await tx.first(compiled);
  } catch (error) {
    throw translate(error);
  }
  if (row === undefined) throw new Error('a write … RETURNING returned no row');
  return row;
}

/** @throws ClaimsgateError `CG_STORE_UNAVAILABLE` once the store is closed. */
export function assertOpen(context: PostgresContext): void {
  if (context.isClosed())
    throw new ClaimsgateError('CG_STORE_UNAVAILABLE', 'The PostgreSQL store has been closed.', {
      hint: 'Open the store again; a closed store cannot be used.',
    });
}
