import type { Store } from '../store/store.js';
import type { VerifiedIdentity } from '../tokens/identity.js';
import type { Logger } from './structured-log.js';
import type { TrustLoader } from './trust-loader.js';

/** How often `recordKeyUse` writes for a key that is already active. */
const KEY_USE_WRITE_INTERVAL_MS = 60_000;

export interface KeyUseRecorderOptions {
  readonly store: Pick<Store, 'recordKeyUse'>;
  readonly loader: Pick<TrustLoader, 'records'>;
  readonly now: () => Date;
  readonly logger: Logger;
}

/**
 * Creates the recorder of accepted tokens' keys: the store notes each use
 * (an announced key becomes active), at most once a minute for a key that
 * is already active. A failure to write is logged, never thrown.
 */
export function createKeyUseRecorder(
  options: KeyUseRecorderOptions,
): (identity: Pick<VerifiedIdentity, 'trustedIssuer' | 'signingKey'>) => Promise<void> {
  const { store, loader, now, logger } = options;
  const keyUseWrittenAt = new Map<string, number>();
  return async (identity) => {
    const records = loader.records();
    const issuer = records.issuerByUri(identity.trustedIssuer);
    if (issuer === undefined) return;
    const { sha1, sha256, kid } = identity.signingKey;
    const key = records
      .keysOf(issuer.id)
      .find(
        (entry) =>
          (sha1 !== undefined && entry.sha1 === sha1) ||
          (sha256 !== undefined && entry.sha256 === sha256) ||
          (sha1 === undefined && sha256 === undefined && kid !== undefined && entry.kid === kid),
      );
    if (key === undefined) return;
    const at = now();
    const written = keyUseWrittenAt.get(key.id);
    if (
      written !== undefined &&
      at.getTime() - written < KEY_USE_WRITE_INTERVAL_MS &&
      (key.state !== 'announced' || written >= key.stateChangedAt.getTime())
    ) {
      return;
    }
    keyUseWrittenAt.set(key.id, at.getTime());
    try {
      await store.recordKeyUse(key.id, at);
    } catch (error) {
      // Bookkeeping only: a sign-in that was validated is not failed for it.
      logger({
        level: 'warn',
        event: 'key-use.record-failed',
        keyId: key.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
}
