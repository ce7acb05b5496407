import { ClaimsgateError } from '../lib/errors.js';
import type { NewSessionRevocation } from './model.js';
import { isStoreUnreachable } from './store-errors.js';
import type { Store } from './store.js';

/** What a write-behind queue wrote when the store came back. */
export interface QueueFlush {
  readonly written: number;
  /** Entries the store already held from another instance (for replay IDs: a token accepted twice). */
  readonly conflicts?: number;
}

/**
 * Records kept while the store is unreachable and written when it is back.
 * `flush` writes what it can and throws the store's error at the first
 * write that fails; what it has not written stays queued.
 */
export interface OutageQueue {
  readonly name: string;
  /** Records waiting. */
  size(): number;
  /** Records dropped because the queue was full, since the start. */
  dropped(): number;
  flush(): Promise<QueueFlush>;
}

/** A change of the store's reachability, for the log, the alert and the metrics. */
export type StoreOutageEvent =
  | {
      readonly kind: 'down';
      readonly since: Date;
      /** The error code that showed it (`CG_STORE_UNAVAILABLE`). */
      readonly code: string;
      /** The store's message: names the host and database, never a password. For the log only. */
      readonly message: string;
    }
  | {
      readonly kind: 'up';
      readonly since: Date;
      readonly at: Date;
      readonly durationMs: number;
      /** Queued records written, by queue name. */
      readonly written: Readonly<Record<string, number>>;
      /** Conflicts met while writing them, by queue name (only queues that had any). */
      readonly conflicts: Readonly<Record<string, number>>;
      /** Records still queued (a write failed; they are written when the store is back again). */
      readonly stillQueued: number;
    };

/** The reachability of the store as this instance knows it. */
export interface StoreOutageStatus {
  readonly reachable: boolean;
  /** When the current outage began; undefined while reachable. */
  readonly since: Date | undefined;
  /** The code of the failure that began it. */
  readonly code: string | undefined;
  /** Outages since the start. */
  readonly outages: number;
  /** Records waiting in the write-behind queues. */
  readonly queued: number;
  /** Records dropped from full queues since the start. */
  readonly dropped: number;
}

export interface StoreOutageOptions {
  readonly store: Store;
  readonly now?: () => Date;
  /** While unreachable, the store is tried this often (a cheap read). Default 1,000 ms. */
  readonly probeIntervalMs?: number;
  /** Most key-use, claim-type and revocation records each queue holds. Default 10,000. */
  readonly queueLimit?: number;
}

/**
 * Follows whether the store can be reached, and lets the gateway keep
 * signing users in while it cannot (issue 13). `store` is the store to use
 * instead of the one given: every call through it reports what it met.
 */
export interface StoreOutage {
  /** The store, watched; its bookkeeping writes are queued while the database cannot be reached. */
  readonly store: Store;
  /** The store given to `createStoreOutage`. */
  readonly unwatched: Store;
  /** False from a call's `CG_STORE_UNAVAILABLE` until a later call or probe succeeds. */
  readonly reachable: boolean;
  status(): StoreOutageStatus;
  /**
   * Notes a failure met outside the watched store (a caller of the raw
   * store). Returns whether it says the store is unreachable.
   */
  report(error: unknown): boolean;
  /** Adds a queue written at each recovery (in the order added). */
  addQueue(queue: OutageQueue): void;
  /** Tells `listener` of each outage and recovery (it must not throw); returns the unsubscribe. */
  subscribe(listener: (event: StoreOutageEvent) => void): () => void;
  /** Stops probing; the watched store's `close` does it too. */
  stop(): void;
}

const DEFAULT_PROBE_INTERVAL_MS = 1_000;
const DEFAULT_QUEUE_LIMIT = 10_000;

/** A map that keeps at most `limit` entries, dropping the oldest first, and counts what it dropped. */
class BoundedMap<K, V> {
  readonly entries = new Map<K, V>();
  droppedCount = 0;
  constructor(private readonly limit: number) {}

  /** Sets the key's value; when full, drops the oldest entry, or refuses (returns false) when `dropOldest` is false. */
  set(key: K, value: V, dropOldest = true): boolean {
    if (!dropOldest && !this.entries.has(key) && this.entries.size >= this.limit) return false;
    // Re-inserted at the end: the newest value of a key is kept, and it is the last to be dropped.
    this.entries.delete(key);
    if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) {
        this.entries.delete(oldest.value);
        this.droppedCount += 1;
      }
    }
    this.entries.set(key, value);
    return true;
  }
}

/**
 * A queue keyed by what the record is about (a key, an issuer, a session):
 * a second record of the same thing replaces the first.
 */
