import type { QueryBuilder } from '../database.js';
import { prepareQuery } from '../prepared-query.js';

export const selectTokenClaimTypesQuery = prepareQuery((sql: QueryBuilder, p: { issuerId: string }) =>
  sql.selectFrom('issuer_claim_types').selectAll().where('issuer_id', '=', p.issuerId),
);

/** One statement that writes the set (JSON text) only when it differs from the stored one. */
export const saveTokenClaimTypesQuery = prepareQuery(
  (sql: QueryBuilder, p: { issuerId: string; claimTypes: string; since: Date }) =>
    sql
      .insertInto('issuer_claim_types')
      .values({ issuer_id: p.issuerId, claim_types: p.claimTypes, since: p.since })
      .onConflict((oc) =>
        oc
          .column('issuer_id')
          .doUpdateSet((eb) => ({
            claim_types: eb.ref('excluded.claim_types'),
            since: eb.ref('excluded.since'),
          }))
          .where((eb) => eb('issuer_claim_types.claim_types', '<>', eb.ref('excluded.claim_types'))),
      ),
);
