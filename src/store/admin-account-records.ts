import type { Selectable } from 'kysely';
import type { AdminAccountsTable } from './database.js';
import type { AdminAccountRecord } from './model.js';
import { toAuditValue, type DateColumn } from './records.js';

/** The `admin_accounts` row, by column name (both backends). */
export type AdminAccountRow = Selectable<AdminAccountsTable>;

function readDate(value: DateColumn): Date {
  return value instanceof Date ? new Date(value.getTime()) : new Date(value);
}

export function adminAccountFromRow(row: AdminAccountRow): AdminAccountRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
    lastLoginAt: row.last_login_at === null ? null : readDate(row.last_login_at),
  };
}

/**
 * What the audit log records of an admin account: its name and dates.
 *
 * SECURITY: never the password hash — the log is readable by every admin and
 * kept forever, and a hash is what an offline guessing attack starts from.
 */
export function adminAccountAuditView(account: AdminAccountRecord): unknown {
  return toAuditValue({
    id: account.id,
    username: account.username,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
    lastLoginAt: account.lastLoginAt,
  });
}

/** The actor an admin's own sign-in is recorded under: the user of the session it opens. */
export function localAdminActor(username: string): string {
  return `local:${username}`;
}
