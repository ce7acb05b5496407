import { createHash } from 'node:crypto';

import { ClaimsgateError } from '../lib/errors.js';
import type { ReplayCache } from '../tokens/replay-cache.js';
import { isStoreUnreachable } from './store-errors.js';
import type { StoreOutage } from './store-outage.js';
import type { Store } from './store.js';

/** Expired IDs are purged from the store at most this often. */
const PURGE_INTERVAL_MS = 10 * 60_000;
/** Expired IDs leave the local ledger at most this often. */
const SWEEP_INTERVAL_MS = 60_000;

/** What the replay cache does when the store cannot be reached: decide locally, or refuse the token. */
export const OUTAGE_REPLAY_MODES = ['local', 'refuse'] as const;
export type OutageReplayMode = (typeof OUTAGE_REPLAY_MODES)[number];

export interface StoreReplayCacheOptions {
  /**
   * The clock judging expiry; default the system clock. Give every instance
   * the same source of time: an entry lives until `expiresAt` as judged by
   * the instance that checks it.
   */
  readonly now?: () => Date;
  /**
   * `refuse` (the default): a store that cannot be reached refuses the
   * token (`CG_STORE_UNAVAILABLE`). `local`: the local ledger decides, and
   * the IDs accepted meanwhile are written to the store when it is back.
   */
  readonly whenUnreachable?: OutageReplayMode;
  /** Follows the store's reachability; its recovery writes the IDs accepted meanwhile. */
  readonly outage?: StoreOutage;
  /** Most IDs the local ledger keeps (and most waiting to be written); default 100,000. */
  readonly localEntries?: number;
}

/**
 * IDs this process accepted, by digest, until their expiry (epoch ms). When
 * full of unexpired IDs it drops the oldest only when told it may (the store
 * decides, the ledger is a cache in front of it); when it alone decides (an
 * outage) it refuses instead: an unexpired ID evicted would be accepted again.
 */
class LocalLedger {
  private readonly expiries = new Map<string, number>();
  private sweepAt = 0;
  constructor(private readonly limit: number) {}

  private sweep(at: number): void {
    for (const [id, expiry] of this.expiries) if (expiry <= at) this.expiries.delete(id);
    this.sweepAt = at + SWEEP_INTERVAL_MS;
  }

  /** Records `digest` unless it is known and unexpired: `new`, `known`, or `full` (nothing recorded). */
  reserve(digest: string, expiresAt: number, at: number, mayEvict: boolean): 'new' | 'known' | 'full' {
    if (at >= this.sweepAt) this.sweep(at);
    const known = this.expiries.get(digest);
    if (known !== undefined && known > at) return 'known';
    this.expiries.delete(digest);
    if (this.expiries.size >= this.limit) {
      // Expired IDs leave first (a sweep at most once a second while full).
      if (at >= this.sweepAt - SWEEP_INTERVAL_MS + 1000) this.sweep(at);
      if (this.expiries.size >= this.limit) {
        if (!mayEvict) return 'full';
        // O(1): Map iteration is insertion order, so the first key is the oldest entry.
        const oldest = this.expiries.keys().next();
        if (oldest.done !== true) this.expiries.delete(oldest.value);
      }
    }
    this.expiries.set(digest, expiresAt);
    return 'new';
  }

  forget(digest: string): void {
    this.expiries.delete(digest);
  }
}

/**
 * A replay cache kept in the store, so a token ID accepted by one instance is
 * a replay in every other instance sharing the database (SQLite: the one
 * process owning the file; PostgreSQL: every instance on the schema), in
 * front of a local ledger of the IDs this process accepted (bounded by
 * `localEntries`, each until its token's expiry). An ID in the local ledger
 * is a replay whatever the store says, and costs no round trip.
 *
 * Each ID is recorded as its SHA-256 (`sha256:<hex>`): the store bounds the
 * length of an ID, and a signed token may carry an ID of any length.
 * Expired IDs are purged from the store at most once every ten minutes, by
 * the call that finds the purge due.
 *
 * When the store cannot be reached (`CG_STORE_UNAVAILABLE`, `CG_STORE_TIMEOUT`,
 * or `outage` says so, and then without trying it) and `whenUnreachable` is
 * `local`, the local ledger decides alone and the ID waits to be written to
 * the store (bounded by `localEntries`: when the ledger or the queue is full
 * of unexpired IDs, a new token is refused with `CG_STORE_UNAVAILABLE`, never
 * an unexpired ID forgotten). At the
 * store's recovery the waiting IDs still unexpired are written, so the other
 * instances see them from then on; one the store already held was accepted
 * by another instance too during the outage, and is counted as a conflict.
 * SECURITY: meanwhile a token replayed to another instance within its
 * lifetime is accepted there once more (docs/store-postgres.md).
 *
 * @param nowOrOptions the options, or the clock alone (as in earlier releases).
 * @throws ClaimsgateError the store's failure (from `checkAndStore`): with
 *   `refuse`, or any failure other than an unreachable store; the validator
 *   then rejects the token.
 */
