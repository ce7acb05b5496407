import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { judgeReadiness } from '../../src/server/health-routes.js';
import type { Store } from '../../src/store/store.js';
import { createGatewayFixture, START, type GatewayFixture } from './gateway-fixture.js';

describe('health and readiness', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  it('answers /healthz with 200 and status ok', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('answers /readyz with 200 when the store answers and trust is loaded', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready', checks: { store: 'ok', trust: 'ok' } });
  });

  it('answers /readyz with 503 naming the trust check before the engine has loaded', async () => {
    const engine = createRolloverEngine({ store: fixture.store, now: () => START });
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    const app = createGatewayServer({ config, store: fixture.store, engine });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), {
        status: 'not-ready',
        checks: { store: 'ok', trust: 'not-loaded' },
        reason: 'The trust has not been loaded from the store yet.',
      });
    } finally {
      await app.close();
      await engine.stop();
    }
  });

  it('answers /readyz with 503 naming the store check when the store fails', async () => {
    const store = fixture.store;
    // The real store, but for listRealms, which fails.
    const failing = new Proxy(store, {
      get(target, name: keyof typeof store): unknown {
        if (name === 'listRealms') return () => Promise.reject(new Error('database down'));
        const value: unknown = Reflect.get(target, name);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    const app = createGatewayServer({ config, store: failing, engine: fixture.engine });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), {
        status: 'not-ready',
        checks: { store: 'failed', trust: 'ok' },
        reason: 'The store answers with errors.',
      });
    } finally {
      await app.close();
    }
  });

  /** The fixture's store, but for listRealms, which finds the database unreachable; and its calls counted. */
  function unreachableRealms(): { store: Store; calls: { listRealms: number } } {
    const store = fixture.store;
    const calls = { listRealms: 0 };
    const unreachable = new Proxy(store, {
      get(target, name: keyof typeof store): unknown {
        if (name === 'listRealms')
          return () => {
            calls.listRealms += 1;
            return Promise.reject(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'connect ECONNREFUSED'));
          };
        const value: unknown = Reflect.get(target, name);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { store: unreachable, calls };
  }

  it('answers /readyz with 200 degraded, the reason and the outage start while the store is unreachable, without trying it again', async () => {
    const { store, calls } = unreachableRealms();
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    const app = createGatewayServer({ config, store, engine: fixture.engine });
    try {
      const first = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(first.statusCode, 200);
      const body = first.json<{ status: string; checks: object; reason: string; since: string }>();
      assert.equal(body.status, 'degraded');
      assert.deepEqual(body.checks, { store: 'unreachable', trust: 'ok' });
      assert.match(body.reason, /cannot be reached: users are signed in from the trust in memory/);
      assert.ok(!Number.isNaN(Date.parse(body.since)));
      assert.equal(calls.listRealms, 1);
      const second = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(second.json<{ status: string }>().status, 'degraded');
      assert.equal(
        calls.listRealms,
        1,
        'a known outage is answered without a store call (the probe tries it)',
      );
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200);
    } finally {
      await app.close();
    }
  });

  it('answers /readyz with 503 not-ready while the store is unreachable when the replay cache refuses then', async () => {
    const { store } = unreachableRealms();
    const { config } = loadConfig({
      env: {},
      flags: { mode: 'development', 'server.port': 8787, 'database.outage.replayCache': 'refuse' },
    });
    const app = createGatewayServer({ config, store, engine: fixture.engine });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      const body = response.json<{ status: string; checks: object; reason: string }>();
      assert.equal(body.status, 'not-ready');
      assert.deepEqual(body.checks, { store: 'unreachable', trust: 'ok' });
      assert.match(body.reason, /replayCache is refuse/);
    } finally {
      await app.close();
    }
  });
});

describe('judgeReadiness', () => {
  const since = new Date('2026-03-02T09:30:00Z');
  it('is ready with the store and the trust, degraded with an unreachable store under local replay checks, else not ready', () => {
    assert.deepEqual(judgeReadiness({ store: 'ok', trust: 'ok' }, 'local'), {
      status: 'ready',
      checks: { store: 'ok', trust: 'ok' },
    });
    const degraded = judgeReadiness({ store: 'unreachable', trust: 'ok' }, 'local', since);
    assert.equal(degraded.status, 'degraded');
    assert.equal(degraded.since, since.toISOString());
    assert.equal(judgeReadiness({ store: 'unreachable', trust: 'ok' }, 'refuse', since).status, 'not-ready');
    assert.equal(
      judgeReadiness({ store: 'unreachable', trust: 'not-loaded' }, 'local', since).status,
      'not-ready',
    );
    assert.equal(judgeReadiness({ store: 'failed', trust: 'ok' }, 'local').status, 'not-ready');
    assert.equal(judgeReadiness({ store: 'ok', trust: 'not-loaded' }, 'local').status, 'not-ready');
  });
});
