import type { IssuerRecord, RefreshStateRecord, StoreChange } from '../store/model.js';
import type { Store } from '../store/store.js';
import type { Alert } from './alerts.js';
import type { FiredAlerts } from './engine-alerts.js';
import type { RefreshTrigger } from './plan-refresh.js';
import { MIN_SCHEDULE_MS, type EngineTimers } from './refresh-scheduler.js';
import { runRefresh } from './run-refresh.js';
import type { Logger } from './structured-log.js';

/** How one call of `RolloverEngine.refreshIssuer` ended. */
export interface RefreshResult {
  readonly issuerId: string;
  /**
   * `success` / `not-modified` / `failure`: a fetch was made and recorded.
   * `skipped`: no fetch (manual-only issuer, not due, or another instance fetched after the waiting tokens arrived).
   * `deferred`: another instance holds the issuer's refresh lock; its result was awaited and reloaded.
   */
  readonly outcome: 'success' | 'not-modified' | 'failure' | 'skipped' | 'deferred';
  /** The error code of a failure. */
  readonly code?: string;
  /** Alerts this refresh fired. */
  readonly alerts: readonly Alert[];
}

export interface IssuerRefresherOptions {
  readonly store: Store;
  /** The fetch for metadata; undefined for `globalThis.fetch`. */
  readonly fetch: typeof globalThis.fetch | undefined;
  readonly now: () => Date;
  /** Uniform in [0, 1); drives the schedule's jitter. */
  readonly random: () => number;
  readonly timers: EngineTimers;
  readonly logger: Logger;
  readonly graceSeconds: number;
  readonly probationSeconds: number;
  readonly retryBaseSeconds: number;
  /** Jitter of the refresh schedule, as a fraction of the interval. */
  readonly jitterRatio: number;
  readonly fetchTimeoutMs: number;
  readonly maxMetadataBytes: number | undefined;
  readonly allowHttp: boolean;
  /** The signal that aborts fetches when the engine stops, as it is when a refresh begins. */
  readonly signal: () => AbortSignal;
  /** Expires keys and fires the issuer's alerts; called holding the issuer's lock. */
  readonly fireAlertsLocked: (issuer: IssuerRecord, planned: readonly Alert[]) => Promise<FiredAlerts>;
  /**
   * Reads these issuers into the in-memory trust again; called after every
   * refresh (of that issuer only). `keysMoved` false: the refresh added,
   * moved and expired no key, and only the issuer's refresh state (and
   * pending change) need reading.
   */
  readonly reload: (issuerIds: readonly string[], keysMoved: boolean) => Promise<void>;
  /** Refreshes counted by outcome. */
  readonly counts: Record<RefreshResult['outcome'], number>;
}

/** Refreshes issuers one fetch at a time each: in this process by single flight, across instances by the store's lock. */
export interface IssuerRefresher {
  /**
   * Refreshes one issuer unless the stored state says it is not due (or
   * `force`). Concurrent calls for one issuer share one refresh; when
   * another instance holds the issuer's lock, waits for its result.
   *
   * @throws ClaimsgateError `CG_STORE_*` when the store fails.
   */
  refresh(issuerId: string, trigger: RefreshTrigger, force: boolean): Promise<RefreshResult>;
  /** The refresh of the issuer under way in this process, if any. */
  pending(issuerId: string): Promise<RefreshResult> | undefined;
  /** When this process last began a refresh of the issuer, in ms since the epoch. */
  lastStartedAt(issuerId: string): number | undefined;
  /** Passes on a store change to refreshes waiting for another instance's lock. */
  observeChange(change: StoreChange): void;
  /** Settles when every refresh under way in this process has settled. */
  settle(): Promise<void>;
}

/** How often a refresh that found the issuer's lock held looks again. */
const LOCK_POLL_MS = 200;

