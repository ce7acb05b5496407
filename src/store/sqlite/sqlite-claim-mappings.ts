import { randomUUID } from 'node:crypto';
import type { Actor, ClaimMappingRecord, NewClaimMapping } from '../model.js';
import { claimMappingFromRow, toAuditValue, toDateColumn, type ClaimMappingRow } from '../records.js';
import { labelKey } from '../label-conflicts.js';
import { notFoundError } from '../store-errors.js';
import {
  normalizeActor,
  normalizeClaimMappingPatch,
  normalizeNewClaimMapping,
  type ClaimMappingFields,
} from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import { requireIssuer, requireSqliteLabelFree, type UpdateOutcome } from './sqlite-issuers.js';
import { claimMappingParams } from './sqlite-params.js';

export function listClaimMappings(ctx: SqliteContext, issuerId: string | undefined): ClaimMappingRecord[] {
  const rows =
    issuerId === undefined
      ? ctx.prepare('SELECT * FROM claim_mappings ORDER BY issuer_id, label, id').all()
      : ctx.prepare('SELECT * FROM claim_mappings WHERE issuer_id = ? ORDER BY label, id').all(issuerId);
  return (rows as ClaimMappingRow[]).map(claimMappingFromRow);
}

function requireClaimMapping(ctx: SqliteContext, id: string): ClaimMappingRecord {
  const row = ctx.prepare('SELECT * FROM claim_mappings WHERE id = ?').get(id) as ClaimMappingRow | undefined;
  if (row === undefined) throw notFoundError('claim mapping', id);
  return claimMappingFromRow(row);
}

export function createClaimMapping(
  ctx: SqliteContext,
  input: NewClaimMapping,
  actor: Actor,
): ClaimMappingRecord {
  const who = normalizeActor(actor);
  const fields = normalizeNewClaimMapping(input);
  requireIssuer(ctx, fields.issuerId);
  const id = randomUUID();
  const at = ctx.now();
  ctx
    .prepare(
      `INSERT INTO claim_mappings (id, issuer_id, label, name_claim, group_claim, created_at, updated_at)
       VALUES (@id, @issuer_id, @label, @name_claim, @group_claim, @at, @at)`,
    )
    .run({ ...claimMappingParams(fields), id, at: toDateColumn(at) });
  const mapping = requireClaimMapping(ctx, id);
  requireSqliteLabelFree(ctx, mapping.label, mapping.issuerId);
  ctx.audit({
    at,
    actor: who,
    action: 'mapping.created',
    issuerId: mapping.issuerId,
    subject: mapping.label,
    before: null,
    after: toAuditValue(mapping),
    refresh: null,
  });
  return mapping;
}

export function updateClaimMapping(
  ctx: SqliteContext,
  id: string,
  patch: Partial<NewClaimMapping>,
  actor: Actor,
): UpdateOutcome<ClaimMappingRecord> {
  const who = normalizeActor(actor);
  const changes = normalizeClaimMappingPatch(patch);
  const current = requireClaimMapping(ctx, id);
  const before: ClaimMappingFields = {
    issuerId: current.issuerId,
    label: current.label,
    nameClaim: current.nameClaim,
    groupClaim: current.groupClaim,
  };
  const after: ClaimMappingFields = { ...before, ...changes };
  if (JSON.stringify(before) === JSON.stringify(after)) return { record: current, changed: false };
  if (after.issuerId !== before.issuerId) requireIssuer(ctx, after.issuerId);
  const at = ctx.now();
  ctx
    .prepare(
      `UPDATE claim_mappings SET issuer_id = @issuer_id, label = @label, name_claim = @name_claim,
         group_claim = @group_claim, updated_at = @at
       WHERE id = @id`,
    )
    .run({ ...claimMappingParams(after), id, at: toDateColumn(at) });
  const updated = requireClaimMapping(ctx, id);
  if (updated.issuerId !== current.issuerId || labelKey(updated.label) !== labelKey(current.label))
    requireSqliteLabelFree(ctx, updated.label, updated.issuerId);
  ctx.audit({
    at,
    actor: who,
    action: 'mapping.updated',
    issuerId: updated.issuerId,
    subject: updated.label,
    before: toAuditValue(current),
    after: toAuditValue(updated),
    refresh: null,
  });
  return { record: updated, changed: true };
}

/** Deletes a claim mapping; returns the issuer it belonged to. */
export function deleteClaimMapping(ctx: SqliteContext, id: string, actor: Actor): string {
  const who = normalizeActor(actor);
  const mapping = requireClaimMapping(ctx, id);
  ctx.prepare('DELETE FROM claim_mappings WHERE id = ?').run(id);
  ctx.audit({
    at: ctx.now(),
    actor: who,
    action: 'mapping.deleted',
    issuerId: mapping.issuerId,
    subject: mapping.label,
    before: toAuditValue(mapping),
    after: null,
    refresh: null,
  });
  return mapping.issuerId;
}
