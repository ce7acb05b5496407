/**
 * Key rollover drills in Debian's Chromium: the IdP simulator rolls its
 * signing key over between real browser sign-ins, and the gateway — its
 * rollover engine running on real timers — follows by itself. Every sign-in
 * uses a fresh browser context, so none rides on an earlier session.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createAdminAccount, flashText, signInAdmin } from '../helpers/admin-browser.js';
import { describeInBrowser, expectSignedInAs, navigateBy, screenshot, signInAs } from '../helpers/browser.js';
import { SETUP_ACTOR, startLiveGateway, waitForAudit, type LiveGateway } from '../helpers/live-gateway.js';

/** The OpenID Connect issuer of the simulator's first tenant: the same keys as `sim`, another issuer URI. */
const OIDC_ISSUER = 'sim-oidc';

/** The SHA-1 thumbprint of the simulator key in `state` (`current`, `next`, `previous`). */
function simKey(gateway: LiveGateway, state: string): string {
  const key = gateway.sim.keys()[0]?.keys.find((entry) => entry.state === state);
  assert.ok(key !== undefined, `the simulator has no ${state} key`);
  return key.sha1.toUpperCase();
}

/**
 * Signs `user` in on `page`, whose context is fresh (no cookie; the suite
 * closes it when the test ends), and checks the sample page names them.
 */
async function signInFresh(page: Page, gateway: LiveGateway, user: string, shot?: string): Promise<void> {
  await signInAs(page, `${gateway.gatewayUrl}/`, user);
  await expectSignedInAs(page, `SIM:${user}@contoso.test`);
  if (shot !== undefined) await screenshot(page, shot);
}

