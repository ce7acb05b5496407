import type { TokenClaimTypesRecord } from '../model.js';
import { toJsonColumn, tokenClaimTypesFromRow, type TokenClaimTypesRow } from '../records.js';
import { normalizeTokenClaimTypes } from '../validate-input.js';
import { translatePgError } from './postgres-errors.js';
import { query, type PostgresContext } from './postgres-transaction.js';

export async function getTokenClaimTypes(
  context: PostgresContext,
  issuerId: string,
): Promise<TokenClaimTypesRecord | undefined> {
  const result = await query<TokenClaimTypesRow>(
    context,
    'SELECT * FROM issuer_claim_types WHERE issuer_id = $1',
    [issuerId],
  );
  const row = result.rows[0];
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
  const result = await query(
    context,
    `INSERT INTO issuer_claim_types (issuer_id, claim_types, since) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (issuer_id) DO UPDATE SET claim_types = EXCLUDED.claim_types, since = EXCLUDED.since
     WHERE issuer_claim_types.claim_types IS DISTINCT FROM EXCLUDED.claim_types`,
    [checked.issuerId, toJsonColumn(checked.claimTypes), checked.at],
    // An unknown issuer breaks the foreign key: CG_STORE_NOT_FOUND, not a failed statement.
    (error) => translatePgError(error, 'issuer claim types', { issuerId: checked.issuerId }),
  );
  return (result.rowCount ?? 0) > 0;
}
