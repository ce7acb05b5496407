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
import { loginThrottleFromRow, type LoginThrottleDbRow } from '../login-throttle-records.js';
import { toDateColumn } from '../records.js';
import { normalizeInstant } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';

function readRows(
  ctx: SqliteContext,
  keys: Record<LoginThrottleScope, string>,
): Map<LoginThrottleScope, LoginThrottleRow> {
  const rows = ctx
    .prepare(
      `SELECT * FROM admin_login_throttle
       WHERE (scope = 'account' AND key = @account) OR (scope = 'address' AND key = @address)
          OR (scope = 'pair' AND key = @pair)`,
    )
    .all(keys) as LoginThrottleDbRow[];
  return new Map(rows.map((row) => [row.scope, loginThrottleFromRow(row)]));
}

function writeRows(ctx: SqliteContext, rows: readonly LoginThrottleRow[]): void {
  const statement = ctx.prepare(
    `INSERT INTO admin_login_throttle (scope, key, failures, window_started_at, locked_until, last_success_at, expires_at)
     VALUES (@scope, @key, @failures, @window_started_at, @locked_until, @last_success_at, @expires_at)
     ON CONFLICT (scope, key) DO UPDATE SET failures = excluded.failures,
       window_started_at = excluded.window_started_at, locked_until = excluded.locked_until,
       last_success_at = excluded.last_success_at, expires_at = excluded.expires_at`,
  );
  for (const row of rows) {
    statement.run({
      scope: row.scope,
      key: row.key,
      failures: row.failures,
      window_started_at: toDateColumn(row.windowStartedAt),
      locked_until: row.lockedUntil === null ? null : toDateColumn(row.lockedUntil),
      last_success_at: row.lastSuccessAt === null ? null : toDateColumn(row.lastSuccessAt),
      expires_at: toDateColumn(row.expiresAt),
    });
  }
}

/** Decides and counts an attempt; run it in an immediate transaction. */
export function beginAdminLoginAttempt(
  ctx: SqliteContext,
  attempt: LoginAttempt,
  now: Date,
  policy: LoginThrottlePolicy,
): LoginAttemptDecision {
  const keys = throttleKeys(attempt);
  const at = normalizeInstant('now', now);
  const plan = planAttempt(keys, readRows(ctx, keys), at, checkPolicy(policy));
  if (plan.decision.admitted) writeRows(ctx, plan.writes);
  return plan.decision;
}

/** Takes back a successful attempt; run it in an immediate transaction. */
export function recordAdminLoginSuccess(
  ctx: SqliteContext,
  attempt: LoginAttempt,
  now: Date,
  policy: LoginThrottlePolicy,
): void {
  const keys = throttleKeys(attempt);
  const at = normalizeInstant('now', now);
  writeRows(ctx, planSuccess(keys, readRows(ctx, keys), at, checkPolicy(policy)));
}

export function purgeAdminLoginThrottle(ctx: SqliteContext, now: Date): number {
  const at = toDateColumn(normalizeInstant('now', now));
  return ctx.prepare('DELETE FROM admin_login_throttle WHERE expires_at <= ?').run(at).changes;
}
