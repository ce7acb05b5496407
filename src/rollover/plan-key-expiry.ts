import type { IssuerRecord, KeyRecord } from '../store/model.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import { hasExpired, keyExpiredAlert, type Alert } from './alerts.js';

/** What {@link planKeyExpiry} decides for one issuer. */
export interface KeyExpiryPlan {
  /** Usable keys whose certificate has expired and that stop being trusted. */
  readonly expire: readonly KeyRecord[];
  /** The expired key kept trusted because it is the issuer's last usable key, if any. */
  readonly kept: KeyRecord | undefined;
  /** `key-expired` alerts: one per key expired (info), and one for the kept key (critical). */
  readonly alerts: readonly Alert[];
}

/**
 * Decides which of an issuer's keys expire: every usable key (announced,
 * active or retiring; from metadata or entered by hand) whose certificate's
 * notAfter has passed. Pure: the engine applies the result.
 *
 * A key is never expired when that would leave the issuer without a usable
 * key: when no usable key with a valid certificate remains, the expired key
 * whose certificate expired last stays trusted and a critical `key-expired`
 * alert says so. Expired keys are never revived.
 */
export function planKeyExpiry(
  issuer: Pick<IssuerRecord, 'id' | 'name'>,
  keys: readonly KeyRecord[],
  now: Date,
): KeyExpiryPlan {
  const at = now.getTime();
  const usable = keys.filter((key) => key.issuerId === issuer.id && USABLE_KEY_STATES.has(key.state));
  const expired = usable.filter((key) => hasExpired(key, at));
  if (expired.length === 0) return { expire: [], kept: undefined, alerts: [] };
  // SECURITY (availability): an issuer left with no key refuses every
  // sign-in; an expired certificate that still matches the issuer's key is
  // the lesser evil, and the operator is told at once.
  const kept = usable.length === expired.length ? latestExpiry(expired) : undefined;
  const expire = expired.filter((key) => key !== kept);
  return {
    expire,
    kept,
    alerts: [
      ...expire.map((key) => keyExpiredAlert(issuer, key, 'expired')),
      ...(kept === undefined ? [] : [keyExpiredAlert(issuer, kept, 'kept')]),
    ],
  };
}

/** The key whose certificate expires last (ties: the first listed). */
export function latestExpiry<T extends { readonly notAfter?: Date | null | undefined }>(
  keys: readonly T[],
): T | undefined {
  let latest: T | undefined;
  for (const key of keys) {
    if (
      latest === undefined ||
      (key.notAfter?.getTime() ?? -Infinity) > (latest.notAfter?.getTime() ?? -Infinity)
    )
      latest = key;
  }
  return latest;
}
