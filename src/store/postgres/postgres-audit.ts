import type { AuditEntry, NewAuditEntry } from '../model.js';
import type { AuditQuery } from '../store.js';
import { normalizeAuditLimit } from '../validate-input.js';
import { auditFromRow, type AuditRow } from '../records.js';
import { inTransaction, type PostgresContext, query } from './postgres-transaction.js';

/** Appends one entry on its own. The trigger of migration 2 refuses any UPDATE, DELETE or TRUNCATE later. */
export async function appendAudit(context: PostgresContext, entry: NewAuditEntry): Promise<AuditEntry> {
  return inTransaction(context, (tx) => tx.audit(entry));
}

/** Entries matching `filter`, oldest first, at most `limit` (default 1000). */
export async function listAudit(context: PostgresContext, filter: AuditQuery = {}): Promise<AuditEntry[]> {
  const limit = normalizeAuditLimit(filter.limit);
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (filter.issuerId !== undefined) {
    values.push(filter.issuerId);
    conditions.push(`issuer_id = $${values.length}`);
  }
  if (filter.since !== undefined) {
    values.push(filter.since);
    conditions.push(`at >= $${values.length}`);
  }
  if (filter.afterId !== undefined) {
    values.push(filter.afterId);
    conditions.push(`id > $${values.length}`);
  }
  values.push(limit);
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  const result = await query<AuditRow>(
    context,
    `SELECT * FROM audit_log ${where} ORDER BY id LIMIT $${values.length}`,
    values,
  );
  return result.rows.map(auditFromRow);
}
