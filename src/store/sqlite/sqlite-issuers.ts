import { randomUUID } from 'node:crypto';
import type { Actor, IssuerPatch, IssuerRecord, IssuerRemoval, NewIssuer } from '../model.js';
import { planIssuerRemoval, realmUnlinkAudit, realmUnlinkOf } from '../issuer-removal.js';
import { labelKey, requireLabelFree } from '../label-conflicts.js';
import {
  claimMappingFromRow,
  issuerFromRow,
  keyAuditView,
  realmFromRow,
  toAuditValue,
  toDateColumn,
  type ClaimMappingRow,
  type IssuerRow,
  type KeyRow,
  type RealmRow,
} from '../records.js';
import { rescheduleRefresh } from '../reschedule-refresh.js';
import { conflictError, notFoundError } from '../store-errors.js';
import {
  normalizeActor,
  normalizeIssuerPatch,
  normalizeNewIssuer,
  type IssuerFields,
} from '../validate-input.js';
import { keyFromRow } from '../records.js';
import { mapSqliteConstraintError } from './sqlite-constraint-errors.js';
import type { SqliteContext } from './sqlite-context.js';
import { issuerParams } from './sqlite-params.js';
import { findRefreshState } from './sqlite-reads.js';

/** The outcome of an update: the record, and whether anything changed (no audit or event when not). */
export interface UpdateOutcome<T> {
  readonly record: T;
  readonly changed: boolean;
}

export function listIssuers(ctx: SqliteContext): IssuerRecord[] {
  return (ctx.prepare('SELECT * FROM issuers ORDER BY name').all() as IssuerRow[]).map(issuerFromRow);
}

/** An issuer by ID or name. Names are never shaped like IDs (see validate-input), so the two cannot collide. */
export function findIssuer(ctx: SqliteContext, idOrName: string): IssuerRecord | undefined {
  const row = ctx
    .prepare('SELECT * FROM issuers WHERE id = @key OR name = @key ORDER BY id = @key DESC LIMIT 1')
    .get({
      key: idOrName,
    }) as IssuerRow | undefined;
  return row === undefined ? undefined : issuerFromRow(row);
}

export function requireIssuer(ctx: SqliteContext, id: string): IssuerRecord {
  const row = ctx.prepare('SELECT * FROM issuers WHERE id = ?').get(id) as IssuerRow | undefined;
  if (row === undefined) throw notFoundError('issuer', id);
  return issuerFromRow(row);
}

function fieldsOf(issuer: IssuerRecord): IssuerFields {
  return {
    name: issuer.name,
    description: issuer.description,
    issuerUri: issuer.issuerUri,
    protocols: issuer.protocols,
    metadataUrl: issuer.metadataUrl,
    loginUrl: issuer.loginUrl,
    useForLogin: issuer.useForLogin,
    label: issuer.label,
    refreshIntervalSeconds: issuer.refreshIntervalSeconds,
    signaturePolicy: issuer.signaturePolicy,
    allowSha1: issuer.allowSha1,
    requireSignedAssertion: issuer.requireSignedAssertion,
    allowedTenants: issuer.allowedTenants,
    discontinuityPolicy: issuer.discontinuityPolicy,
  };
}

export function createIssuer(ctx: SqliteContext, input: NewIssuer, actor: Actor): IssuerRecord {
  const who = normalizeActor(actor);
  const fields = normalizeNewIssuer(input);
  const id = randomUUID();
  const at = ctx.now();
  try {
    ctx
      .prepare(
        `INSERT INTO issuers (id, name, description, issuer_uri, protocols, metadata_url, login_url, use_for_login,
           label, refresh_interval_seconds, signature_policy, allow_sha1, allowed_tenants, discontinuity_policy,
           require_signed_assertion, created_at, updated_at, version)
         VALUES (@id, @name, @description, @issuer_uri, @protocols, @metadata_url, @login_url, @use_for_login,
           @label, @refresh_interval_seconds, @signature_policy, @allow_sha1, @allowed_tenants, @discontinuity_policy,
           @require_signed_assertion, @at, @at, 1)`,
      )
      .run({ ...issuerParams(fields), id, at: toDateColumn(at) });
  } catch (error) {
    throw mapSqliteConstraintError(error, 'issuer', fields);
  }
  const issuer = requireIssuer(ctx, id);
  requireSqliteLabelFree(ctx, issuer.label, id);
  ctx.audit({
    at,
    actor: who,
    action: 'issuer.created',
    issuerId: id,
    subject: issuer.name,
    before: null,
    after: toAuditValue(issuer),
    refresh: null,
  });
  return issuer;
}

