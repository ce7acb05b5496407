import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';

const BASE = { mode: 'development', 'server.port': 8787 };

describe('admin.enabled in gateway mode', () => {
  it('defaults to on without an upstream and off with one, and an explicit choice wins', () => {
    assert.equal(loadConfig({ env: {}, flags: BASE }).config.admin.enabled, true);
    const proxied = { ...BASE, 'gateway.upstream': 'http://127.0.0.1:3000' };
    assert.equal(loadConfig({ env: {}, flags: proxied }).config.admin.enabled, false);
    assert.equal(
      loadConfig({ env: { CLAIMSGATE_ADMIN_ENABLED: 'true' }, flags: proxied }).config.admin.enabled,
      true,
    );
  });
});
