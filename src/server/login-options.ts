import { ClaimsgateError } from '../lib/errors.js';
import type { IssuerRecord, RealmRecord } from '../store/model.js';
import type { Store } from '../store/store.js';

/** The realm users sign in to and the issuers they may sign in with. */
export interface LoginOptions {
  readonly realm: RealmRecord;
  /** Issuers with `useForLogin` and a sign-in protocol, allowed by the realm; in name order. */
  readonly issuers: readonly IssuerRecord[];
}

/**
 * Finds the gateway's realm — the one whose URI is the public URL, else the
 * first — and the issuers offered for sign-in to it.
 *
 * @throws ClaimsgateError CG_STORE_NOT_FOUND when the store holds no realm;
 *   CG_STORE_* when the store fails.
 */
export async function findLoginOptions(store: Store, publicUrl: string): Promise<LoginOptions> {
  const realms = await store.listRealms();
  const realm = realms.find((candidate) => candidate.realmUri === publicUrl) ?? realms[0];
  if (realm === undefined) {
    throw new ClaimsgateError('CG_STORE_NOT_FOUND', 'No realm is configured, so nobody can sign in.', {
      hint: `Create the gateway's realm: claimsgate realms add ${publicUrl} --reply-url ${publicUrl}/signin/wsfed`,
      detail: { expected: publicUrl },
    });
  }
  const allowed = realm.allowedIssuerIds;
  const issuers = (await store.listIssuers())
    .filter(
      (issuer) =>
        issuer.useForLogin &&
        issuer.protocols.length > 0 &&
        (allowed.length === 0 || allowed.includes(issuer.id)),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  return { realm, issuers };
}
