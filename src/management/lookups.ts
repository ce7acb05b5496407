import { ClaimsgateError, type ErrorDetail } from '../lib/errors.js';
import { notFoundError } from '../store/store-errors.js';
import type { ClaimMappingRecord, IssuerRecord, KeyRecord, RealmRecord } from '../store/model.js';
import type { Store } from '../store/store.js';

/**
 * The `CG_ADMIN_INPUT_INVALID` error for input the admin service refuses,
 * naming the field in the detail.
 */
export function adminInputError(field: string, message: string, detail: ErrorDetail = {}): ClaimsgateError {
  return new ClaimsgateError('CG_ADMIN_INPUT_INVALID', message, { detail: { field, ...detail } });
}

/**
 * The issuer named by ID or name.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function requireIssuer(store: Store, idOrName: string): Promise<IssuerRecord> {
  const issuer = await store.getIssuer(idOrName);
  if (issuer === undefined) throw notFoundError('issuer', idOrName, 'name or ID');
  return issuer;
}

/**
 * The realm named by ID or realm URI.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function requireRealm(store: Store, idOrUri: string): Promise<RealmRecord> {
  const realm = await store.getRealm(idOrUri);
  if (realm === undefined) throw notFoundError('realm', idOrUri, 'URI or ID');
  return realm;
}

/**
 * The key with this ID.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function requireKey(store: Store, id: string): Promise<KeyRecord> {
  const key = await store.getKey(id);
  if (key === undefined) throw notFoundError('key', id);
  return key;
}

/**
 * The claim mapping with this ID.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function requireClaimMapping(store: Store, id: string): Promise<ClaimMappingRecord> {
  const mapping = (await store.listClaimMappings()).find((candidate) => candidate.id === id);
  if (mapping === undefined) throw notFoundError('claim mapping', id);
  return mapping;
}

/** Issuer names by ID. */
export async function issuerNames(store: Store): Promise<Map<string, string>> {
  return new Map((await store.listIssuers()).map((issuer) => [issuer.id, issuer.name]));
}
