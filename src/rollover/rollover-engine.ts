import { ClaimsgateError } from '../lib/errors.js';
import type { IssuerRecord, RefreshStateRecord, StoreChange } from '../store/model.js';
import type { Store } from '../store/store.js';
import type { UnknownKeyEvent } from '../tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../tokens/identity.js';
import type { TrustSnapshot } from '../tokens/trust-snapshot.js';
import {
  evaluateAlerts,
  keyLabel,
  resolveAlertThresholds,
  type Alert,
  type AlertThresholds,
} from './alerts.js';
import { createAlertDispatcher, type AlertCounters, type AlertWebhookOptions } from './dispatch-alerts.js';
import { planKeyExpiry } from './plan-key-expiry.js';
import type { RefreshTrigger } from './plan-refresh.js';
import {
  createRefreshScheduler,
  defaultTimers,
  MIN_SCHEDULE_MS,
  type EngineTimers,
} from './refresh-scheduler.js';
import { runRefresh } from './run-refresh.js';
import { consoleJsonLogger, type Logger } from './structured-log.js';
import { createTrustLoader } from './trust-loader.js';

export type { EngineTimers } from './refresh-scheduler.js';

export interface RolloverEngineOptions {
  readonly store: Store;
  /** The fetch for metadata; default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** The fetch for the alert webhook; default `fetch` above. */
  readonly webhookFetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
  /** Uniform in [0, 1); default Math.random. Drives the schedule's jitter. */
  readonly random?: () => number;
  readonly timers?: EngineTimers;
  /** Least time between two unknown-key refreshes of one issuer; default 60 s. */
  readonly cooldownSeconds?: number;
  /** How long a key that left the metadata stays trusted; default 3 600 s, 0 retires at once. */
  readonly graceSeconds?: number;
  /** First retry after a failed refresh, doubled per failure up to the interval; default 30 s. */
  readonly retryBaseSeconds?: number;
  /** Jitter of the refresh schedule, as a fraction of the interval; default 0.1 (±10 %). */
  readonly jitterRatio?: number;
  /** Time allowed for one metadata fetch; default 10 000 ms. */
  readonly fetchTimeoutMs?: number;
  /** Largest metadata document accepted; default 5 MiB. */
  readonly maxMetadataBytes?: number;
  /** Allow plain-http metadata URLs to hosts that are not loopback; default false. */
  readonly allowHttp?: boolean;
  readonly alertThresholds?: Partial<AlertThresholds>;
  readonly webhook?: AlertWebhookOptions;
  readonly logger?: Logger;
  /** How often the in-memory trust is reloaded from the store in case a change notification was missed; default 30 000 ms. */
  readonly reconcileIntervalMs?: number;
  /** How long change notifications are gathered before one reload; default 50 ms. */
  readonly changeDebounceMs?: number;
}

/** How one call of {@link RolloverEngine.refreshIssuer} ended. */
export interface RefreshResult {
  readonly issuerId: string;
  /**
   * `success` / `not-modified` / `failure`: a fetch was made and recorded.
   * `skipped`: no fetch (manual-only issuer, cooldown, or not due).
   * `deferred`: another instance holds the issuer's refresh lock; its result was awaited and reloaded.
   */
  readonly outcome: 'success' | 'not-modified' | 'failure' | 'skipped' | 'deferred';
  /** The error code of a failure. */
  readonly code?: string;
  /** Alerts this refresh fired. */
  readonly alerts: readonly Alert[];
}

export interface RefreshOptions {
  readonly reason?: RefreshTrigger['reason'];
  /** Fetch even when not due or within the cooldown (an administrator's "Refresh now"). */
  readonly force?: boolean;
  readonly observed?: RefreshTrigger['observed'];
}

/** Counters for a metrics endpoint. */
export interface EngineMetrics {
  readonly refreshes: Readonly<Record<RefreshResult['outcome'], number>>;
  readonly unknownKey: {
    readonly refreshes: number;
    readonly joined: number;
    readonly throttled: number;
    readonly unmapped: number;
  };
  readonly reloads: number;
  readonly issuers: number;
  readonly usableKeys: number;
  readonly alerts: AlertCounters;
}

