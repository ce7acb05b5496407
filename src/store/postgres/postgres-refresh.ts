import type { MetadataSnapshotRecord, RefreshStateRecord } from '../model.js';
import type { RefreshApplication } from '../store.js';
import { normalizeRefreshApplication } from '../validate-input.js';
import { notFoundError } from '../store-errors.js';
import { lockIssuer } from './postgres-issuers.js';
import { insertKey } from './postgres-keys.js';
import { savePendingChange } from './postgres-pending-changes.js';
import {
  keyFromRow,
  refreshStateFromRow,
  snapshotFromRow,
  type KeyRow,
  type RefreshStateRow,
  type SnapshotRow,
} from '../records.js';
import { inTransaction, query, type PostgresContext, type Transaction } from './postgres-transaction.js';

/** Who adds keys found in metadata. */
const REFRESH_ACTOR = 'refresh';

export async function getMetadataSnapshot(
  context: PostgresContext,
  issuerId: string,
): Promise<MetadataSnapshotRecord | undefined> {
  const result = await query<SnapshotRow>(context, 'SELECT * FROM metadata_snapshots WHERE issuer_id = $1', [
    issuerId,
  ]);
  const row = result.rows[0];
  return row === undefined ? undefined : snapshotFromRow(row);
}

export async function getRefreshState(
  context: PostgresContext,
  issuerId: string,
): Promise<RefreshStateRecord | undefined> {
  const result = await query<RefreshStateRow>(context, 'SELECT * FROM refresh_states WHERE issuer_id = $1', [
    issuerId,
  ]);
  const row = result.rows[0];
  return row === undefined ? undefined : refreshStateFromRow(row);
}

/**
 * Applies one refresh in one transaction: the issuer row is locked first, so
 * two refreshes of one issuer (or a refresh and an admin edit) never
 * interleave, and either everything is stored or nothing is. Broadcasts one
 * change: `key` when keys were added or updated, else `refresh`.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND` (issuer or key of another issuer), `CG_STORE_INVALID`
 *   (see normalizeRefreshApplication), `CG_STORE_DUPLICATE` (a key added twice).
 */
export async function applyRefresh(context: PostgresContext, application: RefreshApplication): Promise<void> {
  await inTransaction(context, async (tx) => {
    // The audit entries' default `at` is the transaction's instant, like every timestamp it writes.
    const checked = normalizeRefreshApplication(application, tx.now);
    await lockIssuer(tx, checked.issuerId);
    await applyRefreshIn(tx, application);
  });
}

/**
 * Applies one refresh inside `tx`, whose caller holds the issuer's row lock
 * (or created the issuer in it), and records its change notification.
 *
 * @throws ClaimsgateError as {@link applyRefresh}.
 */
export async function applyRefreshIn(tx: Transaction, application: RefreshApplication): Promise<void> {
  const checked = normalizeRefreshApplication(application, tx.now);
  const { issuerId } = checked;
  for (const key of checked.addKeys) await insertKey(tx, key, REFRESH_ACTOR, tx.now);
  let statesChanged = false;
  for (const update of checked.updateKeys) {
    // SECURITY: the key must belong to the refreshed issuer; a refresh never touches another issuer's trust.
    const found = await tx.client.query<KeyRow>(
      'SELECT * FROM keys WHERE id = $1 AND issuer_id = $2 FOR UPDATE',
      [update.keyId, issuerId],
    );
    const row = found.rows[0];
    if (row === undefined) throw notFoundError('key', update.keyId);
    const key = keyFromRow(row);
    if (update.state !== undefined && update.state !== key.state) {
      await tx.client.query('UPDATE keys SET state = $2, state_changed_at = $3 WHERE id = $1', [
        key.id,
        update.state,
        tx.now,
      ]);
      statesChanged = true;
    }
    if (update.lastSeenInMetadataAt !== undefined)
      await tx.client.query('UPDATE keys SET last_seen_in_metadata_at = $2 WHERE id = $1', [
        key.id,
        update.lastSeenInMetadataAt,
      ]);
  }
  if (checked.snapshot !== null) await saveSnapshot(tx, checked.snapshot);
  await saveRefreshState(tx, checked.refreshState);
  if (checked.pendingChange !== undefined) await savePendingChange(tx, issuerId, checked.pendingChange);
  for (const entry of checked.audit) await tx.audit(entry);
  const keysChanged = checked.addKeys.length > 0 || statesChanged;
  tx.notify({ kind: keysChanged ? 'key' : 'refresh', issuerId });
}

async function saveSnapshot(tx: Transaction, snapshot: MetadataSnapshotRecord): Promise<void> {
  await tx.client.query(
    `INSERT INTO metadata_snapshots (issuer_id, url, fetched_at, etag, last_modified, sha256, document, signer_sha1)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (issuer_id) DO UPDATE SET url = EXCLUDED.url, fetched_at = EXCLUDED.fetched_at,
       etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, sha256 = EXCLUDED.sha256,
       document = EXCLUDED.document, signer_sha1 = EXCLUDED.signer_sha1`,
    [
      snapshot.issuerId,
      snapshot.url,
      snapshot.fetchedAt,
      snapshot.etag,
      snapshot.lastModified,
      snapshot.sha256,
      snapshot.document,
      snapshot.signerSha1,
    ],
  );
}

async function saveRefreshState(tx: Transaction, state: RefreshStateRecord): Promise<void> {
  await tx.client.query(
    `INSERT INTO refresh_states (issuer_id, last_attempt_at, last_success_at, last_outcome, last_error_code,
       last_error_message, consecutive_failures, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (issuer_id) DO UPDATE SET last_attempt_at = EXCLUDED.last_attempt_at,
       last_success_at = EXCLUDED.last_success_at, last_outcome = EXCLUDED.last_outcome,
       last_error_code = EXCLUDED.last_error_code, last_error_message = EXCLUDED.last_error_message,
       consecutive_failures = EXCLUDED.consecutive_failures, next_attempt_at = EXCLUDED.next_attempt_at`,
    [
      state.issuerId,
      state.lastAttemptAt,
      state.lastSuccessAt,
      state.lastOutcome,
      state.lastErrorCode,
      state.lastErrorMessage,
      state.consecutiveFailures,
      state.nextAttemptAt,
    ],
  );
}
