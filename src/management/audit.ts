import type { AuditEntry } from '../store/model.js';
import type { ManagementContext } from './context.js';
import { adminInputError, issuerNames } from './lookups.js';
import type { AuditFilter, AuditPage } from './service.js';
import { viewAuditEntry } from './views.js';
import { notFoundError } from '../store/store-errors.js';

/** Entries read from the store per query while filtering. */
const BATCH = 500;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkInstant(field: string, value: Date | undefined): void {
  if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) {
    throw adminInputError(field, `${field} must be a valid instant.`, { observed: String(value) });
  }
}

/** The issuer ID to filter by: a current issuer by name or ID, or the ID of a deleted one (its history stays). */
async function issuerIdOf(context: ManagementContext, issuer: string): Promise<string> {
  const found = await context.store.getIssuer(issuer);
  if (found !== undefined) return found.id;
  if (RECORD_ID.test(issuer)) return issuer;
  throw notFoundError('issuer', issuer, 'name or ID');
}

/** Whether an entry passes the filters the store's query does not apply. */
function matcher(filter: AuditFilter): (entry: AuditEntry) => boolean {
  const action = filter.action;
  const text = filter.text?.trim().toLowerCase();
  const until = filter.until?.getTime();
  return (entry) => {
    if (action !== undefined) {
      if (action.endsWith('.') ? !entry.action.startsWith(action) : entry.action !== action) return false;
    }
    if (filter.actor !== undefined && entry.actor !== filter.actor) return false;
    if (until !== undefined && entry.at.getTime() >= until) return false;
    if (text !== undefined && text !== '') {
      const haystack = [
        entry.action,
        entry.actor,
        entry.subject ?? '',
        JSON.stringify(entry.before ?? null),
        JSON.stringify(entry.after ?? null),
        entry.refresh === null ? '' : JSON.stringify(entry.refresh),
      ]
        .join('\n')
        .toLowerCase();
      if (!haystack.includes(text)) return false;
    }
    return true;
  };
}

/**
 * The audit log filtered by issuer, action (exact or `prefix.`), actor, time
 * range and text, oldest first, paged by entry ID. The store applies the
 * issuer, since and paging; the rest is filtered here, reading the log in
 * batches until the page is full.
 *
 * @throws ClaimsgateError `CG_ADMIN_INPUT_INVALID` for a bad limit, instant or
 *   page cursor; `CG_STORE_NOT_FOUND` for an unknown issuer name.
 */
export async function listAudit(context: ManagementContext, filter: AuditFilter = {}): Promise<AuditPage> {
  const limit = filter.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw adminInputError('limit', `limit must be a whole number from 1 to ${MAX_LIMIT}.`, {
      observed: limit,
    });
  }
  if (filter.afterId !== undefined && (!Number.isSafeInteger(filter.afterId) || filter.afterId < 0)) {
    throw adminInputError('afterId', 'afterId must be a whole number of at least 0.', {
      observed: filter.afterId,
    });
  }
  checkInstant('since', filter.since);
  checkInstant('until', filter.until);
  const issuerId = filter.issuer === undefined ? undefined : await issuerIdOf(context, filter.issuer);
  const matches = matcher(filter);
  const found: AuditEntry[] = [];
  let afterId = filter.afterId;
  // One entry more than the page tells whether another page follows.
  while (found.length <= limit) {
    const batch = await context.store.listAudit({
      limit: BATCH,
      ...(issuerId === undefined ? {} : { issuerId }),
      ...(filter.since === undefined ? {} : { since: filter.since }),
      ...(afterId === undefined ? {} : { afterId }),
    });
    for (const entry of batch) if (matches(entry)) found.push(entry);
    if (batch.length < BATCH) break;
    afterId = batch[batch.length - 1]!.id;
  }
  const page = found.slice(0, limit);
  const names = await issuerNames(context.store);
  return {
    entries: page.map((entry) => viewAuditEntry(entry, names)),
    nextAfterId: found.length > limit ? page[page.length - 1]!.id : null,
  };
}
