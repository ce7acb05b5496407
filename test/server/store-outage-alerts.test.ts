import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogEntry } from '../../src/rollover/structured-log.js';
import { createStoreOutageAlerts } from '../../src/server/store-outage-alerts.js';
import { createGatewayMetrics } from '../../src/server/gateway-metrics.js';
import type { StoreOutageEvent, StoreOutageStatus } from '../../src/store/store-outage.js';

const SINCE = new Date('2026-03-02T09:30:00Z');
const AT = new Date('2026-03-02T09:30:20Z');
const HOOK = 'https://alerts.example/claimsgate';

const down: StoreOutageEvent = {
  kind: 'down',
  since: SINCE,
  code: 'CG_STORE_UNAVAILABLE',
  message: 'Cannot reach PostgreSQL database test at 127.0.0.1:5432 as postgres: connect ECONNREFUSED',
};
const up: StoreOutageEvent = {
  kind: 'up',
  since: SINCE,
  at: AT,
  durationMs: 20_000,
  written: { keyUses: 1, claimTypes: 0, revocations: 0, replayIds: 57 },
  conflicts: { replayIds: 2 },
  stillQueued: 0,
};

/** The alerts' webhook posts, answered 204 without a network. */
function recordingFetch(): { fetch: typeof globalThis.fetch; posts: Array<{ url: string; body: unknown }> } {
  const posts: Array<{ url: string; body: unknown }> = [];
  return {
    posts,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      posts.push({ url: request.url, body: await request.json() });
      return new Response(null, { status: 204 });
    },
  };
}

describe('the store-unreachable alert', () => {
  it('logs the outage, fires the alert once to the log and the webhook, and tells the recovery with its duration and records', async () => {
    const entries: LogEntry[] = [];
    const webhook = recordingFetch();
    const alerts = createStoreOutageAlerts({
      logger: (entry) => entries.push(entry),
      alertAfterMs: 0,
      webhook: { url: HOOK },
      fetch: webhook.fetch,
      now: () => AT,
    });
    alerts.onEvent(down);
    alerts.onEvent(up);
    await alerts.idle();
    assert.deepEqual(
      entries.map((entry) => [entry.level, entry.event]),
      [
        ['warn', 'store.unreachable'],
        ['error', 'alert.store-unreachable'],
        ['info', 'store.reachable'],
        ['warn', 'store.replays-accepted-elsewhere'],
      ],
    );
    const recovery = entries.find((entry) => entry.event === 'store.reachable')!;
    assert.equal(recovery['durationMs'], 20_000);
    assert.deepEqual(recovery['written'], up.written);
    assert.equal(recovery['alerted'], true);
    assert.equal(alerts.fired(), 1);
    const kinds = webhook.posts.map(
      (post) => (post.body as { alert: { kind: string; severity: string } }).alert,
    );
    assert.deepEqual(
      kinds.map((alert) => [alert.kind, alert.severity]),
      [
        ['store-unreachable', 'critical'],
        ['store-recovered', 'info'],
      ],
    );
    assert.ok(webhook.posts.every((post) => post.url === HOOK));
  });

  it('fires nothing for an outage shorter than alertAfterMs, and needs no webhook', async () => {
    const entries: LogEntry[] = [];
    const alerts = createStoreOutageAlerts({ logger: (entry) => entries.push(entry), alertAfterMs: 60_000 });
    alerts.onEvent(down);
    alerts.onEvent({ ...up, conflicts: {} });
    await alerts.idle();
    assert.equal(alerts.fired(), 0);
    assert.deepEqual(
      entries.map((entry) => entry.event),
      ['store.unreachable', 'store.reachable'],
    );
    assert.equal(entries[1]!['alerted'], false);
    alerts.stop();
  });

  it('refuses a webhook that is not http(s)', () => {
    assert.throws(
      () =>
        createStoreOutageAlerts({ logger: () => undefined, alertAfterMs: 0, webhook: { url: 'ftp://x/' } }),
      TypeError,
    );
  });
});

describe('the store outage metrics', () => {
  it('reports the store down without reading it, counts sign-ins served meanwhile and the queued records', async () => {
    const state: { reachable: boolean; status: StoreOutageStatus } = {
      reachable: false,
      status: {
        reachable: false,
        since: SINCE,
        code: 'CG_STORE_UNAVAILABLE',
        outages: 1,
        queued: 12,
        dropped: 0,
      },
    };
    let reads = 0;
    const failing = (): Promise<never> => {
      reads += 1;
      return Promise.reject(new Error('should not be read'));
    };
    const metrics = createGatewayMetrics({
      store: { listIssuers: failing, listKeys: failing, listRefreshStates: failing, listRealms: failing },
      storeOutage: {
        get reachable() {
          return state.reachable;
        },
        status: () => state.status,
      },
    });
    metrics.recordSignIn('wsfed', 'success');
    metrics.recordSignIn('oidc', 'success');
    metrics.recordSignIn('oidc', 'failure', 'CG_TOKEN_REPLAYED');
    const text = await metrics.render();
    assert.equal(reads, 0);
    assert.match(text, /^claimsgate_store_up 0$/m);
    assert.match(text, /^claimsgate_store_outage_sign_ins_total\{protocol="wsfed"\} 1$/m);
    assert.match(text, /^claimsgate_store_outage_sign_ins_total\{protocol="oidc"\} 1$/m);
    assert.match(text, /^claimsgate_store_outage_queued_records 12$/m);
    assert.match(text, /^claimsgate_store_outages_total 1$/m);
    state.reachable = true;
    metrics.recordSignIn('wsfed', 'success');
    assert.match(await metrics.render(), /^claimsgate_store_outage_sign_ins_total\{protocol="wsfed"\} 1$/m);
  });
});
