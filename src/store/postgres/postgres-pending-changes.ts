import type { Actor, PendingChangeDecision, PendingChangeRecord } from '../model.js';
import { pendingChangeAuditView, stalePendingChangeError } from '../pending-changes.js';
import {
  decidePendingChangeQuery,
  deletePendingChangeQuery,
  listPendingChangesQuery,
  pendingChangeColumns,
  savePendingChangeQuery,
  selectPendingChangeQuery,
} from '../queries/pending-change-queries.js';
import { pendingChangeFromRow } from '../records.js';
import { notFoundError } from '../store-errors.js';
import { normalizePendingDecision } from '../validate-input.js';
import { lockIssuer } from './postgres-issuer-lock.js';
import {
  inTransaction,
  selectFirst,
  selectRows,
  writeRow,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';

export async function getPendingChange(
  context: PostgresContext,
  issuerId: string,
): Promise<PendingChangeRecord | undefined> {
  const row = await selectFirst(context, selectPendingChangeQuery.bind(context.sql, { issuerId }));
  return row === undefined ? undefined : pendingChangeFromRow(row);
}

export async function listPendingChanges(context: PostgresContext): Promise<PendingChangeRecord[]> {
  const rows = await selectRows(context, listPendingChangesQuery.bind(context.sql, {}));
  return rows.map(pendingChangeFromRow);
}

/** Sets (or replaces) the issuer's pending change, or clears it with null, inside `tx`. */
export async function savePendingChange(
  tx: Transaction,
  issuerId: string,
  change: PendingChangeRecord | null,
): Promise<void> {
  if (change === null) {
    await tx.run(deletePendingChangeQuery.bind(tx.sql, { issuerId }));
    return;
  }
  await tx.run(savePendingChangeQuery.bind(tx.sql, pendingChangeColumns(change)));
}

/**
 * Records a decision on the issuer's pending change in one transaction (the
 * issuer row locked first, as a refresh locks it), audited and broadcast;
 * the same decision again changes nothing.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_STORE_CONFLICT`, `CG_STORE_INVALID`.
 */
export async function decidePendingChange(
  context: PostgresContext,
  issuerId: string,
  sha256: string,
  decision: Exclude<PendingChangeDecision, 'pending'>,
  actor: Actor,
): Promise<PendingChangeRecord> {
  const checked = normalizePendingDecision(sha256, decision, actor);
  return inTransaction(context, async (tx) => {
    await lockIssuer(tx, issuerId);
    const row = await tx.first(
      tx.sql
        .selectFrom('pending_changes')
        .selectAll()
        .where('issuer_id', '=', issuerId)
        .forUpdate()
        .compile(),
    );
    if (row === undefined) throw notFoundError('pending change', issuerId, 'issuer');
    const current = pendingChangeFromRow(row);
    // SECURITY: an approval covers exactly the document the administrator reviewed.
    if (current.sha256 !== checked.sha256)
      throw stalePendingChangeError(issuerId, checked.sha256, current.sha256);
    if (current.decision === checked.decision) return current;
    const updated = await writeRow(
      tx,
      decidePendingChangeQuery.bind(tx.sql, {
        issuerId,
        decision: checked.decision,
        actor: checked.actor,
        at: tx.now,
      }),
      (error) => error,
    );
    const record = pendingChangeFromRow(updated);
    await tx.audit({
      actor: checked.actor,
      action: checked.decision === 'approved' ? 'change.approved' : 'change.rejected',
      issuerId,
      subject: record.sha256,
      before: { decision: current.decision },
      after: pendingChangeAuditView(record),
      refresh: null,
    });
    tx.notify({ kind: 'pending-change', issuerId });
    return record;
  });
}
