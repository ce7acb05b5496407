import { randomUUID } from 'node:crypto';

import type { KeyState } from '../../tokens/trust-snapshot.js';
import type { Actor, KeyRecord, NewKey } from '../model.js';
import {
  normalizeActor,
  normalizeInstant,
  normalizeKeyState,
  normalizeNewKey,
  type KeyFields,
} from '../validate-input.js';
import { notFoundError } from '../store-errors.js';
import { translatePgError } from './postgres-errors.js';
import { lockIssuer } from './postgres-issuers.js';
import {
  keyAuditView,
  keyFromRow,
  keyStateAction,
  keySubject,
  toJsonColumn,
  type KeyRow,
} from '../records.js';
import { inTransaction, query, type PostgresContext, type Transaction } from './postgres-transaction.js';

/** Who activates a key on its first use: no person, the store itself. */
const ACTIVATION_ACTOR = 'system';

export async function listKeys(context: PostgresContext, issuerId?: string): Promise<KeyRecord[]> {
  const result =
    issuerId === undefined
      ? await query<KeyRow>(context, 'SELECT * FROM keys ORDER BY issuer_id, first_seen_at, id')
      : await query<KeyRow>(context, 'SELECT * FROM keys WHERE issuer_id = $1 ORDER BY first_seen_at, id', [
          issuerId,
        ]);
  return result.rows.map(keyFromRow);
}

export async function getKey(context: PostgresContext, id: string): Promise<KeyRecord | undefined> {
  const result = await query<KeyRow>(context, 'SELECT * FROM keys WHERE id = $1', [id]);
  const row = result.rows[0];
  return row === undefined ? undefined : keyFromRow(row);
}

/**
 * Inserts a key inside `tx` (the issuer must be locked by the caller).
 *
 * @throws ClaimsgateError `CG_STORE_INVALID`, `CG_STORE_DUPLICATE` (same thumbprint or kid for the issuer).
 */
export async function insertKey(
  tx: Transaction,
  fields: KeyFields,
  addedBy: Actor,
  now: Date,
): Promise<KeyRecord> {
  try {
    const result = await tx.client.query<KeyRow>(
      `INSERT INTO keys (id, issuer_id, sha1, sha256, kid, certificate_der, jwk, subject, not_before, not_after,
         source, added_by, state, state_changed_at, first_seen_at, last_seen_in_metadata_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $14, $15, NULL)
       RETURNING *`,
      [
        randomUUID(),
        fields.issuerId,
        fields.sha1,
        fields.sha256,
        fields.kid,
        fields.certificateDer,
        toJsonColumn(fields.jwk),
        fields.subject,
        fields.notBefore,
        fields.notAfter,
        fields.source,
        addedBy,
        fields.state,
        now,
        fields.lastSeenInMetadataAt,
      ],
    );
    return keyFromRow(result.rows[0] as KeyRow);
  } catch (error) {
    throw translatePgError(error, 'key', fields);
  }
}

export async function addKey(context: PostgresContext, input: NewKey, actor: Actor): Promise<KeyRecord> {
  const fields = normalizeNewKey(input);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    await lockIssuer(tx, fields.issuerId);
    const key = await insertKey(tx, fields, who, tx.now);
    await tx.audit({
      actor: who,
      action: 'key.added',
      issuerId: key.issuerId,
      subject: keySubject(key),
      before: null,
      after: keyAuditView(key),
      refresh: null,
    });
    tx.notify({ kind: 'key', issuerId: key.issuerId });
    return key;
  });
}

/** Moves a key to `state`, audited as `key.<verb>` with the reason; no change (and no entry) when already there. */
export async function setKeyState(
  context: PostgresContext,
  id: string,
  state: KeyState,
  actor: Actor,
  reason?: string,
): Promise<KeyRecord> {
  const next = normalizeKeyState(state);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    const before = await lockKey(tx, id);
    if (before.state === next) return before;
    const result = await tx.client.query<KeyRow>(
      'UPDATE keys SET state = $2, state_changed_at = $3 WHERE id = $1 RETURNING *',
      [id, next, tx.now],
    );
    const after = keyFromRow(result.rows[0] as KeyRow);
    await tx.audit({
      actor: who,
      action: keyStateAction(next),
      issuerId: after.issuerId,
      subject: keySubject(after),
      before: { state: before.state },
      after: reason === undefined ? { state: next } : { state: next, reason },
      refresh: null,
    });
    tx.notify({ kind: 'key', issuerId: after.issuerId });
    return after;
  });
}

const TOUCH_KEY_USE_SQL = `UPDATE keys SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1 AND state <> 'announced'`;

/**
 * Notes a key's use. The common case (a key past `announced`) is one UPDATE
 * outside any transaction, moving `last_used_at` forward only; an
 * `announced` key's first use takes the audited transaction that makes it
 * `active` (actor `system`, audit `at` = the use).
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND` when the key does not exist.
 */
export async function recordKeyUse(context: PostgresContext, id: string, at: Date): Promise<void> {
  const usedAt = normalizeInstant('at', at);
  const touched = await query(context, TOUCH_KEY_USE_SQL, [id, usedAt]);
  if (touched.rowCount === 1) return;
  await inTransaction(context, async (tx) => {
    const current = await lockKey(tx, id);
    if (current.state !== 'announced') {
      await tx.client.query(TOUCH_KEY_USE_SQL, [id, usedAt]);
      return;
    }
    await tx.client.query(
      "UPDATE keys SET state = 'active', state_changed_at = $2, last_used_at = $2 WHERE id = $1",
      [id, usedAt],
    );
    await tx.audit({
      at: usedAt,
      actor: ACTIVATION_ACTOR,
      action: keyStateAction('active'),
      issuerId: current.issuerId,
      subject: keySubject(current),
      before: { state: 'announced' },
      after: { state: 'active', reason: 'first token signed with the key was accepted' },
      refresh: null,
    });
    tx.notify({ kind: 'key', issuerId: current.issuerId });
  });
}

/** Reads a key and locks its row for the transaction. @throws ClaimsgateError `CG_STORE_NOT_FOUND`. */
export async function lockKey(tx: Transaction, id: string): Promise<KeyRecord> {
  const result = await tx.client.query<KeyRow>('SELECT * FROM keys WHERE id = $1 FOR UPDATE', [id]);
  const row = result.rows[0];
  if (row === undefined) throw notFoundError('key', id);
  return keyFromRow(row);
}
