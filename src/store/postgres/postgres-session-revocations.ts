import type pg from 'pg';

import type { NewSessionRevocation, SessionRevocationRecord, StoreChange } from '../model.js';
import {
  normalizeSessionRevocation,
  sessionRevocationFromRow,
  type SessionRevocationRow,
} from '../session-revocations.js';
import { normalizeInstant } from '../validate-input.js';
import { inTransaction, query, type PostgresContext } from './postgres-transaction.js';

/** The change every session revocation broadcasts. */
export const SESSION_CHANGE: StoreChange = Object.freeze({ kind: 'session', issuerId: null });

/** Writes one checked revocation with `client` (in whatever transaction it is in). */
export async function insertSessionRevocation(
  client: pg.ClientBase,
  revocation: SessionRevocationRecord,
): Promise<void> {
  await client.query(
    'INSERT INTO session_revocations (sid, user_name, revoked_before, expires_at) VALUES ($1, $2, $3, $4)',
    [revocation.sid, revocation.user, revocation.revokedBefore, revocation.expiresAt],
  );
}

/** Records a revocation and tells every instance (NOTIFY at COMMIT). */
export async function revokeSessions(
  context: PostgresContext,
  revocation: NewSessionRevocation,
): Promise<void> {
  const checked = normalizeSessionRevocation(revocation);
  await inTransaction(context, async (tx) => {
    await insertSessionRevocation(tx.client, checked);
    tx.notify(SESSION_CHANGE);
  });
}

export async function listSessionRevocations(
  context: PostgresContext,
  now: Date,
): Promise<SessionRevocationRecord[]> {
  const at = normalizeInstant('now', now);
  const result = await query<SessionRevocationRow>(
    context,
    'SELECT sid, user_name, revoked_before, expires_at FROM session_revocations WHERE expires_at > $1 ORDER BY id',
    [at],
  );
  return result.rows.map(sessionRevocationFromRow);
}

export async function purgeSessionRevocations(context: PostgresContext, now: Date): Promise<number> {
  const at = normalizeInstant('now', now);
  const result = await query(context, 'DELETE FROM session_revocations WHERE expires_at <= $1', [at]);
  return result.rowCount ?? 0;
}
