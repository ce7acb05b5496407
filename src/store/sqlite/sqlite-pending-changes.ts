import type { Actor, PendingChangeDecision, PendingChangeRecord } from '../model.js';
import {
  decidePendingChangeQuery,
  deletePendingChangeQuery,
  listPendingChangesQuery,
  pendingChangeColumns,
  savePendingChangeQuery,
  selectPendingChangeQuery,
} from '../queries/pending-change-queries.js';
import { pendingChangeFromRow } from '../records.js';
import { pendingChangeAuditView, stalePendingChangeError } from '../pending-changes.js';
import { notFoundError } from '../store-errors.js';
import { normalizePendingDecision } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import { requireIssuer } from './sqlite-issuers.js';

export function findPendingChange(ctx: SqliteContext, issuerId: string): PendingChangeRecord | undefined {
  const row = ctx.first(selectPendingChangeQuery.bind(ctx.sql, { issuerId }));
  return row === undefined ? undefined : pendingChangeFromRow(row);
}

export function listPendingChanges(ctx: SqliteContext): PendingChangeRecord[] {
  const rows = ctx.all(listPendingChangesQuery.bind(ctx.sql, {}));
  return rows.map(pendingChangeFromRow);
}

/** Sets (or replaces) the issuer's pending change, or clears it with null; call inside a transaction. */
export function savePendingChange(
  ctx: SqliteContext,
  issuerId: string,
  change: PendingChangeRecord | null,
): void {
  if (change === null) {
    ctx.run(deletePendingChangeQuery.bind(ctx.sql, { issuerId }));
    return;
  }
  ctx.run(savePendingChangeQuery.bind(ctx.sql, pendingChangeColumns(change)));
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
  const row = ctx.first(
    decidePendingChangeQuery.bind(ctx.sql, {
      issuerId,
      decision: checked.decision,
      actor: checked.actor,
      at,
    }),
  );
  if (row === undefined) throw notFoundError('pending change', issuerId, 'issuer');
  const record = pendingChangeFromRow(row);
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
