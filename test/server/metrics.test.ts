import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EngineMetrics } from '../../src/rollover/rollover-engine.js';
import { createGatewayMetrics, issuerCondition } from '../../src/server/gateway-metrics.js';
import { KEY_STATES, summariseIssuer } from '../../src/server/trust-figures.js';
import type { IssuerRecord, KeyRecord, RefreshStateRecord } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';
import { USABLE_KEY_STATES } from '../../src/tokens/trust-snapshot.js';
import {
  bindingCookieOf,
  createGatewayFixture,
  postForm,
  signInAtSimulator,
  START,
  type GatewayFixture,
} from './gateway-fixture.js';

// --- A tiny parser of the Prometheus text exposition format (version 0.0.4) -----------------

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Exposition {
  readonly samples: readonly Sample[];
  readonly types: ReadonlyMap<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** `name="value",…` → labels, with the format's escapes (\\, \", \n); throws on anything else. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const equals = text.indexOf('=', at);
    if (equals === -1) throw new Error(`label without value: ${line}`);
    const name = text.slice(at, equals);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${name}: ${line}`);
    if (Object.hasOwn(labels, name)) throw new Error(`repeated label ${name}: ${line}`);
    if (text[equals + 1] !== '"') throw new Error(`unquoted label value: ${line}`);
    let value = '';
    let cursor = equals + 2;
    for (;;) {
      const char = text[cursor];
      if (char === undefined) throw new Error(`unterminated label value: ${line}`);
      if (char === '"') break;
      if (char === '\\') {
        const next = text[cursor + 1];
        if (next === '\\' || next === '"') value += next;
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape in label value: ${line}`);
        cursor += 2;
      } else {
        value += char;
        cursor += 1;
      }
    }
    labels[name] = value;
    at = cursor + 1;
    if (at < text.length) {
      if (text[at] !== ',') throw new Error(`expected a comma between labels: ${line}`);
      at += 1;
    }
  }
  return labels;
}

function parseValue(text: string, line: string): number {
  if (/^\+?Inf$/.test(text)) return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value: ${line}`);
  return Number(text);
}

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to its name. */
function familyOf(name: string, types: ReadonlyMap<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ['histogram', 'summary'].includes(types.get(base) ?? '')) return base;
  }
  return name;
}

/**
 * Parses the text format strictly: every sample's family declared by HELP
 * and TYPE before it, each family once and contiguous, names and label
 * names well formed, values numbers or ±Inf / NaN, a final newline.
 */
function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const finished = new Set<string>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name = '', rest = ''] = comment;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      if (finished.has(name)) throw new Error(`family ${name} declared twice`);
      if (current !== undefined && current !== name) finished.add(current);
      current = name;
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`second HELP for ${name}`);
        helps.add(name);
      } else {
        if (types.has(name) || !TYPES.has(rest)) throw new Error(`bad or second TYPE: ${line}`);
        types.set(name, rest);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([^\s{]+)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
    if (sample === null) throw new Error(`not a sample line: ${line}`);
    const [, name = '', labelText, valueText = ''] = sample;
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name: ${line}`);
    const family = familyOf(name, types);
    if (family !== current || !types.has(family) || !helps.has(family)) {
      throw new Error(`sample outside its declared family: ${line}`);
    }
    samples.push({
      name,
      labels: labelText === undefined ? {} : parseLabels(labelText, line),
      value: parseValue(valueText, line),
    });
  }
  return { samples, types };
}

/** The samples of `name`, each as its labels and value. */
function samplesOf(exposition: Exposition, name: string): Sample[] {
  return exposition.samples.filter((sample) => sample.name === name);
}

