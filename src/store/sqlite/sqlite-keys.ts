import { randomUUID } from 'node:crypto';
import type { KeyState } from '../../tokens/trust-snapshot.js';
import type { Actor, KeyRecord, NewKey, StoreChange } from '../model.js';
import {
  keyAuditView,
  keyFromRow,
  keyStateAction,
  keySubject,
  toDateColumn,
  type KeyRow,
} from '../records.js';
import { notFoundError } from '../store-errors.js';
import { normalizeActor, normalizeKeyState, normalizeNewKey, type KeyFields } from '../validate-input.js';
import { mapSqliteConstraintError } from './sqlite-constraint-errors.js';
import type { SqliteContext } from './sqlite-context.js';
import type { UpdateOutcome } from './sqlite-issuers.js';
import { requireIssuer } from './sqlite-issuers.js';
import { keyParams } from './sqlite-params.js';

/** Who activates a key on its first use: no person, the store itself. */
const ACTIVATION_ACTOR = 'system';

export function listKeys(ctx: SqliteContext, issuerId: string | undefined): KeyRecord[] {
  const rows =
    issuerId === undefined
      ? ctx.prepare('SELECT * FROM keys ORDER BY issuer_id, first_seen_at, id').all()
      : ctx.prepare('SELECT * FROM keys WHERE issuer_id = ? ORDER BY first_seen_at, id').all(issuerId);
  return (rows as KeyRow[]).map(keyFromRow);
}

export function findKey(ctx: SqliteContext, id: string): KeyRecord | undefined {
  const row = ctx.prepare('SELECT * FROM keys WHERE id = ?').get(id) as KeyRow | undefined;
  return row === undefined ? undefined : keyFromRow(row);
}

function requireKey(ctx: SqliteContext, id: string): KeyRecord {
  const key = findKey(ctx, id);
  if (key === undefined) throw notFoundError('key', id);
  return key;
}

/** Inserts a checked key (no audit: the caller writes the entry that tells why). */
export function insertKey(ctx: SqliteContext, fields: KeyFields, addedBy: Actor, at: Date): KeyRecord {
  const id = randomUUID();
  const stamp = toDateColumn(at);
  try {
    ctx
      .prepare(
        `INSERT INTO keys (id, issuer_id, sha1, sha256, kid, certificate_der, jwk, subject, not_before, not_after, source,
           added_by, state, state_changed_at, first_seen_at, last_seen_in_metadata_at, last_used_at)
         VALUES (@id, @issuer_id, @sha1, @sha256, @kid, @certificate_der, @jwk, @subject, @not_before, @not_after, @source,
           @added_by, @state, @at, @at, @last_seen_in_metadata_at, NULL)`,
      )
      .run({ ...keyParams(fields), id, added_by: addedBy, at: stamp });
  } catch (error) {
    throw mapSqliteConstraintError(error, 'key', fields);
  }
  return requireKey(ctx, id);
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
  ctx
    .prepare('UPDATE keys SET state = ?, state_changed_at = ? WHERE id = ?')
    .run(target, toDateColumn(at), id);
  const updated = requireKey(ctx, id);
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
  const stamp = toDateColumn(at);
  const result = ctx
    .prepare(
      `UPDATE keys SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < @at THEN @at ELSE last_used_at END
       WHERE id = @id AND state <> 'announced'`,
    )
    .run({ id, at: stamp });
  return result.changes === 1;
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
  const stamp = toDateColumn(at);
  ctx
    .prepare("UPDATE keys SET state = 'active', state_changed_at = @at, last_used_at = @at WHERE id = @id")
    .run({ id, at: stamp });
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
