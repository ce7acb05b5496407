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
import { lockIssuer } from './postgres-issuer-lock.js';
import {
  activateKeyQuery,
  insertKeyQuery,
  keyColumns,
  keyStateUpdate,
  listKeysQuery,
  selectIssuerKeysQuery,
  selectKeyQuery,
  touchKeyUseQuery,
} from '../queries/key-queries.js';
import { keyAuditView, keyFromRow, keyStateAction, keySubject } from '../records.js';
import {
  execute,
  inTransaction,
  selectFirst,
  selectRows,
  writeRow,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';

/** Who activates a key on its first use: no person, the store itself. */
const ACTIVATION_ACTOR = 'system';

export async function listKeys(context: PostgresContext, issuerId?: string): Promise<KeyRecord[]> {
  const rows =
    issuerId === undefined
      ? await selectRows(context, listKeysQuery.bind(context.sql, {}))
      : await selectRows(context, selectIssuerKeysQuery.bind(context.sql, { issuerId }));
  return rows.map(keyFromRow);
}

export async function getKey(context: PostgresContext, id: string): Promise<KeyRecord | undefined> {
  const row = await selectFirst(context, selectKeyQuery.bind(context.sql, { id }));
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
  const row = await writeRow(
    tx,
    insertKeyQuery.bind(tx.sql, keyColumns(fields, randomUUID(), addedBy, now)),
    (error) => translatePgError(error, 'key', fields),
  );
  return keyFromRow(row);
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
    const row = await writeRow(tx, keyStateUpdate(tx.sql, before, next, tx.now, who), (e) => e);
    const after = keyFromRow(row);
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
  const touched = await execute(context, touchKeyUseQuery.bind(context.sql, { id, at: usedAt }));
  if (touched === 1) return;
  await inTransaction(context, async (tx) => {
    const current = await lockKey(tx, id);
    if (current.state !== 'announced') {
      await tx.run(touchKeyUseQuery.bind(tx.sql, { id, at: usedAt }));
      return;
    }
    await tx.run(activateKeyQuery.bind(tx.sql, { id, at: usedAt }));
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
  const row = await tx.first(
    tx.sql.selectFrom('keys').selectAll().where('id', '=', id).forUpdate().compile(),
  );
  if (row === undefined) throw notFoundError('key', id);
  return keyFromRow(row);
}
