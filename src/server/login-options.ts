import { ClaimsgateError } from '../lib/errors.js';
import type { IssuerRecord, RealmRecord } from '../store/model.js';
import type { Store } from '../store/store.js';

/** The reads login options need: the store's, or the gateway's in-memory directory (gateway-directory.ts). */
export type LoginReads = Pick<Store, 'listRealms' | 'getIssuer' | 'listIssuers'>;

/** The realm users sign in to and the issuers they may sign in with. */
export interface LoginOptions {
  readonly realm: RealmRecord;
  /** Issuers with `useForLogin` and a sign-in protocol, allowed by the realm; in name order. */
  readonly issuers: readonly IssuerRecord[];
}

/**
 * The gateway's realm: the one whose URI is the public URL, else the first.
 * One read of the realms, none of the issuers (the sign-in callbacks need
 * only this).
 *
 * @throws ClaimsgateError CG_STORE_NOT_FOUND when the store holds no realm;
 *   CG_STORE_* when the store fails.
 */
export async function findGatewayRealm(
  store: Pick<LoginReads, 'listRealms'>,
  publicUrl: string,
): Promise<RealmRecord> {
  const realms = await store.listRealms();
  const realm = realms.find((candidate) => candidate.realmUri === publicUrl) ?? realms[0];
  if (realm === undefined) {
    throw new ClaimsgateError('CG_STORE_NOT_FOUND', 'No realm is configured, so nobody can sign in.', {
      hint: `Create the gateway's realm: claimsgate realms add ${publicUrl} --reply-url ${publicUrl}/signin/wsfed`,
      detail: { expected: publicUrl },
    });
  }
  return realm;
}

/** Whether the realm offers this issuer for sign-in: `useForLogin`, a sign-in protocol, and allowed by the realm. */
function isOffered(issuer: IssuerRecord, realm: RealmRecord): boolean {
  const allowed = realm.allowedIssuerIds;
  return (
    issuer.useForLogin && issuer.protocols.length > 0 && (allowed.length === 0 || allowed.includes(issuer.id))
  );
}

/**
 * The issuer named `name` when the realm offers it for sign-in, else
 * undefined: one read by name, whatever the number of issuers (`?whr=`).
 *
 * @throws ClaimsgateError CG_STORE_* when the store fails.
 */
export async function findOfferedIssuer(
  store: Pick<LoginReads, 'getIssuer'>,
  realm: RealmRecord,
  name: string,
): Promise<IssuerRecord | undefined> {
  const issuer = await store.getIssuer(name);
  return issuer !== undefined && issuer.name === name && isOffered(issuer, realm) ? issuer : undefined;
}

/**
 * Finds the gateway's realm ({@link findGatewayRealm}) and the issuers
 * offered for sign-in to it.
 *
 * @throws ClaimsgateError CG_STORE_NOT_FOUND when the store holds no realm;
 *   CG_STORE_* when the store fails.
 */
export async function findLoginOptions(store: LoginReads, publicUrl: string): Promise<LoginOptions> {
  const realm = await findGatewayRealm(store, publicUrl);
  return { realm, issuers: await listOfferedIssuers(store, realm) };
}

/**
 * The issuers the realm offers for sign-in, in name order.
 *
 * @throws ClaimsgateError CG_STORE_* when the store fails.
 */
export async function listOfferedIssuers(
  store: Pick<LoginReads, 'listIssuers'>,
  realm: RealmRecord,
): Promise<IssuerRecord[]> {
  return (await store.listIssuers())
    .filter((issuer) => isOffered(issuer, realm))
    .sort((a, b) => a.name.localeCompare(b.name));
}
