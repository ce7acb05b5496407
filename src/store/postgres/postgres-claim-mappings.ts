import { randomUUID } from 'node:crypto';

import type { Actor, ClaimMappingRecord, NewClaimMapping } from '../model.js';
import {
  normalizeActor,
  normalizeClaimMappingPatch,
  normalizeNewClaimMapping,
  type ClaimMappingFields,
} from '../validate-input.js';
import { labelKey } from '../label-conflicts.js';
import { notFoundError } from '../store-errors.js';
import { translatePgError } from './postgres-errors.js';
import { lockIssuer } from './postgres-issuer-lock.js';
import { requirePostgresLabelFree } from './postgres-issuers.js';
import {
  claimMappingColumns,
  deleteClaimMappingQuery,
  insertClaimMappingQuery,
  listClaimMappingsQuery,
  listIssuerClaimMappingsQuery,
  updateClaimMappingQuery,
} from '../queries/claim-mapping-queries.js';
import { claimMappingFromRow } from '../records.js';
import {
  inTransaction,
  selectRows,
  writeRow,
  type PostgresContext,
  type Transaction,
} from './postgres-transaction.js';

export async function listClaimMappings(
  context: PostgresContext,
  issuerId?: string,
): Promise<ClaimMappingRecord[]> {
  const rows =
    issuerId === undefined
      ? await selectRows(context, listClaimMappingsQuery.bind(context.sql, {}))
      : await selectRows(context, listIssuerClaimMappingsQuery.bind(context.sql, { issuerId }));
  return rows.map(claimMappingFromRow);
}

export async function createClaimMapping(
  context: PostgresContext,
  input: NewClaimMapping,
  actor: Actor,
): Promise<ClaimMappingRecord> {
  const fields = normalizeNewClaimMapping(input);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    await lockIssuer(tx, fields.issuerId);
    const row = await writeRow(
      tx,
      insertClaimMappingQuery.bind(tx.sql, { ...claimMappingColumns(fields), id: randomUUID(), at: tx.now }),
      (error) => translatePgError(error, 'claim mapping', fields),
    );
    const mapping = claimMappingFromRow(row);
    await requirePostgresLabelFree(context, tx, mapping.label, mapping.issuerId);
    await tx.audit({
      actor: who,
      action: 'mapping.created',
      issuerId: mapping.issuerId,
      subject: mapping.label,
      before: null,
      after: mapping,
      refresh: null,
    });
    tx.notify({ kind: 'mapping', issuerId: mapping.issuerId });
    return mapping;
  });
}

export async function updateClaimMapping(
  context: PostgresContext,
  id: string,
  patch: Partial<NewClaimMapping>,
  actor: Actor,
): Promise<ClaimMappingRecord> {
  const fields = normalizeClaimMappingPatch(patch);
  const who = normalizeActor(actor);
  return inTransaction(context, async (tx) => {
    const before = await lockClaimMapping(tx, id);
    const unchanged: ClaimMappingFields = {
      issuerId: before.issuerId,
      label: before.label,
      nameClaim: before.nameClaim,
      groupClaim: before.groupClaim,
    };
    const merged: ClaimMappingFields = { ...unchanged, ...fields };
    if (JSON.stringify(merged) === JSON.stringify(unchanged)) return before;
    if (merged.issuerId !== before.issuerId) await lockIssuer(tx, merged.issuerId);
    const row = await writeRow(
      tx,
      updateClaimMappingQuery.bind(tx.sql, { ...claimMappingColumns(merged), id, at: tx.now }),
      (error) => translatePgError(error, 'claim mapping', fields),
    );
    const after = claimMappingFromRow(row);
    if (after.issuerId !== before.issuerId || labelKey(after.label) !== labelKey(before.label))
      await requirePostgresLabelFree(context, tx, after.label, after.issuerId);
    await tx.audit({
      actor: who,
      action: 'mapping.updated',
      issuerId: after.issuerId,
      subject: after.label,
      before,
      after,
      refresh: null,
    });
    tx.notify({ kind: 'mapping', issuerId: before.issuerId });
    tx.notify({ kind: 'mapping', issuerId: after.issuerId });
    return after;
  });
}

export async function deleteClaimMapping(context: PostgresContext, id: string, actor: Actor): Promise<void> {
  const who = normalizeActor(actor);
  await inTransaction(context, async (tx) => {
    const before = await lockClaimMapping(tx, id);
    await tx.run(deleteClaimMappingQuery.bind(tx.sql, { id }));
    await tx.audit({
      actor: who,
      action: 'mapping.deleted',
      issuerId: before.issuerId,
      subject: before.label,
      before,
      after: null,
      refresh: null,
    });
    tx.notify({ kind: 'mapping', issuerId: before.issuerId });
  });
}

async function lockClaimMapping(tx: Transaction, id: string): Promise<ClaimMappingRecord> {
  const row = await tx.first(
    tx.sql.selectFrom('claim_mappings').selectAll().where('id', '=', id).forUpdate().compile(),
  );
  if (row === undefined) throw notFoundError('claim mapping', id);
  return claimMappingFromRow(row);
}
