import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isErrorCode, type ErrorCode } from '../lib/error-codes.js';
import type { RolloverEngine } from '../rollover/rollover-engine.js';
import type { SignInProtocol } from '../session/sign-in-state.js';
import type { StoreOutage } from '../store/store-outage.js';
import type { Store } from '../store/store.js';
import {
  createTrustFiguresCache,
  KEY_STATES,
  type FiguresRecords,
  type IssuerFigures,
} from './trust-figures.js';

/** One answered HTTP request, as counted by `/metrics`. */
export interface RequestObservation {
  readonly method: string;
  /** The route pattern (`/signin/wsfed`), never the URL: label values must stay few. */
  readonly route: string;
  readonly statusCode: number;
  readonly durationSeconds: number;
}

/** What the gateway counts for `/metrics`, beyond the rollover engine's own figures. */
export interface GatewayMetrics {
  /** One sign-in callback's outcome: a validated token and a session, or a refusal with its code. */
  recordSignIn(protocol: SignInProtocol, outcome: 'success' | 'failure', code?: ErrorCode): void;
  /** One answered HTTP request (the `claimsgate_http_request_duration_seconds` histogram). */
  recordRequest(observation: RequestObservation): void;
  /** The Prometheus text exposition format's content type. */
  readonly contentType: string;
  /**
   * Every metric in the Prometheus text format, after reading the engine's
   * counters and the store's figures (the latter cached; see
   * {@link GatewayMetricsOptions.storeCacheMs}). A store that fails is
   * reported by `claimsgate_store_up 0`, never thrown.
   */
  render(): Promise<string>;
  /** The private registry (never prom-client's global one), for tests and extensions. */
  readonly registry: Registry;
}

/** Options of {@link createGatewayMetrics}; without store and engine only the gateway's own counters are exported. */
export interface GatewayMetricsOptions {
  readonly store?: Pick<Store, 'listIssuers' | 'listKeys' | 'listRefreshStates' | 'listRealms'>;
  /**
   * The rollover engine's loaded records, when every change seen is loaded:
   * the per-issuer figures come from them, and a scrape asks the store only
   * for its realms (to know it answers). Default: figures read from the store.
   */
  readonly records?: () => FiguresRecords | undefined;
  readonly engine?: Pick<RolloverEngine, 'metrics'>;
  /**
   * The watch on the store's outages: while it says unreachable, a scrape
   * reports `claimsgate_store_up 0` without trying the store, and sign-ins
   * are also counted in `claimsgate_store_outage_sign_ins_total`.
   */
  readonly storeOutage?: Pick<StoreOutage, 'reachable' | 'status'>;
  /** The clock for ages and days to expiry; default the system clock. */
  readonly now?: () => Date;
  /** How long one read of the store serves scrapes, in milliseconds; default 5 000. */
  readonly storeCacheMs?: number;
  /** Add Node's process metrics (`process_*`, `nodejs_*`, standard names, no prefix); default false. */
  readonly processMetrics?: boolean;
  /** Told when a scrape could not read the store (for the log). */
  readonly onStoreError?: (error: unknown) => void;
  /**
   * At most this many issuers get per-issuer series; default 200
   * (`metrics.issuerSeriesLimit`). With more issuers, those that need
   * attention come first ({@link issuerCondition}) and the healthy ones are
   * counted in `claimsgate_issuers_by_condition` only, so `/metrics` stays
   * small at 10,000 issuers.
   */
  readonly issuerSeriesLimit?: number;
}

/** Why an issuer needs attention, most urgent first; `healthy` when it does not. */
export const ISSUER_CONDITIONS = [
  'no_usable_key',
  'last_key_expiring',
  'refresh_failing',
  'refresh_stale',
  'key_expiring',
  'healthy',
] as const;
export type IssuerCondition = (typeof ISSUER_CONDITIONS)[number];

/** Days before an expiry that make an issuer's condition `last_key_expiring` / `key_expiring`. */
const LAST_KEY_EXPIRY_DAYS = 7;
const KEY_EXPIRY_DAYS = 30;

