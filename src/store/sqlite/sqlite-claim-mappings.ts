import { randomUUID } from 'node:crypto';
import type { Actor, ClaimMappingRecord, NewClaimMapping } from '../model.js';
import {
  claimMappingColumns,
  deleteClaimMappingQuery,
  insertClaimMappingQuery,
  listClaimMappingsQuery,
  listIssuerClaimMappingsQuery,
  selectClaimMappingQuery,
  updateClaimMappingQuery,
} from '../queries/claim-mapping-queries.js';
import { claimMappingFromRow, toAuditValue, type ClaimMappingRow } from '../records.js';
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

export function listClaimMappings(ctx: SqliteContext, issuerId: string | undefined): ClaimMappingRecord[] {
  const rows =
    issuerId === undefined
      ? ctx.all(listClaimMappingsQuery.bind(ctx.sql, {}))
      : ctx.all(listIssuerClaimMappingsQuery.bind(ctx.sql, { issuerId }));
  return rows.map(claimMappingFromRow);
}

export function requireClaimMapping(ctx: SqliteContext, id: string): ClaimMappingRecord {
  const row = ctx.first(selectClaimMappingQuery.bind(ctx.sql, { id }));
  if (row === undefined) throw notFoundError('claim mapping', id);
  return claimMappingFromRow(row);
}

/** The record of a written row; a write by ID inside the transaction always returns its row. */
function mappingOf(row: ClaimMappingRow | undefined): ClaimMappingRecord {
  if (row === undefined) throw new Error('a claim mapping write returned no row');
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
  const mapping = mappingOf(
    ctx.first(insertClaimMappingQuery.bind(ctx.sql, { ...claimMappingColumns(fields), id, at })),
  );
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
  const updated = mappingOf(
    ctx.first(updateClaimMappingQuery.bind(ctx.sql, { ...claimMappingColumns(after), id, at })),
  );
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
  ctx.run(deleteClaimMappingQuery.bind(ctx.sql, { id }));
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
