import { randomUUID } from 'node:crypto';
import type { Actor, NewRealm, RealmRecord } from '../model.js';
import { selectIssuerIdQuery } from '../queries/issuer-queries.js';
import {
  deleteRealmQuery,
  insertRealmQuery,
  realmColumns,
  selectRealmByIdOrUriQuery,
  selectRealmQuery,
  selectRealmsQuery,
  updateRealmQuery,
} from '../queries/realm-queries.js';
import { realmFromRow, toAuditValue } from '../records.js';
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

export function listRealms(ctx: SqliteContext): RealmRecord[] {
  return ctx.all(selectRealmsQuery.bind(ctx.sql, {})).map(realmFromRow);
}

export function findRealm(ctx: SqliteContext, idOrUri: string): RealmRecord | undefined {
  const row = ctx.first(selectRealmByIdOrUriQuery.bind(ctx.sql, { key: idOrUri }));
  return row === undefined ? undefined : realmFromRow(row);
}

function requireRealm(ctx: SqliteContext, id: string): RealmRecord {
  const row = ctx.first(selectRealmQuery.bind(ctx.sql, { id }));
  if (row === undefined) throw notFoundError('realm', id);
  return realmFromRow(row);
}

/** Every issuer a realm allows must exist when the realm is written: a typo would otherwise allow no one silently. */
function requireAllowedIssuers(ctx: SqliteContext, fields: RealmFields): void {
  for (const issuerId of fields.allowedIssuerIds)
    if (ctx.first(selectIssuerIdQuery.bind(ctx.sql, { id: issuerId })) === undefined)
      throw notFoundError('issuer', issuerId, 'allowedIssuerIds');
}

/** Runs a write whose constraint failures name a realm field. */
function writeRealm(fields: RealmFields, write: () => RealmRecord | undefined): RealmRecord {
  let realm: RealmRecord | undefined;
  try {
    realm = write();
  } catch (error) {
    throw mapSqliteConstraintError(error, 'realm', fields);
  }
  if (realm === undefined) throw new Error('a realm write returned no row');
  return realm;
}

export function createRealm(ctx: SqliteContext, input: NewRealm, actor: Actor): RealmRecord {
  const who = normalizeActor(actor);
  const fields = normalizeNewRealm(input);
  requireAllowedIssuers(ctx, fields);
  const at = ctx.now();
  const realm = writeRealm(fields, () => {
    const row = ctx.first(insertRealmQuery.bind(ctx.sql, { ...realmColumns(fields), id: randomUUID(), at }));
    return row === undefined ? undefined : realmFromRow(row);
  });
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
  const updated = writeRealm(after, () => {
    const row = ctx.first(updateRealmQuery.bind(ctx.sql, { ...realmColumns(after), id, at }));
    return row === undefined ? undefined : realmFromRow(row);
  });
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
  ctx.run(deleteRealmQuery.bind(ctx.sql, { id }));
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
