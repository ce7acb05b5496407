import { randomUUID } from 'node:crypto';

import type { Actor, IssuerPatch, IssuerRecord, IssuerRemoval, NewIssuer } from '../model.js';
import {
  claimMappingFromRow,
  issuerFromRow,
  keyAuditView,
  keyFromRow,
  realmFromRow,
  refreshStateFromRow,
  toAuditValue,
  toJsonColumn,
  type ClaimMappingRow,
  type IssuerRow,
  type KeyRow,
  type RealmRow,
  type RefreshStateRow,
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
import { applyRefreshIn } from './postgres-refresh.js';
import { inTransaction, query, type PostgresContext, type Transaction } from './postgres-transaction.js';

/** Column and parameter form of each issuer field a patch may change. */
const ISSUER_COLUMNS: {
  readonly [K in keyof IssuerFields]: readonly [string, (v: IssuerFields[K]) => unknown];
} = {
  name: ['name', (v) => v],
  description: ['description', (v) => v],
  issuerUri: ['issuer_uri', (v) => v],
  protocols: ['protocols', toJsonColumn],
  metadataUrl: ['metadata_url', (v) => v],
  loginUrl: ['login_url', (v) => v],
  useForLogin: ['use_for_login', (v) => v],
  label: ['label', (v) => v],
  refreshIntervalSeconds: ['refresh_interval_seconds', (v) => v],
  signaturePolicy: ['signature_policy', toJsonColumn],
  allowSha1: ['allow_sha1', (v) => v],
  allowedTenants: ['allowed_tenants', toJsonColumn],
  discontinuityPolicy: ['discontinuity_policy', (v) => v],
  requireSignedAssertion: ['require_signed_assertion', (v) => v],
};

export async function listIssuers(context: PostgresContext): Promise<IssuerRecord[]> {
  const result = await query<IssuerRow>(context, 'SELECT * FROM issuers ORDER BY name');
  return result.rows.map(issuerFromRow);
}

/** By ID or by name (names are never UUID-shaped, so the two cannot be confused). */
export async function getIssuer(
  context: PostgresContext,
  idOrName: string,
): Promise<IssuerRecord | undefined> {
  const result = await query<IssuerRow>(
    context,
    'SELECT * FROM issuers WHERE id = $1 OR name = $1 ORDER BY (id = $1) DESC LIMIT 1',
    [idOrName],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : issuerFromRow(row);
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
    const now = tx.now;
    let row: IssuerRow;
    try {
      const result = await tx.client.query<IssuerRow>(
        `INSERT INTO issuers (id, name, description, issuer_uri, protocols, metadata_url, login_url,
           use_for_login, label, refresh_interval_seconds, signature_policy, allow_sha1, allowed_tenants,
           discontinuity_policy, require_signed_assertion, created_at, updated_at, version)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11::jsonb, $12, $13::jsonb, $15, $16, $14, $14, 1)
         RETURNING *`,
        [
          randomUUID(),
          fields.name,
          fields.description,
          fields.issuerUri,
          toJsonColumn(fields.protocols),
          fields.metadataUrl,
          fields.loginUrl,
          fields.useForLogin,
          fields.label,
          fields.refreshIntervalSeconds,
          toJsonColumn(fields.signaturePolicy),
          fields.allowSha1,
          toJsonColumn(fields.allowedTenants),
          now,
          fields.discontinuityPolicy,
          fields.requireSignedAssertion,
        ],
      );
      row = result.rows[0] as IssuerRow;
    } catch (error) {
      throw translatePgError(error, 'issuer', fields);
    }
    const issuer = issuerFromRow(row);
    await requirePostgresLabelFree(context, tx, issuer.label, issuer.id);
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
    const assignments: string[] = [];
    const values: unknown[] = [id];
    for (const key of Object.keys(fields) as (keyof IssuerFields)[]) {
      // A field set to the value it has is no change: no new version, no audit entry.
      if (JSON.stringify(fields[key]) === JSON.stringify(before[key])) continue;
      const [column, encode] = ISSUER_COLUMNS[key] as readonly [string, (v: unknown) => unknown];
      values.push(encode(fields[key]));
      assignments.push(`${column} = $${values.length}`);
    }
    if (assignments.length === 0) return before;
    values.push(tx.now);
    assignments.push(`updated_at = $${values.length}`, 'version = version + 1');
    let row: IssuerRow;
    try {
      const result = await tx.client.query<IssuerRow>(
        `UPDATE issuers SET ${assignments.join(', ')} WHERE id = $1 RETURNING *`,
        values,
      );
      row = result.rows[0] as IssuerRow;
    } catch (error) {
      throw translatePgError(error, 'issuer', fields);
    }
    const after = issuerFromRow(row);
    if (labelKey(after.label) !== labelKey(before.label))
      await requirePostgresLabelFree(context, tx, after.label, id);
    const state = await tx.client.query<RefreshStateRow>(
      'SELECT * FROM refresh_states WHERE issuer_id = $1',
      [id],
    );
    const stateRow = state.rows[0];
    const nextAttemptAt = rescheduleRefresh(
      before,
      after,
      stateRow === undefined ? undefined : refreshStateFromRow(stateRow),
      tx.now,
    );
    if (nextAttemptAt !== undefined) {
      await tx.client.query('UPDATE refresh_states SET next_attempt_at = $2 WHERE issuer_id = $1', [
        id,
        nextAttemptAt,
      ]);
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
    const realms = await tx.client.query<RealmRow>('SELECT * FROM realms ORDER BY realm_uri FOR UPDATE');
    const unlinks = planIssuerRemoval(before, realms.rows.map(realmFromRow));
    for (const unlink of unlinks) {
      const updated = await tx.client.query<RealmRow>(
        `UPDATE realms SET home_realm = $2, allowed_issuer_ids = $3::jsonb, updated_at = $4 WHERE id = $1 RETURNING *`,
        [unlink.realmId, unlink.homeRealm, toJsonColumn(unlink.allowedIssuerIds), tx.now],
      );
      await tx.audit(
        realmUnlinkAudit(who, before, unlink, realmFromRow(updated.rows[0] as RealmRow), tx.now),
      );
      tx.notify({ kind: 'realm', issuerId: null });
    }
    const keys = await tx.client.query<KeyRow>(
      'SELECT * FROM keys WHERE issuer_id = $1 ORDER BY first_seen_at, id',
      [id],
    );
    // Keys, mappings, snapshot and refresh state go with it (ON DELETE CASCADE).
    await tx.client.query('DELETE FROM issuers WHERE id = $1', [id]);
    await tx.audit({
      actor: who,
      action: 'issuer.deleted',
      issuerId: id,
      subject: before.name,
      // The log keeps what trust was removed: the issuer and every key it had.
      before: { ...(toAuditValue(before) as object), keys: keys.rows.map(keyFromRow).map(keyAuditView) },
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
  await tx.client.query(LABEL_LOCK_SQL, [context.origin.schema]);
  const [issuers, mappings] = await Promise.all([
    tx.client.query<IssuerRow>('SELECT * FROM issuers'),
    tx.client.query<ClaimMappingRow>('SELECT * FROM claim_mappings'),
  ]);
  requireLabelFree(label, issuerId, issuers.rows.map(issuerFromRow), mappings.rows.map(claimMappingFromRow));
}

const LABEL_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('claimsgate.labels'), hashtext($1))`;

/**
 * Reads an issuer by ID and locks its row until the transaction ends, so that
 * concurrent changes to one issuer (and its keys) are applied one at a time.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function lockIssuer(tx: Transaction, id: string): Promise<IssuerRecord> {
  const result = await tx.client.query<IssuerRow>('SELECT * FROM issuers WHERE id = $1 FOR UPDATE', [id]);
  const row = result.rows[0];
  if (row === undefined) throw notFoundError('issuer', id);
  return issuerFromRow(row);
}
