import { notFoundError } from '../store/store-errors.js';
import type { ClaimMappingRecord, IssuerRecord, RealmRecord } from '../store/model.js';
import type { Store } from '../store/store.js';

const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value is shaped like a record ID (a UUID) rather than a name or thumbprint. */
export function looksLikeRecordId(value: string): boolean {
  return RECORD_ID.test(value);
}

/**
 * The issuer a command names, by name or ID.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function findIssuer(store: Store, nameOrId: string): Promise<IssuerRecord> {
  const issuer = await store.getIssuer(nameOrId);
  if (issuer === undefined) throw notFoundError('issuer', nameOrId, 'name or ID');
  return issuer;
}

/**
 * The realm a command names, by realm URI or ID.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function findRealm(store: Store, uriOrId: string): Promise<RealmRecord> {
  const realm = await store.getRealm(uriOrId);
  if (realm === undefined) throw notFoundError('realm', uriOrId, 'URI or ID');
  return realm;
}

/**
 * The claim mapping a command names, by ID.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function findClaimMapping(store: Store, id: string): Promise<ClaimMappingRecord> {
  const mapping = (await store.listClaimMappings()).find((candidate) => candidate.id === id);
  if (mapping === undefined) throw notFoundError('claim mapping', id);
  return mapping;
}

/** Issuer names by ID, for tables that show names. */
export async function issuerNamesById(store: Store): Promise<Map<string, string>> {
  return new Map((await store.listIssuers()).map((issuer) => [issuer.id, issuer.name]));
}
