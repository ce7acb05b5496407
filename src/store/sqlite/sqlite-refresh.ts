import { keyFromRow, toDateColumn, type KeyRow } from '../records.js';
import type { RefreshApplication } from '../store.js';
import { notFoundError } from '../store-errors.js';
import { normalizeRefreshApplication } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import { requireIssuer } from './sqlite-issuers.js';
import { insertKey } from './sqlite-keys.js';
import { savePendingChange } from './sqlite-pending-changes.js';
import { refreshStateParams, snapshotParams } from './sqlite-params.js';

/** Who adds keys found in metadata. */
const REFRESH_ACTOR = 'refresh';

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
  const findKey = ctx.prepare('SELECT * FROM keys WHERE id = ? AND issuer_id = ?');
  const updateState = ctx.prepare(
    'UPDATE keys SET state = @state, state_changed_at = @at WHERE id = @id AND state <> @state',
  );
  const updateSeen = ctx.prepare('UPDATE keys SET last_seen_in_metadata_at = @seen WHERE id = @id');
  let statesChanged = false;
  for (const update of refresh.updateKeys) {
    // SECURITY: the key must belong to the refreshed issuer; a refresh never touches another issuer's trust.
    const row = findKey.get(update.keyId, refresh.issuerId) as KeyRow | undefined;
    if (row === undefined) throw notFoundError('key', update.keyId);
    const key = keyFromRow(row);
    if (update.state !== undefined && update.state !== key.state) {
      updateState.run({ id: key.id, state: update.state, at: toDateColumn(at) });
      statesChanged = true;
    }
    if (update.lastSeenInMetadataAt !== undefined)
      updateSeen.run({ id: key.id, seen: toDateColumn(update.lastSeenInMetadataAt) });
  }
  if (refresh.snapshot !== null) {
    ctx
      .prepare(
        `INSERT INTO metadata_snapshots (issuer_id, url, fetched_at, etag, last_modified, sha256, document, signer_sha1)
         VALUES (@issuer_id, @url, @fetched_at, @etag, @last_modified, @sha256, @document, @signer_sha1)
         ON CONFLICT (issuer_id) DO UPDATE SET url = excluded.url, fetched_at = excluded.fetched_at,
           etag = excluded.etag, last_modified = excluded.last_modified, sha256 = excluded.sha256,
           document = excluded.document, signer_sha1 = excluded.signer_sha1`,
      )
      .run(snapshotParams(refresh.snapshot));
  }
  ctx
    .prepare(
      `INSERT INTO refresh_states (issuer_id, last_attempt_at, last_success_at, last_outcome, last_error_code,
         last_error_message, consecutive_failures, next_attempt_at)
       VALUES (@issuer_id, @last_attempt_at, @last_success_at, @last_outcome, @last_error_code,
         @last_error_message, @consecutive_failures, @next_attempt_at)
       ON CONFLICT (issuer_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
         last_success_at = excluded.last_success_at, last_outcome = excluded.last_outcome,
         last_error_code = excluded.last_error_code, last_error_message = excluded.last_error_message,
         consecutive_failures = excluded.consecutive_failures, next_attempt_at = excluded.next_attempt_at`,
    )
    .run(refreshStateParams(refresh.refreshState));
  if (refresh.pendingChange !== undefined) savePendingChange(ctx, refresh.issuerId, refresh.pendingChange);
  for (const entry of refresh.audit) ctx.audit(entry);
  return refresh.addKeys.length > 0 || statesChanged;
}