/** The value of the one sample of `name` with exactly `labels`, or undefined. */
function valueOf(
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = samplesOf(exposition, name).filter((sample) => {
    const keys = Object.keys(sample.labels);
    return (
      keys.length === Object.keys(labels).length && keys.every((key) => sample.labels[key] === labels[key])
    );
  });
  assert.ok(found.length <= 1, `one sample of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

function assertClose(actual: number | undefined, expected: number, message: string): void {
  assert.ok(actual !== undefined, `${message}: present`);
  assert.ok(Math.abs(actual - expected) < 1e-6, `${message}: ${actual} ≈ ${expected}`);
}

// --- The text format parser itself -----------------------------------------------------------

describe('the exposition parser used by these tests', () => {
  it('reads labels with escapes, ±Inf and histogram families', () => {
    const parsed = parseExposition(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        'a_total{x="q\\"uote\\\\",y="line\\nbreak"} 2',
        '# HELP h A histogram.',
        '# TYPE h histogram',
        'h_bucket{le="+Inf"} 1',
        'h_sum 0.5',
        'h_count 1',
        '# HELP g A gauge.',
        '# TYPE g gauge',
        'g +Inf',
        '',
      ].join('\n'),
    );
    assert.deepEqual(samplesOf(parsed, 'a_total')[0]?.labels, { x: 'q"uote\\', y: 'line\nbreak' });
    assert.equal(valueOf(parsed, 'h_count'), 1);
    assert.equal(valueOf(parsed, 'g'), Number.POSITIVE_INFINITY);
  });

  it('rejects a sample without TYPE, a bad label and a bad value', () => {
    assert.throws(() => parseExposition('x 1\n'), /outside its declared family/);
    assert.throws(
      () => parseExposition('# HELP x X.\n# TYPE x gauge\nx{a=unquoted} 1\n'),
      /unquoted label value/,
    );
    assert.throws(() => parseExposition('# HELP x X.\n# TYPE x gauge\nx one\n'), /bad value/);
  });
});

// --- Exact figures from a stub store and engine under an injected clock -----------------------

const NOW = new Date('2026-05-01T12:00:00Z');
const DAY_MS = 86_400_000;

function issuerRecord(
  id: string,
  name: string,
  metadataUrl: string | null,
  refreshIntervalSeconds: number,
): IssuerRecord {
  return { id, name, metadataUrl, refreshIntervalSeconds } as unknown as IssuerRecord;
}

function keyRecord(issuerId: string, state: KeyRecord['state'], notAfter: Date | null): KeyRecord {
  return { issuerId, state, notAfter } as unknown as KeyRecord;
}

function stubStore(): Pick<Store, 'listIssuers' | 'listKeys' | 'listRefreshStates' | 'listRealms'> & {
  reads: number;
  realmReads: number;
  failing: boolean;
} {
  const states = new Map<string, RefreshStateRecord>([
    [
      'i1',
      {
        lastSuccessAt: new Date(NOW.getTime() - 90_000),
        consecutiveFailures: 0,
      } as unknown as RefreshStateRecord,
    ],
    ['i3', { lastSuccessAt: null, consecutiveFailures: 4 } as unknown as RefreshStateRecord],
  ]);
  const store = {
    reads: 0,
    failing: false,
    listIssuers: () => {
      store.reads += 1;
      return store.failing
        ? Promise.reject(new Error('database down'))
        : Promise.resolve([
            issuerRecord('i1', 'contoso', 'https://login.example/metadata.xml', 3600),
            issuerRecord('i2', 'manual', null, 86_400),
            issuerRecord('i3', 'fresh', 'https://idp.example/metadata.xml', 600),
          ]);
    },
    listKeys: () =>
      Promise.resolve([
        keyRecord('i1', 'active', new Date(NOW.getTime() + 3 * DAY_MS)),
        keyRecord('i1', 'announced', new Date(NOW.getTime() + 400 * DAY_MS)),
        keyRecord('i1', 'retired', new Date(NOW.getTime() + DAY_MS)),
        keyRecord('i1', 'expired', new Date(NOW.getTime() - 2 * DAY_MS)),
        keyRecord('i2', 'active', null),
        keyRecord('i3', 'retiring', new Date(NOW.getTime() - DAY_MS / 2)),
      ]),
    listRefreshStates: () =>
      Promise.resolve([...states].map(([issuerId, state]) => ({ ...state, issuerId }))),
    listRealms: () => {
      store.realmReads += 1;
      return store.failing ? Promise.reject(new Error('database down')) : Promise.resolve([]);
    },
    realmReads: 0,
  };
  return store;
}

function engineMetrics(scale: number): EngineMetrics {
  return {
    refreshes: { success: 3 * scale, 'not-modified': 2 * scale, failure: scale, skipped: 0, deferred: 0 },
    unknownKey: { refreshes: 2 * scale, joined: scale, timedOut: 5 * scale, unmapped: 0, overflow: scale },
    reloads: 7 * scale,
    issuers: 2,
    usableKeys: 3,
    alerts: {
      fired: 2 * scale,
      byKind: { 'key-expiring': scale, 'single-key': scale },
      bySeverity: { warning: 2 * scale },
      webhookDelivered: scale,
      webhookFailed: scale,
      webhookRetries: 3 * scale,
    },
  };
}

describe('gateway metrics from the store and the engine', () => {
  it('reports keys by state, refresh ages and days to expiry per issuer under an injected clock', async () => {
    const metrics = createGatewayMetrics({ store: stubStore(), now: () => NOW });
    const text = parseExposition(await metrics.render());
    assert.equal(valueOf(text, 'claimsgate_store_up'), 1);
    const contosoKeys = Object.fromEntries(
      KEY_STATES.map((state) => [
        state,
        valueOf(text, 'claimsgate_issuer_keys', { issuer: 'contoso', state }),
      ]),
    );
    assert.deepEqual(contosoKeys, {
      announced: 1,
      active: 1,
      retiring: 0,
      retired: 1,
      revoked: 0,
      expired: 1,
    });
    assert.equal(valueOf(text, 'claimsgate_metadata_seconds_since_last_success', { issuer: 'contoso' }), 90);
    assert.equal(
      valueOf(text, 'claimsgate_metadata_last_success_timestamp_seconds', { issuer: 'contoso' }),
      NOW.getTime() / 1000 - 90,
    );
    assert.equal(valueOf(text, 'claimsgate_metadata_refresh_interval_seconds', { issuer: 'contoso' }), 3600);
    assert.equal(valueOf(text, 'claimsgate_metadata_consecutive_failures', { issuer: 'contoso' }), 0);
    // Only usable keys count: the retired key (1 day) and the expired one are ignored.
    assert.equal(valueOf(text, 'claimsgate_issuer_days_to_key_expiry', { issuer: 'contoso' }), 3);
    assert.equal(valueOf(text, 'claimsgate_issuer_days_to_last_key_expiry', { issuer: 'contoso' }), 400);
    // Never refreshed successfully: +Inf, no timestamp; a still-trusted key past its expiry is negative.
    assert.equal(
      valueOf(text, 'claimsgate_metadata_seconds_since_last_success', { issuer: 'fresh' }),
      Number.POSITIVE_INFINITY,
    );
    assert.equal(
      valueOf(text, 'claimsgate_metadata_last_success_timestamp_seconds', { issuer: 'fresh' }),
      undefined,
    );
    assert.equal(valueOf(text, 'claimsgate_metadata_consecutive_failures', { issuer: 'fresh' }), 4);
    assert.equal(valueOf(text, 'claimsgate_issuer_days_to_key_expiry', { issuer: 'fresh' }), -0.5);
    // A manual issuer never refreshes, and a key without expiry has no days to count.
    assert.equal(
      valueOf(text, 'claimsgate_metadata_refresh_interval_seconds', { issuer: 'manual' }),
      undefined,
    );
    assert.equal(
      valueOf(text, 'claimsgate_metadata_seconds_since_last_success', { issuer: 'manual' }),
      undefined,
    );
    assert.equal(valueOf(text, 'claimsgate_issuer_days_to_key_expiry', { issuer: 'manual' }), undefined);
    assert.equal(valueOf(text, 'claimsgate_issuer_keys', { issuer: 'manual', state: 'active' }), 1);
  });

  it('bounds the per-issuer series at 10,000 issuers: the ones that need attention first, the rest counted', async () => {
    const names = Array.from({ length: 10_000 }, (_, index) => `tenant-${String(index).padStart(5, '0')}`);
    const trouble: Record<string, { keys: KeyRecord[]; state?: Partial<RefreshStateRecord> }> = {
      'tenant-09000': { keys: [] },
      'tenant-08000': { keys: [keyRecord('x', 'active', new Date(NOW.getTime() + 2 * DAY_MS))] },
      'tenant-07000': {
        keys: [keyRecord('x', 'active', new Date(NOW.getTime() + 400 * DAY_MS))],
        state: { consecutiveFailures: 2 },
      },
      'tenant-06000': {
        keys: [keyRecord('x', 'active', new Date(NOW.getTime() + 400 * DAY_MS))],
        state: { lastSuccessAt: new Date(NOW.getTime() - 3 * 3600_000) },
      },
      'tenant-05000': {
        keys: [
          keyRecord('x', 'active', new Date(NOW.getTime() + 20 * DAY_MS)),
          keyRecord('x', 'announced', new Date(NOW.getTime() + 400 * DAY_MS)),
        ],
      },
    };
    const healthyKeys = (id: string): KeyRecord[] => [
      keyRecord(id, 'active', new Date(NOW.getTime() + 300 * DAY_MS)),
      keyRecord(id, 'announced', new Date(NOW.getTime() + 600 * DAY_MS)),
    ];
    const store: Pick<Store, 'listIssuers' | 'listKeys' | 'listRefreshStates' | 'listRealms'> = {
      listIssuers: () =>
        Promise.resolve(names.map((name) => issuerRecord(name, name, `https://idp.example/${name}`, 3600))),
      listKeys: () =>
        Promise.resolve(
          names.flatMap((name) =>
            (trouble[name]?.keys ?? healthyKeys(name)).map((key) => ({ ...key, issuerId: name })),
          ),
        ),
      listRefreshStates: () =>
        Promise.resolve(
          names.map(
            (id) =>
              ({
                issuerId: id,
                lastSuccessAt: new Date(NOW.getTime() - 60_000),
                consecutiveFailures: 0,
                ...trouble[id]?.state,
              }) as unknown as RefreshStateRecord,
          ),
        ),
      listRealms: () => Promise.resolve([]),
    };
    const rendered = await createGatewayMetrics({ store, now: () => NOW, issuerSeriesLimit: 3 }).render();
    const text = parseExposition(rendered);
    const shown = new Set(
      text.samples
        .filter((sample) => sample.name === 'claimsgate_issuer_keys')
        .map((sample) => sample.labels['issuer']),
    );
    // The three most urgent: no usable key, last key expiring in 2 days, refreshes failing.
    assert.deepEqual([...shown].sort(), ['tenant-07000', 'tenant-08000', 'tenant-09000']);
    assert.equal(valueOf(text, 'claimsgate_issuer_series_omitted'), 9_997);
    const conditions = {
      no_usable_key: 1,
      last_key_expiring: 1,
      refresh_failing: 1,
      refresh_stale: 1,
      key_expiring: 1,
      healthy: 9_995,
    };
    for (const [condition, count] of Object.entries(conditions)) {
      assert.equal(valueOf(text, 'claimsgate_issuers_by_condition', { condition }), count, condition);
    }
    assert.equal(valueOf(text, 'claimsgate_keys', { state: 'active' }), 9_999);
    assert.equal(valueOf(text, 'claimsgate_keys', { state: 'announced' }), 9_996);
    assert.ok(rendered.length < 20_000, `the exposition is ${rendered.length} bytes`);

    // Under the limit every issuer has its series, healthy ones included.
    const all = parseExposition(
      await createGatewayMetrics({ store, now: () => NOW, issuerSeriesLimit: 10_000 }).render(),
    );
    assert.equal(valueOf(all, 'claimsgate_issuer_keys', { issuer: 'tenant-00001', state: 'active' }), 1);
    assert.equal(valueOf(all, 'claimsgate_issuer_series_omitted'), 0);
    assert.throws(() => createGatewayMetrics({ store, issuerSeriesLimit: -1 }), /issuerSeriesLimit/);
  });

  it('names the most urgent condition of an issuer', () => {
    const figure = (keys: KeyRecord[], state?: Partial<RefreshStateRecord>) =>
      summariseIssuer(issuerRecord('i', 'i', 'https://idp.example/m', 3600), keys, {
        lastSuccessAt: new Date(NOW.getTime() - 60_000),
        consecutiveFailures: 0,
        ...state,
      });
    const inDays = (days: number) => new Date(NOW.getTime() + days * DAY_MS);
    assert.equal(issuerCondition(figure([keyRecord('i', 'retired', inDays(100))]), NOW), 'no_usable_key');
    // A failing refresh matters less than a last key about to expire.
    assert.equal(
      issuerCondition(figure([keyRecord('i', 'active', inDays(6))], { consecutiveFailures: 1 }), NOW),
      'last_key_expiring',
    );
    assert.equal(
      issuerCondition(figure([keyRecord('i', 'active', inDays(100))], { lastSuccessAt: null }), NOW),
      'refresh_failing',
    );
    assert.equal(
      issuerCondition(
        figure([keyRecord('i', 'active', inDays(100))], {
          lastSuccessAt: new Date(NOW.getTime() - 7_300_000),
        }),
        NOW,
      ),
      'refresh_stale',
    );
    assert.equal(
      issuerCondition(
        figure([keyRecord('i', 'active', inDays(29)), keyRecord('i', 'announced', inDays(300))]),
        NOW,
      ),
      'key_expiring',
    );
    assert.equal(issuerCondition(figure([keyRecord('i', 'active', inDays(31))]), NOW), 'healthy');
  });

  it('reads the store at most once per cache period and once for scrapes that arrive together', async () => {
    let now = NOW.getTime();
    const store = stubStore();
    const metrics = createGatewayMetrics({ store, now: () => new Date(now), storeCacheMs: 5_000 });
    await Promise.all([metrics.render(), metrics.render(), metrics.render()]);
    assert.equal(store.reads, 1);
    now += 4_000;
    const cached = parseExposition(await metrics.render());
    assert.equal(store.reads, 1);
    // Ages are computed at each scrape from the cached records.
    assert.equal(
      valueOf(cached, 'claimsgate_metadata_seconds_since_last_success', { issuer: 'contoso' }),
      94,
    );
    now += 1_000;
    await metrics.render();
    assert.equal(store.reads, 2);
  });

  it('reports a store that cannot be read as claimsgate_store_up 0 without issuer figures, and tries again next time', async () => {
    const store = stubStore();
    store.failing = true;
    const errors: unknown[] = [];
    const metrics = createGatewayMetrics({
      store,
      now: () => NOW,
      onStoreError: (error) => errors.push(error),
    });
    const down = parseExposition(await metrics.render());
    assert.equal(valueOf(down, 'claimsgate_store_up'), 0);
    assert.deepEqual(samplesOf(down, 'claimsgate_issuer_keys'), []);
    assert.equal(errors.length, 1);
    store.failing = false;
    const up = parseExposition(await metrics.render());
    assert.equal(valueOf(up, 'claimsgate_store_up'), 1);
    assert.equal(valueOf(up, 'claimsgate_issuer_keys', { issuer: 'contoso', state: 'active' }), 1);
  });

  it("takes the issuers' figures from the engine's records when they are current, asking the store only whether it answers", async () => {
    const store = stubStore();
    // The same records as the store's stub, held in memory.
    const [issuers, keys, states] = await Promise.all([
      store.listIssuers(),
      store.listKeys(),
      store.listRefreshStates(),
    ]);
    store.reads = 0;
    let current = true;
    const records = {
      issuers,
      keysOf: (id: string) => keys.filter((key) => key.issuerId === id),
      states: new Map(states.map((state) => [state.issuerId, state])),
    };
    const fromStore = parseExposition(
      await createGatewayMetrics({ store: stubStore(), now: () => NOW }).render(),
    );
    const metrics = createGatewayMetrics({
      store,
      now: () => NOW,
      storeCacheMs: 0,
      records: () => (current ? records : undefined),
    });
    const fromMemory = parseExposition(await metrics.render());
    assert.equal(store.reads, 0, 'no issuer, key or state read');
    assert.equal(store.realmReads, 1, 'one cheap read: does the store answer?');
    assert.deepEqual(
      samplesOf(fromMemory, 'claimsgate_issuer_keys'),
      samplesOf(fromStore, 'claimsgate_issuer_keys'),
    );
    assert.deepEqual(
      samplesOf(fromMemory, 'claimsgate_metadata_seconds_since_last_success'),
      samplesOf(fromStore, 'claimsgate_metadata_seconds_since_last_success'),
    );
    assert.equal(valueOf(fromMemory, 'claimsgate_store_up'), 1);
    // A store that does not answer is down, whatever memory holds.
    store.failing = true;
    assert.equal(valueOf(parseExposition(await metrics.render()), 'claimsgate_store_up'), 0);
    // Records behind a change not loaded yet: the store is read.
    store.failing = false;
    current = false;
    await metrics.render();
    assert.equal(store.reads, 1);
  });

  it("copies the engine's counters at each scrape: totals, never totals added up twice", async () => {
    let scale = 1;
    const metrics = createGatewayMetrics({ engine: { metrics: () => engineMetrics(scale) } });
    await metrics.render();
    scale = 2;
    const text = parseExposition(await metrics.render());
    assert.equal(valueOf(text, 'claimsgate_metadata_refreshes_total', { outcome: 'success' }), 6);
    assert.equal(valueOf(text, 'claimsgate_metadata_refreshes_total', { outcome: 'not-modified' }), 4);
    assert.equal(valueOf(text, 'claimsgate_metadata_refreshes_total', { outcome: 'failure' }), 2);
    assert.equal(valueOf(text, 'claimsgate_unknown_key_events_total', { result: 'refreshed' }), 4);
    assert.equal(valueOf(text, 'claimsgate_unknown_key_events_total', { result: 'timed_out' }), 10);
    assert.equal(valueOf(text, 'claimsgate_trust_reloads_total'), 14);
    assert.equal(valueOf(text, 'claimsgate_trust_usable_keys'), 3);
    assert.equal(valueOf(text, 'claimsgate_alerts_fired_total', { kind: 'single-key' }), 2);
    assert.equal(valueOf(text, 'claimsgate_alerts_fired_by_severity_total', { severity: 'warning' }), 4);
    assert.equal(valueOf(text, 'claimsgate_alert_webhook_deliveries_total', { result: 'failed' }), 2);
    assert.equal(valueOf(text, 'claimsgate_alert_webhook_retries_total'), 6);
    assert.equal(text.types.get('claimsgate_metadata_refreshes_total'), 'counter');
  });

  it('bounds label values: an unknown method becomes OTHER and process metrics come only when asked', async () => {
    const metrics = createGatewayMetrics();
    metrics.recordRequest({ method: 'PROPFIND', route: '/x', statusCode: 207, durationSeconds: 0.01 });
    const text = parseExposition(await metrics.render());
    assert.equal(
      valueOf(text, 'claimsgate_http_request_duration_seconds_count', {
        method: 'OTHER',
        route: '/x',
        status_code: '207',
      }),
      1,
    );
    assert.ok(!text.types.has('process_cpu_seconds_total'));
    const withProcess = parseExposition(await createGatewayMetrics({ processMetrics: true }).render());
    assert.equal(withProcess.types.get('process_cpu_seconds_total'), 'counter');
  });

  it('summarises an issuer from its keys: only usable keys with an expiry count', () => {
    const figures = summariseIssuer(
      { name: 'x', metadataUrl: null, refreshIntervalSeconds: 60 },
      [
        { state: 'revoked', notAfter: new Date(NOW.getTime() + DAY_MS) },
        { state: 'active', notAfter: null },
      ],
      undefined,
    );
    assert.equal(figures.soonestExpiry, null);
    assert.equal(figures.refresh, undefined);
    assert.equal(figures.keysByState.revoked, 1);
  });
});

