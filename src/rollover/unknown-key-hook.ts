import type { UnknownKeyEvent } from '../tokens/create-token-validator.js';
import type { TrustSnapshot } from '../tokens/trust-snapshot.js';
import type { IssuerRefresher } from './issuer-refresher.js';
import type { Logger } from './structured-log.js';
import type { TrustLoader } from './trust-loader.js';

/** What became of the unknown-key events, for a metrics endpoint. */
export interface UnknownKeyCounts {
  /** Events that started a refresh. */
  refreshes: number;
  /** Events that waited for a refresh already under way. */
  joined: number;
  /** Events refused by the cooldown. */
  throttled: number;
  /** Events whose issuer is unknown or has no metadata URL. */
  unmapped: number;
}

export interface UnknownKeyHookOptions {
  readonly loader: Pick<TrustLoader, 'records' | 'snapshot'>;
  readonly refresher: Pick<IssuerRefresher, 'refresh' | 'pending' | 'lastStartedAt'>;
  readonly now: () => Date;
  /** Least time between two unknown-key refreshes of one issuer. */
  readonly cooldownMs: number;
  readonly logger: Logger;
  readonly counts: UnknownKeyCounts;
}

/**
 * Creates the validator's unknown-key hook: refreshes the token's issuer
 * (single flight, at most once per cooldown) and returns the new trust, or
 * undefined when no refresh was allowed.
 *
 * The cooldown counts from this instance's last unknown-key refresh of the
 * issuer, not from scheduled ones: an issuer that switches to its next key a
 * few seconds after a scheduled refresh is followed at the first token the
 * new key signs, instead of failing sign-ins until the cooldown ends. The
 * flood bound stays one unknown-key fetch per issuer, instance and cooldown.
 */
export function createUnknownKeyHook(
  options: UnknownKeyHookOptions,
): (event: UnknownKeyEvent) => Promise<TrustSnapshot | undefined> {
  const { loader, refresher, now, cooldownMs, logger, counts } = options;
  /** Issuer ID → when this instance last started an unknown-key refresh of it. */
  const lastUnknownKeyRefresh = new Map<string, number>();
  return async (event) => {
    const trusted = loader.snapshot().findIssuer(event.issuer);
    const issuer =
      trusted === undefined
        ? undefined
        : loader.records().issuers.find((entry) => entry.issuerUri === trusted.issuer);
    if (issuer === undefined || issuer.metadataUrl === null) {
      counts.unmapped += 1;
      return undefined;
    }
    const pending = refresher.pending(issuer.id);
    if (pending !== undefined) {
      counts.joined += 1;
      await pending;
      return loader.snapshot();
    }
    const at = now().getTime();
    const lastAttempt = lastUnknownKeyRefresh.get(issuer.id) ?? -Infinity;
    // SECURITY: tokens naming random certificates must not turn
    // claimsgate into a flood of requests to the issuer.
    if (at - lastAttempt < cooldownMs) {
      counts.throttled += 1;
      return undefined;
    }
    if (lastUnknownKeyRefresh.size > 10_000) lastUnknownKeyRefresh.clear();
    lastUnknownKeyRefresh.set(issuer.id, at);
    counts.refreshes += 1;
    logger({
      level: 'info',
      event: 'refresh.unknown-key',
      issuerId: issuer.id,
      issuer: issuer.name,
      sha1: event.sha1,
      sha256: event.sha256,
      kid: event.kid,
    });
    await refresher.refresh(
      issuer.id,
      { reason: 'unknown-key', observed: { sha1: event.sha1, sha256: event.sha256, kid: event.kid } },
      false,
    );
    return loader.snapshot();
  };
}
