import type { LoginThrottleRow, LoginThrottleScope } from './login-throttle-rules.js';
import type { DateColumn, IntegerColumn } from './records.js';

/** The `admin_login_throttle` row, by column name (both backends). */
export interface LoginThrottleDbRow {
  readonly scope: LoginThrottleScope;
  readonly key: string;
  readonly failures: IntegerColumn;
  readonly window_started_at: DateColumn;
  readonly locked_until: DateColumn | null;
  readonly last_success_at: DateColumn | null;
  readonly expires_at: DateColumn;
}

function readDate(value: DateColumn): Date {
  return value instanceof Date ? new Date(value.getTime()) : new Date(value);
}

export function loginThrottleFromRow(row: LoginThrottleDbRow): LoginThrottleRow {
  return {
    scope: row.scope,
    key: row.key,
    failures: Number(row.failures),
    windowStartedAt: readDate(row.window_started_at),
    lockedUntil: row.locked_until === null ? null : readDate(row.locked_until),
    lastSuccessAt: row.last_success_at === null ? null : readDate(row.last_success_at),
    expiresAt: readDate(row.expires_at),
  };
}
