import { keyStateUpdate, selectIssuerKeyQuery, setKeySeenQuery } from '../queries/key-queries.js';
import {
  refreshStateColumns,
  saveRefreshStateQuery,
  saveSnapshotQuery,
  snapshotColumns,
} from '../queries/refresh-queries.js';
import { keyFromRow } from '../records.js';
import type { RefreshApplication } from '../store.js';
import { notFoundError } from '../store-errors.js';
import { normalizeRefreshApplication } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import { requireIssuer } from './sqlite-issuers.js';
import { insertKey } from './sqlite-keys.js';
import { savePendingChange } from './sqlite-pending-changes.js';
import { REFRESH_ACTOR } from '../model.js';

/**
 * Applies one refresh; call inside a transaction, so that a failure in any
 * part (a duplicate key, an unknown key ID) leaves keys, snapshot, refresh
 * state, pending change and audit log as they were. Returns whether any key was added or changed.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND` for an unknown issuer or key
 *   (including a key of another issuer), `CG_STORE_DUPLICATE` for a key the
 *   issuer already has, `CG_STORE_INVALID` for bad input.
 */
export function applySqliteRefresh(ctx: SqliteContext, application: RefreshApplication): boolean {
  const at = ctx.now();
  const refresh = normalizeRefreshApplication(application, at);
  requireIssuer(ctx, refresh.issuerId);
  for (const fields of refresh.addKeys) insertKey(ctx, fields, REFRESH_ACTOR, at);
  let statesChanged = false;
  for (const update of refresh.updateKeys) {
    // SECURITY: the key must belong to the refreshed issuer; a refresh never touches another issuer's trust.
    const row = ctx.first(
      selectIssuerKeyQuery.bind(ctx.sql, { id: update.keyId, issuerId: refresh.issuerId }),
    );
    if (row === undefined) throw notFoundError('key', update.keyId);
    const key = keyFromRow(row);
    // SECURITY: a refresh never moves a revoked key. Its plan was made from the keys read before its
    // fetch, so an administrator's revocation made meanwhile must not be undone by it (to retiring,
    // or restored if the document publishes the key) — security review, round 6.
    if (update.state !== undefined && update.state !== key.state && key.state !== 'revoked') {
      ctx.first(keyStateUpdate(ctx.sql, key, update.state, at, REFRESH_ACTOR));
      statesChanged = true;
    }
    if (update.lastSeenInMetadataAt !== undefined)
      ctx.run(setKeySeenQuery.bind(ctx.sql, { id: key.id, seen: update.lastSeenInMetadataAt }));
  }
  if (refresh.snapshot !== null) {
    ctx.run(saveSnapshotQuery.bind(ctx.sql, snapshotColumns(refresh.snapshot)));
  }
  ctx.run(saveRefreshStateQuery.bind(ctx.sql, refreshStateColumns(refresh.refreshState)));
  if (refresh.pendingChange !== undefined) savePendingChange(ctx, refresh.issuerId, refresh.pendingChange);
  for (const entry of refresh.audit) ctx.audit(entry);
  return refresh.addKeys.length > 0 || statesChanged;
}
