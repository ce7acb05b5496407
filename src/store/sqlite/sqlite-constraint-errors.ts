import { ClaimsgateError } from '../../lib/errors.js';

/*
 * SQLite names a violated unique constraint by its columns
 * (`UNIQUE constraint failed: issuers.name`) or, for a partial index, by the
 * index (`UNIQUE constraint failed: index 'keys_issuer_sha1_unique'`). Both
 * forms are mapped to the record field an operator knows.
 */
const UNIQUE_FIELDS: readonly (readonly [marker: string, field: string])[] = [
  ['issuers_name_unique', 'name'],
  ['issuers.name', 'name'],
  ['issuers_issuer_uri_unique', 'issuerUri'],
  ['issuers.issuer_uri', 'issuerUri'],
  ['keys_issuer_sha1_unique', 'sha1'],
  ['keys.sha1', 'sha1'],
  ['keys_issuer_sha256_unique', 'sha256'],
  ['keys.sha256', 'sha256'],
  ['keys_issuer_kid_unique', 'kid'],
  ['keys.kid', 'kid'],
  ['realms_realm_uri_unique', 'realmUri'],
  ['realms.realm_uri', 'realmUri'],
  ['admin_accounts_username_unique', 'username'],
  ['admin_accounts.username', 'username'],
];

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Turns a unique-constraint violation into `CG_STORE_DUPLICATE` naming the
 * field and its value; returns any other error unchanged.
 *
 * @param values the values being written, by field name, for the detail.
 */
export function mapSqliteConstraintError(
  error: unknown,
  entity: string,
  values: Readonly<Record<string, unknown>>,
): unknown {
  const code = errorCode(error);
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return error;
  const message = error instanceof Error ? error.message : '';
  const field = UNIQUE_FIELDS.find(([marker]) => message.includes(marker))?.[1] ?? 'id';
  return new ClaimsgateError(
    'CG_STORE_DUPLICATE',
    `A ${entity} with ${field} ${JSON.stringify(values[field] ?? null)} already exists.`,
    { detail: { entity, field, observed: values[field] ?? null }, cause: error },
  );
}