export function updateIssuer(
  ctx: SqliteContext,
  id: string,
  patch: IssuerPatch,
  actor: Actor,
  expectedVersion: number | undefined,
): UpdateOutcome<IssuerRecord> {
  const who = normalizeActor(actor);
  const changes = normalizeIssuerPatch(patch);
  const current = requireIssuer(ctx, id);
  if (expectedVersion !== undefined && current.version !== expectedVersion)
    throw conflictError('issuer', id, expectedVersion, current.version);
  const before = fieldsOf(current);
  const after: IssuerFields = { ...before, ...changes };
  if (JSON.stringify(before) === JSON.stringify(after)) return { record: current, changed: false };
  const at = ctx.now();
  try {
    ctx
      .prepare(
        `UPDATE issuers SET name = @name, description = @description, issuer_uri = @issuer_uri, protocols = @protocols,
           metadata_url = @metadata_url, login_url = @login_url, use_for_login = @use_for_login, label = @label,
           refresh_interval_seconds = @refresh_interval_seconds, signature_policy = @signature_policy,
           allow_sha1 = @allow_sha1, allowed_tenants = @allowed_tenants,
           discontinuity_policy = @discontinuity_policy, require_signed_assertion = @require_signed_assertion,
           updated_at = @at, version = version + 1
         WHERE id = @id`,
      )
      .run({ ...issuerParams(after), id, at: toDateColumn(at) });
  } catch (error) {
    throw mapSqliteConstraintError(error, 'issuer', after);
  }
  const updated = requireIssuer(ctx, id);
  if (labelKey(updated.label) !== labelKey(current.label)) requireSqliteLabelFree(ctx, updated.label, id);
  const nextAttemptAt = rescheduleRefresh(before, after, findRefreshState(ctx, id), at);
  if (nextAttemptAt !== undefined) {
    ctx
      .prepare('UPDATE refresh_states SET next_attempt_at = ? WHERE issuer_id = ?')
      .run(toDateColumn(nextAttemptAt), id);
  }
  ctx.audit({
    at,
    actor: who,
    action: 'issuer.updated',
    issuerId: id,
    subject: updated.name,
    before: toAuditValue(current),
    after: toAuditValue(updated),
    refresh: null,
  });
  return { record: updated, changed: true };
}

/**
 * Refuses a label another issuer uses (its own, or a mapping's); call inside
 * the writing transaction, after the write (SQLite has one writer at a time).
 *
 * @throws ClaimsgateError `CG_STORE_DUPLICATE` with field `label`.
 */
export function requireSqliteLabelFree(ctx: SqliteContext, label: string, issuerId: string): void {
  const mappings = (ctx.prepare('SELECT * FROM claim_mappings').all() as ClaimMappingRow[]).map(
    claimMappingFromRow,
  );
  requireLabelFree(label, issuerId, listIssuers(ctx), mappings);
}

/**
 * Deletes the issuer; its keys, mappings, snapshot and refresh state go with
 * it (ON DELETE CASCADE), and the realms that name it stop naming it.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_REFERENCED` (see planIssuerRemoval).
 */
export function deleteIssuer(ctx: SqliteContext, id: string, actor: Actor): IssuerRemoval {
  const who = normalizeActor(actor);
  const issuer = requireIssuer(ctx, id);
  const realms = (ctx.prepare('SELECT * FROM realms ORDER BY realm_uri').all() as RealmRow[]).map(
    realmFromRow,
  );
  const unlinks = planIssuerRemoval(issuer, realms);
  const at = ctx.now();
  for (const unlink of unlinks) {
    ctx
      .prepare(
        'UPDATE realms SET home_realm = @home_realm, allowed_issuer_ids = @allowed_issuer_ids, updated_at = @at WHERE id = @id',
      )
      .run({
        id: unlink.realmId,
        home_realm: unlink.homeRealm,
        allowed_issuer_ids: JSON.stringify(unlink.allowedIssuerIds),
        at: toDateColumn(at),
      });
    const row = ctx.prepare('SELECT * FROM realms WHERE id = ?').get(unlink.realmId) as RealmRow;
    ctx.audit(realmUnlinkAudit(who, issuer, unlink, realmFromRow(row), at));
  }
  const keys = (
    ctx.prepare('SELECT * FROM keys WHERE issuer_id = ? ORDER BY first_seen_at, id').all(id) as KeyRow[]
  ).map(keyFromRow);
  ctx.prepare('DELETE FROM issuers WHERE id = ?').run(id);
  ctx.audit({
    at,
    actor: who,
    action: 'issuer.deleted',
    issuerId: id,
    subject: issuer.name,
    // The log keeps what trust was removed: the issuer and every key it had.
    before: { ...(toAuditValue(issuer) as object), keys: keys.map(keyAuditView) },
    after: null,
    refresh: null,
  });
  return { realms: unlinks.map(realmUnlinkOf) };
}