/**
 * The most urgent condition of one issuer: no usable key; its last usable
 * key expiring within 7 days; refreshes failing (or none has succeeded);
 * its last success older than twice its interval; a usable key expiring
 * within 30 days; else healthy. Pure.
 */
export function issuerCondition(figure: IssuerFigures, at: Date): IssuerCondition {
  const usable = figure.keysByState.announced + figure.keysByState.active + figure.keysByState.retiring;
  if (usable === 0) return 'no_usable_key';
  const days = (date: Date): number => (date.getTime() - at.getTime()) / DAY_MS;
  if (figure.latestExpiry !== null && days(figure.latestExpiry) < LAST_KEY_EXPIRY_DAYS)
    return 'last_key_expiring';
  if (figure.refresh !== undefined) {
    const { lastSuccessAt, consecutiveFailures, intervalSeconds } = figure.refresh;
    if (consecutiveFailures > 0 || lastSuccessAt === null) return 'refresh_failing';
    if (at.getTime() - lastSuccessAt.getTime() > 2 * intervalSeconds * 1000) return 'refresh_stale';
  }
  if (figure.soonestExpiry !== null && days(figure.soonestExpiry) < KEY_EXPIRY_DAYS) return 'key_expiring';
  return 'healthy';
}

/**
 * The issuers that get per-issuer series: all of them up to `limit`; beyond
 * it, those that need attention, most urgent first (then by name), up to
 * `limit`. Pure.
 */
export function issuersWithSeries(
  figures: readonly IssuerFigures[],
  at: Date,
  limit: number,
): { readonly shown: readonly IssuerFigures[]; readonly conditions: ReadonlyMap<IssuerCondition, number> } {
  const conditions = new Map<IssuerCondition, number>(ISSUER_CONDITIONS.map((condition) => [condition, 0]));
  const ranked = figures.map((figure) => {
    const condition = issuerCondition(figure, at);
    conditions.set(condition, (conditions.get(condition) ?? 0) + 1);
    return { figure, rank: ISSUER_CONDITIONS.indexOf(condition), healthy: condition === 'healthy' };
  });
  if (figures.length <= limit) return { shown: figures, conditions };
  const shown = ranked
    .filter((entry) => !entry.healthy)
    .sort((a, b) => a.rank - b.rank || (a.figure.issuer < b.figure.issuer ? -1 : 1))
    .slice(0, limit)
    .map((entry) => entry.figure);
  return { shown, conditions };
}

const PROTOCOLS: ReadonlySet<string> = new Set<SignInProtocol>(['wsfed', 'saml2', 'oidc']);
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const DAY_MS = 86_400_000;

