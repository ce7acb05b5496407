import { randomUUID } from 'node:crypto';

import type { Actor, IssuerPatch, IssuerRecord, IssuerRemoval, NewIssuer } from '../model.js';
import { sql } from 'kysely';
import { selectClaimMappingLabelsQuery } from '../queries/claim-mapping-queries.js';
import {
  deleteIssuerQuery,
  insertIssuerQuery,
  issuerColumns,
  selectIssuerByIdOrNameQuery,
  selectIssuerLabelsQuery,
  selectIssuersQuery,
  updateIssuerQuery,
  type IssuerColumns,
} from '../queries/issuer-queries.js';
import {
  claimIssuerDomainQuery,
  deleteIssuerDomainsQuery,
  selectIssuerByDomainQuery,
} from '../queries/issuer-domain-queries.js';
import { domainsChanged, domainTakenError } from '../issuer-domains.js';
import { selectIssuerKeysQuery } from '../queries/key-queries.js';
import { unlinkColumns, unlinkRealmQuery } from '../queries/realm-queries.js';
import { rescheduleRefreshQuery, selectRefreshStateQuery } from '../queries/refresh-queries.js';
import {
  issuerFromRow,
  keyAuditView,
  keyFromRow,
  realmFromRow,
  refreshStateFromRow,
  toAuditValue,
} from '../records.js';
import { planIssuerRemoval, realmUnlinkAudit, realmUnlinkOf } from '../issuer-removal.js';
import { labelKey, requireLabelFree } from '../label-conflicts.js';
import { checkFirstRefresh, firstRefreshOf } from '../first-refresh.js';
import { rescheduleRefresh } from '../reschedule-refresh.js';
import type { RefreshApplication } from '../store.js';
import { conflictError, notFoundError } from '../store-errors.js';
import {
  normalizeActor,
  normalizeIssuerPatch,
  normalizeNewIssuer,
  type IssuerFields,
} from '../validate-input.js';
import { translatePgError } from './postgres-errors.js';
import { lockIssuer } from './postgres-issuer-lock.js';
import { applyRefreshIn } from './postgres-refresh.js';
import {
  inTransaction,
  selectFirst,
  selectRows,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';

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

/** Inserts or updates (all fields) an issuer; a constraint failure names the field of `fields` at fault. */
async function writeIssuer(
  tx: Transaction,
  fields: Partial<IssuerFields>,
  columns: IssuerColumns & { readonly id: string; readonly at: Date },
  write: 'insert' | 'update' = 'insert',
): Promise<IssuerRecord> {
  const query = write === 'insert' ? insertIssuerQuery : updateIssuerQuery;
  let row;
  try {
    row = await tx.first(query.bind(tx.sql, columns));
  } catch (error) {
    throw translatePgError(error, 'issuer', fields);
  }
  if (row === undefined) throw notFoundError('issuer', columns.id);
  return issuerFromRow(row);
}

export async function listIssuers(context: PostgresContext): Promise<IssuerRecord[]> {
  const rows = await selectRows(context, selectIssuersQuery.bind(context.sql, {}));
  return rows.map(issuerFromRow);
}

/** By ID or by name (names are never UUID-shaped, so the two cannot be confused). */
export async function getIssuer(
  context: PostgresContext,
  idOrName: string,
): Promise<IssuerRecord | undefined> {
  const row = await selectFirst(context, selectIssuerByIdOrNameQuery.bind(context.sql, { key: idOrName }));
  return row === undefined ? undefined : issuerFromRow(row);
}

/** The issuer holding an e-mail domain (in its stored form): one primary-key read, whatever the number of issuers. */
export async function findIssuerByDomain(
  context: PostgresContext,
  domain: string,
): Promise<IssuerRecord | undefined> {
  const row = await selectFirst(context, selectIssuerByDomainQuery.bind(context.sql, { domain }));
  return row === undefined ? undefined : issuerFromRow(row);
}

/**
 * Gives the issuer exactly `domains` in issuer_domains, inside the
 * transaction writing its `domains`. A domain another transaction is
 * claiming makes this one wait for it (the primary key), then find it taken
 * or free: two writers cannot both win. Domains are claimed in sorted order.
 *
 * @throws ClaimsgateError `CG_STORE_DUPLICATE` naming the issuer that holds one of them.
 */
async function writeDomains(tx: Transaction, issuerId: string, domains: readonly string[]): Promise<void> {
  await tx.run(deleteIssuerDomainsQuery.bind(tx.sql, { issuerId }));
  for (const domain of domains) {
    if ((await tx.first(claimIssuerDomainQuery.bind(tx.sql, { domain, issuerId }))) !== undefined) continue;
    // READ COMMITTED: this statement sees the holder that committed while the claim waited.
    const holder = await tx.first(selectIssuerByDomainQuery.bind(tx.sql, { domain }));
    throw domainTakenError(domain, holder === undefined ? undefined : issuerFromRow(holder));
  }
}

export async function createIssuer(
  context: PostgresContext,
  input: NewIssuer,
  actor: Actor,
  firstRefresh?: (issuer: IssuerRecord) => RefreshApplication,
): Promise<IssuerRecord> {
  const fields = normalizeNewIssuer(input);
  const who = normalizeActor(actor);
  checkFirstRefresh(firstRefresh);
  return inTransaction(context, async (tx) => {
    const issuer = await writeIssuer(tx, fields, {
      ...issuerColumns(fields),
      id: randomUUID(),
      at: tx.now,
    });
    await requirePostgresLabelFree(context, tx, issuer.label, issuer.id);
    await writeDomains(tx, issuer.id, issuer.domains);
    await tx.audit({
      actor: who,
      action: 'issuer.created',
      issuerId: issuer.id,
      subject: issuer.name,
      before: null,
      after: issuer,
      refresh: null,
    });
    tx.notify({ kind: 'issuer', issuerId: issuer.id });
    if (firstRefresh !== undefined) await applyRefreshIn(tx, firstRefreshOf(issuer, firstRefresh));
    return issuer;
  });
}

export async function updateIssuer(
  context: PostgresContext,
  id: string,
  patch: IssuerPatch,
  actor: Actor,
  expectedVersion?: number,
): Promise<IssuerRecord> {
  const fields = normalizeIssuerPatch(patch);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    const before = await lockIssuer(tx, id);
    if (expectedVersion !== undefined && before.version !== expectedVersion)
      throw conflictError('issuer', id, expectedVersion, before.version);
    const current = fieldsOf(before);
    const merged: IssuerFields = { ...current, ...fields };
    // Fields set to the values they have are no change: no new version, no audit entry.
    if (JSON.stringify(merged) === JSON.stringify(current)) return before;
    const after = await writeIssuer(tx, fields, { ...issuerColumns(merged), id, at: tx.now }, 'update');
    if (labelKey(after.label) !== labelKey(before.label))
      await requirePostgresLabelFree(context, tx, after.label, id);
    if (domainsChanged(before.domains, after.domains)) await writeDomains(tx, id, after.domains);
    const stateRow = await tx.first(selectRefreshStateQuery.bind(context.sql, { issuerId: id }));
    const nextAttemptAt = rescheduleRefresh(
      before,
      after,
      stateRow === undefined ? undefined : refreshStateFromRow(stateRow),
      tx.now,
    );
    if (nextAttemptAt !== undefined) {
      await tx.run(rescheduleRefreshQuery.bind(context.sql, { issuerId: id, nextAttemptAt }));
    }
    await tx.audit({
      actor: who,
      action: 'issuer.updated',
      issuerId: id,
      subject: after.name,
      before,
      after,
      refresh: null,
    });
    tx.notify({ kind: 'issuer', issuerId: id });
    return after;
  });
}

