import type { NewSessionRevocation, SessionRevocationRecord, StoreChange } from '../model.js';
import {
  insertSessionRevocationQuery,
  listSessionRevocationsQuery,
  purgeSessionRevocationsQuery,
  revocationColumns,
} from '../queries/admin-account-queries.js';
import { normalizeSessionRevocation, sessionRevocationFromRow } from '../session-revocations.js';
import { normalizeInstant } from '../validate-input.js';
import {
  execute,
  inTransaction,
  selectRows,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';

/** The change every session revocation broadcasts. */
export const SESSION_CHANGE: StoreChange = Object.freeze({ kind: 'session', issuerId: null });

/** Writes one checked revocation inside `tx`. */
export async function insertSessionRevocation(
  tx: Transaction,
  revocation: SessionRevocationRecord,
): Promise<void> {
  await tx.run(insertSessionRevocationQuery.bind(tx.sql, revocationColumns(revocation)));
}

/** Records a revocation and tells every instance (NOTIFY at COMMIT). */
export async function revokeSessions(
  context: PostgresContext,
  revocation: NewSessionRevocation,
): Promise<void> {
  const checked = normalizeSessionRevocation(revocation);
  await inTransaction(context, async (tx) => {
    await insertSessionRevocation(tx, checked);
    tx.notify(SESSION_CHANGE);
  });
}

export async function listSessionRevocations(
  context: PostgresContext,
  now: Date,
): Promise<SessionRevocationRecord[]> {
  const at = normalizeInstant('now', now);
  const rows = await selectRows(context, listSessionRevocationsQuery.bind(context.sql, { now: at }));
  return rows.map(sessionRevocationFromRow);
}

export async function purgeSessionRevocations(context: PostgresContext, now: Date): Promise<number> {
  const at = normalizeInstant('now', now);
  return execute(context, purgeSessionRevocationsQuery.bind(context.sql, { now: at }));
}
