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
import { lockIssuer, requirePostgresLabelFree } from './postgres-issuers.js';
import { claimMappingFromRow, type ClaimMappingRow } from '../records.js';
import { inTransaction, query, type PostgresContext, type Transaction } from './postgres-transaction.js';

export async function listClaimMappings(
  context: PostgresContext,
  issuerId?: string,
): Promise<ClaimMappingRecord[]> {
  const result =
    issuerId === undefined
      ? await query<ClaimMappingRow>(context, 'SELECT * FROM claim_mappings ORDER BY issuer_id, label, id')
      : await query<ClaimMappingRow>(
          context,
          'SELECT * FROM claim_mappings WHERE issuer_id = $1 ORDER BY label, id',
          [issuerId],
        );
  return result.rows.map(claimMappingFromRow);
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
    const now = tx.now;
    let row: ClaimMappingRow;
    try {
      const result = await tx.client.query<ClaimMappingRow>(
        `INSERT INTO claim_mappings (id, issuer_id, label, name_claim, group_claim, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
        [randomUUID(), fields.issuerId, fields.label, fields.nameClaim, fields.groupClaim, now],
      );
      row = result.rows[0] as ClaimMappingRow;
    } catch (error) {
      throw translatePgError(error, 'claim mapping', fields);
    }
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
    let row: ClaimMappingRow;
    try {
      const result = await tx.client.query<ClaimMappingRow>(
        `UPDATE claim_mappings SET issuer_id = $2, label = $3, name_claim = $4, group_claim = $5, updated_at = $6
         WHERE id = $1 RETURNING *`,
        [id, merged.issuerId, merged.label, merged.nameClaim, merged.groupClaim, tx.now],
      );
      row = result.rows[0] as ClaimMappingRow;
    } catch (error) {
      throw translatePgError(error, 'claim mapping', fields);
    }
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
    await tx.client.query('DELETE FROM claim_mappings WHERE id = $1', [id]);
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
  const result = await tx.client.query<ClaimMappingRow>(
    'SELECT * FROM claim_mappings WHERE id = $1 FOR UPDATE',
    [id],
  );
  const row = result.rows[0];
  if (row === undefined) throw notFoundError('claim mapping', id);
  return claimMappingFromRow(row);
}
