import type pg from 'pg';

import { ClaimsgateError } from '../../lib/errors.js';
import type { AuditEntry, NewAuditEntry, StoreChange } from '../model.js';
import { auditFromRow, toAuditValue, toJsonColumn, type AuditRow } from '../records.js';
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
}

const INSERT_AUDIT_SQL = `INSERT INTO audit_log (at, actor, action, issuer_id, subject, before_json, after_json, refresh_json)
  VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb) RETURNING *`;

/** Appends one audit entry with `client` (in whatever transaction it is in). */
export async function insertAudit(
  client: pg.ClientBase,
  entry: NewAuditEntry,
  now: Date,
): Promise<AuditEntry> {
  const checked = normalizeNewAuditEntry(entry, now);
  const result = await client.query<AuditRow>(INSERT_AUDIT_SQL, [
    checked.at,
    checked.actor,
    checked.action,
    checked.issuerId,
    checked.subject,
    toJsonColumn(toAuditValue(checked.before)),
    toJsonColumn(toAuditValue(checked.after)),
    toJsonColumn(checked.refresh),
  ]);
  return auditFromRow(result.rows[0] as AuditRow);
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
    audit: (entry) => insertAudit(client, entry, now),
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

/**
 * A single statement outside any transaction, every database failure coded
 * (see `storeFailure`). `translate` names the failures the statement
 * expects first (a constraint violation as `CG_STORE_NOT_FOUND`, see
 * `translatePgError`); a ClaimsgateError it returns is thrown as it is.
 */
export async function query<R extends pg.QueryResultRow>(
  context: PostgresContext,
  sql: string,
  values: readonly unknown[] = [],
  translate: (error: unknown) => unknown = (error) => error,
): Promise<pg.QueryResult<R>> {
  assertOpen(context);
  try {
    return await context.pool.query<R>(sql, values as unknown[]);
  } catch (error) {
    throw storeFailure(context.target, translate(error), context.statementTimeoutMs);
  }
}

/** @throws ClaimsgateError `CG_STORE_UNAVAILABLE` once the store is closed. */
export function assertOpen(context: PostgresContext): void {
  if (context.isClosed())
    throw new ClaimsgateError('CG_STORE_UNAVAILABLE', 'The PostgreSQL store has been closed.', {
      hint: 'Open the store again; a closed store cannot be used.',
    });
}
