import type { IssuerRecord, RefreshStateRecord } from '../store/model.js';

/** Timers the engine schedules with; injectable so tests control time. */
export interface EngineTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers that do not keep the process alive by themselves. */
export const defaultTimers: EngineTimers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** The longest delay setTimeout takes; a refresh due later is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** No timer is armed sooner than this: a clock in trouble cannot make a refresh loop hot. */
export const MIN_SCHEDULE_MS = 1000;

/** One timer per issuer with a metadata URL, armed for the refresh state's `nextAttemptAt`. */
export interface RefreshScheduler {
  /** Arms, moves or cancels timers to match the issuers and their refresh states. */
  sync(issuers: readonly IssuerRecord[], states: ReadonlyMap<string, RefreshStateRecord>): void;
  /** The same for these issuers only (a partial reload): `issuer` undefined for one that is gone. */
  syncIssuers(
    issuerIds: readonly string[],
    issuer: (id: string) => IssuerRecord | undefined,
    states: ReadonlyMap<string, RefreshStateRecord>,
  ): void;
  cancelAll(): void;
}

export interface RefreshSchedulerOptions {
  readonly timers: EngineTimers;
  readonly now: () => Date;
  /** Called when an issuer's refresh is due. */
  readonly onDue: (issuerId: string) => void;
}

/**
 * Creates the scheduler. The due time comes from the store (the plan put
 * the interval's jitter or the failure backoff into `nextAttemptAt`), so
 * instances sharing a store agree on it and a restart keeps it.
 */
export function createRefreshScheduler(options: RefreshSchedulerOptions): RefreshScheduler {
  const { timers, now } = options;
  const scheduled = new Map<string, { handle: unknown; due: number }>();

  function schedule(issuerId: string, due: number): void {
    const existing = scheduled.get(issuerId);
    if (existing?.due === due) return;
    if (existing !== undefined) timers.clearTimeout(existing.handle);
    // In whole seconds: node keeps a list per distinct delay, and 10,000 issuers' jittered due
    // times made as many lists as timers; a refresh a fraction of a second late is on time.
    const delay = Math.min(
      MAX_TIMER_MS,
      Math.ceil(Math.max(MIN_SCHEDULE_MS, due - now().getTime()) / 1000) * 1000,
    );
    const handle = timers.setTimeout(() => {
      scheduled.delete(issuerId);
      if (due - now().getTime() > MIN_SCHEDULE_MS) schedule(issuerId, due);
      else options.onDue(issuerId);
    }, delay);
    scheduled.set(issuerId, { handle, due });
  }

  return {
    sync(issuers, states) {
      const live = new Set<string>();
      for (const issuer of issuers) {
        if (issuer.metadataUrl === null) continue;
        live.add(issuer.id);
        schedule(issuer.id, states.get(issuer.id)?.nextAttemptAt?.getTime() ?? now().getTime());
      }
      for (const [issuerId, entry] of scheduled) {
        if (live.has(issuerId)) continue;
        timers.clearTimeout(entry.handle);
        scheduled.delete(issuerId);
      }
    },
    syncIssuers(issuerIds, issuerOf, states) {
      for (const issuerId of issuerIds) {
        const issuer = issuerOf(issuerId);
        if (issuer !== undefined && issuer.metadataUrl !== null) {
          schedule(issuerId, states.get(issuerId)?.nextAttemptAt?.getTime() ?? now().getTime());
          continue;
        }
        const entry = scheduled.get(issuerId);
        if (entry === undefined) continue;
        timers.clearTimeout(entry.handle);
        scheduled.delete(issuerId);
      }
    },
    cancelAll() {
      for (const entry of scheduled.values()) timers.clearTimeout(entry.handle);
      scheduled.clear();
    },
  };
}
