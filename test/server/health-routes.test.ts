import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
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
      assert.deepEqual(response.json(), { status: 'not-ready', checks: { store: 'failed', trust: 'ok' } });
    } finally {
      await app.close();
    }
  });
});