/**
 * Creates the gateway's metrics on a private prom-client registry: sign-ins
 * by protocol, outcome and code; HTTP requests by method, route and status;
 * the rollover engine's refreshes, unknown-key events, reloads and alerts
 * (read from `engine.metrics()` at scrape); and per issuer, from the store at
 * scrape (cached), its keys by state, the age of its last good refresh and
 * the days until its usable keys expire.
 *
 * SECURITY / cardinality: every label value is drawn from a closed set
 * (protocols, registered error codes, outcomes, key states, HTTP methods and
 * route patterns) or from the issuers table (names an administrator chose);
 * never a user name, a URL or anything else a request carries.
 *
 * @throws TypeError for a bad `storeCacheMs` or `issuerSeriesLimit`.
 */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const now = options.now ?? (() => new Date());
  const storeCacheMs = options.storeCacheMs ?? 5_000;
  if (!Number.isFinite(storeCacheMs) || storeCacheMs < 0) {
    throw new TypeError(`storeCacheMs must be a number of at least 0; got ${String(storeCacheMs)}.`);
  }
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });

  const signIns = new Counter({
    name: 'claimsgate_sign_ins_total',
    help: 'Sign-in callbacks (token validations) by protocol, outcome and, for failures, error code.',
    labelNames: ['protocol', 'outcome', 'code'] as const,
    registers,
  });
  const requests = new Histogram({
    name: 'claimsgate_http_request_duration_seconds',
    help: 'HTTP requests answered, by method, route pattern and status code, with their duration.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const engineFigures = options.engine === undefined ? undefined : createEngineCounters(registers);
  const { storeOutage } = options;
  const outageFigures = storeOutage === undefined ? undefined : createOutageFigures(registers);
  const issuerSeriesLimit = options.issuerSeriesLimit ?? 200;
  if (!Number.isInteger(issuerSeriesLimit) || issuerSeriesLimit < 0) {
    throw new TypeError(
      `issuerSeriesLimit must be an integer of at least 0; got ${String(issuerSeriesLimit)}.`,
    );
  }
  const storeFigures =
    options.store === undefined ? undefined : createStoreGauges(registers, issuerSeriesLimit);
  const readFigures =
    options.store === undefined
      ? undefined
      : createTrustFiguresCache({
          store: options.store,
          now,
          maxAgeMs: storeCacheMs,
          ...(options.records === undefined ? {} : { records: options.records }),
        });

  return {
    registry,
    contentType: registry.contentType,
    recordSignIn(protocol, outcome, code): void {
      if (outcome === 'success' && storeOutage?.reachable === false)
        outageFigures?.signIns.inc({ protocol: PROTOCOLS.has(protocol) ? protocol : 'other' });
      signIns.inc({
        protocol: PROTOCOLS.has(protocol) ? protocol : 'other',
        outcome: outcome === 'success' ? 'success' : 'failure',
        ...(code === undefined ? {} : { code: isErrorCode(code) ? code : 'other' }),
      });
    },
    recordRequest({ method, route, statusCode, durationSeconds }): void {
      const status = Number.isInteger(statusCode) && statusCode >= 100 && statusCode < 600 ? statusCode : 0;
      requests.observe(
        { method: METHODS.has(method) ? method : 'OTHER', route, status_code: String(status) },
        Number.isFinite(durationSeconds) && durationSeconds >= 0 ? durationSeconds : 0,
      );
    },
    async render(): Promise<string> {
      if (engineFigures !== undefined && options.engine !== undefined) {
        engineFigures.update(options.engine.metrics());
      }
      if (storeOutage !== undefined) outageFigures?.update(storeOutage.status());
      if (storeFigures !== undefined && storeOutage?.reachable === false) {
        // Known down: no scrape waits on a connection that cannot be made.
        storeFigures.fail();
      } else if (storeFigures !== undefined && readFigures !== undefined) {
        try {
          storeFigures.update(await readFigures(), now());
        } catch (error) {
          storeFigures.fail();
          options.onStoreError?.(error);
        }
      }
      return registry.metrics();
    },
  };
}

/**
 * The rollover engine's figures, copied at each scrape. Its counters are
 * totals kept by the engine (they only grow); each scrape resets ours and
 * adds the engine's totals back, so a kind that vanished cannot linger.
 */
function createEngineCounters(registers: Registry[]): {
  update(metrics: ReturnType<RolloverEngine['metrics']>): void;
} {
  const refreshes = new Counter({
    name: 'claimsgate_metadata_refreshes_total',
    help: 'Metadata refreshes by this instance, by outcome (success, not-modified, failure, skipped, deferred).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const unknownKey = new Counter({
    name: 'claimsgate_unknown_key_events_total',
    help: 'Tokens signed by a key not (yet) trusted for their issuer, by what followed: refreshed (started a fetch), joined (shared a fetch another token started: coalesced), timed_out (the fetch did not end within rollover.unknownKeyWaitMs), unmapped (issuer unknown or without metadata), overflow (refused at once: too many tokens waiting).',
    labelNames: ['result'] as const,
    registers,
  });
  const reloads = new Counter({
    name: 'claimsgate_trust_reloads_total',
    help: 'Times this instance loaded its in-memory trust from the store (whole, or the issuers a change touched).',
    registers,
  });
  const trustIssuers = new Gauge({
    name: 'claimsgate_trust_issuers',
    help: "Issuers in this instance's in-memory trust.",
    registers,
  });
  const trustKeys = new Gauge({
    name: 'claimsgate_trust_usable_keys',
    help: "Usable keys (announced, active, retiring) in this instance's in-memory trust.",
    registers,
  });
  const alertsByKind = new Counter({
    name: 'claimsgate_alerts_fired_total',
    help: 'Alerts fired by this instance, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const alertsBySeverity = new Counter({
    name: 'claimsgate_alerts_fired_by_severity_total',
    help: 'Alerts fired by this instance, by severity (info, warning, critical).',
    labelNames: ['severity'] as const,
    registers,
  });
  const webhook = new Counter({
    name: 'claimsgate_alert_webhook_deliveries_total',
    help: 'Alert webhook deliveries by result: delivered, failed (given up after the retries).',
    labelNames: ['result'] as const,
    registers,
  });
  const webhookRetries = new Counter({
    name: 'claimsgate_alert_webhook_retries_total',
    help: 'Alert webhook attempts that were retries.',
    registers,
  });
  const counters = [refreshes, unknownKey, reloads, alertsByKind, alertsBySeverity, webhook, webhookRetries];
  return {
    update(metrics): void {
      for (const counter of counters) counter.reset();
      for (const [outcome, total] of Object.entries(metrics.refreshes)) refreshes.inc({ outcome }, total);
      const { unknownKey: events } = metrics;
      unknownKey.inc({ result: 'refreshed' }, events.refreshes);
      unknownKey.inc({ result: 'joined' }, events.joined);
      unknownKey.inc({ result: 'timed_out' }, events.timedOut);
      unknownKey.inc({ result: 'unmapped' }, events.unmapped);
      unknownKey.inc({ result: 'overflow' }, events.overflow);
      reloads.inc(metrics.reloads);
      trustIssuers.set(metrics.issuers);
      trustKeys.set(metrics.usableKeys);
      for (const [kind, total] of Object.entries(metrics.alerts.byKind)) alertsByKind.inc({ kind }, total);
      for (const [severity, total] of Object.entries(metrics.alerts.bySeverity)) {
        alertsBySeverity.inc({ severity }, total);
      }
      webhook.inc({ result: 'delivered' }, metrics.alerts.webhookDelivered);
      webhook.inc({ result: 'failed' }, metrics.alerts.webhookFailed);
      webhookRetries.inc(metrics.alerts.webhookRetries);
    },
  };
}

/** The store's outages as this instance saw them, copied from the outage watch at each scrape. */
function createOutageFigures(registers: Registry[]): {
  readonly signIns: Counter<'protocol'>;
  update(status: ReturnType<StoreOutage['status']>): void;
} {
  const signIns = new Counter({
    name: 'claimsgate_store_outage_sign_ins_total',
    help: 'Sign-ins that succeeded while this instance knew the store unreachable (from its in-memory trust and local replay ledger), by protocol.',
    labelNames: ['protocol'] as const,
    registers,
  });
  const outages = new Counter({
    name: 'claimsgate_store_outages_total',
    help: 'Times this instance found the store unreachable (CG_STORE_UNAVAILABLE) after it had answered.',
    registers,
  });
  const queued = new Gauge({
    name: 'claimsgate_store_outage_queued_records',
    help: 'Records waiting to be written to the store when it answers again: replay IDs, key uses, claim types, session revocations.',
    registers,
  });
  const dropped = new Counter({
    name: 'claimsgate_store_outage_dropped_records_total',
    help: 'Queued records dropped because their queue was full (database.outage.replayEntries for replay IDs, 10,000 for each other kind).',
    registers,
  });
  return {
    signIns,
    update(status): void {
      outages.reset();
      outages.inc(status.outages);
      dropped.reset();
      dropped.inc(status.dropped);
      queued.set(status.queued);
    },
  };
}

/** The gauges read from the store: per issuer (bounded by `limit`), and over all issuers. */
function createStoreGauges(
  registers: Registry[],
  limit: number,
): {
  update(figures: readonly IssuerFigures[], at: Date): void;
  fail(): void;
} {
  const up = new Gauge({
    name: 'claimsgate_store_up',
    help: 'Whether the last scrape could read the store (1) or not (0, and the per-issuer figures are absent); 0 without trying while this instance knows the store unreachable.',
    registers,
  });
  const keys = new Gauge({
    name: 'claimsgate_issuer_keys',
    help: 'Keys in the store by issuer and state (announced, active and retiring keys validate tokens).',
    labelNames: ['issuer', 'state'] as const,
    registers,
  });
  const interval = new Gauge({
    name: 'claimsgate_metadata_refresh_interval_seconds',
    help: "The issuer's configured metadata refresh interval.",
    labelNames: ['issuer'] as const,
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'claimsgate_metadata_last_success_timestamp_seconds',
    help: 'When the issuer\u2019s metadata was last refreshed successfully (Unix time); absent before the first success.',
    labelNames: ['issuer'] as const,
    registers,
  });
  const sinceSuccess = new Gauge({
    name: 'claimsgate_metadata_seconds_since_last_success',
    help: 'Seconds since the issuer\u2019s metadata was last refreshed successfully; +Inf when it never was.',
    labelNames: ['issuer'] as const,
    registers,
  });
  const failures = new Gauge({
    name: 'claimsgate_metadata_consecutive_failures',
    help: 'Metadata refreshes of the issuer that failed in a row (0 after a success).',
    labelNames: ['issuer'] as const,
    registers,
  });
  const soonest = new Gauge({
    name: 'claimsgate_issuer_days_to_key_expiry',
    help: 'Days until the issuer\u2019s usable key that expires first expires (negative once expired); absent when no usable key has an expiry.',
    labelNames: ['issuer'] as const,
    registers,
  });
  const latest = new Gauge({
    name: 'claimsgate_issuer_days_to_last_key_expiry',
    help: 'Days until the issuer\u2019s last usable key expires: when sign-ins stop unless a successor is published.',
    labelNames: ['issuer'] as const,
    registers,
  });
  const byCondition = new Gauge({
    name: 'claimsgate_issuers_by_condition',
    help: 'Issuers by their most urgent condition: no_usable_key, last_key_expiring (within 7 days), refresh_failing, refresh_stale (no success for twice the interval), key_expiring (within 30 days), healthy.',
    labelNames: ['condition'] as const,
    registers,
  });
  const allKeys = new Gauge({
    name: 'claimsgate_keys',
    help: 'Keys in the store over all issuers, by state.',
    labelNames: ['state'] as const,
    registers,
  });
  const omitted = new Gauge({
    name: 'claimsgate_issuer_series_omitted',
    help: 'Issuers left out of the per-issuer series (metrics.issuerSeriesLimit); those that need attention are shown first.',
    registers,
  });
  const perIssuer = [keys, interval, lastSuccess, sinceSuccess, failures, soonest, latest];
  const overall = [byCondition, allKeys, omitted];
  const daysUntil = (date: Date, at: Date): number => (date.getTime() - at.getTime()) / DAY_MS;
  return {
    update(all, at): void {
      for (const gauge of [...perIssuer, ...overall]) gauge.reset();
      up.set(1);
      const { shown: figures, conditions } = issuersWithSeries(all, at, limit);
      for (const [condition, count] of conditions) byCondition.set({ condition }, count);
      for (const state of KEY_STATES) {
        allKeys.set(
          { state },
          all.reduce((sum, figure) => sum + figure.keysByState[state], 0),
        );
      }
      omitted.set(all.length - figures.length);
      for (const figure of figures) {
        const labels = { issuer: figure.issuer };
        for (const state of KEY_STATES) keys.set({ ...labels, state }, figure.keysByState[state]);
        if (figure.refresh !== undefined) {
          const { intervalSeconds, lastSuccessAt, consecutiveFailures } = figure.refresh;
          interval.set(labels, intervalSeconds);
          failures.set(labels, consecutiveFailures);
          if (lastSuccessAt === null) {
            sinceSuccess.set(labels, Number.POSITIVE_INFINITY);
          } else {
            lastSuccess.set(labels, lastSuccessAt.getTime() / 1000);
            sinceSuccess.set(labels, Math.max(0, (at.getTime() - lastSuccessAt.getTime()) / 1000));
          }
        }
        if (figure.soonestExpiry !== null) soonest.set(labels, daysUntil(figure.soonestExpiry, at));
        if (figure.latestExpiry !== null) latest.set(labels, daysUntil(figure.latestExpiry, at));
      }
    },
    fail(): void {
      for (const gauge of [...perIssuer, ...overall]) gauge.reset();
      up.set(0);
    },
  };
}