/** Keeps the trust of every issuer in step with its published metadata. */
export interface RolloverEngine {
  /** Loads trust from the store, refreshes every issuer with a metadata URL, and schedules the next refreshes. */
  start(): Promise<void>;
  /** Cancels timers and fetches under way, and waits for work in progress to settle. */
  stop(): Promise<void>;
  /** The current trust, for `createTokenValidator({ trust: () => engine.snapshot() })`. */
  snapshot(): TrustSnapshot;
  /**
   * Refreshes one issuer now. Concurrent calls for one issuer share one
   * fetch; across instances the store's refresh lock keeps it to one.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND` for an unknown issuer; `CG_STORE_*` when the store fails.
   */
  refreshIssuer(idOrName: string, options?: RefreshOptions): Promise<RefreshResult>;
  /**
   * The validator's unknown-key hook: refreshes the token's issuer (single
   * flight, at most once per cooldown) and returns the new trust, or
   * undefined when no refresh was allowed.
   */
  onUnknownKey(event: UnknownKeyEvent): Promise<TrustSnapshot | undefined>;
  /** Notes that a token signed by the identity's key was accepted (an announced key becomes active). */
  recordKeyUse(identity: Pick<VerifiedIdentity, 'trustedIssuer' | 'signingKey'>): Promise<void>;
  /** Rebuilds the in-memory trust from the store now. */
  reload(): Promise<TrustSnapshot>;
  /** Evaluates and fires the alerts the current state calls for. */
  checkAlerts(): Promise<Alert[]>;
  metrics(): EngineMetrics;
}

/** Who expires keys in the audit log: the passing of time, not an administrator or a document. */
const EXPIRY_ACTOR = 'rollover';

/** How often a refresh that found the issuer's lock held looks again. */
const LOCK_POLL_MS = 200;

/** How often `recordKeyUse` writes for a key that is already active. */
const KEY_USE_WRITE_INTERVAL_MS = 60_000;

