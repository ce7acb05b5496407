import type { SessionRevocationRecord } from '../model.js';
import { toDateColumn } from '../records.js';
import { sessionRevocationFromRow, type SessionRevocationRow } from '../session-revocations.js';
import { normalizeInstant } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';

/** Writes one revocation, checked by `normalizeSessionRevocation` (or made by `adminAccountRevocation`). */
export function insertSessionRevocation(ctx: SqliteContext, revocation: SessionRevocationRecord): void {
  ctx
    .prepare(
      `INSERT INTO session_revocations (sid, user_name, revoked_before, expires_at)
       VALUES (@sid, @user_name, @revoked_before, @expires_at)`,
    )
    .run({
      sid: revocation.sid,
      user_name: revocation.user,
      revoked_before: revocation.revokedBefore === null ? null : toDateColumn(revocation.revokedBefore),
      expires_at: toDateColumn(revocation.expiresAt),
    });
}

/** The revocations still in force at `now`, oldest first. */
export function listSessionRevocations(ctx: SqliteContext, now: Date): SessionRevocationRecord[] {
  const at = toDateColumn(normalizeInstant('now', now));
  const rows = ctx
    .prepare('SELECT * FROM session_revocations WHERE expires_at > ? ORDER BY id')
    .all(at) as SessionRevocationRow[];
  return rows.map(sessionRevocationFromRow);
}

/** Drops the revocations expired at `now`; returns how many. */
export function purgeSessionRevocations(ctx: SqliteContext, now: Date): number {
  const at = toDateColumn(normalizeInstant('now', now));
  return ctx.prepare('DELETE FROM session_revocations WHERE expires_at <= ?').run(at).changes;
}
