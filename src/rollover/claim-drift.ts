import type { ClaimMappingRecord, IssuerRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import { makeAlert, type Alert } from './alerts.js';
import type { AlertDispatcher } from './dispatch-alerts.js';
import type { Logger } from './structured-log.js';

/** The claims of an accepted token, by type; only the types and whether each has a value are read. */
export type AcceptedClaims = Readonly<Record<string, readonly string[]>>;

/** Most claim types kept per token: a token with more is still accepted, the rest is not recorded. */
const MAX_CLAIM_TYPES = 200;
/** Longest claim type kept (claim types are URIs: long, not that long). */
const MAX_CLAIM_TYPE_LENGTH = 512;

/** A claim type worth keeping: 1 to 512 characters, none of them a control character. */
function keepable(type: string): boolean {
  if (type.length === 0 || type.length > MAX_CLAIM_TYPE_LENGTH) return false;
  for (let index = 0; index < type.length; index += 1) {
    const code = type.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

export interface ClaimObserverOptions {
  readonly store: Pick<Store, 'recordTokenClaimTypes' | 'withRefreshLock'>;
  readonly dispatcher: Pick<AlertDispatcher, 'hasUnfired' | 'dispatch'>;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** Whether a token carries a value for a claim type (what the mapping reads). */
function carries(claims: AcceptedClaims, type: string): boolean {
  return (claims[type]?.length ?? 0) > 0;
}

/**
 * The `claim-missing` alerts of an accepted token: one per claim type the
 * issuer's mapping names that the token lacks — the name claim (the user
 * was named by the token's subject instead) or the group claim (`groups`
 * came out empty). The episode is the mapping's version, so an alert fires
 * once per issuer, claim and mapping: editing the mapping starts a new one.
 * SECURITY: the alert names claim types only, never a value.
 */
export function claimDriftAlerts(
  issuer: Pick<IssuerRecord, 'id' | 'name' | 'label'>,
  mapping: ClaimMappingRecord | undefined,
  claimTypes: readonly string[],
  claims: AcceptedClaims,
): Alert[] {
  if (mapping === undefined) return [];
  const wanted: Array<{ readonly type: string; readonly role: 'name' | 'group' }> = [
    { type: mapping.nameClaim, role: 'name' },
    ...(mapping.groupClaim === null ? [] : [{ type: mapping.groupClaim, role: 'group' as const }]),
  ];
  const carried = claimTypes.length === 0 ? '(none)' : claimTypes.join(', ');
  return wanted
    .filter(({ type }) => !carries(claims, type))
    .map(({ type, role }) =>
      makeAlert({
        kind: 'claim-missing',
        issuer,
        subject: type,
        episode: `${mapping.id}@${mapping.updatedAt.toISOString()}`,
        message:
          role === 'name'
            ? `A token accepted from issuer ${issuer.name} lacks the name claim ${type} that mapping ${mapping.label} reads: the user was named by the token's subject instead. The token carried: ${carried}. Update the mapping (claimsgate mappings edit ${mapping.id} --name-claim <type>).`
            : `A token accepted from issuer ${issuer.name} lacks the group claim ${type} that mapping ${mapping.label} reads: its groups came out empty. The token carried: ${carried}. Update the mapping (claimsgate mappings edit ${mapping.id} --group-claim <type>).`,
        detail: { claimType: type, role, mappingId: mapping.id, mappingLabel: mapping.label, claimTypes },
      }),
    );
}

/**
 * Creates the engine's `recordAcceptedClaims`: keeps the claim types of each
 * issuer's last accepted token in the store (written only when the set
 * changes, so not once per sign-in), and fires `claim-missing` once per
 * episode under the issuer's lock, as every alert is fired. Never throws:
 * a sign-in that was validated is not failed for its bookkeeping.
 */
export function createClaimObserver(
  options: ClaimObserverOptions,
): (
  issuer: IssuerRecord,
  mapping: ClaimMappingRecord | undefined,
  claims: AcceptedClaims,
) => Promise<Alert[]> {
  const { store, dispatcher, now, logger } = options;
  const written = new Map<string, string>();
  return async (issuer, mapping, claims) => {
    const claimTypes = Object.keys(claims).filter(keepable).sort().slice(0, MAX_CLAIM_TYPES);
    const set = JSON.stringify(claimTypes);
    try {
      if (written.get(issuer.id) !== set) {
        await store.recordTokenClaimTypes(issuer.id, claimTypes, now());
        written.set(issuer.id, set);
      }
      const alerts = claimDriftAlerts(issuer, mapping, claimTypes, claims);
      if (!dispatcher.hasUnfired(alerts)) return [];
      // Under the issuer's lock, so that instances sharing the store fire it once; when a refresh
      // holds the lock, a later sign-in fires it.
      return (await store.withRefreshLock(issuer.id, () => dispatcher.dispatch(issuer.id, alerts))) ?? [];
    } catch (error) {
      logger({
        level: 'warn',
        event: 'claims.record-failed',
        issuerId: issuer.id,
        error: error instanceof Error ? error.message : String(error),
      });
      return [];
    }
  };
}
