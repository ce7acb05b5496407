import type { Selectable } from 'kysely';
import type { AdminLoginThrottleTable } from './database.js';
import type { LoginThrottleRow } from './login-throttle-rules.js';
import type { DateColumn } from './records.js';

/** The `admin_login_throttle` row, by column name (both backends). */
export type LoginThrottleDbRow = Selectable<AdminLoginThrottleTable>;

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
