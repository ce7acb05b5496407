import type { Store } from '../store/store.js';
import type { Alert, AlertKind, AlertSeverity } from './alerts.js';
import { consoleJsonLogger, type Logger } from './structured-log.js';

/** Where alerts are posted, as JSON, in addition to the audit log and the log. */
export interface AlertWebhookOptions {
  readonly url: string;
  /** Extra request headers (e.g. an Authorization for the receiver). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Retries after the first attempt; default 3. */
  readonly retries?: number;
  /** Delay before the first retry, doubled for each further one; default 1 000 ms. */
  readonly retryDelayMs?: number;
  /** Time allowed for one attempt; default 5 000 ms. */
  readonly timeoutMs?: number;
}

/** Counters for a metrics endpoint: plain numbers, never reset. */
export interface AlertCounters {
  readonly fired: number;
  readonly byKind: Readonly<Partial<Record<AlertKind, number>>>;
  readonly bySeverity: Readonly<Partial<Record<AlertSeverity, number>>>;
  readonly webhookDelivered: number;
  readonly webhookFailed: number;
  readonly webhookRetries: number;
}

export interface AlertDispatcherOptions {
  readonly store: Pick<Store, 'appendAudit' | 'listAudit'>;
  readonly logger?: Logger;
  readonly webhook?: AlertWebhookOptions;
  /** The fetch for the webhook; default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
  /** How far back the audit log is read for alerts that already fired, in seconds. */
  readonly rememberSeconds: number;
  /** Waits between webhook retries; default a real (unref'd) timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Fires alerts once each: audit entry, log line, counters and webhook. */
export interface AlertDispatcher {
  /** Whether any of `alerts` has not fired as far as this process knows (no I/O). */
  hasUnfired(alerts: readonly Alert[]): boolean;
  /**
   * Fires the alerts of one issuer that have not fired yet, and returns
   * them. Run it while holding the issuer's refresh lock: the audit log is
   * re-read under the lock, so instances sharing a store fire an alert once.
   * The webhook is posted in the background; failures are logged, never thrown.
   */
  dispatch(issuerId: string, alerts: readonly Alert[]): Promise<Alert[]>;
  counters(): AlertCounters;
  /** Settles when every webhook delivery under way has finished (delivered or given up). */
  idle(): Promise<void>;
}

const ALERT_PREFIX = 'alert.';

/**
 * Creates the alert dispatcher. An alert's dedupe key (kind, issuer, key,
 * threshold, episode) is remembered in memory and, through the `after`
 * field of its `alert.<kind>` audit entry, in the store: after a restart, or
 * on another instance, the audit log of the last `rememberSeconds` says what
 * already fired. The audit log is the record operators read anyway, so the
 * fired set needs no table of its own.
 *
 * @throws TypeError for a bad webhook option.
 */
export function createAlertDispatcher(options: AlertDispatcherOptions): AlertDispatcher {
  const logger = options.logger ?? consoleJsonLogger;
  const now = options.now ?? (() => new Date());
  const webhook = options.webhook === undefined ? undefined : resolveWebhook(options.webhook);
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const fired = new Set<string>();
  const pending = new Set<Promise<void>>();
  const counts = {
    fired: 0,
    byKind: {} as Partial<Record<AlertKind, number>>,
    bySeverity: {} as Partial<Record<AlertSeverity, number>>,
    webhookDelivered: 0,
    webhookFailed: 0,
    webhookRetries: 0,
  };

  async function loadFired(issuerId: string): Promise<void> {
    const since = new Date(now().getTime() - options.rememberSeconds * 1000);
    let afterId: number | undefined;
    for (;;) {
      const page = await options.store.listAudit({
        issuerId,
        since,
        limit: 1000,
        ...(afterId === undefined ? {} : { afterId }),
      });
      for (const entry of page) {
        if (!entry.action.startsWith(ALERT_PREFIX)) continue;
        const key = (entry.after as { dedupeKey?: unknown } | null)?.dedupeKey;
        if (typeof key === 'string') fired.add(key);
      }
      if (page.length < 1000) return;
      afterId = page[page.length - 1]!.id;
    }
  }

  async function deliver(alert: Alert, hook: ResolvedWebhook): Promise<void> {
    const body = JSON.stringify({ type: 'claimsgate.alert', at: now().toISOString(), alert });
    const outcome = await postAlertWebhook(body, hook, {
      fetch: fetchFunction,
      sleep,
      logger,
      kind: alert.kind,
      dedupeKey: alert.dedupeKey,
    });
    counts.webhookRetries += outcome.retries;
    if (outcome.delivered) counts.webhookDelivered += 1;
    else counts.webhookFailed += 1;
  }

  return {
    hasUnfired: (alerts) => alerts.some((alert) => !fired.has(alert.dedupeKey)),

    async dispatch(issuerId, alerts) {
      if (!alerts.some((alert) => !fired.has(alert.dedupeKey))) return [];
      await loadFired(issuerId);
      const out: Alert[] = [];
      for (const alert of alerts) {
        if (alert.issuerId !== issuerId || fired.has(alert.dedupeKey)) continue;
        await options.store.appendAudit({
          actor: 'rollover',
          action: `${ALERT_PREFIX}${alert.kind}`,
          issuerId,
          subject: alert.subject,
          before: null,
          after: {
            severity: alert.severity,
            message: alert.message,
            keyId: alert.keyId,
            threshold: alert.threshold,
            dedupeKey: alert.dedupeKey,
            detail: alert.detail,
          },
          refresh: null,
        });
        fired.add(alert.dedupeKey);
        out.push(alert);
        counts.fired += 1;
        counts.byKind[alert.kind] = (counts.byKind[alert.kind] ?? 0) + 1;
        counts.bySeverity[alert.severity] = (counts.bySeverity[alert.severity] ?? 0) + 1;
        logger({
          level: alert.severity === 'critical' ? 'error' : alert.severity === 'warning' ? 'warn' : 'info',
          event: `alert.${alert.kind}`,
          issuerId,
          issuer: alert.issuerName,
          keyId: alert.keyId,
          subject: alert.subject,
          threshold: alert.threshold,
          message: alert.message,
        });
        if (webhook !== undefined) {
          const delivery = deliver(alert, webhook).finally(() => pending.delete(delivery));
          pending.add(delivery);
        }
      }
      return out;
    },

    counters: () => ({
      ...counts,
      byKind: { ...counts.byKind },
      bySeverity: { ...counts.bySeverity },
    }),

    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

/** How one alert's webhook delivery went. */
export interface WebhookOutcome {
  readonly delivered: boolean;
  readonly retries: number;
}

/**
 * Posts one alert body (JSON) to the webhook, retrying with doubling delays;
 * each failed attempt is logged at warn, giving up at error. Never throws.
 * The alert dispatcher sends issuers' alerts through it, and the gateway its
 * `store-unreachable` alert, which cannot go through the store.
 */
export async function postAlertWebhook(
  body: string,
  hook: ResolvedWebhook,
  io: {
    readonly fetch: typeof globalThis.fetch;
    readonly sleep: (ms: number) => Promise<void>;
    readonly logger: Logger;
    readonly kind: string;
    readonly dedupeKey: string;
  },
): Promise<WebhookOutcome> {
  const { logger, kind } = io;
  let retries = 0;
  for (let attempt = 0; attempt <= hook.retries; attempt += 1) {
    if (attempt > 0) {
      retries += 1;
      await io.sleep(hook.retryDelayMs * 2 ** (attempt - 1));
    }
    try {
      const response = await io.fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...hook.headers },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(hook.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { delivered: true, retries };
      logger({
        level: 'warn',
        event: 'alert.webhook.status',
        status: response.status,
        attempt: attempt + 1,
        kind,
      });
    } catch (error) {
      logger({
        level: 'warn',
        event: 'alert.webhook.error',
        error: error instanceof Error ? error.message : String(error),
        attempt: attempt + 1,
        kind,
      });
    }
  }
  logger({
    level: 'error',
    event: 'alert.webhook.failed',
    kind,
    dedupeKey: io.dedupeKey,
    attempts: hook.retries + 1,
  });
  return { delivered: false, retries };
}

/** A webhook's options checked, with their defaults. */
export interface ResolvedWebhook {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
}

/**
 * Checks a webhook's options and fills in the defaults.
 *
 * @throws TypeError for a URL that is not http(s) or a retry or time option out of range.
 */
export function resolveWebhook(options: AlertWebhookOptions): ResolvedWebhook {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (error) {
    throw new TypeError('webhook.url must be an absolute http(s) URL.', { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('webhook.url must be an absolute http(s) URL.');
  }
  const retries = options.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
    throw new TypeError('webhook.retries must be an integer from 0 to 10.');
  }
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 5000;
  for (const [name, value] of [
    ['retryDelayMs', retryDelayMs],
    ['timeoutMs', timeoutMs],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 600_000) {
      throw new TypeError(`webhook.${name} must be an integer number of milliseconds up to 600 000.`);
    }
  }
  return { url: url.href, headers: options.headers ?? {}, retries, retryDelayMs, timeoutMs };
}
