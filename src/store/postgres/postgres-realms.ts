import { randomUUID } from 'node:crypto';

import type { Actor, NewRealm, RealmRecord } from '../model.js';
import {
  normalizeActor,
  normalizeNewRealm,
  normalizeRealmPatch,
  type RealmFields,
} from '../validate-input.js';
import { notFoundError } from '../store-errors.js';
import { translatePgError } from './postgres-errors.js';
import {
  deleteRealmQuery,
  insertRealmQuery,
  realmColumns,
  selectRealmByIdOrUriQuery,
  selectRealmsQuery,
  updateRealmQuery,
} from '../queries/realm-queries.js';
import { realmFromRow } from '../records.js';
import {
  inTransaction,
  selectFirst,
  selectRows,
  writeRow,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';

export async function listRealms(context: PostgresContext): Promise<RealmRecord[]> {
  const rows = await selectRows(context, selectRealmsQuery.bind(context.sql, {}));
  return rows.map(realmFromRow);
}

/** By ID or by realm URI. */
export async function getRealm(context: PostgresContext, idOrUri: string): Promise<RealmRecord | undefined> {
  const row = await selectFirst(context, selectRealmByIdOrUriQuery.bind(context.sql, { key: idOrUri }));
  return row === undefined ? undefined : realmFromRow(row);
}

export async function createRealm(
  context: PostgresContext,
  input: NewRealm,
  actor: Actor,
): Promise<RealmRecord> {
  const fields = normalizeNewRealm(input);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    await requireIssuers(tx, fields.allowedIssuerIds);
    const row = await writeRow(
      tx,
      insertRealmQuery.bind(tx.sql, { ...realmColumns(fields), id: randomUUID(), at: tx.now }),
      (error) => translatePgError(error, 'realm', fields),
    );
    const realm = realmFromRow(row);
    await tx.audit({
      actor: who,
      action: 'realm.created',
      issuerId: null,
      subject: realm.realmUri,
      before: null,
      after: realm,
      refresh: null,
    });
    tx.notify({ kind: 'realm', issuerId: null });
    return realm;
  });
}

export async function updateRealm(
  context: PostgresContext,
  id: string,
  patch: Partial<NewRealm>,
  actor: Actor,
): Promise<RealmRecord> {
  const fields = normalizeRealmPatch(patch);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    const before = await lockRealm(tx, id);
    const merged: RealmFields = {
      realmUri: fields.realmUri ?? before.realmUri,
      replyUrl: fields.replyUrl ?? before.replyUrl,
      homeRealm: fields.homeRealm === undefined ? before.homeRealm : fields.homeRealm,
      allowedIssuerIds: fields.allowedIssuerIds ?? before.allowedIssuerIds,
    };
    const unchanged: RealmFields = {
      realmUri: before.realmUri,
      replyUrl: before.replyUrl,
      homeRealm: before.homeRealm,
      allowedIssuerIds: before.allowedIssuerIds,
    };
    if (JSON.stringify(merged) === JSON.stringify(unchanged)) return before;
    if (fields.allowedIssuerIds !== undefined) await requireIssuers(tx, merged.allowedIssuerIds);
    const row = await writeRow(
      tx,
      updateRealmQuery.bind(tx.sql, { ...realmColumns(merged), id, at: tx.now }),
      (error) => translatePgError(error, 'realm', fields),
    );
    const after = realmFromRow(row);
    await tx.audit({
      actor: who,
      action: 'realm.updated',
      issuerId: null,
      subject: after.realmUri,
      before,
      after,
      refresh: null,
    });
    tx.notify({ kind: 'realm', issuerId: null });
    return after;
  });
}

export async function deleteRealm(context: PostgresContext, id: string, actor: Actor): Promise<void> {
  const who = normalizeActor(actor);
  await inTransaction(context, async (tx) => {
    const before = await lockRealm(tx, id);
    await tx.run(deleteRealmQuery.bind(tx.sql, { id }));
    await tx.audit({
      actor: who,
      action: 'realm.deleted',
      issuerId: null,
      subject: before.realmUri,
      before,
      after: null,
      refresh: null,
    });
    tx.notify({ kind: 'realm', issuerId: null });
  });
}

async function lockRealm(tx: Transaction, id: string): Promise<RealmRecord> {
  const row = await tx.first(
    tx.sql.selectFrom('realms').selectAll().where('id', '=', id).forUpdate().compile(),
  );
  if (row === undefined) throw notFoundError('realm', id);
  return realmFromRow(row);
}

/**
 * Checks that every allowed issuer ID names an issuer (a typo would otherwise
 * allow no one, silently), and keeps those rows from being deleted until the
 * transaction ends (FOR KEY SHARE).
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND` naming the first unknown ID.
 */
async function requireIssuers(tx: Transaction, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await tx.rows(
    tx.sql.selectFrom('issuers').select('id').where('id', 'in', ids).forKeyShare().compile(),
  );
  const known = new Set(rows.map((row) => row.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) throw notFoundError('issuer', missing, 'allowedIssuerIds');
}
