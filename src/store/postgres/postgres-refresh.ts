import type { MetadataSnapshotRecord, RefreshStateRecord } from '../model.js';
import type { RefreshApplication } from '../store.js';
import { normalizeRefreshApplication } from '../validate-input.js';
import { notFoundError } from '../store-errors.js';
import { lockIssuer } from './postgres-issuer-lock.js';
import { insertKey } from './postgres-keys.js';
import { savePendingChange } from './postgres-pending-changes.js';
import { keyStateUpdate } from '../queries/key-queries.js';
import {
  refreshStateColumns,
  saveRefreshStateQuery,
  saveSnapshotQuery,
  selectRefreshStateQuery,
  selectRefreshStatesQuery,
  selectSnapshotQuery,
  selectSnapshotSignerQuery,
  snapshotColumns,
} from '../queries/refresh-queries.js';
import { keyFromRow, refreshStateFromRow, snapshotFromRow } from '../records.js';
import {
  inTransaction,
  selectFirst,
  selectRows,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';
import { REFRESH_ACTOR } from '../model.js';
import { changesTrust } from '../refresh-durability.js';

/** Who adds keys found in metadata. */

export async function getMetadataSnapshot(
  context: PostgresContext,
  issuerId: string,
): Promise<MetadataSnapshotRecord | undefined> {
  const row = await selectFirst(context, selectSnapshotQuery.bind(context.sql, { issuerId }));
  return row === undefined ? undefined : snapshotFromRow(row);
}

export async function getRefreshState(
  context: PostgresContext,
  issuerId: string,
): Promise<RefreshStateRecord | undefined> {
  const row = await selectFirst(context, selectRefreshStateQuery.bind(context.sql, { issuerId }));
  return row === undefined ? undefined : refreshStateFromRow(row);
}

/** Every issuer's refresh state, in one query. */
export async function listRefreshStates(context: PostgresContext): Promise<RefreshStateRecord[]> {
  const rows = await selectRows(context, selectRefreshStatesQuery.bind(context.sql, {}));
  return rows.map(refreshStateFromRow);
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
    // Judged under the issuer's lock, from the stored document's signer (see refresh-durability.ts);
    // SET LOCAL holds for this transaction's commit, wherever in it it is set. Bookkeeping does not
    // wait for its WAL record to reach the disk: a crash of the server may lose the last such commits,
    // never a synced one, and loses no consistency.
    const stored = await tx.first(selectSnapshotSignerQuery.bind(tx.sql, { issuerId: checked.issuerId }));
    if (!changesTrust(application, stored?.signer_sha1 ?? null))
      await tx.client.query('SET LOCAL synchronous_commit TO OFF');
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
  // The keys to update, read and locked in one query (SECURITY: of the refreshed issuer only; a refresh
  // never touches another issuer's trust). One round trip, not one per key: every refresh, a 304
  // included, marks each published key as seen.
  const ids = checked.updateKeys.map((update) => update.keyId);
  const rows =
    ids.length === 0
      ? []
      : await tx.rows(
          tx.sql
            .selectFrom('keys')
            .selectAll()
            .where('id', 'in', ids)
            .where('issuer_id', '=', issuerId)
            .forUpdate()
            .compile(),
        );
  const keys = new Map(rows.map((row) => [row.id, keyFromRow(row)]));
  const seen = new Map<number, string[]>();
  for (const update of checked.updateKeys) {
    const key = keys.get(update.keyId);
    if (key === undefined) throw notFoundError('key', update.keyId);
    // SECURITY: a refresh never moves a revoked key. Its plan was made from the keys read before its
    // fetch, so an administrator's revocation made meanwhile must not be undone by it (to retiring,
    // or restored if the document publishes the key) — security review, round 6.
    if (update.state !== undefined && update.state !== key.state && key.state !== 'revoked') {
      await tx.run(keyStateUpdate(tx.sql, key, update.state, tx.now, REFRESH_ACTOR));
      statesChanged = true;
    }
    if (update.lastSeenInMetadataAt !== undefined) {
      const at = update.lastSeenInMetadataAt.getTime();
      seen.set(at, [...(seen.get(at) ?? []), key.id]);
    }
  }
  for (const [at, seenIds] of seen)
    await tx.run(
      tx.sql
        .updateTable('keys')
        .set({ last_seen_in_metadata_at: new Date(at) })
        .where('id', 'in', seenIds)
        .where('issuer_id', '=', issuerId)
        .compile(),
    );
  if (checked.snapshot !== null) await saveSnapshot(tx, checked.snapshot);
  await saveRefreshState(tx, checked.refreshState);
  if (checked.pendingChange !== undefined) await savePendingChange(tx, issuerId, checked.pendingChange);
  for (const entry of checked.audit) await tx.audit(entry);
  const keysChanged = checked.addKeys.length > 0 || statesChanged;
  tx.notify({ kind: keysChanged ? 'key' : 'refresh', issuerId });
}

async function saveSnapshot(tx: Transaction, snapshot: MetadataSnapshotRecord): Promise<void> {
  await tx.run(saveSnapshotQuery.bind(tx.sql, snapshotColumns(snapshot)));
}

async function saveRefreshState(tx: Transaction, state: RefreshStateRecord): Promise<void> {
  await tx.run(saveRefreshStateQuery.bind(tx.sql, refreshStateColumns(state)));
}
