import { randomUUID } from 'node:crypto';
import type { Actor, NewRealm, RealmRecord } from '../model.js';
import { realmFromRow, toAuditValue, toDateColumn, type RealmRow } from '../records.js';
import { notFoundError } from '../store-errors.js';
import {
  normalizeActor,
  normalizeNewRealm,
  normalizeRealmPatch,
  type RealmFields,
} from '../validate-input.js';
import { mapSqliteConstraintError } from './sqlite-constraint-errors.js';
import type { SqliteContext } from './sqlite-context.js';
import type { UpdateOutcome } from './sqlite-issuers.js';
import { realmParams } from './sqlite-params.js';

export function listRealms(ctx: SqliteContext): RealmRecord[] {
  return (ctx.prepare('SELECT * FROM realms ORDER BY realm_uri').all() as RealmRow[]).map(realmFromRow);
}

export function findRealm(ctx: SqliteContext, idOrUri: string): RealmRecord | undefined {
  const row = ctx
    .prepare('SELECT * FROM realms WHERE id = @key OR realm_uri = @key ORDER BY id = @key DESC LIMIT 1')
    .get({ key: idOrUri }) as RealmRow | undefined;
  return row === undefined ? undefined : realmFromRow(row);
}

function requireRealm(ctx: SqliteContext, id: string): RealmRecord {
  const row = ctx.prepare('SELECT * FROM realms WHERE id = ?').get(id) as RealmRow | undefined;
  if (row === undefined) throw notFoundError('realm', id);
  return realmFromRow(row);
}

/** Every issuer a realm allows must exist when the realm is written: a typo would otherwise allow no one silently. */
function requireAllowedIssuers(ctx: SqliteContext, fields: RealmFields): void {
  const exists = ctx.prepare('SELECT 1 FROM issuers WHERE id = ?');
  for (const issuerId of fields.allowedIssuerIds)
    if (exists.get(issuerId) === undefined) throw notFoundError('issuer', issuerId, 'allowedIssuerIds');
}

export function createRealm(ctx: SqliteContext, input: NewRealm, actor: Actor): RealmRecord {
  const who = normalizeActor(actor);
  const fields = normalizeNewRealm(input);
  requireAllowedIssuers(ctx, fields);
  const id = randomUUID();
  const at = ctx.now();
  try {
    ctx
      .prepare(
        `INSERT INTO realms (id, realm_uri, reply_url, home_realm, allowed_issuer_ids, created_at, updated_at)
         VALUES (@id, @realm_uri, @reply_url, @home_realm, @allowed_issuer_ids, @at, @at)`,
      )
      .run({ ...realmParams(fields), id, at: toDateColumn(at) });
  } catch (error) {
    throw mapSqliteConstraintError(error, 'realm', fields);
  }
  const realm = requireRealm(ctx, id);
  ctx.audit({
    at,
    actor: who,
    action: 'realm.created',
    issuerId: null,
    subject: realm.realmUri,
    before: null,
    after: toAuditValue(realm),
    refresh: null,
  });
  return realm;
}

export function updateRealm(
  ctx: SqliteContext,
  id: string,
  patch: Partial<NewRealm>,
  actor: Actor,
): UpdateOutcome<RealmRecord> {
  const who = normalizeActor(actor);
  const changes = normalizeRealmPatch(patch);
  const current = requireRealm(ctx, id);
  const before: RealmFields = {
    realmUri: current.realmUri,
    replyUrl: current.replyUrl,
    homeRealm: current.homeRealm,
    allowedIssuerIds: current.allowedIssuerIds,
  };
  const after: RealmFields = { ...before, ...changes };
  if (JSON.stringify(before) === JSON.stringify(after)) return { record: current, changed: false };
  if (changes.allowedIssuerIds !== undefined) requireAllowedIssuers(ctx, after);
  const at = ctx.now();
  try {
    ctx
      .prepare(
        `UPDATE realms SET realm_uri = @realm_uri, reply_url = @reply_url, home_realm = @home_realm,
           allowed_issuer_ids = @allowed_issuer_ids, updated_at = @at
         WHERE id = @id`,
      )
      .run({ ...realmParams(after), id, at: toDateColumn(at) });
  } catch (error) {
    throw mapSqliteConstraintError(error, 'realm', after);
  }
  const updated = requireRealm(ctx, id);
  ctx.audit({
    at,
    actor: who,
    action: 'realm.updated',
    issuerId: null,
    subject: updated.realmUri,
    before: toAuditValue(current),
    after: toAuditValue(updated),
    refresh: null,
  });
  return { record: updated, changed: true };
}

export function deleteRealm(ctx: SqliteContext, id: string, actor: Actor): void {
  const who = normalizeActor(actor);
  const realm = requireRealm(ctx, id);
  ctx.prepare('DELETE FROM realms WHERE id = ?').run(id);
  ctx.audit({
    at: ctx.now(),
    actor: who,
    action: 'realm.deleted',
    issuerId: null,
    subject: realm.realmUri,
    before: toAuditValue(realm),
    after: null,
    refresh: null,
  });
}
