import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import { mapLimited } from '../lib/map-limited.js';
import type {
  Actor,
  ClaimMappingRecord,
  IssuerRecord,
  NewAuditEntry,
  NewIssuer,
  PendingChangeRecord,
  StoreChange,
} from '../store/model.js';
import type { Store } from '../store/store.js';
import type { UnknownKeyEvent } from '../tokens/create-token-validator.js';
import type { VerifiedIdentity } from '../tokens/identity.js';
import { USABLE_KEY_STATES, type TrustSnapshot } from '../tokens/trust-snapshot.js';
import { createIssuerAdder, type AddedIssuer } from './add-issuer.js';
import { resolveAlertThresholds, type Alert, type AlertThresholds } from './alerts.js';
import { createClaimObserver, type AcceptedClaims } from './claim-drift.js';
import { createAlertDispatcher, type AlertWebhookOptions } from './dispatch-alerts.js';
import { createEngineAlerts } from './engine-alerts.js';
import { createEngineCounts, readEngineMetrics, type EngineMetrics } from './engine-metrics.js';
import { createErrorDigest } from './error-digest.js';
import { createIssuerRefresher, type RefreshResult } from './issuer-refresher.js';
import type { RefreshAttempt, RefreshTrigger } from './plan-refresh.js';
import { createKeyUseRecorder } from './record-key-use.js';
import { createRefreshScheduler, defaultTimers, type EngineTimers } from './refresh-scheduler.js';
import { consoleJsonLogger, type Logger } from './structured-log.js';
import { createTrustLoader, type LoadedRecords } from './trust-loader.js';
import { createUnknownKeyHook } from './unknown-key-hook.js';
import { DEFAULT_PROBATION_SECONDS } from './judge-continuity.js';

export type { AddedIssuer } from './add-issuer.js';
export type { EngineMetrics } from './engine-metrics.js';
export type { RefreshResult } from './issuer-refresher.js';
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
  /**
   * Least time between the starts of two metadata fetches of one issuer that
   * tokens signed by unknown keys cause, counted from any refresh of it;
   * tokens arriving in between wait for the one trailing fetch. Default 2 s.
   */
  readonly fetchSpacingSeconds?: number;
  /** Longest a token signed by an unknown key waits for that fetch before it is refused; default 15 000 ms. */
  readonly unknownKeyWaitMs?: number;
  /** Most tokens waiting for such fetches at once, over every issuer; more are refused at once. Default 1 000. */
  readonly maxWaitingTokens?: number;
  /** How long a key that left the metadata stays trusted; default 3 600 s, 0 retires at once. */
  readonly graceSeconds?: number;
  /**
   * How long a key a metadata document brought in must have been known before
   * it vouches for a later document's continuity (as its signer or as a shared
   * key); default 86 400 s. Keys an administrator added and the issuer's
   * first keys vouch at once.
   */
  readonly continuityProbationSeconds?: number;
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
  /**
   * How often the in-memory trust is read whole from the store in case a
   * change notification was lost; default 300 000 ms. Changes arrive
   * through the change feed within milliseconds; a full read costs in
   * proportion to every issuer and key, so it is kept rare.
   */
  readonly reconcileIntervalMs?: number;
  /** How often every issuer's alerts are checked against the loaded records (expiry, staleness: the passing of time); default 30 000 ms. */
  readonly alertCheckIntervalMs?: number;
  /** How long change notifications are gathered before one reload; default 50 ms. */
  readonly changeDebounceMs?: number;
  /** How many start refreshes run at once; default 8. Unknown-key, scheduled and manual refreshes do not wait for them. */
  readonly startRefreshConcurrency?: number;
  /**
   * Longest `start()` waits for the start refreshes, in milliseconds; default
   * 5 000. Those not done by then go on in the background, so a gateway with
   * thousands of issuers listens within seconds on its last-known-good keys.
   */
  readonly startWaitMs?: number;
}

/** Most refreshes `refreshAll` runs at once. */
const MAX_REFRESH_ALL_CONCURRENCY = 64;

/** A change's load that failed is made again after this long (security review 8). */
const CHANGE_RETRY_MS = 1_000;

