import type { AuditEntry, MetadataSnapshotRecord, RefreshStateRecord } from '../model.js';
import {
  auditFromRow,
  refreshStateFromRow,
  snapshotFromRow,
  toDateColumn,
  type AuditRow,
  type RefreshStateRow,
  type SnapshotRow,
} from '../records.js';
import type { AuditQuery } from '../store.js';
import { normalizeAuditLimit, normalizeInstant } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';

/** Audit entries matching `query`, oldest first. @throws ClaimsgateError `CG_STORE_INVALID` for a bad limit or date. */
export function listAudit(ctx: SqliteContext, query: AuditQuery): AuditEntry[] {
  const limit = normalizeAuditLimit(query.limit);
  const since = query.since === undefined ? null : toDateColumn(normalizeInstant('since', query.since));
  const rows = ctx
    .prepare(
      `SELECT * FROM audit_log
       WHERE (@issuer_id IS NULL OR issuer_id = @issuer_id)
         AND (@since IS NULL OR at >= @since)
         AND (@after_id IS NULL OR id > @after_id)
       ORDER BY id LIMIT @limit`,
    )
    .all({ issuer_id: query.issuerId ?? null, since, after_id: query.afterId ?? null, limit }) as AuditRow[];
  return rows.map(auditFromRow);
}

export function findSnapshot(ctx: SqliteContext, issuerId: string): MetadataSnapshotRecord | undefined {
  const row = ctx.prepare('SELECT * FROM metadata_snapshots WHERE issuer_id = ?').get(issuerId) as
    SnapshotRow | undefined;
  return row === undefined ? undefined : snapshotFromRow(row);
}

export function findRefreshState(ctx: SqliteContext, issuerId: string): RefreshStateRecord | undefined {
  const row = ctx.prepare('SELECT * FROM refresh_states WHERE issuer_id = ?').get(issuerId) as
    RefreshStateRow | undefined;
  return row === undefined ? undefined : refreshStateFromRow(row);
}
