import type { TokenClaimTypesRecord } from '../model.js';
import { saveTokenClaimTypesQuery, selectTokenClaimTypesQuery } from '../queries/claim-type-queries.js';
import { tokenClaimTypesFromRow } from '../records.js';
import { normalizeTokenClaimTypes } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import { requireIssuer } from './sqlite-issuers.js';

export function findTokenClaimTypes(ctx: SqliteContext, issuerId: string): TokenClaimTypesRecord | undefined {
  const row = ctx.first(selectTokenClaimTypesQuery.bind(ctx.sql, { issuerId }));
  return row === undefined ? undefined : tokenClaimTypesFromRow(row);
}

/** Writes the set only when it differs from the stored one; returns whether it wrote. */
export function recordTokenClaimTypes(
  ctx: SqliteContext,
  issuerId: string,
  claimTypes: readonly string[],
  at: Date,
): boolean {
  const checked = normalizeTokenClaimTypes(issuerId, claimTypes, at);
  requireIssuer(ctx, checked.issuerId);
  const changes = ctx.run(
    saveTokenClaimTypesQuery.bind(ctx.sql, {
      issuerId: checked.issuerId,
      claimTypes: JSON.stringify(checked.claimTypes),
      since: checked.at,
    }),
  );
  return changes > 0;
}