export async function deleteIssuer(
  context: PostgresContext,
  id: string,
  actor: Actor,
): Promise<IssuerRemoval> {
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    const before = await lockIssuer(tx, id);
    // Realms are locked too, so that none starts naming the issuer meanwhile unseen.
    const realms = await tx.rows(
      context.sql.selectFrom('realms').selectAll().orderBy('realm_uri').forUpdate().compile(),
    );
    const unlinks = planIssuerRemoval(before, realms.map(realmFromRow));
    for (const unlink of unlinks) {
      const updated = await tx.first(unlinkRealmQuery.bind(context.sql, unlinkColumns(unlink, tx.now)));
      if (updated === undefined) throw notFoundError('realm', unlink.realmId);
      await tx.audit(realmUnlinkAudit(who, before, unlink, realmFromRow(updated), tx.now));
      tx.notify({ kind: 'realm', issuerId: null });
    }
    const keys = await tx.rows(selectIssuerKeysQuery.bind(context.sql, { issuerId: id }));
    // Keys, mappings, snapshot, refresh state and domains go with it (ON DELETE CASCADE).
    await tx.run(deleteIssuerQuery.bind(context.sql, { id }));
    await tx.audit({
      actor: who,
      action: 'issuer.deleted',
      issuerId: id,
      subject: before.name,
      // The log keeps what trust was removed: the issuer and every key it had.
      before: { ...(toAuditValue(before) as object), keys: keys.map(keyFromRow).map(keyAuditView) },
      after: null,
      refresh: null,
    });
    tx.notify({ kind: 'issuer', issuerId: id });
    return { realms: unlinks.map(realmUnlinkOf) };
  });
}

/**
 * Refuses a label another issuer uses (its own, or a mapping's). Writes that
 * give labels take one transaction-level advisory lock first, so that two
 * instances cannot each give one label to a different issuer at once.
 *
 * @throws ClaimsgateError `CG_STORE_DUPLICATE` with field `label`.
 */
export async function requirePostgresLabelFree(
  context: PostgresContext,
  tx: Transaction,
  label: string,
  issuerId: string,
): Promise<void> {
  await tx.run(
    sql`SELECT pg_advisory_xact_lock(hashtext('claimsgate.labels'), hashtext(${context.origin.schema}))`.compile(
      context.sql,
    ),
  );
  // Labels only: with thousands of issuers, reading and parsing whole rows made each add O(issuers) heavy.
  const issuers = await tx.rows(selectIssuerLabelsQuery.bind(context.sql, {}));
  const mappings = await tx.rows(selectClaimMappingLabelsQuery.bind(context.sql, {}));
  requireLabelFree(
    label,
    issuerId,
    issuers,
    mappings.map((row) => ({ issuerId: row.issuer_id, label: row.label })),
  );
}
