import type pg from 'pg';

import { loginThrottleFromRow, type LoginThrottleDbRow } from '../login-throttle-records.js';
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
import { inTransaction, query, type PostgresContext } from './postgres-transaction.js';

/**
 * Reads the attempt's three rows locked (FOR UPDATE) for the transaction.
 * Missing rows are created first (empty, expiring at once), so that two
 * instances counting the same new address wait for each other instead of
 * both reading "nothing"; the rows are locked in one statement, in a fixed
 * order (scope, key), so two attempts never deadlock.
 */
async function lockRows(
  client: pg.ClientBase,
  keys: Record<LoginThrottleScope, string>,
  now: Date,
): Promise<Map<LoginThrottleScope, LoginThrottleRow>> {
  await client.query(
    `INSERT INTO admin_login_throttle (scope, key, failures, window_started_at, expires_at)
     VALUES ('account', $1, 0, $4, $4), ('address', $2, 0, $4, $4), ('pair', $3, 0, $4, $4)
     ON CONFLICT (scope, key) DO NOTHING`,
    [keys.account, keys.address, keys.pair, now],
  );
  const result = await client.query<LoginThrottleDbRow>(
    `SELECT * FROM admin_login_throttle
     WHERE (scope, key) IN (('account', $1), ('address', $2), ('pair', $3))
     ORDER BY scope, key FOR UPDATE`,
    [keys.account, keys.address, keys.pair],
  );
  return new Map(result.rows.map((row) => [row.scope, loginThrottleFromRow(row)]));
}

async function writeRows(client: pg.ClientBase, rows: readonly LoginThrottleRow[]): Promise<void> {
  for (const row of rows) {
    await client.query(
      `UPDATE admin_login_throttle SET failures = $3, window_started_at = $4, locked_until = $5,
         last_success_at = $6, expires_at = $7
       WHERE scope = $1 AND key = $2`,
      [
        row.scope,
        row.key,
        row.failures,
        row.windowStartedAt,
        row.lockedUntil,
        row.lastSuccessAt,
        row.expiresAt,
      ],
    );
  }
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
    const plan = planAttempt(keys, await lockRows(tx.client, keys, at), at, checked);
    // A refused attempt writes nothing, but the placeholders of unseen rows must not linger unexpired.
    await writeRows(tx.client, plan.writes);
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
    await writeRows(tx.client, planSuccess(keys, await lockRows(tx.client, keys, at), at, checked));
  });
}

export async function purgeAdminLoginThrottle(context: PostgresContext, now: Date): Promise<number> {
  const at = normalizeInstant('now', now);
  const result = await query(context, 'DELETE FROM admin_login_throttle WHERE expires_at <= $1', [at]);
  return result.rowCount ?? 0;
}