// --- The real gateway: sign-ins, refreshes and the store through GET /metrics ------------------

describe('GET /metrics on the gateway', () => {
  let fixture: GatewayFixture;
  /** Seconds the fixture's clock has moved past START. */
  let elapsedSeconds = 0;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  function advance(seconds: number): void {
    elapsedSeconds += seconds;
    fixture.advance(seconds);
  }

  async function scrape(): Promise<Exposition> {
    const response = await fixture.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(response.headers['cache-control'], 'no-store');
    return parseExposition(response.body);
  }

  it('counts a successful and a refused sign-in by protocol, outcome and code', async () => {
    const start = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2Freports' });
    const form = await signInAtSimulator(start.headers.location as string, 'alice');
    const binding = bindingCookieOf(start);
    assert.equal((await postForm(fixture.app, '/signin/wsfed', form.fields, binding)).statusCode, 303);
    // The same response again: refused as a replay.
    assert.equal((await postForm(fixture.app, '/signin/wsfed', form.fields, binding)).statusCode, 400);
    const text = await scrape();
    assert.equal(valueOf(text, 'claimsgate_sign_ins_total', { protocol: 'wsfed', outcome: 'success' }), 1);
    assert.equal(
      valueOf(text, 'claimsgate_sign_ins_total', {
        protocol: 'wsfed',
        outcome: 'failure',
        code: 'CG_TOKEN_REPLAYED',
      }),
      1,
    );
    assert.equal(
      valueOf(text, 'claimsgate_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/signin/wsfed',
        status_code: '303',
      }),
      1,
    );
    // SECURITY / cardinality: no user name, URL or return path from the requests became a label value.
    const labelValues = text.samples.flatMap((sample) => Object.values(sample.labels));
    for (const value of labelValues) {
      assert.ok(!/alice|contoso\.test|reports|:\/\//.test(value), `label value ${value}`);
    }
  });

  it("shows the engine's refresh counts, and a new refresh in the next scrape", async () => {
    const before =
      valueOf(await scrape(), 'claimsgate_metadata_refreshes_total', { outcome: 'success' }) ?? 0;
    assert.equal(before, fixture.engine.metrics().refreshes.success);
    assert.ok(before >= 1);
    const result = await fixture.engine.refreshIssuer('sim', { force: true });
    const after = await scrape();
    const outcome = result.outcome;
    assert.equal(
      valueOf(after, 'claimsgate_metadata_refreshes_total', { outcome }),
      fixture.engine.metrics().refreshes[outcome],
    );
    const total = (['success', 'not-modified', 'failure', 'skipped', 'deferred'] as const).reduce(
      (sum, name) => sum + (valueOf(after, 'claimsgate_metadata_refreshes_total', { outcome: name }) ?? 0),
      0,
    );
    assert.equal(
      total,
      Object.values(fixture.engine.metrics().refreshes).reduce((a, b) => a + b, 0),
    );
  });

  it('shows keys by state as the store has them, refreshed once the cache period is over', async () => {
    advance(10);
    const keys = await fixture.store.listKeys(fixture.issuer.id);
    const text = await scrape();
    for (const state of KEY_STATES) {
      assert.equal(
        valueOf(text, 'claimsgate_issuer_keys', { issuer: 'sim', state }),
        keys.filter((key) => key.state === state).length,
        state,
      );
    }
    // Move one key to another usable state (retiring ↔ active), so that sign-ins keep working.
    const moved = keys[0]!;
    const target = moved.state === 'active' ? 'retiring' : 'active';
    const count = (state: string): number => keys.filter((key) => key.state === state).length;
    await fixture.store.setKeyState(moved.id, target, 'test', 'metrics test');
    const cached = await scrape();
    assert.equal(valueOf(cached, 'claimsgate_issuer_keys', { issuer: 'sim', state: target }), count(target));
    advance(6);
    const fresh = await scrape();
    assert.equal(
      valueOf(fresh, 'claimsgate_issuer_keys', { issuer: 'sim', state: target }),
      count(target) + 1,
    );
    assert.equal(
      valueOf(fresh, 'claimsgate_issuer_keys', { issuer: 'sim', state: moved.state }),
      count(moved.state) - 1,
    );
  });

  it('shows seconds since the last good refresh and days to expiry of the usable keys under the injected clock', async () => {
    advance(120);
    const now = new Date(START.getTime() + elapsedSeconds * 1000);
    const state = await fixture.store.getRefreshState(fixture.issuer.id);
    assert.ok(state?.lastSuccessAt instanceof Date);
    const text = await scrape();
    const keys = (await fixture.store.listKeys(fixture.issuer.id)).filter(
      (key) => USABLE_KEY_STATES.has(key.state) && key.notAfter !== null,
    );
    assert.ok(keys.length > 0);
    assertClose(
      valueOf(text, 'claimsgate_metadata_seconds_since_last_success', { issuer: 'sim' }),
      (now.getTime() - state.lastSuccessAt.getTime()) / 1000,
      'seconds since the last good refresh',
    );
    const soonest = Math.min(...keys.map((key) => key.notAfter!.getTime()));
    assertClose(
      valueOf(text, 'claimsgate_issuer_days_to_key_expiry', { issuer: 'sim' }),
      (soonest - now.getTime()) / DAY_MS,
      'days to the soonest expiry',
    );
  });
});

describe('GET /metrics access', () => {
  const TOKEN = 'scrape-token-0123456789abcdefghijklmnopqrstuvwxyz';
  let fixture: GatewayFixture;
  let disabled: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture({ flags: { 'metrics.bearerToken': TOKEN } });
    disabled = await createGatewayFixture({ flags: { 'metrics.enabled': false } });
  });
  after(async () => {
    await fixture.close();
    await disabled.close();
  });

  it('refuses a scrape without the bearer token, or with another, with 401 CG_GATEWAY_METRICS_UNAUTHORIZED', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, 'Bearer']) {
      const response = await fixture.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization === undefined ? {} : { authorization },
      });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.equal(response.json<{ code: string }>().code, 'CG_GATEWAY_METRICS_UNAUTHORIZED');
      assert.match(String(response.headers['www-authenticate']), /^Bearer /);
      assert.ok(!response.body.includes('claimsgate_'));
      assert.ok(!response.body.includes(TOKEN));
    }
  });

  it('serves the metrics to a scrape with the bearer token', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.statusCode, 200);
    assert.ok(parseExposition(response.body).types.has('claimsgate_sign_ins_total'));
  });

  it('has no /metrics route when metrics.enabled is false', async () => {
    const response = await disabled.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 404);
  });
});
