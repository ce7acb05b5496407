import { ClaimsgateError } from '../lib/errors.js';
import type { Actor, IssuerRecord, NewAuditEntry, RealmRecord, RealmUnlink } from './model.js';
import { toAuditValue } from './records.js';

/** A realm that names an issuer being removed, and what it becomes without it. */
export interface PlannedUnlink extends RealmUnlink {
  readonly realm: RealmRecord;
  readonly homeRealm: string | null;
  readonly allowedIssuerIds: readonly string[];
}

/** Whether a realm's home realm names the issuer (it holds an issuer's name, or its ID). */
function homeRealmIs(realm: RealmRecord, issuer: Pick<IssuerRecord, 'id' | 'name'>): boolean {
  return realm.homeRealm !== null && (realm.homeRealm === issuer.id || realm.homeRealm === issuer.name);
}

/**
 * What removing an issuer does to the realms that name it: a home realm that
 * names it is cleared (users choose again), and it leaves the realm's allowed
 * issuers. Pure; both backends apply it in the deletion's transaction, and
 * the CLI and the admin site show it before asking.
 *
 * @throws ClaimsgateError `CG_STORE_REFERENCED` naming every realm that
 *   allows this issuer only: without it, its allowed issuers would be empty,
 *   which means every issuer — the removal would open the realm to all.
 */
export function planIssuerRemoval(
  issuer: Pick<IssuerRecord, 'id' | 'name'>,
  realms: readonly RealmRecord[],
): PlannedUnlink[] {
  // SECURITY: an empty allowed list means "any issuer"; removing a realm's only allowed issuer must not widen it.
  const only = realms.filter(
    (realm) => realm.allowedIssuerIds.length > 0 && realm.allowedIssuerIds.every((id) => id === issuer.id),
  );
  if (only.length > 0) {
    const uris = only.map((realm) => realm.realmUri);
    throw new ClaimsgateError(
      'CG_STORE_REFERENCED',
      `Issuer ${issuer.name} is the only issuer allowed by realm${uris.length === 1 ? '' : 's'} ${uris.join(', ')}: without it, ${uris.length === 1 ? 'that realm' : 'those realms'} would allow every issuer. Nothing was removed.`,
      {
        hint: `Allow another issuer on ${uris.length === 1 ? 'the realm' : 'each realm'} first (claimsgate realms edit <realm> --allow-issuer <issuer>), or remove ${uris.length === 1 ? 'it' : 'them'} (claimsgate realms remove <realm>), then remove the issuer.`,
        detail: {
          entity: 'issuer',
          observed: issuer.name,
          realms: uris,
          realmIds: only.map((realm) => realm.id),
        },
      },
    );
  }
  const unlinks: PlannedUnlink[] = [];
  for (const realm of realms) {
    const homeRealmCleared = homeRealmIs(realm, issuer);
    const allowedIssuerRemoved = realm.allowedIssuerIds.includes(issuer.id);
    if (!homeRealmCleared && !allowedIssuerRemoved) continue;
    unlinks.push({
      realm,
      realmId: realm.id,
      realmUri: realm.realmUri,
      homeRealmCleared,
      allowedIssuerRemoved,
      homeRealm: homeRealmCleared ? null : realm.homeRealm,
      allowedIssuerIds: realm.allowedIssuerIds.filter((id) => id !== issuer.id),
    });
  }
  return unlinks;
}

/** The plain {@link RealmUnlink} a deletion reports. */
export function realmUnlinkOf(unlink: PlannedUnlink): RealmUnlink {
  return {
    realmId: unlink.realmId,
    realmUri: unlink.realmUri,
    homeRealmCleared: unlink.homeRealmCleared,
    allowedIssuerRemoved: unlink.allowedIssuerRemoved,
  };
}

/** The `realm.updated` entry of a realm that stopped naming a removed issuer. */
export function realmUnlinkAudit(
  actor: Actor,
  issuer: Pick<IssuerRecord, 'id' | 'name'>,
  unlink: PlannedUnlink,
  updated: RealmRecord,
  at: Date,
): NewAuditEntry & { readonly at: Date } {
  return {
    at,
    actor,
    action: 'realm.updated',
    issuerId: null,
    subject: updated.realmUri,
    before: toAuditValue(unlink.realm),
    after: { ...(toAuditValue(updated) as object), reason: `issuer ${issuer.name} (${issuer.id}) removed` },
    refresh: null,
  };
}
