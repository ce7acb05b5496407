import type { Insertable } from 'kysely';
import type { AuditLogTable, QueryBuilder } from '../database.js';
import type { NewAuditEntry } from '../model.js';
import { prepareQuery } from '../prepared-query.js';
import { toAuditValue, toJsonColumn } from '../records.js';

/** An audit entry as the `audit_log` columns hold it (values as JSON text). */
export function auditColumns(entry: NewAuditEntry & { readonly at: Date }): Insertable<AuditLogTable> {
  return {
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    issuer_id: entry.issuerId,
    subject: entry.subject,
    before_json: toJsonColumn(toAuditValue(entry.before)),
    after_json: toJsonColumn(toAuditValue(entry.after)),
    refresh_json: toJsonColumn(toAuditValue(entry.refresh)),
  };
}

/** Appends an entry (bind {@link auditColumns}) and returns its row, numbered by the database. */
export const insertAuditQuery = prepareQuery((sql: QueryBuilder, entry: Insertable<AuditLogTable>) =>
  sql
    .insertInto('audit_log')
    .values({
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      issuer_id: entry.issuer_id,
      subject: entry.subject,
      before_json: entry.before_json,
      after_json: entry.after_json,
      refresh_json: entry.refresh_json,
    })
    .returningAll(),
);

/** What {@link selectAuditQuery} filters on; every field optional but the limit. */
export interface AuditFilter {
  readonly issuerId?: string | undefined;
  readonly since?: Date | undefined;
  readonly afterId?: number | undefined;
  readonly limit: number;
}

/** Entries matching `filter`, oldest first (built per call: the filter decides its shape). */
export function selectAuditQuery(sql: QueryBuilder, filter: AuditFilter) {
  let query = sql.selectFrom('audit_log').selectAll();
  if (filter.issuerId !== undefined) query = query.where('issuer_id', '=', filter.issuerId);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
  return query.orderBy('id').limit(filter.limit).compile();
}
