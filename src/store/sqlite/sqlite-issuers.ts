import { randomUUID } from 'node:crypto';
import type { Actor, IssuerPatch, IssuerRecord, IssuerRemoval, NewIssuer } from '../model.js';
import { planIssuerRemoval, realmUnlinkAudit, realmUnlinkOf } from '../issuer-removal.js';
import { labelKey, requireLabelFree } from '../label-conflicts.js';
import {
  issuerFromRow,
  keyAuditView,
  keyFromRow,
  realmFromRow,
  toAuditValue,
  type IssuerRow,
} from '../records.js';
import { selectClaimMappingLabelsQuery } from '../queries/claim-mapping-queries.js';
import {
  deleteIssuerQuery,
  insertIssuerQuery,
  issuerColumns,
  selectIssuerByIdOrNameQuery,
  selectIssuerLabelsQuery,
  selectIssuerQuery,
  selectIssuersQuery,
  updateIssuerQuery,
} from '../queries/issuer-queries.js';
import {
  claimIssuerDomainQuery,
  deleteIssuerDomainsQuery,
  selectIssuerByDomainQuery,
} from '../queries/issuer-domain-queries.js';
import { domainsChanged, domainTakenError } from '../issuer-domains.js';
import { selectIssuerKeysQuery } from '../queries/key-queries.js';
import { selectRealmsQuery, unlinkColumns, unlinkRealmQuery } from '../queries/realm-queries.js';
import { rescheduleRefreshQuery } from '../queries/refresh-queries.js';
import { rescheduleRefresh } from '../reschedule-refresh.js';
import { conflictError, notFoundError } from '../store-errors.js';
import {
  normalizeActor,
  normalizeIssuerPatch,
  normalizeNewIssuer,
  type IssuerFields,
} from '../validate-input.js';
import { mapSqliteConstraintError } from './sqlite-constraint-errors.js';
import type { SqliteContext } from './sqlite-context.js';
import { findRefreshState } from './sqlite-reads.js';

/** The outcome of an update: the record, and whether anything changed (no audit or event when not). */
export interface UpdateOutcome<T> {
  readonly record: T;
  readonly changed: boolean;
}

export function listIssuers(ctx: SqliteContext): IssuerRecord[] {
  return ctx.all(selectIssuersQuery.bind(ctx.sql, {})).map(issuerFromRow);
}

/** An issuer by ID or name. Names are never shaped like IDs (see validate-input), so the two cannot collide. */
export function findIssuer(ctx: SqliteContext, idOrName: string): IssuerRecord | undefined {
  const row = ctx.first(selectIssuerByIdOrNameQuery.bind(ctx.sql, { key: idOrName }));
  return row === undefined ? undefined : issuerFromRow(row);
}

/** The issuer holding an e-mail domain (in its stored form): one primary-key read, whatever the number of issuers. */
export function findIssuerByDomain(ctx: SqliteContext, domain: string): IssuerRecord | undefined {
  const row = ctx.first(selectIssuerByDomainQuery.bind(ctx.sql, { domain }));
  return row === undefined ? undefined : issuerFromRow(row);
}

/**
 * Gives the issuer exactly `domains` in issuer_domains; call inside the
 * transaction writing its `domains` (SQLite has one writer at a time).
 *
 * @throws ClaimsgateError `CG_STORE_DUPLICATE` naming the issuer that holds one of them.
 */
function writeDomains(ctx: SqliteContext, issuerId: string, domains: readonly string[]): void {
  ctx.run(deleteIssuerDomainsQuery.bind(ctx.sql, { issuerId }));
  for (const domain of domains) {
    if (ctx.first(claimIssuerDomainQuery.bind(ctx.sql, { domain, issuerId })) === undefined)
      throw domainTakenError(domain, findIssuerByDomain(ctx, domain));
  }
}

export function requireIssuer(ctx: SqliteContext, id: string): IssuerRecord {
  const row = ctx.first(selectIssuerQuery.bind(ctx.sql, { id }));
  if (row === undefined) throw notFoundError('issuer', id);
  return issuerFromRow(row);
}

/** Runs a write returning the issuer's row; its constraint failures name an issuer field. */
function writeIssuer(fields: IssuerFields, write: () => IssuerRow | undefined): IssuerRecord {
  let row: IssuerRow | undefined;
  try {
    row = write();
  } catch (error) {
    throw mapSqliteConstraintError(error, 'issuer', fields);
  }
  if (row === undefined) throw new Error('an issuer write returned no row');
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
    domains: issuer.domains,
  };
}

export function createIssuer(ctx: SqliteContext, input: NewIssuer, actor: Actor): IssuerRecord {
  const who = normalizeActor(actor);
  const fields = normalizeNewIssuer(input);
  const id = randomUUID();
  const at = ctx.now();
  const issuer = writeIssuer(fields, () =>
    ctx.first(insertIssuerQuery.bind(ctx.sql, { ...issuerColumns(fields), id, at })),
  );
  requireSqliteLabelFree(ctx, issuer.label, id);
  writeDomains(ctx, id, issuer.domains);
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
  const updated = writeIssuer(after, () =>
    ctx.first(updateIssuerQuery.bind(ctx.sql, { ...issuerColumns(after), id, at })),
  );
  if (labelKey(updated.label) !== labelKey(current.label)) requireSqliteLabelFree(ctx, updated.label, id);
  if (domainsChanged(current.domains, updated.domains)) writeDomains(ctx, id, updated.domains);
  const nextAttemptAt = rescheduleRefresh(before, after, findRefreshState(ctx, id), at);
  if (nextAttemptAt !== undefined) {
    ctx.run(rescheduleRefreshQuery.bind(ctx.sql, { issuerId: id, nextAttemptAt }));
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
  // Labels only: with thousands of issuers, reading and parsing whole rows made each add O(issuers) heavy.
  const issuers = ctx.all(selectIssuerLabelsQuery.bind(ctx.sql, {}));
  const mappings = ctx
    .all(selectClaimMappingLabelsQuery.bind(ctx.sql, {}))
    .map((row) => ({ issuerId: row.issuer_id, label: row.label }));
  requireLabelFree(label, issuerId, issuers, mappings);
}

/**
 * Deletes the issuer; its keys, mappings, snapshot, refresh state and
 * domains go with it (ON DELETE CASCADE), and the realms that name it stop naming it.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_REFERENCED` (see planIssuerRemoval).
 */
export function deleteIssuer(ctx: SqliteContext, id: string, actor: Actor): IssuerRemoval {
  const who = normalizeActor(actor);
  const issuer = requireIssuer(ctx, id);
  const realms = ctx.all(selectRealmsQuery.bind(ctx.sql, {})).map(realmFromRow);
  const unlinks = planIssuerRemoval(issuer, realms);
  const at = ctx.now();
  for (const unlink of unlinks) {
    const row = ctx.first(unlinkRealmQuery.bind(ctx.sql, unlinkColumns(unlink, at)));
    if (row === undefined) throw notFoundError('realm', unlink.realmId);
    ctx.audit(realmUnlinkAudit(who, issuer, unlink, realmFromRow(row), at));
  }
  const keys = ctx.all(selectIssuerKeysQuery.bind(ctx.sql, { issuerId: id })).map(keyFromRow);
  ctx.run(deleteIssuerQuery.bind(ctx.sql, { id }));
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
