import type { TokenClaimTypesRecord } from '../model.js';
import { toDateColumn, tokenClaimTypesFromRow, type TokenClaimTypesRow } from '../records.js';
import { normalizeTokenClaimTypes } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';
import { requireIssuer } from './sqlite-issuers.js';

export function findTokenClaimTypes(ctx: SqliteContext, issuerId: string): TokenClaimTypesRecord | undefined {
  const row = ctx.prepare('SELECT * FROM issuer_claim_types WHERE issuer_id = ?').get(issuerId) as
    TokenClaimTypesRow | undefined;
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
  const result = ctx
    .prepare(
      `INSERT INTO issuer_claim_types (issuer_id, claim_types, since) VALUES (@issuer_id, @claim_types, @since)
       ON CONFLICT (issuer_id) DO UPDATE SET claim_types = excluded.claim_types, since = excluded.since
       WHERE issuer_claim_types.claim_types <> excluded.claim_types`,
    )
    .run({
      issuer_id: checked.issuerId,
      claim_types: JSON.stringify(checked.claimTypes),
      since: toDateColumn(checked.at),
    });
  return result.changes > 0;
}
