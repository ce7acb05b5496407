import type { TokenClaimTypesRecord } from '../model.js';
import { saveTokenClaimTypesQuery, selectTokenClaimTypesQuery } from '../queries/claim-type-queries.js';
import { toJsonColumn, tokenClaimTypesFromRow } from '../records.js';
import { normalizeTokenClaimTypes } from '../validate-input.js';
import { translatePgError } from './postgres-errors.js';
import { execute, selectFirst, type PostgresContext } from './postgres-transaction.js';

export async function getTokenClaimTypes(
  context: PostgresContext,
  issuerId: string,
): Promise<TokenClaimTypesRecord | undefined> {
  const row = await selectFirst(context, selectTokenClaimTypesQuery.bind(context.sql, { issuerId }));
  return row === undefined ? undefined : tokenClaimTypesFromRow(row);
}

/** One statement: writes the set only when it differs from the stored one; returns whether it wrote. */
export async function recordTokenClaimTypes(
  context: PostgresContext,
  issuerId: string,
  claimTypes: readonly string[],
  at: Date,
): Promise<boolean> {
  const checked = normalizeTokenClaimTypes(issuerId, claimTypes, at);
  const changes = await execute(
    context,
    saveTokenClaimTypesQuery.bind(context.sql, {
      issuerId: checked.issuerId,
      claimTypes: toJsonColumn(checked.claimTypes) ?? '[]',
      since: checked.at,
    }),
    // An unknown issuer breaks the foreign key: CG_STORE_NOT_FOUND, not a failed statement.
    (error) => translatePgError(error, 'issuer claim types', { issuerId: checked.issuerId }),
  );
  return changes > 0;
}
