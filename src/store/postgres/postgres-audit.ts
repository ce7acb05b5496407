import type { AuditEntry, NewAuditEntry } from '../model.js';
import type { AuditQuery } from '../store.js';
import { normalizeAuditLimit } from '../validate-input.js';
import { selectAuditQuery } from '../queries/audit-queries.js';
import { auditFromRow } from '../records.js';
import { inTransaction, selectRows, type PostgresContext } from './postgres-transaction.js';

/** Appends one entry on its own. The trigger of migration 2 refuses any UPDATE, DELETE or TRUNCATE later. */
export async function appendAudit(context: PostgresContext, entry: NewAuditEntry): Promise<AuditEntry> {
  return inTransaction(context, (tx) => tx.audit(entry));
}

/** Entries matching `filter`, oldest first, at most `limit` (default 1000). */
export async function listAudit(context: PostgresContext, filter: AuditQuery = {}): Promise<AuditEntry[]> {
  const limit = normalizeAuditLimit(filter.limit);
  const rows = await selectRows(
    context,
    selectAuditQuery(context.sql, {
      issuerId: filter.issuerId,
      since: filter.since,
      afterId: filter.afterId,
      limit,
    }),
  );
  return rows.map(auditFromRow);
}