function checkSeconds(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${name} must be a number of at least ${min}; got ${String(value)}.`);
  }
  return value;
}

/**
 * Creates the rollover engine: trust that follows each issuer's metadata by
 * itself. Scheduled refreshes with jitter and conditional GET; a refresh on
 * an unknown key (single flight, per-issuer cooldown) whose new trust the
 * token is retried against; last-known-good kept when a document is
 * unusable; keys announced, retiring, retired; alerts. Modelled on jose's
 * remote key set (max age, cooldown, one fetch in flight), plus a store
 * shared by every instance.
 *
 * @throws TypeError for a bad option.
 */
export function createRolloverEngine(options: RolloverEngineOptions): RolloverEngine {
  const store = options.store;
  if (store === undefined || store === null) throw new TypeError('store is required.');
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const timers = options.timers ?? defaultTimers;
  const logger = options.logger ?? consoleJsonLogger;
  const cooldownMs = checkSeconds('cooldownSeconds', options.cooldownSeconds ?? 60, 0) * 1000;
  const graceSeconds = checkSeconds('graceSeconds', options.graceSeconds ?? 3600, 0);
  const retryBaseSeconds = checkSeconds('retryBaseSeconds', options.retryBaseSeconds ?? 30, 1);
  const jitterRatio = checkSeconds('jitterRatio', options.jitterRatio ?? 0.1, 0);
  if (jitterRatio > 0.5) throw new TypeError('jitterRatio must be at most 0.5.');
  const fetchTimeoutMs = checkSeconds('fetchTimeoutMs', options.fetchTimeoutMs ?? 10_000, 1);
  const reconcileIntervalMs = checkSeconds('reconcileIntervalMs', options.reconcileIntervalMs ?? 30_000, 10);
  const changeDebounceMs = checkSeconds('changeDebounceMs', options.changeDebounceMs ?? 50, 0);
  const thresholds = resolveAlertThresholds(options.alertThresholds);
  const dispatcher = createAlertDispatcher({
    store,
    logger,
    now,
    rememberSeconds: thresholds.recentWindowSeconds,
    ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
    ...((options.webhookFetch ?? options.fetch) ? { fetch: (options.webhookFetch ?? options.fetch)! } : {}),
  });

  let running = false;
  let stopController = new AbortController();
  let unsubscribe: (() => void) | undefined;
  let reconcileHandle: unknown;
  let debounceHandle: unknown;
  const inFlight = new Map<string, Promise<RefreshResult>>();
  const attemptStartedAt = new Map<string, number>();
  const keyUseWrittenAt = new Map<string, number>();
  const changeWaiters = new Set<(change: StoreChange) => void>();
  const background = new Set<Promise<unknown>>();
  const scheduler = createRefreshScheduler({
    timers,
    now,
    onDue: (issuerId) => {
      if (running) track(refreshById(issuerId, { reason: 'schedule' }, false));
    },
  });
  const loader = createTrustLoader({
    store,
    now,
    logger,
    onLoaded: (loaded) => {
      if (running) scheduler.sync(loaded.issuers, loaded.states);
    },
  });
  const reloadRecords = (): Promise<void> => loader.reload();
  const counts = {
    refreshes: { success: 0, 'not-modified': 0, failure: 0, skipped: 0, deferred: 0 },
    unknownKey: { refreshes: 0, joined: 0, throttled: 0, unmapped: 0 },
  };

  function track<T>(promise: Promise<T>): void {
    const settled = promise.then(
      () => undefined,
      (error: unknown) =>
        logger({
          level: 'error',
          event: 'rollover.background-error',
          error: error instanceof Error ? error.message : String(error),
        }),
    );
    background.add(settled);
    void settled.finally(() => background.delete(settled));
  }

  function onStoreChange(change: StoreChange): void {
    for (const waiter of [...changeWaiters]) waiter(change);
    if (!running || debounceHandle !== undefined) return;
    debounceHandle = timers.setTimeout(() => {
      debounceHandle = undefined;
      track(reloadRecords().then(() => checkAlerts()));
    }, changeDebounceMs);
  }

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

  // --- refreshing ----------------------------------------------------------

  /** Whether a refresh of this kind is not needed now, judged from the stored state. */
  function notDue(
    reason: RefreshTrigger['reason'],
    state: RefreshStateRecord | undefined,
    at: number,
  ): boolean {
    if (state === undefined) return false;
    switch (reason) {
      case 'manual':
        return false;
      case 'unknown-key':
        return state.lastAttemptAt !== null && at - state.lastAttemptAt.getTime() < cooldownMs;
      case 'schedule':
        // Another instance already refreshed and set the next due time.
        return state.nextAttemptAt !== null && state.nextAttemptAt.getTime() - at > MIN_SCHEDULE_MS;
      case 'start':
        // Honour the backoff of a failure streak across restarts.
        return (
          state.consecutiveFailures > 0 && state.nextAttemptAt !== null && state.nextAttemptAt.getTime() > at
        );
    }
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
    const signal = stopController.signal;
    const calledAt = now().getTime();
    const attempt = (afterWaiting: boolean) =>
      store.withRefreshLock(issuerId, async (): Promise<RefreshResult> => {
        const issuer = await store.getIssuer(issuerId);
        if (issuer === undefined) return { issuerId, outcome: 'skipped', alerts: [] };
        if (afterWaiting) {
          // The lock was held when this refresh was asked for. If the holder
          // refreshed meanwhile, its result is in the store; if it held the lock
          // for something else (sending alerts), the refresh is still owed.
          const attemptedAt = (await store.getRefreshState(issuerId))?.lastAttemptAt?.getTime();
          if (attemptedAt !== undefined && attemptedAt >= calledAt)
            return { issuerId, outcome: 'deferred', alerts: [] };
        }
        if (issuer.metadataUrl === null) {
          return { issuerId, outcome: 'skipped', alerts: await fireAlertsLocked(issuer, []) };
        }
        if (!force && notDue(trigger.reason, await store.getRefreshState(issuerId), now().getTime())) {
          return { issuerId, outcome: 'skipped', alerts: [] };
        }
        const plan = await runRefresh(
          {
            store,
            fetch: options.fetch,
            now,
            graceSeconds,
            retryBaseSeconds,
            intervalJitter: (random() * 2 - 1) * jitterRatio,
            fetchTimeoutMs,
            maxMetadataBytes: options.maxMetadataBytes,
            allowHttp: options.allowHttp ?? false,
            signal,
          },
          { ...issuer, metadataUrl: issuer.metadataUrl },
          trigger,
        );
        const state = plan.application.refreshState;
        logger({
          level: plan.outcome === 'failure' ? 'warn' : 'info',
          event: `refresh.${plan.outcome}`,
          issuerId,
          issuer: issuer.name,
          url: issuer.metadataUrl,
          reason: trigger.reason,
          code: plan.error?.code,
          consecutiveFailures: state.consecutiveFailures,
          keysAdded: plan.application.addKeys.length,
          keysChanged: plan.application.updateKeys.filter((update) => update.state !== undefined).length,
          nextAttemptAt: state.nextAttemptAt?.toISOString(),
        });
        const alerts = await fireAlertsLocked(issuer, plan.alerts);
        return {
          issuerId,
          outcome: plan.outcome,
          ...(plan.error === undefined ? {} : { code: plan.error.code }),
          alerts,
        };
      });
    let locked = await attempt(false);
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
    counts.refreshes[result.outcome] += 1;
    await reloadRecords();
    return result;
  }

  /**
   * Expires the issuer's usable keys whose certificate has passed its
   * notAfter (manual keys, and metadata keys between refreshes), keeping
   * the last usable one; returns the `key-expired` alerts. The caller holds
   * the issuer's lock.
   */
  async function expireKeysLocked(issuer: IssuerRecord): Promise<readonly Alert[]> {
    const at = now();
    const plan = planKeyExpiry(issuer, await store.listKeys(issuer.id), at);
    for (const key of plan.expire) {
      await store.setKeyState(
        key.id,
        'expired',
        EXPIRY_ACTOR,
        `its certificate expired ${key.notAfter?.toISOString() ?? ''}`.trimEnd(),
      );
    }
    if (plan.expire.length > 0) {
      logger({
        level: 'info',
        event: 'keys.expired',
        issuerId: issuer.id,
        issuer: issuer.name,
        keys: plan.expire.map((key) => keyLabel(key)),
      });
    }
    return plan.alerts;
  }

  /** Expires keys, evaluates the issuer's alerts from fresh records and fires new ones. The caller holds the issuer's lock. */
  async function fireAlertsLocked(issuer: IssuerRecord, planned: readonly Alert[]): Promise<Alert[]> {
    const expiry = await expireKeysLocked(issuer);
    const [keys, state] = await Promise.all([store.listKeys(issuer.id), store.getRefreshState(issuer.id)]);
    const alerts = [
      ...planned,
      ...expiry,
      ...evaluateAlerts({
        issuers: [issuer],
        keys,
        refreshStates: new Map(state === undefined ? [] : [[issuer.id, state]]),
        now: now(),
        thresholds,
      }),
    ];
    return dispatcher.dispatch(issuer.id, alerts);
  }

  async function checkAlerts(): Promise<Alert[]> {
    const at = now();
    const records = loader.records();
    const alerts = evaluateAlerts({
      issuers: records.issuers,
      keys: records.keys,
      refreshStates: records.states,
      now: at,
      thresholds,
    });
    const fired: Alert[] = [];
    let expired = false;
    for (const issuer of records.issuers) {
      const mine = alerts.filter((alert) => alert.issuerId === issuer.id);
      // Expiry is the passing of time: no refresh is needed to notice it,
      // and an issuer without metadata (or with failing metadata) has none.
      const expiring = planKeyExpiry(issuer, records.keys, at).expire.length > 0;
      if (!expiring && !dispatcher.hasUnfired(mine)) continue;
      // Under the issuer's lock so that instances sharing the store fire once;
      // when it is held, the holder fires them (or the next check does).
      const done = await store.withRefreshLock(issuer.id, () =>
        expiring ? fireAlertsLocked(issuer, []) : dispatcher.dispatch(issuer.id, mine),
      );
      if (done !== undefined) fired.push(...done);
      expired ||= expiring && done !== undefined;
    }
    if (expired) await reloadRecords();
    return fired;
  }

  async function resolveIssuer(idOrName: string): Promise<IssuerRecord> {
    const known = loader
      .records()
      .issuers.find((issuer) => issuer.id === idOrName || issuer.name === idOrName);
    const issuer = known ?? (await store.getIssuer(idOrName));
    if (issuer === undefined) {
      throw new ClaimsgateError('CG_STORE_NOT_FOUND', `No issuer has the ID or name "${idOrName}".`, {
        detail: { observed: idOrName },
      });
    }
    return issuer;
  }

  // --- the engine ----------------------------------------------------------

  const engine: RolloverEngine = {
    async start() {
      if (running) return;
      running = true;
      stopController = new AbortController();
      unsubscribe = store.onChange(onStoreChange);
      // The last-known-good keys are in the store: trust is usable before
      // any fetch, even when every issuer is unreachable.
      await reloadRecords();
      const withMetadata = loader.records().issuers.filter((issuer) => issuer.metadataUrl !== null);
      await Promise.allSettled(
        withMetadata.map((issuer) => refreshById(issuer.id, { reason: 'start' }, false)),
      );
      await checkAlerts().catch((error: unknown) =>
        logger({ level: 'error', event: 'alerts.check-failed', error: String(error) }),
      );
      const reconcile = (): void => {
        reconcileHandle = timers.setTimeout(() => {
          if (!running) return;
          track(
            reloadRecords()
              .then(() => checkAlerts())
              .finally(() => {
                if (running) reconcile();
              }),
          );
        }, reconcileIntervalMs);
      };
      reconcile();
    },

    async stop() {
      running = false;
      unsubscribe?.();
      unsubscribe = undefined;
      stopController.abort(new Error('The rollover engine was stopped.'));
      scheduler.cancelAll();
      if (reconcileHandle !== undefined) timers.clearTimeout(reconcileHandle);
      if (debounceHandle !== undefined) timers.clearTimeout(debounceHandle);
      reconcileHandle = undefined;
      debounceHandle = undefined;
      await Promise.allSettled([...inFlight.values()]);
      await Promise.allSettled([...background]);
      await dispatcher.idle();
    },

    snapshot: () => loader.snapshot(),

    async refreshIssuer(idOrName, refreshOptions = {}) {
      const issuer = await resolveIssuer(idOrName);
      return refreshById(
        issuer.id,
        {
          reason: refreshOptions.reason ?? 'manual',
          ...(refreshOptions.observed === undefined ? {} : { observed: refreshOptions.observed }),
        },
        refreshOptions.force ?? false,
      );
    },

    async onUnknownKey(event) {
      const trusted = loader.snapshot().findIssuer(event.issuer);
      const issuer =
        trusted === undefined
          ? undefined
          : loader.records().issuers.find((entry) => entry.issuerUri === trusted.issuer);
      if (issuer === undefined || issuer.metadataUrl === null) {
        counts.unknownKey.unmapped += 1;
        return undefined;
      }
      const pending = inFlight.get(issuer.id);
      if (pending !== undefined) {
        counts.unknownKey.joined += 1;
        await pending;
        return loader.snapshot();
      }
      const at = now().getTime();
      const lastAttempt = Math.max(
        attemptStartedAt.get(issuer.id) ?? -Infinity,
        loader.records().states.get(issuer.id)?.lastAttemptAt?.getTime() ?? -Infinity,
      );
      // SECURITY: tokens naming random certificates must not turn
      // claimsgate into a flood of requests to the issuer.
      if (at - lastAttempt < cooldownMs) {
        counts.unknownKey.throttled += 1;
        return undefined;
      }
      counts.unknownKey.refreshes += 1;
      logger({
        level: 'info',
        event: 'refresh.unknown-key',
        issuerId: issuer.id,
        issuer: issuer.name,
        sha1: event.sha1,
        sha256: event.sha256,
        kid: event.kid,
      });
      await refreshById(
        issuer.id,
        { reason: 'unknown-key', observed: { sha1: event.sha1, sha256: event.sha256, kid: event.kid } },
        false,
      );
      return loader.snapshot();
    },

    async recordKeyUse(identity) {
      const issuer = loader.records().issuers.find((entry) => entry.issuerUri === identity.trustedIssuer);
      if (issuer === undefined) return;
      const { sha1, sha256, kid } = identity.signingKey;
      const key = loader
        .records()
        .keys.find(
          (entry) =>
            entry.issuerId === issuer.id &&
            ((sha1 !== undefined && entry.sha1 === sha1) ||
              (sha256 !== undefined && entry.sha256 === sha256) ||
              (sha1 === undefined && sha256 === undefined && kid !== undefined && entry.kid === kid)),
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
    },

    async reload() {
      await reloadRecords();
      return loader.snapshot();
    },

    checkAlerts,

    metrics() {
      return {
        refreshes: { ...counts.refreshes },
        unknownKey: { ...counts.unknownKey },
        reloads: loader.loads(),
        issuers: loader.records().issuers.length,
        usableKeys: loader
          .records()
          .issuers.reduce(
            (total, issuer) => total + loader.snapshot().keysForIssuer(issuer.issuerUri).length,
            0,
          ),
        alerts: dispatcher.counters(),
      };
    },
  };
  return engine;
}
