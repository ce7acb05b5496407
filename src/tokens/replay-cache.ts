/**
 * Remembers accepted assertion / token IDs until they expire, so that a
 * captured token cannot be posted twice. The store's implementation (issue
 * "trust that follows the issuer") shares it across instances.
 */
export interface ReplayCache {
  /**
   * Records `id` as used until `expiresAt`. Resolves `true` when the ID was
   * new, `false` when it was already recorded and has not expired — a replay.
   * Must be atomic: two concurrent calls with one ID cannot both get `true`.
   */
  checkAndStore(id: string, expiresAt: Date): Promise<boolean>;
}

export interface MemoryReplayCacheOptions {
  /** Most IDs kept; past it the oldest entries are dropped first. Default 100,000. */
  readonly maxEntries?: number;
  readonly now?: () => Date;
}

/**
 * An in-process replay cache. Entries leave when they expire (swept at most
 * once a minute); when full, the oldest entry is dropped.
 */
export function createMemoryReplayCache(options: MemoryReplayCacheOptions = {}): ReplayCache {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('maxEntries must be a positive integer');
  const now = options.now ?? (() => new Date());
  const expiries = new Map<string, number>();
  let sweepAt = 0;

  function sweep(at: number): void {
    for (const [id, expiresAt] of expiries) if (expiresAt <= at) expiries.delete(id);
    sweepAt = at + 60_000;
  }

  function dropOldest(): void {
    // Map iteration is insertion order: the first key is the oldest entry. O(1),
    // so a flood cannot make eviction itself expensive. Filling the cache needs
    // that many distinct validly signed tokens.
    const oldest = expiries.keys().next();
    if (oldest.done !== true) expiries.delete(oldest.value);
  }

  return {
    checkAndStore(id: string, expiresAt: Date): Promise<boolean> {
      const at = now().getTime();
      if (at >= sweepAt) sweep(at);
      const known = expiries.get(id);
      if (known !== undefined && known > at) return Promise.resolve(false);
      if (expiries.size >= maxEntries) dropOldest();
      expiries.set(id, expiresAt.getTime());
      return Promise.resolve(true);
    },
  };
}
