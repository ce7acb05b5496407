import type { QueryBuilder } from '../database.js';
import { prepareQuery } from '../prepared-query.js';
import type { ClaimMappingFields } from '../validate-input.js';

/** A claim mapping's fields as its columns hold them. */
export interface ClaimMappingColumns {
  readonly issuer_id: string;
  readonly label: string;
  readonly name_claim: string;
  readonly group_claim: string | null;
}

export function claimMappingColumns(fields: ClaimMappingFields): ClaimMappingColumns {
  return {
    issuer_id: fields.issuerId,
    label: fields.label,
    name_claim: fields.nameClaim,
    group_claim: fields.groupClaim,
  };
}

/** Every mapping, in no particular order (for the label check). */
export const selectClaimMappingsQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('claim_mappings').selectAll(),
);

/** Every claim mapping's issuer and label, for the label uniqueness check. */
export const selectClaimMappingLabelsQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('claim_mappings').select(['issuer_id', 'label']),
);

export const listClaimMappingsQuery = prepareQuery((sql: QueryBuilder) =>
  sql.selectFrom('claim_mappings').selectAll().orderBy('issuer_id').orderBy('label').orderBy('id'),
);

export const listIssuerClaimMappingsQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql
    .selectFrom('claim_mappings')
    .selectAll()
    .where('issuer_id', '=', p.issuerId)
    .orderBy('label')
    .orderBy('id'),
);

export const selectClaimMappingQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.selectFrom('claim_mappings').selectAll().where('id', '=', p.id),
);

export const insertClaimMappingQuery = prepareQuery(
  (sql: QueryBuilder, p: ClaimMappingColumns & { readonly id: string; readonly at: Date }) =>
    sql
      .insertInto('claim_mappings')
      .values({
        id: p.id,
        issuer_id: p.issuer_id,
        label: p.label,
        name_claim: p.name_claim,
        group_claim: p.group_claim,
        created_at: p.at,
        updated_at: p.at,
      })
      .returningAll(),
);

/** Sets every field (the caller merged the patch). */
export const updateClaimMappingQuery = prepareQuery(
  (sql: QueryBuilder, p: ClaimMappingColumns & { readonly id: string; readonly at: Date }) =>
    sql
      .updateTable('claim_mappings')
      .set({
        issuer_id: p.issuer_id,
        label: p.label,
        name_claim: p.name_claim,
        group_claim: p.group_claim,
        updated_at: p.at,
      })
      .where('id', '=', p.id)
      .returningAll(),
);

export const deleteClaimMappingQuery = prepareQuery((sql: QueryBuilder, p: { id: string }) =>
  sql.deleteFrom('claim_mappings').where('id', '=', p.id),
);