/** Creates the refresher. */
export function createIssuerRefresher(options: IssuerRefresherOptions): IssuerRefresher {
  const { store, now, random, timers, logger, fetchTimeoutMs, fireAlertsLocked } = options;
  const inFlight = new Map<string, Promise<RefreshResult>>();
  const attemptStartedAt = new Map<string, number>();
  const changeWaiters = new Set<(change: StoreChange) => void>();

  /** Resolves at the next change of the issuer's keys or refresh state, or after `timeoutMs`. */
  function waitForChange(issuerId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        changeWaiters.delete(waiter);
        timers.clearTimeout(handle);
        resolve();
      };
      const waiter = (change: StoreChange): void => {
        if (change.issuerId === issuerId && (change.kind === 'refresh' || change.kind === 'key')) done();
      };
      const handle = timers.setTimeout(done, timeoutMs);
      changeWaiters.add(waiter);
    });
  }

  /** Whether a refresh of this kind is not needed now, judged from the stored state. */
  function notDue(trigger: RefreshTrigger, state: RefreshStateRecord | undefined, at: number): boolean {
    if (state === undefined) return false;
    switch (trigger.reason) {
      case 'manual':
        return false;
      case 'unknown-key':
        // Another instance began a fetch after the waiting tokens arrived: its
        // document already shows every key published before them.
        return attemptedSince(trigger, state, at);
      case 'schedule':
        // Another instance already refreshed and set the next due time.
        return state.nextAttemptAt !== null && state.nextAttemptAt.getTime() - at > MIN_SCHEDULE_MS;
      case 'start':
        // Fetched since this start began (a forced refresh, a token's, another
        // instance's start): that document is as new as this one would be.
        // And honour the backoff of a failure streak across restarts.
        return (
          attemptedSince(trigger, state, at) ||
          (state.consecutiveFailures > 0 &&
            state.nextAttemptAt !== null &&
            state.nextAttemptAt.getTime() > at)
        );
    }
  }

  /**
   * Whether a fetch of the issuer began after the trigger's `notBefore` (and
   * not after `at`, this clock's now). SECURITY: an attempt dated later than
   * this clock reads was stamped by a clock ahead of it (the previous run's,
   * before NTP stepped it back, or another instance's) and proves nothing
   * about when the fetch was made: taken as recent, it made every start and
   * unknown-key refresh of the issuer fetch nothing until that clock's next
   * due time, leaving keys the issuer published or withdrew meanwhile
   * unlearned (security review 9). Such a refresh fetches instead, at the
   * cost of one fetch more.
   */
  function attemptedSince(trigger: RefreshTrigger, state: RefreshStateRecord, at: number): boolean {
    if (trigger.notBefore === undefined || state.lastAttemptAt === null) return false;
    const attempted = state.lastAttemptAt.getTime();
    return attempted > trigger.notBefore.getTime() && attempted <= at;
  }

  /** Single flight: the promise is registered before the first await, so concurrent callers share it. */
  function refreshById(issuerId: string, trigger: RefreshTrigger, force: boolean): Promise<RefreshResult> {
    const existing = inFlight.get(issuerId);
    if (existing !== undefined) return existing;
    attemptStartedAt.set(issuerId, now().getTime());
    const promise = performRefresh(issuerId, trigger, force).finally(() => inFlight.delete(issuerId));
    inFlight.set(issuerId, promise);
    return promise;
  }

  async function performRefresh(
    issuerId: string,
    trigger: RefreshTrigger,
    force: boolean,
  ): Promise<RefreshResult> {
    const signal = options.signal();
    const calledAt = now().getTime();
    // The last attempt on record when this refresh found the lock held (null: none yet).
    let seenAttemptAt: number | null = null;
    // Whether this refresh added, moved or expired a key; any outcome but a refresh made here says yes.
    let keysMoved = true;
    const attempt = (afterWaiting: boolean) =>
      store.withRefreshLock(issuerId, async (): Promise<RefreshResult> => {
        const issuer = await store.getIssuer(issuerId);
        if (issuer === undefined) return { issuerId, outcome: 'skipped', alerts: [] };
        if (afterWaiting) {
          // The lock was held when this refresh was asked for. If the holder
          // refreshed meanwhile — a fetch begun after this call, or one in
          // progress at it, which recorded its attempt while this one waited —
          // its result is in the store and is this refresh's too (single flight
          // across instances, as within one). If it held the lock for something
          // else (sending alerts), the refresh is still owed.
          const attemptedAt = (await store.getRefreshState(issuerId))?.lastAttemptAt?.getTime() ?? null;
          if (attemptedAt !== null && (attemptedAt >= calledAt || attemptedAt !== seenAttemptAt))
            return { issuerId, outcome: 'deferred', alerts: [] };
        }
        if (issuer.metadataUrl === null) {
          return { issuerId, outcome: 'skipped', alerts: (await fireAlertsLocked(issuer, [])).alerts };
        }
        if (!force && notDue(trigger, await store.getRefreshState(issuerId), now().getTime())) {
          return { issuerId, outcome: 'skipped', alerts: [] };
        }
        // The issuer may be changed while a fetch is under way (a new metadata URL, policy): that
        // fetch applies nothing, and the refresh is made again from the issuer as it is now (see
        // runRefresh), a few times at most.
        let current: IssuerRecord & { readonly metadataUrl: string } = {
          ...issuer,
          metadataUrl: issuer.metadataUrl,
        };
        const run = (from: IssuerRecord & { readonly metadataUrl: string }) =>
          runRefresh(
            {
              store,
              fetch: options.fetch,
              now,
              graceSeconds: options.graceSeconds,
              probationSeconds: options.probationSeconds,
              retryBaseSeconds: options.retryBaseSeconds,
              intervalJitter: (random() * 2 - 1) * options.jitterRatio,
              fetchTimeoutMs,
              maxMetadataBytes: options.maxMetadataBytes,
              allowHttp: options.allowHttp,
              signal,
            },
            from,
            trigger,
          );
        let plan = await run(current);
        for (let tries = 1; plan === undefined; tries += 1) {
          const moved = await store.getIssuer(issuerId);
          if (moved === undefined || tries >= 3) return { issuerId, outcome: 'skipped', alerts: [] };
          if (moved.metadataUrl === null)
            return { issuerId, outcome: 'skipped', alerts: (await fireAlertsLocked(moved, [])).alerts };
          current = { ...moved, metadataUrl: moved.metadataUrl };
          plan = await run(current);
        }
        const state = plan.application.refreshState;
        logger({
          level: plan.outcome === 'failure' ? 'warn' : 'info',
          event: `refresh.${plan.outcome}`,
          issuerId,
          issuer: current.name,
          url: current.metadataUrl,
          reason: trigger.reason,
          code: plan.error?.code,
          consecutiveFailures: state.consecutiveFailures,
          keysAdded: plan.application.addKeys.length,
          keysChanged: plan.application.updateKeys.filter((update) => update.state !== undefined).length,
          nextAttemptAt: state.nextAttemptAt?.toISOString(),
        });
        const fired = await fireAlertsLocked(current, plan.alerts);
        const { addKeys, updateKeys } = plan.application;
        keysMoved =
          fired.keysExpired > 0 ||
          addKeys.length > 0 ||
          updateKeys.some((update) => update.state !== undefined);
        const alerts = fired.alerts;
        return {
          issuerId,
          outcome: plan.outcome,
          ...(plan.error === undefined ? {} : { code: plan.error.code }),
          alerts,
        };
      });
    let locked = await attempt(false);
    if (locked === undefined)
      seenAttemptAt = (await store.getRefreshState(issuerId))?.lastAttemptAt?.getTime() ?? null;
    // Another instance holds the issuer's lock: wait for it to be released (a
    // change notification, or a short poll in case the notification came
    // before this wait began), then look again, until a refresh's time is up.
    for (
      let waits = Math.ceil((fetchTimeoutMs + 2000) / LOCK_POLL_MS);
      locked === undefined && waits > 0;
      waits -= 1
    ) {
      if (signal.aborted) break;
      await waitForChange(issuerId, LOCK_POLL_MS);
      locked = await attempt(true);
    }
    const result: RefreshResult = locked ?? { issuerId, outcome: 'deferred', alerts: [] };
    options.counts[result.outcome] += 1;
    await options.reload([issuerId], keysMoved);
    return result;
  }

  return {
    refresh: refreshById,
    pending: (issuerId) => inFlight.get(issuerId),
    lastStartedAt: (issuerId) => attemptStartedAt.get(issuerId),
    observeChange(change) {
      for (const waiter of [...changeWaiters]) waiter(change);
    },
    async settle() {
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