/** The engine's records, and whether every change it has been told of is in them. */
export interface EngineDirectory {
  readonly records: LoadedRecords;
  // Each flag below is also false while the store's change notices do not reach this instance
  // (Store.changesFollowed): the records may then lack other instances' changes.
  /**
   * False from a change to an issuer's settings or claim mappings (or one
   * naming no issuer) until the load it caused is done: a reader wanting
   * its own write asks the store meanwhile. Key and refresh changes do not
   * count: they touch trust, which the snapshot answers for.
   */
  readonly issuersCurrent: boolean;
  /** False from a change to a realm until the realms are loaded again. */
  readonly realmsCurrent: boolean;
  /** False from any change seen (keys and refresh states too) until the load it caused is done. */
  readonly allCurrent: boolean;
}

export interface RefreshOptions {
  readonly reason?: RefreshTrigger['reason'];
  /** Fetch even when not due (an administrator's "Refresh now"). */
  readonly force?: boolean;
  readonly observed?: RefreshTrigger['observed'];
}

/** Keeps the trust of every issuer in step with its published metadata. */
export interface RolloverEngine {
  /**
   * Loads trust from the store and refreshes every issuer with a metadata URL
   * (a bounded number at a time), then schedules the next refreshes. Resolves
   * once the start refreshes are done or `startWaitMs` has passed; the rest
   * go on in the background.
   */
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
   * Refreshes every issuer with a metadata URL now, whatever its schedule
   * (an administrator's "Refresh all"), `concurrency` at a time (default 8,
   * at most 64), each as {@link refreshIssuer} with `force`. A refresh that
   * throws (the store failing) counts as a `failure` with its code; the
   * others go on; those the engine's stop abandons are `skipped`. Resolves
   * with one result per issuer, in the store's order.
   * A call made while a run is under way joins that run (its `concurrency`
   * is the run's): repeated calls never fetch an issuer twice over.
   */
  refreshAll(options?: { readonly concurrency?: number }): Promise<RefreshResult[]>;
  /**
   * Creates an issuer from its metadata, fetched and checked already (the
   * document an administrator reviewed), with its first keys, last-known-good
   * document and refresh state in the same store transaction: the issuer
   * exists with its keys, or nothing is stored. Then fires the alerts of
   * that first refresh. The issuer's creation is audited by `actor`, the
   * keys by `refresh` (they come from the document), as after any refresh.
   *
   * @param note audit entries to write in the same transaction, right after
   *   `issuer.created` (an import's `issuer.imported`).
   * @throws ClaimsgateError `CG_META_SIGNING_KEYS_EXPIRED` when every key the
   *   document publishes has expired (nothing is stored); the refusal of a
   *   document a refresh would refuse; `CG_STORE_*` (a name or issuer URI taken).
   */
  addIssuer(
    input: NewIssuer,
    document: RefreshAttempt,
    actor: Actor,
    note?: (issuer: IssuerRecord) => readonly NewAuditEntry[],
  ): Promise<AddedIssuer>;
  /**
   * Approves the issuer's pending change — the document held for lack of
   * key continuity whose SHA-256 the administrator reviewed — and refreshes
   * the issuer at once: the very document approved is applied (the keys it
   * replaces retire at once). A document the endpoint serves meanwhile is
   * judged afresh: the approval covers only what was reviewed.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND` (issuer, or no pending change);
   *   `CG_STORE_CONFLICT` when a newer document replaced the one reviewed; `CG_STORE_*`.
   */
  approvePendingChange(idOrName: string, sha256: string, actor: Actor): Promise<RefreshResult>;
  /**
   * Rejects the issuer's pending change: the issuer keeps its keys, and the
   * same document raises no new alert (a new document is judged afresh).
   *
   * @throws ClaimsgateError as {@link RolloverEngine.approvePendingChange}.
   */
  rejectPendingChange(idOrName: string, sha256: string, actor: Actor): Promise<PendingChangeRecord>;
  /**
   * The validator's unknown-key hook: waits for a fetch of the token's
   * issuer that begins after the token arrived (one per issuer per spacing
   * window, shared by every token arriving meanwhile) and returns the new
   * trust, or undefined when no refresh can help.
   */
  onUnknownKey(event: UnknownKeyEvent): Promise<TrustSnapshot | undefined>;
  /** Notes that a token signed by the identity's key was accepted (an announced key becomes active). */
  recordKeyUse(identity: Pick<VerifiedIdentity, 'trustedIssuer' | 'signingKey'>): Promise<void>;
  /**
   * Notes the claims of a token accepted from the issuer — their types,
   * SECURITY: never their values: the set of the last accepted token is
   * stored (written only when it changes) for an administrator to write a
   * mapping from, and a `claim-missing` warning fires once per issuer,
   * claim and mapping version when the token lacks a claim the mapping
   * reads. Never throws; returns the alerts fired.
   */
  recordAcceptedClaims(
    issuer: IssuerRecord,
    mapping: ClaimMappingRecord | undefined,
    claims: AcceptedClaims,
  ): Promise<Alert[]>;
  /** Rebuilds the in-memory trust from the store now. */
  reload(): Promise<TrustSnapshot>;
  /**
   * The store's issuers, keys, refresh states, realms and claim mappings as
   * last loaded (kept current by the change feed), for readers that must not
   * wait on the store, with whether changes seen since are loaded yet;
   * undefined while the engine is not running or has not loaded.
   */
  directory(): EngineDirectory | undefined;
  /** Evaluates and fires the alerts the current state calls for. */
  checkAlerts(): Promise<Alert[]>;
  metrics(): EngineMetrics;
}

function checkSeconds(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${name} must be a number of at least ${min}; got ${String(value)}.`);
  }
  return value;
}

/**
 * Creates the rollover engine: trust that follows each issuer's metadata by
 * itself. Scheduled refreshes with jitter and conditional GET; a refresh on
 * an unknown key (single flight, spaced per issuer, tokens waiting for the
 * trailing fetch) whose new trust the token is retried against; last-known-good kept when a document is
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
  if ('cooldownSeconds' in options) {
    throw new TypeError(
      'cooldownSeconds was replaced by fetchSpacingSeconds (tokens now wait for the next fetch instead of being refused).',
    );
  }
  const spacingMs = checkSeconds('fetchSpacingSeconds', options.fetchSpacingSeconds ?? 2, 0) * 1000;
  if (spacingMs > 60_000) throw new TypeError('fetchSpacingSeconds must be at most 60.');
  const unknownKeyWaitMs = checkSeconds('unknownKeyWaitMs', options.unknownKeyWaitMs ?? 15_000, 0);
  const maxWaitingTokens = checkSeconds('maxWaitingTokens', options.maxWaitingTokens ?? 1_000, 1);
  const graceSeconds = checkSeconds('graceSeconds', options.graceSeconds ?? 3600, 0);
  const probationSeconds = checkSeconds(
    'continuityProbationSeconds',
    options.continuityProbationSeconds ?? DEFAULT_PROBATION_SECONDS,
    0,
  );
  const retryBaseSeconds = checkSeconds('retryBaseSeconds', options.retryBaseSeconds ?? 30, 1);
  const jitterRatio = checkSeconds('jitterRatio', options.jitterRatio ?? 0.1, 0);
  if (jitterRatio > 0.5) throw new TypeError('jitterRatio must be at most 0.5.');
  const fetchTimeoutMs = checkSeconds('fetchTimeoutMs', options.fetchTimeoutMs ?? 10_000, 1);
  const reconcileIntervalMs = checkSeconds('reconcileIntervalMs', options.reconcileIntervalMs ?? 300_000, 10);
  const alertCheckIntervalMs = checkSeconds(
    'alertCheckIntervalMs',
    options.alertCheckIntervalMs ?? 30_000,
    10,
  );
  const changeDebounceMs = checkSeconds('changeDebounceMs', options.changeDebounceMs ?? 50, 0);
  const startConcurrency = checkSeconds('startRefreshConcurrency', options.startRefreshConcurrency ?? 8, 1);
  if (!Number.isInteger(startConcurrency) || startConcurrency > 256) {
    throw new TypeError(
      `startRefreshConcurrency must be an integer from 1 to 256; got ${String(startConcurrency)}.`,
    );
  }
  const startWaitMs = checkSeconds('startWaitMs', options.startWaitMs ?? 5_000, 0);
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
  /** Counts start() calls: work begun by a start the engine has since stopped (and maybe restarted) ends. */
  let generation = 0;
  let stopController = new AbortController();
  let unsubscribe: (() => void) | undefined;
  let reconcileHandle: unknown;
  let alertCheckHandle: unknown;
  let debounceHandle: unknown;
  const background = new Set<Promise<unknown>>();
  /** Issuers queued for a start refresh that no worker has taken yet. */
  const awaitingStart = new Set<string>();
  const counts = createEngineCounts();
  const scheduler = createRefreshScheduler({
    timers,
    now,
    onDue: (issuerId) => {
      // An issuer still waiting for its start refresh is refreshed by it (and rescheduled by the
      // reload that follows): a scheduled refresh beside it would break the start's bound and
      // fetch the issuer twice (security review, round 7).
      if (running && !awaitingStart.has(issuerId))
        track(refresher.refresh(issuerId, { reason: 'schedule' }, false));
    },
  });
  const loader = createTrustLoader({
    store,
    now,
    logger,
    onLoaded: (loaded, changed) => {
      if (!running) return;
      if (changed === undefined) scheduler.sync(loaded.issuers, loaded.states);
      else scheduler.syncIssuers(changed, (id) => loaded.issuer(id), loaded.states);
    },
  });
  const reloadRecords = (): Promise<void> => loader.reload();
  const reloadIssuers = (issuerIds: readonly string[]): Promise<void> => loader.reloadIssuers(issuerIds);
  const alerts = createEngineAlerts({
    store,
    now,
    logger,
    thresholds,
    dispatcher,
    loader,
    reload: reloadIssuers,
  });
  const checkAlerts = (): Promise<Alert[]> => alerts.checkAll();
  const refresher = createIssuerRefresher({
    store,
    fetch: options.fetch,
    now,
    random,
    timers,
    logger,
    graceSeconds,
    probationSeconds,
    retryBaseSeconds,
    jitterRatio,
    fetchTimeoutMs,
    maxMetadataBytes: options.maxMetadataBytes,
    allowHttp: options.allowHttp ?? false,
    signal: () => stopController.signal,
    fireAlertsLocked: (issuer, planned) => alerts.fireLocked(issuer, planned),
    reload: (issuerIds, keysMoved) => {
      for (const issuerId of issuerIds) refresherLoads.set(issuerId, notices);
      return keysMoved ? reloadIssuers(issuerIds) : loader.reloadRefreshStates(issuerIds);
    },
    counts: counts.refreshes,
  });

  const unknownKeyHook = createUnknownKeyHook({
    loader,
    refresher,
    now,
    spacingMs,
    waitMs: unknownKeyWaitMs,
    maxWaiting: maxWaitingTokens,
    logger,
    counts: counts.unknownKey,
  });

  // The first background error of a kind is logged at once, repeats once a minute with their count.
  const backgroundErrors = createErrorDigest({ logger, timers, event: 'rollover.background-error' });

  function track<T>(promise: Promise<T>): void {
    const settled = promise.then(
      () => undefined,
      (error: unknown) => backgroundErrors.report(error),
    );
    background.add(settled);
    void settled.finally(() => background.delete(settled));
  }

  /** Store changes received, counted: what a refresher's load was asked for after (see onStoreChange). */
  let notices = 0;
  /** Per issuer, {@link notices} when the refresher last asked for the issuer's load. */
  const refresherLoads = new Map<string, number>();

  // Change sequence numbers: the directory is current when every change seen has been loaded.
  let changeSeq = 0;
  let issuersChangedAt = 0;
  let realmsChangedAt = 0;
  let loadedThrough = 0;
  /** Runs a load of the changes seen so far and notes them loaded when it succeeds. */
  function loadingChanges(load: () => Promise<unknown>): Promise<unknown> {
    const through = changeSeq;
    return load().then((result) => {
      loadedThrough = Math.max(loadedThrough, through);
      return result;
    });
  }

  /**
   * What the changes gathered since the last debounced reload touched:
   * issuers to read in full, and issuers of which a refresh that moved no key
   * changed only the refresh state (and pending change).
   */
  let changed: { all: boolean; realms: boolean; issuerIds: Set<string>; stateIds: Set<string> } = {
    all: false,
    realms: false,
    issuerIds: new Set(),
    stateIds: new Set(),
  };

  /**
   * Reloads what the gathered changes touched: the issuers they name (and
   * checks those issuers' alerts), the realms, or everything when a change
   * names no issuer. With thousands of issuers a change costs what it touched.
   */
  function reloadChanged(): Promise<unknown> {
    const gathered = changed;
    const { all, realms, issuerIds, stateIds } = gathered;
    changed = { all: false, realms: false, issuerIds: new Set(), stateIds: new Set() };
    if (all)
      return loadingChanges(reloadRecords)
        .catch(retryLater(gathered))
        .then(() => checkAlerts());
    const ids = [...issuerIds];
    const statesOnly = [...stateIds].filter((id) => !issuerIds.has(id));
    return loadingChanges(() =>
      Promise.all([
        realms ? loader.reloadRealms() : undefined,
        ids.length === 0 ? undefined : reloadIssuers(ids),
        statesOnly.length === 0 ? undefined : loader.reloadRefreshStates(statesOnly),
      ]),
    )
      .catch(retryLater(gathered))
      .then(() => {
        const checked = [...ids, ...statesOnly];
        return checked.length === 0 ? undefined : alerts.checkAll(checked);
      });
  }

  /**
   * A change's load that failed (the store unreachable a moment) is made again a second later, with
   * the changes gathered meanwhile: a revoked key must not wait for the reconcile (security review 8).
   */
  function retryLater(gathered: typeof changed): (error: unknown) => never {
    return (error) => {
      changed.all ||= gathered.all;
      changed.realms ||= gathered.realms;
      for (const id of gathered.issuerIds) changed.issuerIds.add(id);
      for (const id of gathered.stateIds) changed.stateIds.add(id);
      if (running && debounceHandle === undefined)
        debounceHandle = timers.setTimeout(
          () => {
            debounceHandle = undefined;
            track(reloadChanged());
          },
          Math.max(changeDebounceMs, CHANGE_RETRY_MS),
        );
      throw error;
    };
  }

  function onStoreChange(change: StoreChange): void {
    // A session revocation changes nothing of trust.
    if (change.kind === 'session') return;
    refresher.observeChange(change);
    notices += 1;
    // A refresh that changed no key while this process refreshes the issuer: the refresher loads
    // the issuer itself once it is done (and fires its alerts), so a second load here would double
    // the cost of every refresh. A change of keys is always loaded here, whoever made it.
    // SECURITY: the refresher's load covers the change only if it was asked for after the change
    // arrived — true of the change its own refresh made. It is loaded here after all when that
    // refresh asked for its load before (another instance's refresh, committed while this one's
    // load was reading: a document held for an administrator), or never (the refresh failed, its
    // load or its alerts meeting the store unreachable a moment): with the retry of any change's
    // load, not at the reconcile (security review 9).
    const refreshing =
      change.kind === 'refresh' && change.issuerId !== null ? refresher.pending(change.issuerId) : undefined;
    if (refreshing !== undefined) {
      const issuerId = change.issuerId!;
      const seen = notices;
      refreshing.then(
        () => {
          if ((refresherLoads.get(issuerId) ?? 0) < seen) gatherChange(change);
        },
        () => gatherChange(change),
      );
      return;
    }
    gatherChange(change);
  }

  /** Notes what a change touched and arms the debounced load of what was gathered. */
  function gatherChange(change: StoreChange): void {
    changeSeq += 1;
    // A change naming no issuer (the resync after the change feed reconnected) may hide realm
    // changes as well: the realms are not current until its full load is done.
    if (change.kind === 'realm' || change.issuerId === null) realmsChangedAt = changeSeq;
    if (
      change.kind !== 'realm' &&
      (change.kind === 'issuer' || change.kind === 'mapping' || change.issuerId === null)
    )
      issuersChangedAt = changeSeq;
    if (change.kind === 'realm') changed.realms = true;
    else if (change.issuerId === null) changed.all = true;
    // A refresh that added and moved no key (`key` says it did) changed the refresh state, the
    // pending change, the stored document and when keys were last seen: only the first two are trust.
    else if (change.kind === 'refresh') changed.stateIds.add(change.issuerId);
    else changed.issuerIds.add(change.issuerId);
    if (!running || debounceHandle !== undefined) return;
    debounceHandle = timers.setTimeout(() => {
      debounceHandle = undefined;
      track(reloadChanged());
    }, changeDebounceMs);
  }

  async function resolveIssuer(idOrName: string): Promise<IssuerRecord> {
    const records = loader.records();
    const known = records.issuer(idOrName) ?? records.issuerByName(idOrName);
    const issuer = known ?? (await store.getIssuer(idOrName));
    if (issuer === undefined) {
      throw new ClaimsgateError('CG_STORE_NOT_FOUND', `No issuer has the ID or name "${idOrName}".`, {
        detail: { observed: idOrName },
      });
    }
    return issuer;
  }

  /**
   * Refreshes every issuer with a metadata URL, `startConcurrency` at a time:
   * issuers without a usable key first (nobody can sign in through them), then
   * the rest in the store's order. Stops taking new ones when the engine stops (or was restarted since).
   */
  async function refreshAtStart(started: number): Promise<void> {
    const startedAt = now();
    const records = loader.records();
    const issuers = records.issuers;
    const usable = new Set(
      issuers
        .filter((issuer) => records.keysOf(issuer.id).some((key) => USABLE_KEY_STATES.has(key.state)))
        .map((issuer) => issuer.id),
    );
    const queue = issuers
      .filter((issuer) => issuer.metadataUrl !== null)
      .sort((a, b) => Number(usable.has(a.id)) - Number(usable.has(b.id)));
    for (const issuer of queue) awaitingStart.add(issuer.id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (running && generation === started && next < queue.length) {
        const issuer = queue[next]!;
        next += 1;
        awaitingStart.delete(issuer.id);
        await refresher
          .refresh(issuer.id, { reason: 'start', notBefore: startedAt }, false)
          .catch((error: unknown) => {
            backgroundErrors.report(error);
          });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(startConcurrency, queue.length) }, worker));
    } finally {
      for (const issuer of queue) awaitingStart.delete(issuer.id);
    }
  }

  /** Resolves when `work` settles or after `ms`, whichever is first; the timer is cleared either way. */
  async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
    let handle: unknown;
    const elapsed = new Promise<void>((resolve) => {
      handle = timers.setTimeout(resolve, ms);
    });
    try {
      await Promise.race([
        work.then(
          () => undefined,
          () => undefined,
        ),
        elapsed,
      ]);
    } finally {
      timers.clearTimeout(handle);
    }
  }

  /** The run of {@link RolloverEngine.refreshAll} under way, which later calls join. */
  let refreshingAll: Promise<RefreshResult[]> | undefined;

  /** Refreshes every issuer with a metadata URL, forced, `concurrency` at a time (see refreshAll). */
  async function refreshEvery(concurrency: number): Promise<RefreshResult[]> {
    const loaded = engine.directory();
    const issuers = (
      loaded?.issuersCurrent === true ? loaded.records.issuers : await store.listIssuers()
    ).filter((issuer) => issuer.metadataUrl !== null);
    return mapLimited(issuers, concurrency, (issuer) =>
      refresher.refresh(issuer.id, { reason: 'manual' }, true).catch((error: unknown): RefreshResult => {
        // A coded failure (the store unreachable a moment) is this issuer's. A refresh the engine's
        // stop abandoned (its fetch aborted) recorded nothing: skipped, not a failure of the run.
        // Anything else is a bug.
        if (isClaimsgateError(error))
          return { issuerId: issuer.id, outcome: 'failure', code: error.code, alerts: [] };
        if (stopController.signal.aborted) return { issuerId: issuer.id, outcome: 'skipped', alerts: [] };
        throw error;
      }),
    );
  }

  // --- the engine ----------------------------------------------------------

  const engine: RolloverEngine = {
    async start() {
      if (running) return;
      running = true;
      generation += 1;
      const started = generation;
      stopController = new AbortController();
      unsubscribe = store.onChange(onStoreChange);
      // The last-known-good keys are in the store: trust is usable before
      // any fetch, even when every issuer is unreachable.
      await loadingChanges(reloadRecords);
      const startRefreshes = refreshAtStart(started).then(async () => {
        if (!running || generation !== started) return;
        await checkAlerts().catch((error: unknown) =>
          logger({ level: 'error', event: 'alerts.check-failed', error: String(error) }),
        );
      });
      track(startRefreshes);
      await waitAtMost(startRefreshes, startWaitMs);
      // Stopped meanwhile: stop() cleared the timers it knew of, so arm none now (nor a second
      // loop beside a later start's).
      if (!running || generation !== started) return;
      const reconcile = (): void => {
        reconcileHandle = timers.setTimeout(() => {
          if (!running) return;
          track(
            loadingChanges(reloadRecords)
              .then(() => checkAlerts())
              .finally(() => {
                if (running) reconcile();
              }),
          );
        }, reconcileIntervalMs);
      };
      reconcile();
      // The passing of time (a certificate expiring, metadata going stale) needs no reload to be seen.
      const checkLoop = (): void => {
        alertCheckHandle = timers.setTimeout(() => {
          if (!running) return;
          track(
            checkAlerts().finally(() => {
              if (running) checkLoop();
            }),
          );
        }, alertCheckIntervalMs);
      };
      checkLoop();
    },

    async stop() {
      running = false;
      unsubscribe?.();
      unsubscribe = undefined;
      stopController.abort(new Error('The rollover engine was stopped.'));
      scheduler.cancelAll();
      unknownKeyHook.cancelAll();
      if (reconcileHandle !== undefined) timers.clearTimeout(reconcileHandle);
      if (alertCheckHandle !== undefined) timers.clearTimeout(alertCheckHandle);
      if (debounceHandle !== undefined) timers.clearTimeout(debounceHandle);
      reconcileHandle = undefined;
      alertCheckHandle = undefined;
      debounceHandle = undefined;
      await refresher.settle();
      await Promise.allSettled([...background]);
      backgroundErrors.flush();
      await dispatcher.idle();
    },

    snapshot: () => loader.snapshot(),

    async refreshIssuer(idOrName, refreshOptions = {}) {
      const issuer = await resolveIssuer(idOrName);
      return refresher.refresh(
        issuer.id,
        {
          reason: refreshOptions.reason ?? 'manual',
          ...(refreshOptions.observed === undefined ? {} : { observed: refreshOptions.observed }),
        },
        refreshOptions.force ?? false,
      );
    },

    async refreshAll(refreshOptions = {}) {
      const concurrency = checkSeconds('concurrency', refreshOptions.concurrency ?? 8, 1);
      if (!Number.isInteger(concurrency) || concurrency > MAX_REFRESH_ALL_CONCURRENCY)
        throw new TypeError(`concurrency must be a whole number from 1 to ${MAX_REFRESH_ALL_CONCURRENCY}.`);
      // Single flight: a call made while a run is under way (a client that timed out and asked
      // again, a second administrator) joins it. A run of its own would fetch again every issuer
      // the first had done, with twice the fetches at once: each repeat a full round against every
      // identity provider (security review 9).
      if (refreshingAll !== undefined) return refreshingAll;
      const run = refreshEvery(concurrency).finally(() => {
        if (refreshingAll === run) refreshingAll = undefined;
      });
      refreshingAll = run;
      return run;
    },

    addIssuer: createIssuerAdder({
      store,
      now,
      intervalJitter: () => (random() * 2 - 1) * jitterRatio,
      graceSeconds,
      retryBaseSeconds,
      fireAlertsLocked: (issuer, planned) => alerts.fireLocked(issuer, planned),
      reload: reloadIssuers,
      counts: counts.refreshes,
    }),

    async approvePendingChange(idOrName, sha256, actor) {
      const issuer = await resolveIssuer(idOrName);
      await store.decidePendingChange(issuer.id, sha256, 'approved', actor);
      return refresher.refresh(issuer.id, { reason: 'manual' }, true);
    },

    async rejectPendingChange(idOrName, sha256, actor) {
      const issuer = await resolveIssuer(idOrName);
      const decided = await store.decidePendingChange(issuer.id, sha256, 'rejected', actor);
      // Its keys no longer name a pending change in refusals.
      await reloadIssuers([issuer.id]);
      return decided;
    },

    onUnknownKey: unknownKeyHook.onUnknownKey,

    recordKeyUse: createKeyUseRecorder({ store, loader, now, logger }),

    recordAcceptedClaims: createClaimObserver({ store, dispatcher, now, logger }),

    async reload() {
      await loadingChanges(reloadRecords);
      return loader.snapshot();
    },

    checkAlerts,

    directory: () => {
      if (!running || loader.loads() === 0) return undefined;
      // SECURITY: while the store's change notices do not reach this instance (a PostgreSQL
      // LISTEN connection lost), the records may lack other instances' changes: not current
      // (security review 10). The resync sent when the notices are back is loaded like a change.
      const followed = store.changesFollowed();
      return {
        records: loader.records(),
        issuersCurrent: followed && issuersChangedAt <= loadedThrough,
        realmsCurrent: followed && realmsChangedAt <= loadedThrough,
        allCurrent: followed && changeSeq <= loadedThrough,
      };
    },

    metrics: () => readEngineMetrics(counts, loader, dispatcher),
  };
  return engine;
}
