import type { AuditEntry, MetadataSnapshotRecord, RefreshStateRecord } from '../model.js';
import { auditFromRow, refreshStateFromRow, snapshotFromRow } from '../records.js';
import { selectAuditQuery } from '../queries/audit-queries.js';
import {
  selectRefreshStateQuery,
  selectRefreshStatesQuery,
  selectSnapshotQuery,
  selectSnapshotSignerQuery,
} from '../queries/refresh-queries.js';
import type { AuditQuery } from '../store.js';
import { normalizeAuditLimit, normalizeInstant } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';

/** Audit entries matching `query`, oldest first. @throws ClaimsgateError `CG_STORE_INVALID` for a bad limit or date. */
export function listAudit(ctx: SqliteContext, query: AuditQuery): AuditEntry[] {
  const limit = normalizeAuditLimit(query.limit);
  const since = query.since === undefined ? undefined : normalizeInstant('since', query.since);
  return ctx
    .all(selectAuditQuery(ctx.sql, { issuerId: query.issuerId, since, afterId: query.afterId, limit }))
    .map(auditFromRow);
}

export function findSnapshot(ctx: SqliteContext, issuerId: string): MetadataSnapshotRecord | undefined {
  const row = ctx.first(selectSnapshotQuery.bind(ctx.sql, { issuerId }));
  return row === undefined ? undefined : snapshotFromRow(row);
}

/** The signer of the issuer's last-known-good document; null for none, or an unsigned one. */
export function findSnapshotSigner(ctx: SqliteContext, issuerId: string): string | null {
  return ctx.first(selectSnapshotSignerQuery.bind(ctx.sql, { issuerId }))?.signer_sha1 ?? null;
}

export function findRefreshState(ctx: SqliteContext, issuerId: string): RefreshStateRecord | undefined {
  const row = ctx.first(selectRefreshStateQuery.bind(ctx.sql, { issuerId }));
  return row === undefined ? undefined : refreshStateFromRow(row);
}

/** Every issuer's refresh state. */
export function listRefreshStates(ctx: SqliteContext): RefreshStateRecord[] {
  return ctx.all(selectRefreshStatesQuery.bind(ctx.sql, {})).map(refreshStateFromRow);
}
