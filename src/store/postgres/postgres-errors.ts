import { ClaimsgateError } from '../../lib/errors.js';

/** The record field each unique constraint or index protects (names from the migrations). */
const UNIQUE_FIELDS: Readonly<Record<string, string>> = {
  issuers_name_unique: 'name',
  issuers_issuer_uri_unique: 'issuerUri',
  keys_issuer_sha1_unique: 'sha1',
  keys_issuer_sha256_unique: 'sha256',
  keys_issuer_kid_unique: 'kid',
  realms_realm_uri_unique: 'realmUri',
  admin_accounts_username_unique: 'username',
};

interface PgErrorShape {
  readonly code?: unknown;
  readonly constraint?: unknown;
}

/**
 * Translates a PostgreSQL constraint violation into the store's coded error;
 * returns any other error unchanged.
 *
 * - 23505 unique violation → `CG_STORE_DUPLICATE` naming the field and its value;
 * - 23503 foreign key violation (a key or mapping for an issuer that does not
 *   exist, or was deleted meanwhile) → `CG_STORE_NOT_FOUND` naming `issuerId`.
 *
 * @param entity the record being written (`issuer`, `key`, …).
 * @param values the values being written, by field name, for the detail (names, URIs, thumbprints:
 *   never secrets).
 */
export function translatePgError(error: unknown, entity: string, values: object): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { code, constraint } = error as PgErrorShape;
  const name = typeof constraint === 'string' ? constraint : '';
  const byField = values as Readonly<Record<string, unknown>>;
  if (code === '23505') {
    const field = UNIQUE_FIELDS[name] ?? 'id';
    const observed = byField[field] ?? null;
    return new ClaimsgateError(
      'CG_STORE_DUPLICATE',
      `A ${entity} with ${field} ${JSON.stringify(observed)} already exists.`,
      { detail: { entity, field, observed }, cause: error },
    );
  }
  if (code === '23503') {
    const observed = byField.issuerId ?? null;
    return new ClaimsgateError('CG_STORE_NOT_FOUND', `No issuer has id ${JSON.stringify(observed)}.`, {
      detail: { entity: 'issuer', field: 'id', observed },
      cause: error,
    });
  }
  return error;
}
