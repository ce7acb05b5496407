import { randomUUID } from 'node:crypto';
import type { Actor, IssuerPatch, IssuerRecord, NewIssuer } from '../model.js';
import {
  issuerFromRow,
  keyAuditView,
  toAuditValue,
  toDateColumn,
  type IssuerRow,
  type KeyRow,
} from '../records.js';
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
           created_at, updated_at, version)
         VALUES (@id, @name, @description, @issuer_uri, @protocols, @metadata_url, @login_url, @use_for_login,
           @label, @refresh_interval_seconds, @signature_policy, @allow_sha1, @allowed_tenants, @discontinuity_policy,
           @at, @at, 1)`,
      )
      .run({ ...issuerParams(fields), id, at: toDateColumn(at) });
  } catch (error) {
    throw mapSqliteConstraintError(error, 'issuer', fields);
  }
  const issuer = requireIssuer(ctx, id);
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
           discontinuity_policy = @discontinuity_policy, updated_at = @at, version = version + 1
         WHERE id = @id`,
      )
      .run({ ...issuerParams(after), id, at: toDateColumn(at) });
  } catch (error) {
    throw mapSqliteConstraintError(error, 'issuer', after);
  }
  const updated = requireIssuer(ctx, id);
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

/** Deletes the issuer; its keys, mappings, snapshot and refresh state go with it (ON DELETE CASCADE). */
export function deleteIssuer(ctx: SqliteContext, id: string, actor: Actor): void {
  const who = normalizeActor(actor);
  const issuer = requireIssuer(ctx, id);
  const keys = (
    ctx.prepare('SELECT * FROM keys WHERE issuer_id = ? ORDER BY first_seen_at, id').all(id) as KeyRow[]
  ).map(keyFromRow);
  ctx.prepare('DELETE FROM issuers WHERE id = ?').run(id);
  ctx.audit({
    at: ctx.now(),
    actor: who,
    action: 'issuer.deleted',
    issuerId: id,
    subject: issuer.name,
    // The log keeps what trust was removed: the issuer and every key it had.
    before: { ...(toAuditValue(issuer) as object), keys: keys.map(keyAuditView) },
    after: null,
    refresh: null,
  });
}
