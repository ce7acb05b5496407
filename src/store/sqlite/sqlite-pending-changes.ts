import type { Actor, PendingChangeDecision, PendingChangeRecord } from '../model.js';
import { pendingChangeFromRow, toDateColumn, type PendingChangeRow } from '../records.js';
import { pendingChangeAuditView, stalePendingChangeError } from '../pending-changes.js';
import { notFoundError } from '../store-errors.js';
import { normalizePendingDecision } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import { requireIssuer } from './sqlite-issuers.js';
import { pendingChangeParams } from './sqlite-params.js';

export function findPendingChange(ctx: SqliteContext, issuerId: string): PendingChangeRecord | undefined {
  const row = ctx.prepare('SELECT * FROM pending_changes WHERE issuer_id = ?').get(issuerId) as
    PendingChangeRow | undefined;
  return row === undefined ? undefined : pendingChangeFromRow(row);
}

export function listPendingChanges(ctx: SqliteContext): PendingChangeRecord[] {
  const rows = ctx
    .prepare('SELECT * FROM pending_changes ORDER BY detected_at, issuer_id')
    .all() as PendingChangeRow[];
  return rows.map(pendingChangeFromRow);
}

/** Sets (or replaces) the issuer's pending change, or clears it with null; call inside a transaction. */
export function savePendingChange(
  ctx: SqliteContext,
  issuerId: string,
  change: PendingChangeRecord | null,
): void {
  if (change === null) {
    ctx.prepare('DELETE FROM pending_changes WHERE issuer_id = ?').run(issuerId);
    return;
  }
  ctx
    .prepare(
      `INSERT INTO pending_changes (issuer_id, detected_at, url, sha256, signer_sha1, reason, keys_json, decision,
         decided_by, decided_at)
       VALUES (@issuer_id, @detected_at, @url, @sha256, @signer_sha1, @reason, @keys_json, @decision,
         @decided_by, @decided_at)
       ON CONFLICT (issuer_id) DO UPDATE SET detected_at = excluded.detected_at, url = excluded.url,
         sha256 = excluded.sha256, signer_sha1 = excluded.signer_sha1, reason = excluded.reason,
         keys_json = excluded.keys_json, decision = excluded.decision, decided_by = excluded.decided_by,
         decided_at = excluded.decided_at`,
    )
    .run(pendingChangeParams(change));
}

/**
 * Records a decision on the issuer's pending change; call inside a
 * transaction. `changed` is false when the decision was already recorded.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_STORE_CONFLICT`, `CG_STORE_INVALID`.
 */
export function decidePendingChange(
  ctx: SqliteContext,
  issuerId: string,
  sha256: string,
  decision: Exclude<PendingChangeDecision, 'pending'>,
  actor: Actor,
): { record: PendingChangeRecord; changed: boolean } {
  const checked = normalizePendingDecision(sha256, decision, actor);
  requireIssuer(ctx, issuerId);
  const current = findPendingChange(ctx, issuerId);
  if (current === undefined) throw notFoundError('pending change', issuerId, 'issuer');
  // SECURITY: an approval covers exactly the document the administrator reviewed.
  if (current.sha256 !== checked.sha256)
    throw stalePendingChangeError(issuerId, checked.sha256, current.sha256);
  if (current.decision === checked.decision) return { record: current, changed: false };
  const at = ctx.now();
  ctx
    .prepare(
      'UPDATE pending_changes SET decision = @decision, decided_by = @actor, decided_at = @at WHERE issuer_id = @id',
    )
    .run({ id: issuerId, decision: checked.decision, actor: checked.actor, at: toDateColumn(at) });
  const record = findPendingChange(ctx, issuerId)!;
  ctx.audit({
    at,
    actor: checked.actor,
    action: checked.decision === 'approved' ? 'change.approved' : 'change.rejected',
    issuerId,
    subject: record.sha256,
    before: { decision: current.decision },
    after: pendingChangeAuditView(record),
    refresh: null,
  });
  return { record, changed: true };
}
