import type { QueryBuilder } from '../database.js';
import { loginThrottleFromRow } from '../login-throttle-records.js';
import { prepareQuery } from '../prepared-query.js';
import {
  insertThrottlePlaceholdersQuery,
  purgeThrottleQuery,
  selectThrottleRows,
  throttleColumns,
  updateThrottleRowQuery,
  type ThrottleKeys,
} from '../queries/login-throttle-queries.js';
import {
  checkPolicy,
  planAttempt,
  planSuccess,
  throttleKeys,
  type LoginAttempt,
  type LoginAttemptDecision,
  type LoginThrottlePolicy,
  type LoginThrottleRow,
  type LoginThrottleScope,
} from '../login-throttle-rules.js';
import { normalizeInstant } from '../validate-input.js';
import { execute, inTransaction, type PostgresContext, type Transaction } from './postgres-transaction.js';

/**
 * Reads the attempt's three rows locked (FOR UPDATE) for the transaction.
 * Missing rows are created first (empty, expiring at once), so that two
 * instances counting the same new address wait for each other instead of
 * both reading "nothing"; the rows are locked in one statement, in a fixed
 * order (scope, key), so two attempts never deadlock.
 */
async function lockRows(
  tx: Transaction,
  keys: Record<LoginThrottleScope, string>,
  now: Date,
): Promise<Map<LoginThrottleScope, LoginThrottleRow>> {
  await tx.run(insertThrottlePlaceholdersQuery.bind(tx.sql, { ...keys, now }));
  const rows = await tx.rows(lockThrottleRowsQuery.bind(tx.sql, keys));
  return new Map(rows.map((row) => [row.scope, loginThrottleFromRow(row)]));
}

/** The attempt's counters, locked in (scope, key) order. */
const lockThrottleRowsQuery = prepareQuery((sql: QueryBuilder, keys: ThrottleKeys) =>
  selectThrottleRows(sql, keys).forUpdate(),
);

async function writeRows(tx: Transaction, rows: readonly LoginThrottleRow[]): Promise<void> {
  for (const row of rows) await tx.run(updateThrottleRowQuery.bind(tx.sql, throttleColumns(row)));
}

export async function beginAdminLoginAttempt(
  context: PostgresContext,
  attempt: LoginAttempt,
  now: Date,
  policy: LoginThrottlePolicy,
): Promise<LoginAttemptDecision> {
  const keys = throttleKeys(attempt);
  const at = normalizeInstant('now', now);
  const checked = checkPolicy(policy);
  return inTransaction(context, async (tx) => {
    const plan = planAttempt(keys, await lockRows(tx, keys, at), at, checked);
    // A refused attempt writes nothing, but the placeholders of unseen rows must not linger unexpired.
    await writeRows(tx, plan.writes);
    return plan.decision;
  });
}

export async function recordAdminLoginSuccess(
  context: PostgresContext,
  attempt: LoginAttempt,
  now: Date,
  policy: LoginThrottlePolicy,
): Promise<void> {
  const keys = throttleKeys(attempt);
  const at = normalizeInstant('now', now);
  const checked = checkPolicy(policy);
  await inTransaction(context, async (tx) => {
    await writeRows(tx, planSuccess(keys, await lockRows(tx, keys, at), at, checked));
  });
}

export async function purgeAdminLoginThrottle(context: PostgresContext, now: Date): Promise<number> {
  const at = normalizeInstant('now', now);
  return execute(context, purgeThrottleQuery.bind(context.sql, { now: at }));
}
