import type { Actor, PendingChangeDecision, PendingChangeRecord } from '../model.js';
import { pendingChangeAuditView, stalePendingChangeError } from '../pending-changes.js';
import { pendingChangeFromRow, toPendingKeysColumn, type PendingChangeRow } from '../records.js';
import { notFoundError } from '../store-errors.js';
import { normalizePendingDecision } from '../validate-input.js';
import { lockIssuer } from './postgres-issuers.js';
import { inTransaction, query, type PostgresContext, type Transaction } from './postgres-transaction.js';

export async function getPendingChange(
  context: PostgresContext,
  issuerId: string,
): Promise<PendingChangeRecord | undefined> {
  const result = await query<PendingChangeRow>(
    context,
    'SELECT * FROM pending_changes WHERE issuer_id = $1',
    [issuerId],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : pendingChangeFromRow(row);
}

export async function listPendingChanges(context: PostgresContext): Promise<PendingChangeRecord[]> {
  const result = await query<PendingChangeRow>(
    context,
    'SELECT * FROM pending_changes ORDER BY detected_at, issuer_id',
  );
  return result.rows.map(pendingChangeFromRow);
}

/** Sets (or replaces) the issuer's pending change, or clears it with null, inside `tx`. */
export async function savePendingChange(
  tx: Transaction,
  issuerId: string,
  change: PendingChangeRecord | null,
): Promise<void> {
  if (change === null) {
    await tx.client.query('DELETE FROM pending_changes WHERE issuer_id = $1', [issuerId]);
    return;
  }
  await tx.client.query(
    `INSERT INTO pending_changes (issuer_id, detected_at, url, sha256, signer_sha1, reason, keys_json, decision,
       decided_by, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10)
     ON CONFLICT (issuer_id) DO UPDATE SET detected_at = EXCLUDED.detected_at, url = EXCLUDED.url,
       sha256 = EXCLUDED.sha256, signer_sha1 = EXCLUDED.signer_sha1, reason = EXCLUDED.reason,
       keys_json = EXCLUDED.keys_json, decision = EXCLUDED.decision, decided_by = EXCLUDED.decided_by,
       decided_at = EXCLUDED.decided_at`,
    [
      change.issuerId,
      change.detectedAt,
      change.url,
      change.sha256,
      change.signerSha1,
      change.reason,
      toPendingKeysColumn(change.keys),
      change.decision,
      change.decidedBy,
      change.decidedAt,
    ],
  );
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
    const found = await tx.client.query<PendingChangeRow>(
      'SELECT * FROM pending_changes WHERE issuer_id = $1 FOR UPDATE',
      [issuerId],
    );
    const row = found.rows[0];
    if (row === undefined) throw notFoundError('pending change', issuerId, 'issuer');
    const current = pendingChangeFromRow(row);
    // SECURITY: an approval covers exactly the document the administrator reviewed.
    if (current.sha256 !== checked.sha256)
      throw stalePendingChangeError(issuerId, checked.sha256, current.sha256);
    if (current.decision === checked.decision) return current;
    const updated = await tx.client.query<PendingChangeRow>(
      'UPDATE pending_changes SET decision = $2, decided_by = $3, decided_at = $4 WHERE issuer_id = $1 RETURNING *',
      [issuerId, checked.decision, checked.actor, tx.now],
    );
    const record = pendingChangeFromRow(updated.rows[0] as PendingChangeRow);
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