function keyedQueue<V>(
  name: string,
  limit: number,
  key: (value: V) => string,
  write: (value: V) => Promise<unknown>,
  dropOldest = true,
): OutageQueue & { add(value: V): boolean } {
  const waiting = new BoundedMap<string, V>(limit);
  return {
    name,
    add: (value) => waiting.set(key(value), value, dropOldest),
    size: () => waiting.entries.size,
    dropped: () => waiting.droppedCount,
    async flush() {
      let written = 0;
      for (const [id, value] of [...waiting.entries]) {
        try {
          await write(value);
          written += 1;
        } catch (error) {
          if (isStoreUnreachable(error)) throw error;
          // The record's own failure (its key was removed meanwhile): dropped, the rest still written.
        }
        // A newer record queued meanwhile stays for the next flush.
        if (waiting.entries.get(id) === value) waiting.entries.delete(id);
      }
      return { written };
    },
  };
}

/** The names of a store's members, own and inherited (a class's methods), but Object's. */
function memberNames(store: Store): Set<string> {
  const names = new Set<string>();
  for (
    let level: object | null = store;
    level !== null && level !== Object.prototype;
    level = Object.getPrototypeOf(level) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(level)) if (name !== 'constructor') names.add(name);
  }
  return names;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Watches `store` for outages. Any call that fails with `CG_STORE_UNAVAILABLE`
 * marks it unreachable (a timeout is load, not an outage); then it is probed every
 * `probeIntervalMs` (a list of realms), and the first call or probe begun
 * after the outage began that succeeds marks it reachable again. A result of
 * a call begun before the last change is ignored, so a slow call cannot flip
 * the state back.
 *
 * While unreachable, the watched store's bookkeeping writes do not fail:
 * `recordKeyUse` (one record per key, the latest use), `recordTokenClaimTypes`
 * (one per issuer, the latest set) and `revokeSessions` (one per session or
 * user) are queued, bounded by `queueLimit` each (the oldest is dropped
 * first), and written at the recovery with every queue added by `addQueue`
 * (the replay cache's IDs). They are held in memory only: a process that
 * stops during the outage loses them (docs/operations.md).
 *
 * @throws TypeError for a bad option.
 */
export function createStoreOutage(options: StoreOutageOptions): StoreOutage {
  const { store } = options;
  if (store === undefined || store === null || typeof store.listRealms !== 'function')
    throw new TypeError('store must be a Store');
  const now = options.now ?? (() => new Date());
  const probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  if (!Number.isInteger(probeIntervalMs) || probeIntervalMs < 10)
    throw new TypeError('probeIntervalMs must be an integer of at least 10');
  const queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
  if (!Number.isInteger(queueLimit) || queueLimit < 1)
    throw new TypeError('queueLimit must be a positive integer');
  const listeners = new Set<(event: StoreOutageEvent) => void>();
  const onEvent = (event: StoreOutageEvent): void => {
    for (const listener of listeners) listener(event);
  };

  let reachable = true;
  let since: Date | undefined;
  let code: string | undefined;
  let outages = 0;
  /** Changes at every outage and recovery: a call's result counts only within the epoch it began in. */
  let epoch = 0;
  let probe: NodeJS.Timeout | undefined;
  let stopped = false;
  let flushing: Promise<void> | undefined;
  const queues: OutageQueue[] = [];

  const keyUses = keyedQueue<{ id: string; at: Date }>(
    'keyUses',
    queueLimit,
    (use) => use.id,
    (use) => store.recordKeyUse(use.id, use.at),
  );
  const claimTypes = keyedQueue<{ issuerId: string; claimTypes: readonly string[]; at: Date }>(
    'claimTypes',
    queueLimit,
    (record) => record.issuerId,
    (record) => store.recordTokenClaimTypes(record.issuerId, record.claimTypes, record.at),
  );
  const revocations = keyedQueue<NewSessionRevocation>(
    'revocations',
    queueLimit,
    (revocation) => ('sid' in revocation ? `sid:${revocation.sid}` : `user:${revocation.user}`),
    (revocation) => store.revokeSessions(revocation),
    // SECURITY: a sign-out is never dropped (a flood of one's own sign-outs must not push out
    // another user's): a full queue refuses the new one instead (security review 8).
    false,
  );
  queues.push(keyUses, claimTypes, revocations);

  function markDown(error: unknown): void {
    if (!reachable || stopped) return;
    reachable = false;
    epoch += 1;
    outages += 1;
    since = now();
    code = (error as { code?: string }).code ?? 'CG_STORE_UNAVAILABLE';
    onEvent({
      kind: 'down',
      since,
      code,
      message: error instanceof Error ? error.message : String(error),
    });
    scheduleProbe();
  }

  function scheduleProbe(): void {
    if (probe !== undefined || stopped) return;
    probe = setTimeout(() => {
      probe = undefined;
      if (reachable || stopped) return;
      const begun = epoch;
      store.listRealms().then(
        () => markUp(begun),
        (error: unknown) => {
          if (!isStoreUnreachable(error)) markUp(begun);
          else scheduleProbe();
        },
      );
    }, probeIntervalMs);
    probe.unref();
  }

  function markUp(begun: number): void {
    if (reachable || begun !== epoch || stopped) return;
    reachable = true;
    epoch += 1;
    const began = since ?? now();
    since = undefined;
    code = undefined;
    if (probe !== undefined) clearTimeout(probe);
    probe = undefined;
    const previous = flushing ?? Promise.resolve();
    flushing = previous.then(() => flushAll(began)).finally(() => (flushing = undefined));
  }

  async function flushAll(began: Date): Promise<void> {
    const written: Record<string, number> = {};
    const conflicts: Record<string, number> = {};
    for (const queue of queues) {
      if (!reachable) break;
      try {
        const result = await queue.flush();
        written[queue.name] = result.written;
        if ((result.conflicts ?? 0) > 0) conflicts[queue.name] = result.conflicts!;
      } catch (error) {
        // The store went away again: what is left stays queued for the next recovery.
        if (!isStoreUnreachable(error)) continue;
        markDown(error);
        break;
      }
    }
    const at = now();
    onEvent({
      kind: 'up',
      since: began,
      at,
      durationMs: at.getTime() - began.getTime(),
      written,
      conflicts,
      stillQueued: queued(),
    });
  }

  function queued(): number {
    return queues.reduce((sum, queue) => sum + queue.size(), 0);
  }

  /** Reports the outcome of a call begun in `begun`. */
  function observe<T>(begun: number, result: Promise<T>): Promise<T> {
    return result.then(
      (value) => {
        markUp(begun);
        return value;
      },
      (error: unknown) => {
        if (begun === epoch && isStoreUnreachable(error)) markDown(error);
        throw error;
      },
    );
  }

  /** A bookkeeping write: queued while unreachable, or when the write finds the store unreachable. */
  function queuedWrite<T>(
    queue: { readonly name: string; add(value: T): boolean },
    value: T,
    write: () => Promise<unknown>,
  ): Promise<void> {
    const enqueue = (): void => {
      if (queue.add(value)) return;
      throw new ClaimsgateError(
        'CG_STORE_UNAVAILABLE',
        `The store cannot be reached and ${queueLimit} records (${queue.name}) already wait to be written: this one is refused rather than lost.`,
        { detail: { queue: queue.name, limit: queueLimit } },
      );
    };
    if (!reachable) {
      try {
        enqueue();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return Promise.resolve();
    }
    return observe(epoch, write()).then(
      () => undefined,
      (error: unknown) => {
        if (!isStoreUnreachable(error)) throw error;
        enqueue();
      },
    );
  }

  const watched = {} as Record<string, unknown>;
  for (const name of memberNames(store)) {
    const members = store as unknown as Record<string, unknown>;
    const value = members[name];
    watched[name] =
      typeof value === 'function'
        ? (...args: unknown[]): unknown => {
            const begun = epoch;
            // Looked up at each call, so a method replaced on the store later (a test's spy) is the one called.
            const method = members[name] as (...a: unknown[]) => unknown;
            const result: unknown = method.apply(store, args);
            return isThenable(result) ? observe(begun, Promise.resolve(result)) : result;
          }
        : value;
  }
  const watchedStore: Store = {
    ...(watched as unknown as Store),
    recordKeyUse: (id, at) => queuedWrite(keyUses, { id, at }, () => store.recordKeyUse(id, at)),
    recordTokenClaimTypes: (issuerId, types, at) =>
      queuedWrite(claimTypes, { issuerId, claimTypes: [...types], at }, () =>
        store.recordTokenClaimTypes(issuerId, types, at),
      ).then(() => true),
    revokeSessions: (revocation) =>
      queuedWrite(revocations, revocation, () => store.revokeSessions(revocation)),
    close: async () => {
      stop();
      await store.close();
    },
  };

  function stop(): void {
    stopped = true;
    if (probe !== undefined) clearTimeout(probe);
    probe = undefined;
  }

  return {
    store: watchedStore,
    unwatched: store,
    get reachable() {
      return reachable;
    },
    status: () => ({
      reachable,
      since,
      code,
      outages,
      queued: queued(),
      dropped: queues.reduce((sum, queue) => sum + queue.dropped(), 0),
    }),
    report(error) {
      if (!isStoreUnreachable(error)) return false;
      markDown(error);
      return true;
    },
    addQueue(queue) {
      queues.push(queue);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop,
  };
}
