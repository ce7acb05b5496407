import { createHash } from 'node:crypto';

import type { ReplayCache } from '../tokens/replay-cache.js';
import type { Store } from './store.js';

/** Expired IDs are purged from the store at most this often. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * A replay cache kept in the store, so a token ID accepted by one instance is
 * a replay in every other instance sharing the database (SQLite: the one
 * process owning the file; PostgreSQL: every instance on the schema).
 *
 * Each ID is recorded as its SHA-256 (`sha256:<hex>`): the store bounds the
 * length of an ID, and a signed token may carry an ID of any length.
 * Expired IDs are purged at most once every ten minutes, by the call that
 * finds the purge due.
 *
 * @param now The clock judging expiry; default the system clock. Give every
 *   instance the same source of time: an entry lives until `expiresAt` as
 *   judged by the instance that checks it.
 * @throws ClaimsgateError `CG_STORE_UNAVAILABLE` (from `checkAndStore`) when
 *   the store cannot be reached; the validator then rejects the token.
 */
export function createStoreReplayCache(store: Store, now: () => Date = () => new Date()): ReplayCache {
  if (store === undefined || store === null || typeof store.checkAndStoreReplay !== 'function')
    throw new TypeError('store must be a Store');
  if (typeof now !== 'function') throw new TypeError('now must be a function returning a Date');
  let purgeDueAt = 0;

  return {
    async checkAndStore(id: string, expiresAt: Date): Promise<boolean> {
      if (typeof id !== 'string' || id === '') throw new TypeError('id must be a non-empty string');
      const at = now();
      if (at.getTime() >= purgeDueAt) {
        purgeDueAt = at.getTime() + PURGE_INTERVAL_MS;
        // Housekeeping only: a purge that fails leaves expired rows behind,
        // which the next purge removes; the check below still decides.
        await store.purgeReplays(at).catch(() => 0);
      }
      // SECURITY: fails closed — a store error rejects, so the token is refused
      // rather than accepted without its replay check.
      return store.checkAndStoreReplay(digestOf(id), expiresAt, at);
    },
  };
}

function digestOf(id: string): string {
  return `sha256:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
}