describeInBrowser('key rollover between browser sign-ins', (suite) => {
  suite.it(
    'keeps signing users in through announce, switch and retire, and audits the new key added, activated and the old one retired',
    async (page) => {
      // Refreshed every second on the schedule; a key that left the metadata retires at once.
      const gateway = await startLiveGateway({
        refreshIntervalSeconds: 1,
        flags: { 'rollover.graceSeconds': 0 },
      });
      try {
        const oldKey = simKey(gateway, 'current');
        const { id: startId } = await waitForAudit(gateway, `key ${oldKey} added at start`, (entry) => {
          return entry.action === 'key.added' && entry.subject === oldKey;
        });
        await signInFresh(page, gateway, 'alice');

        const [announced] = await gateway.sim.rollover('announce');
        assert.equal(announced?.changed, true);
        const newKey = simKey(gateway, 'next');
        // The schedule finds the announced key: no admin action, no sign-in needed.
        const added = await waitForAudit(gateway, `key ${newKey} added`, (entry) => {
          return entry.action === 'key.added' && entry.subject === newKey;
        });
        assert.equal((added.after as { state?: unknown }).state, 'announced');
        await signInFresh(await suite.newPage(), gateway, 'bob');

        const [switched] = await gateway.sim.rollover('switch');
        assert.equal(switched?.emergency, false);
        assert.equal(simKey(gateway, 'current'), newKey);
        await signInFresh(await suite.newPage(), gateway, 'alice');
        const activated = await waitForAudit(gateway, `key ${newKey} activated`, (entry) => {
          return entry.action === 'key.activated' && entry.subject === newKey;
        });

        const [retired] = await gateway.sim.rollover('retire');
        assert.equal(retired?.changed, true);
        const gone = await waitForAudit(gateway, `key ${oldKey} retired`, (entry) => {
          return entry.action === 'key.retired' && entry.subject === oldKey;
        });
        await signInFresh(await suite.newPage(), gateway, 'bob', 'rollover-after-retire');

        assert.ok(added.id < activated.id && activated.id < gone.id, 'added, then activated, then retired');
        const keys = await gateway.store.listKeys(gateway.issuer.id);
        const stateOf = (sha1: string): string | undefined => keys.find((key) => key.sha1 === sha1)?.state;
        assert.equal(stateOf(newKey), 'active');
        assert.equal(stateOf(oldKey), 'retired');
        // Nobody acted on trust during the drill: only the engine and the store did.
        const drill = await gateway.store.listAudit({ afterId: startId });
        const actors = new Set(drill.map((entry) => entry.actor));
        assert.ok(!actors.has(SETUP_ACTOR), [...actors].join(', '));
        assert.deepEqual(
          [...actors].filter((actor) => actor !== 'refresh' && actor !== 'system' && actor !== 'rollover'),
          [],
        );
        assert.equal(gateway.engine.metrics().unknownKey.refreshes, 0);
      } finally {
        await gateway.close();
      }
    },
    { timeoutMs: 60_000 },
  );

  suite.it(
    'follows an unannounced (emergency) switch at the next sign-in through the unknown-key refresh',
    async (page) => {
      // No scheduled refresh during the test: only the token's unknown key can teach the gateway.
      // An emergency switch signs the metadata with a key nobody announced: a discontinuity,
      // applied with its critical alert under accept-with-alert (as `npm start` sets it).
      const gateway = await startLiveGateway({
        refreshIntervalSeconds: 3_600,
        discontinuityPolicy: 'accept-with-alert',
      });
      try {
        await signInFresh(page, gateway, 'alice');
        const [switched] = await gateway.sim.rollover('switch');
        assert.equal(switched?.emergency, true);
        const newKey = simKey(gateway, 'current');
        assert.equal(
          (await gateway.store.listKeys(gateway.issuer.id)).some((key) => key.sha1 === newKey),
          false,
        );

        await signInFresh(await suite.newPage(), gateway, 'alice');
        assert.equal(gateway.engine.metrics().unknownKey.refreshes, 1);
        const audit = await gateway.store.listAudit({ issuerId: gateway.issuer.id });
        const refresh = audit.find(
          (entry) =>
            entry.action === 'metadata.updated' &&
            (entry.after as { trigger?: { reason?: unknown } } | null)?.trigger?.reason === 'unknown-key',
        );
        assert.ok(refresh !== undefined, audit.map((entry) => entry.action).join(', '));
        assert.ok(audit.some((entry) => entry.action === 'key.added' && entry.subject === newKey));
        assert.ok(audit.some((entry) => entry.action === 'key.activated' && entry.subject === newKey));
        assert.ok(audit.some((entry) => entry.action === 'alert.keys-discontinuous'));
      } finally {
        await gateway.close();
      }
    },
    { timeoutMs: 45_000 },
  );

  suite.it(
    'signs in through both issuers sharing the simulator’s key at once after the README’s restart (fresh simulator keys)',
    async (page) => {
      // The README's `npm start` registers the simulator's issuers with accept-with-alert: its fresh
      // keys at each restart replace every key, which over plain http would otherwise be held.
      const gateway = await startLiveGateway({
        refreshIntervalSeconds: 3_600,
        discontinuityPolicy: 'accept-with-alert',
        flags: {
          'oidc.clients': { [OIDC_ISSUER]: { clientId: 'claimsgate-browser', responseType: 'id_token' } },
        },
        issuers: (sim) => [
          {
            name: OIDC_ISSUER,
            issuerUri: sim.tenantUrls().oidcIssuer,
            metadataUrl: sim.tenantUrls().openIdConfiguration,
            protocols: ['oidc'],
            useForLogin: true,
            label: 'SIMOIDC',
            refreshIntervalSeconds: 3_600,
            discontinuityPolicy: 'accept-with-alert',
            mapping: { label: 'SIMOIDC', nameClaim: 'preferred_username' },
          },
        ],
      });
      try {
        const before = simKey(gateway, 'current');
        await gateway.restart();
        assert.notEqual(simKey(gateway, 'current'), before, 'the restarted simulator signs with a new key');
        // And switches again, unannounced, right after the gateway's start-up
        // refresh: only the tokens can teach both issuers the key.
        const [switched] = await gateway.sim.rollover('switch');
        assert.equal(switched?.emergency, true);
        const after = simKey(gateway, 'current');
        const second = await suite.newPage();
        const start = (issuer: string): string =>
          `${gateway.gatewayUrl}/signin?${new URLSearchParams({ whr: issuer, returnUrl: '/' }).toString()}`;
        await Promise.all([
          signInAs(page, start('sim'), 'alice').then(() => expectSignedInAs(page, 'SIM:alice@contoso.test')),
          signInAs(second, start(OIDC_ISSUER), 'bob').then(() =>
            expectSignedInAs(second, 'SIMOIDC:bob@contoso.test'),
          ),
        ]);
        assert.equal(gateway.engine.metrics().unknownKey.refreshes, 2, 'each issuer fetched at its token');
        for (const name of ['sim', OIDC_ISSUER]) {
          const issuer = await gateway.store.getIssuer(name);
          const keys = await gateway.store.listKeys(issuer!.id);
          assert.ok(
            keys.some((key) => key.sha1 === after && key.state === 'active'),
            `${name} trusts and has used the new key`,
          );
        }
      } finally {
        await gateway.close();
      }
    },
    { timeoutMs: 60_000 },
  );

  suite.it(
    'holds the restarted simulator’s fresh keys for approval by default: the sign-in says so until the admin approves on the site',
    async (page) => {
      // The default policy (auto) over the simulator's plain http: a document replacing every key waits.
      const gateway = await startLiveGateway({
        refreshIntervalSeconds: 3_600,
        setup: ({ store }) => createAdminAccount(store),
      });
      try {
        await signInFresh(page, gateway, 'alice');
        await gateway.restart();
        const fresh = simKey(gateway, 'current');

        const user = await suite.newPage();
        await signInAs(user, `${gateway.gatewayUrl}/`, 'alice');
        const refused = await user.locator('main').innerText();
        assert.ok(refused.includes('CG_TRUST_KEY_PENDING_APPROVAL'), refused.slice(0, 1000));
        await screenshot(user, 'rollover-held-for-approval');

        const admin = await suite.newPage();
        await signInAdmin(admin, gateway.gatewayUrl, '/admin/issuers/sim');
        const pending = admin.locator('section[aria-labelledby="pending-change"]');
        assert.ok((await pending.innerText()).includes(fresh), 'the page shows the key the change adds');
        await navigateBy(admin, () => admin.getByRole('button', { name: 'Approve this change' }).click());
        assert.match(await flashText(admin), /Approved and applied the pending change of sim/);
        await screenshot(admin, 'rollover-approved');

        await signInFresh(await suite.newPage(), gateway, 'bob');
        const keys = await gateway.store.listKeys(gateway.issuer.id);
        assert.ok(keys.some((key) => key.sha1 === fresh && key.state === 'active'));
        const actors = (await gateway.store.listAudit({ issuerId: gateway.issuer.id }))
          .filter((entry) => entry.action === 'change.approved')
          .map((entry) => entry.actor);
        assert.deepEqual(actors, ['admin:local:alice']);
      } finally {
        await gateway.close();
      }
    },
    { timeoutMs: 60_000 },
  );
});
