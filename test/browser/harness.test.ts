/**
 * The browser harness itself, without a browser: the skip reason, the
 * screenshot names it accepts, and the live gateway's start and close.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkipReason, screenshot } from '../helpers/browser.js';
import { findFreePort, SETUP_ACTOR, startLiveGateway } from '../helpers/live-gateway.js';

describe('the browser harness', () => {
  it('gives the package to install when chromium is missing', () => {
    const reason = browserSkipReason('/nonexistent/chromium');
    assert.ok(reason?.startsWith("Debian's chromium is not installed: apt-get install -y chromium"), reason);
  });

  it('refuses a screenshot name that could leave the screenshot folder', async () => {
    const page = {} as Page;
    await assert.rejects(screenshot(page, '../escape'), TypeError);
    await assert.rejects(screenshot(page, 'a/b'), TypeError);
    await assert.rejects(screenshot(page, ''), TypeError);
  });

  it('starts a listening gateway whose public URL, realm and issuer point at each other, and frees its port on close', async () => {
    const gateway = await startLiveGateway({ refreshIntervalSeconds: 3_600 });
    let closed = false;
    try {
      assert.match(gateway.gatewayUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(gateway.config.server.publicUrl, gateway.gatewayUrl);
      const ready = await fetch(`${gateway.gatewayUrl}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      const start = await fetch(`${gateway.gatewayUrl}/signin?returnUrl=%2F`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      const location = new URL(start.headers.get('location') ?? '');
      assert.equal(`${location.origin}${location.pathname}`, gateway.sim.tenantUrls().wsfed);
      assert.equal(location.searchParams.get('wtrealm'), gateway.gatewayUrl);
      const keys = await gateway.store.listKeys(gateway.issuer.id);
      assert.equal(keys.length, 1, 'the engine refreshed the issuer at start');
      const audit = await gateway.store.listAudit();
      assert.ok(audit.some((entry) => entry.actor === SETUP_ACTOR && entry.action === 'realm.created'));
      await gateway.close();
      closed = true;
      await assert.rejects(fetch(`${gateway.gatewayUrl}/healthz`));
    } finally {
      if (!closed) await gateway.close();
    }
  });

  it('finds a port that can be bound on 127.0.0.1', async () => {
    const port = await findFreePort();
    assert.ok(Number.isInteger(port) && port > 0 && port < 65_536);
  });
});