export function createStoreReplayCache(
  store: Store,
  nowOrOptions: StoreReplayCacheOptions | (() => Date) = {},
): ReplayCache {
  if (store === undefined || store === null || typeof store.checkAndStoreReplay !== 'function')
    throw new TypeError('store must be a Store');
  // A clock alone is the signature of the first releases (public API): it keeps working.
  const options: StoreReplayCacheOptions =
    typeof nowOrOptions === 'function' ? { now: nowOrOptions } : nowOrOptions;
  const now = options.now ?? (() => new Date());
  if (typeof now !== 'function') throw new TypeError('now must be a function returning a Date');
  const mode = options.whenUnreachable ?? 'refuse';
  if (!OUTAGE_REPLAY_MODES.includes(mode)) throw new TypeError('whenUnreachable must be local or refuse');
  const limit = options.localEntries ?? 100_000;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError('localEntries must be a positive integer');
  const { outage } = options;
  const ledger = new LocalLedger(limit);
  /** IDs accepted while the store could not be reached, by digest: their expiry. */
  const waiting = new Map<string, Date>();
  let dropped = 0;
  let purgeDueAt = 0;

  /** The refusal of a token that the local ledger cannot hold without forgetting an unexpired one. */
  function ledgerFull(): ClaimsgateError {
    dropped += 1;
    return new ClaimsgateError(
      'CG_STORE_UNAVAILABLE',
      `The store cannot be reached and the local replay ledger holds ${limit} unexpired token IDs: this token is refused rather than checked against a ledger that forgot one.`,
      { detail: { limit } },
    );
  }

  /** Queues `digest` for the store; SECURITY: never drops one (security review 8), throws when full. */
  function wait(digest: string, expiresAt: Date): void {
    if (waiting.size >= limit && !waiting.has(digest)) {
      ledger.forget(digest);
      throw ledgerFull();
    }
    waiting.set(digest, expiresAt);
  }

  outage?.addQueue({
    name: 'replayIds',
    size: () => waiting.size,
    dropped: () => dropped,
    async flush() {
      let written = 0;
      let conflicts = 0;
      for (const [digest, expiresAt] of [...waiting]) {
        const at = now();
        if (expiresAt.getTime() > at.getTime()) {
          const fresh = await store.checkAndStoreReplay(digest, expiresAt, at);
          if (fresh) written += 1;
          else conflicts += 1;
        }
        waiting.delete(digest);
      }
      return { written, conflicts };
    },
  });

  return {
    async checkAndStore(id: string, expiresAt: Date): Promise<boolean> {
      if (typeof id !== 'string' || id === '') throw new TypeError('id must be a non-empty string');
      const digest = digestOf(id);
      const at = now();
      // SECURITY: an ID this process accepted is a replay, even if the store does not know it (yet).
      if (waiting.has(digest)) return false;
      const alone = mode === 'local' && outage !== undefined && !outage.reachable;
      const reserved = ledger.reserve(digest, expiresAt.getTime(), at.getTime(), !alone);
      if (reserved === 'known') return false;
      if (reserved === 'full') throw ledgerFull();
      if (alone) {
        wait(digest, expiresAt);
        return true;
      }
      try {
        if (at.getTime() >= purgeDueAt) {
          purgeDueAt = at.getTime() + PURGE_INTERVAL_MS;
          // Housekeeping only: a purge that fails leaves expired rows behind,
          // which the next purge removes; the check below still decides.
          await store.purgeReplays(at).catch(() => 0);
        }
        // A replay the store knows stays in the ledger: it is refused here from now on without a round trip.
        return await store.checkAndStoreReplay(digest, expiresAt, at);
      } catch (error) {
        if (mode === 'local' && isStoreUnreachable(error)) {
          outage?.report(error);
          wait(digest, expiresAt);
          return true;
        }
        // SECURITY: fails closed — the token is refused rather than accepted
        // without its replay check; it may be posted again once the store answers.
        ledger.forget(digest);
        throw error;
      }
    },
  };
}

function digestOf(id: string): string {
  return `sha256:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
}
