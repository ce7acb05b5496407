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
import { realmFromRow, toJsonColumn, type RealmRow } from '../records.js';
import { inTransaction, query, type PostgresContext, type Transaction } from './postgres-transaction.js';

export async function listRealms(context: PostgresContext): Promise<RealmRecord[]> {
  const result = await query<RealmRow>(context, 'SELECT * FROM realms ORDER BY realm_uri');
  return result.rows.map(realmFromRow);
}

/** By ID or by realm URI. */
export async function getRealm(context: PostgresContext, idOrUri: string): Promise<RealmRecord | undefined> {
  const result = await query<RealmRow>(
    context,
    'SELECT * FROM realms WHERE id = $1 OR realm_uri = $1 ORDER BY (id = $1) DESC LIMIT 1',
    [idOrUri],
  );
  const row = result.rows[0];
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
    const now = tx.now;
    let row: RealmRow;
    try {
      const result = await tx.client.query<RealmRow>(
        `INSERT INTO realms (id, realm_uri, reply_url, home_realm, allowed_issuer_ids, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6) RETURNING *`,
        [
          randomUUID(),
          fields.realmUri,
          fields.replyUrl,
          fields.homeRealm,
          toJsonColumn(fields.allowedIssuerIds),
          now,
        ],
      );
      row = result.rows[0] as RealmRow;
    } catch (error) {
      throw translatePgError(error, 'realm', fields);
    }
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
    let row: RealmRow;
    try {
      const result = await tx.client.query<RealmRow>(
        `UPDATE realms SET realm_uri = $2, reply_url = $3, home_realm = $4, allowed_issuer_ids = $5::jsonb,
           updated_at = $6 WHERE id = $1 RETURNING *`,
        [
          id,
          merged.realmUri,
          merged.replyUrl,
          merged.homeRealm,
          toJsonColumn(merged.allowedIssuerIds),
          tx.now,
        ],
      );
      row = result.rows[0] as RealmRow;
    } catch (error) {
      throw translatePgError(error, 'realm', fields);
    }
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
    await tx.client.query('DELETE FROM realms WHERE id = $1', [id]);
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
  const result = await tx.client.query<RealmRow>('SELECT * FROM realms WHERE id = $1 FOR UPDATE', [id]);
  const row = result.rows[0];
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
  const result = await tx.client.query<{ id: string }>(
    'SELECT id FROM issuers WHERE id = ANY($1::text[]) FOR KEY SHARE',
    [ids],
  );
  const known = new Set(result.rows.map((row) => row.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) throw notFoundError('issuer', missing, 'allowedIssuerIds');
}
