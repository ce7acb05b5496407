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
import { loginThrottleFromRow } from '../login-throttle-records.js';
import {
  purgeThrottleQuery,
  saveThrottleRowQuery,
  selectThrottleRowsQuery,
  throttleColumns,
} from '../queries/login-throttle-queries.js';
import { normalizeInstant } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';

function readRows(
  ctx: SqliteContext,
  keys: Record<LoginThrottleScope, string>,
): Map<LoginThrottleScope, LoginThrottleRow> {
  const rows = ctx.all(selectThrottleRowsQuery.bind(ctx.sql, keys));
  return new Map(rows.map((row) => [row.scope, loginThrottleFromRow(row)]));
}

function writeRows(ctx: SqliteContext, rows: readonly LoginThrottleRow[]): void {
  for (const row of rows) ctx.run(saveThrottleRowQuery.bind(ctx.sql, throttleColumns(row)));
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
  return ctx.run(purgeThrottleQuery.bind(ctx.sql, { now: normalizeInstant('now', now) }));
}
