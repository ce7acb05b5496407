import { randomUUID } from 'node:crypto';
import type { KeyState } from '../../tokens/trust-snapshot.js';
import type { Actor, KeyRecord, NewKey, StoreChange } from '../model.js';
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
import { keyAuditView, keyFromRow, keyStateAction, keySubject, type KeyRow } from '../records.js';
import { notFoundError } from '../store-errors.js';
import { normalizeActor, normalizeKeyState, normalizeNewKey, type KeyFields } from '../validate-input.js';
import { mapSqliteConstraintError } from './sqlite-constraint-errors.js';
import type { SqliteContext } from './sqlite-context.js';
import type { UpdateOutcome } from './sqlite-issuers.js';
import { requireIssuer } from './sqlite-issuers.js';

/** Who activates a key on its first use: no person, the store itself. */
const ACTIVATION_ACTOR = 'system';

export function listKeys(ctx: SqliteContext, issuerId: string | undefined): KeyRecord[] {
  const rows =
    issuerId === undefined
      ? ctx.all(listKeysQuery.bind(ctx.sql, {}))
      : ctx.all(selectIssuerKeysQuery.bind(ctx.sql, { issuerId }));
  return rows.map(keyFromRow);
}

export function findKey(ctx: SqliteContext, id: string): KeyRecord | undefined {
  const row = ctx.first(selectKeyQuery.bind(ctx.sql, { id }));
  return row === undefined ? undefined : keyFromRow(row);
}

function requireKey(ctx: SqliteContext, id: string): KeyRecord {
  const key = findKey(ctx, id);
  if (key === undefined) throw notFoundError('key', id);
  return key;
}

/** Inserts a checked key (no audit: the caller writes the entry that tells why). */
export function insertKey(ctx: SqliteContext, fields: KeyFields, addedBy: Actor, at: Date): KeyRecord {
  let row: KeyRow | undefined;
  try {
    row = ctx.first(insertKeyQuery.bind(ctx.sql, keyColumns(fields, randomUUID(), addedBy, at)));
  } catch (error) {
    throw mapSqliteConstraintError(error, 'key', fields);
  }
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  return keyFromRow(row);
}

export function addKey(ctx: SqliteContext, input: NewKey, actor: Actor): KeyRecord {
  const who = normalizeActor(actor);
  const fields = normalizeNewKey(input);
  requireIssuer(ctx, fields.issuerId);
  const at = ctx.now();
  const key = insertKey(ctx, fields, who, at);
  ctx.audit({
    at,
    actor: who,
    action: 'key.added',
    issuerId: key.issuerId,
    subject: keySubject(key),
    before: null,
    after: keyAuditView(key),
    refresh: null,
  });
  return key;
}

/** Moves a key to `state`, audited as `key.<verb>` with the reason; no change (and no entry) when already there. */
export function setKeyState(
  ctx: SqliteContext,
  id: string,
  state: KeyState,
  actor: Actor,
  reason: string | undefined,
): UpdateOutcome<KeyRecord> {
  const who = normalizeActor(actor);
  const target = normalizeKeyState(state);
  const current = requireKey(ctx, id);
  if (current.state === target) return { record: current, changed: false };
  const at = ctx.now();
  const row = ctx.first(keyStateUpdate(ctx.sql, current, target, at, who));
  const updated = row === undefined ? requireKey(ctx, id) : keyFromRow(row);
  ctx.audit({
    at,
    actor: who,
    action: keyStateAction(target),
    issuerId: updated.issuerId,
    subject: keySubject(updated),
    before: { state: current.state },
    after: reason === undefined ? { state: target } : { state: target, reason },
    refresh: null,
  });
  return { record: updated, changed: true };
}

/**
 * Records a use of a key that is not `announced`: one UPDATE, moving
 * `last_used_at` forward only. Returns false when it changed nothing (the key
 * is announced, or does not exist) and the slow path must run.
 */
export function touchKeyUse(ctx: SqliteContext, id: string, at: Date): boolean {
  return ctx.run(touchKeyUseQuery.bind(ctx.sql, { id, at })) === 1;
}

/**
 * The slow path of a key use, inside a transaction: an `announced` key becomes
 * `active` (audited as `key.activated`). Returns the change to broadcast, if any.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND` when the key does not exist.
 */
export function activateOnUse(ctx: SqliteContext, id: string, at: Date): StoreChange | null {
  const current = requireKey(ctx, id);
  if (current.state !== 'announced') {
    touchKeyUse(ctx, id, at);
    return null;
  }
  ctx.run(activateKeyQuery.bind(ctx.sql, { id, at }));
  ctx.audit({
    at,
    actor: ACTIVATION_ACTOR,
    action: keyStateAction('active'),
    issuerId: current.issuerId,
    subject: keySubject(current),
    before: { state: 'announced' },
    after: { state: 'active', reason: 'first token signed with the key was accepted' },
    refresh: null,
  });
  return { kind: 'key', issuerId: current.issuerId };
}
