import {
  postAlertWebhook,
  resolveWebhook,
  type AlertWebhookOptions,
  type ResolvedWebhook,
} from '../rollover/dispatch-alerts.js';
import type { Logger } from '../rollover/structured-log.js';
import type { StoreOutageEvent } from '../store/store-outage.js';

export interface StoreOutageAlertsOptions {
  readonly logger: Logger;
  /** The alert fires once an outage has lasted this long (0: at once). */
  readonly alertAfterMs: number;
  /** The rollover engine's alert webhook (`rollover.webhook`), if any. */
  readonly webhook?: AlertWebhookOptions;
  /** The fetch for the webhook; default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
  /** Waits between webhook retries; default a real (unref'd) timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Turns the store's outages into log lines and the `store-unreachable` alert. */
export interface StoreOutageAlerts {
  /** The `onEvent` of `createStoreOutage`. */
  onEvent(event: StoreOutageEvent): void;
  /** `store-unreachable` alerts fired since the start. */
  fired(): number;
  /** Cancels an alert not yet due. */
  stop(): void;
  /** Settles when every webhook delivery under way has finished. */
  idle(): Promise<void>;
}

/**
 * The store's outages as the operator sees them. When one begins: a warn
 * line (`store.unreachable`) with the code and the store's message. Once it
 * has lasted `alertAfterMs`: the `store-unreachable` alert, once per outage —
 * an error line (`alert.store-unreachable`) and, when `rollover.webhook` is
 * set, a post to it shaped like the engine's alerts (kind, severity
 * `critical`, message, dedupe key, detail). Unlike those it is not written to
 * the audit log: the store is what is down. When the store answers again: an
 * info line (`store.reachable`) with the outage's duration and the queued
 * records written, a warn line when replay IDs accepted here had been
 * accepted by another instance too, and a `store-recovered` post to the
 * webhook when the alert had fired.
 *
 * @throws TypeError for a bad webhook option.
 */
export function createStoreOutageAlerts(options: StoreOutageAlertsOptions): StoreOutageAlerts {
  const { logger, alertAfterMs } = options;
  const now = options.now ?? (() => new Date());
  const webhook: ResolvedWebhook | undefined =
    options.webhook === undefined ? undefined : resolveWebhook(options.webhook);
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const pending = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  /** The start of the outage the timer is for. */
  let timerFor: Date | undefined;
  /** The outage whose alert fired, until it ends. */
  let alerted: { readonly since: Date; readonly dedupeKey: string } | undefined;
  let firedCount = 0;

  function post(kind: string, severity: string, message: string, dedupeKey: string, detail: object): void {
    if (webhook === undefined) return;
    const alert = {
      kind,
      severity,
      issuerId: null,
      issuerName: null,
      keyId: null,
      subject: 'store',
      threshold: null,
      message,
      dedupeKey,
      detail,
    };
    const body = JSON.stringify({ type: 'claimsgate.alert', at: now().toISOString(), alert });
    const delivery = postAlertWebhook(body, webhook, { fetch: fetchFunction, sleep, logger, kind, dedupeKey })
      .then(() => undefined)
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
  }

  function fire(since: Date, code: string): void {
    const dedupeKey = `store-unreachable:${since.toISOString()}`;
    alerted = { since, dedupeKey };
    firedCount += 1;
    const message = `The store cannot be reached since ${since.toISOString()} (${code}): users are signed in from this instance's memory, and its records wait to be written.`;
    logger({ level: 'error', event: 'alert.store-unreachable', since: since.toISOString(), code, message });
    post('store-unreachable', 'critical', message, dedupeKey, { since: since.toISOString(), code });
  }

  function clearTimer(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerFor = undefined;
  }

  return {
    onEvent(event) {
      if (event.kind === 'down') {
        clearTimer();
        logger({
          level: 'warn',
          event: 'store.unreachable',
          since: event.since.toISOString(),
          code: event.code,
          error: event.message,
          message: 'The store cannot be reached: signing users in from memory, queueing its records.',
        });
        if (alertAfterMs === 0) fire(event.since, event.code);
        else {
          timer = setTimeout(() => {
            clearTimer();
            fire(event.since, event.code);
          }, alertAfterMs);
          timer.unref();
          timerFor = event.since;
        }
        return;
      }
      // The recovery is told after its records are written: another outage may have begun meanwhile.
      const same = (date: Date | undefined): boolean => date?.getTime() === event.since.getTime();
      if (same(timerFor)) clearTimer();
      const seconds = (event.durationMs / 1000).toFixed(1);
      logger({
        level: 'info',
        event: 'store.reachable',
        since: event.since.toISOString(),
        durationMs: event.durationMs,
        written: event.written,
        stillQueued: event.stillQueued,
        alerted: same(alerted?.since),
        message: `The store answers again after ${seconds} s; queued records written.`,
      });
      const replays = event.conflicts['replayIds'] ?? 0;
      if (replays > 0) {
        logger({
          level: 'warn',
          event: 'store.replays-accepted-elsewhere',
          count: replays,
          message: `${replays} token or sign-in state IDs accepted here during the outage had been accepted by another instance too.`,
        });
      }
      if (same(alerted?.since)) {
        post(
          'store-recovered',
          'info',
          `The store answers again after ${seconds} s of outage.`,
          `store-recovered:${event.since.toISOString()}`,
          { since: event.since.toISOString(), durationMs: event.durationMs, written: event.written },
        );
        alerted = undefined;
      }
    },
    fired: () => firedCount,
    stop: clearTimer,
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
