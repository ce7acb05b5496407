/**
 * The admin site in Debian's Chromium, driven as an operator drives it:
 * fields found by their labels, buttons and links by their roles and names,
 * the keyboard where it is natural — so passing also proves the labels,
 * captions, regions and the navigation's `aria-current` are wired up. This
 * file covers signing in and out, "Refresh now", a checkbox of the issuer
 * form and the navigation;
 * admin-trust.test.ts covers import, adding and revoking keys. Every test
 * starts in a fresh browser context and signs in with the local admin
 * account created in the store before the gateway starts.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Locator } from 'playwright-core';
import { DEFAULT_TENANT } from '../../src/idp-sim/idp-sim-server.js';
import {
  ADMIN_ACTOR,
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  adminNavLink,
  createAdminAccount,
  filterAuditLog,
  flashText,
  heading,
  LOGIN_TITLE,
  pathOf,
  rowWith,
  signInAdmin,
} from '../helpers/admin-browser.js';
import { describeInBrowser, navigateBy, screenshot } from '../helpers/browser.js';
import { startLiveGateway, type LiveGateway } from '../helpers/live-gateway.js';

/** The simulator tenant behind `refresh-aad`, which announces a key before "Refresh now". */
const REFRESH_TENANT = 'refresh-tenant';
const REFRESHED = 'refresh-aad';

describeInBrowser('the admin site in a browser: sign-in, refresh, navigation', (suite) => {
  let gateway: LiveGateway;

  before(async () => {
    gateway = await startLiveGateway({
      // No scheduled refresh during the tests: every refresh after the start is the admin's.
      refreshIntervalSeconds: 3_600,
      simulator: { tenants: [DEFAULT_TENANT, REFRESH_TENANT] },
      issuers: (sim) => {
        const urls = sim.tenantUrls(REFRESH_TENANT);
        return [
          {
            name: REFRESHED,
            issuerUri: urls.entityId,
            metadataUrl: urls.federationMetadata,
            refreshIntervalSeconds: 3_600,
          },
        ];
      },
      setup: ({ store }) => createAdminAccount(store),
    });
  });
  after(() => gateway?.close());

  suite.it('sends a signed-out visitor of /admin to the login page and signs the admin in', async (page) => {
    await page.goto(`${gateway.gatewayUrl}/admin`);
    assert.equal(pathOf(page), `/admin/login?${new URLSearchParams({ returnUrl: '/admin' }).toString()}`);
    assert.equal(await heading(page).innerText(), LOGIN_TITLE);
    await screenshot(page, 'admin-login');

    // A wrong password: the one message, announced, and the user name kept.
    await page.getByLabel('User name').fill(ADMIN_USERNAME);
    await page.getByLabel('Password').fill('not the password at all');
    await navigateBy(page, () => page.getByLabel('Password').press('Enter'));
    assert.equal(new URL(page.url()).pathname, '/admin/login');
    assert.equal(
      await page.getByRole('alert').innerText(),
      'Sign-in failed: the user name or the password is wrong.',
    );
    assert.equal(await page.getByLabel('User name').inputValue(), ADMIN_USERNAME);

    // The right one, submitted from the keyboard.
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await navigateBy(page, () => page.getByLabel('Password').press('Enter'));
    assert.equal(pathOf(page), '/admin');
    assert.equal(await heading(page).innerText(), 'Issuers');
    assert.match(
      await page.getByRole('banner').innerText(),
      new RegExp(`Signed in as local:${ADMIN_USERNAME}\\b`),
    );
    assert.equal(await adminNavLink(page, 'Issuers').getAttribute('aria-current'), 'page');
    const issuers = page.getByRole('table', { name: /^Issuers \(\d+\)$/ });
    for (const name of ['sim', REFRESHED]) {
      assert.equal(await issuers.getByRole('rowheader', { name, exact: true }).count(), 1, name);
    }
    await screenshot(page, 'admin-issuers');
  });

  suite.it(
    'refreshes an issuer on "Refresh now", says the outcome, and the audit log shows the refresh',
    async (page) => {
      const [announced] = await gateway.sim.rollover('announce', REFRESH_TENANT);
      assert.equal(announced?.changed, true);
      const next = gateway.sim
        .keys()
        .find((tenant) => tenant.tenant === REFRESH_TENANT)
        ?.keys.find((key) => key.state === 'next');
      assert.ok(next !== undefined, 'the simulator announced a next key');
      const newKey = next.sha1.toUpperCase();

      await signInAdmin(page, gateway.gatewayUrl, `/admin/issuers/${REFRESHED}`);
      const table = (count: number): Locator =>
        page.getByRole('table', { name: `Keys of ${REFRESHED} (${count})` });
      assert.equal(await rowWith(table(1), newKey).count(), 0, 'the new key is not known before the refresh');
      await navigateBy(page, () => page.getByRole('button', { name: 'Refresh now' }).click());

      assert.equal(new URL(page.url()).pathname, `/admin/issuers/${REFRESHED}`);
      assert.match(
        await flashText(page),
        new RegExp(`^Refreshed ${REFRESHED}: success; 2 usable key\\(s\\)\\.`),
      );
      assert.match(await rowWith(table(2), newKey).innerText(), /\bannounced\b/);
      const refreshFacts = await page.getByRole('region', { name: 'Metadata refresh' }).innerText();
      assert.match(refreshFacts, /Last refresh\s+success/);

      const audit = await filterAuditLog(page, REFRESHED, 'issuer.refresh-requested');
      const requested = audit.getByRole('row').filter({ hasText: 'issuer.refresh-requested' });
      assert.equal(await requested.count(), 1);
      const requestedText = await requested.innerText();
      assert.ok(requestedText.includes(ADMIN_ACTOR), `the admin asked for it: ${requestedText}`);
      assert.ok(requestedText.includes(gateway.sim.tenantUrls(REFRESH_TENANT).federationMetadata));

      // What the refresh itself changed: the document and the new key, with the request's facts.
      const all = await filterAuditLog(page, REFRESHED, '');
      const updated = await rowWith(all, 'metadata.updated').last().innerText();
      assert.match(updated, /\bsuccess\b/);
      assert.match(updated, /HTTP 200/);
      assert.equal(await rowWith(all, newKey).filter({ hasText: 'key.added' }).count(), 1);
    },
  );

  suite.it(
    'turns "require the assertion itself to be signed" off and on again in the issuer form, and saving keeps it',
    async (page) => {
      const name = gateway.issuer.name;
      const required = async (): Promise<boolean> =>
        (await gateway.store.getIssuer(name))!.requireSignedAssertion;
      assert.equal(await required(), true, 'on by default');
      await signInAdmin(page, gateway.gatewayUrl, `/admin/issuers/${name}/edit`);
      const box = page.getByLabel(/require the assertion itself to be signed/);
      const save = async (): Promise<void> => {
        await navigateBy(page, () => page.getByRole('button', { name: 'Save changes' }).click());
        assert.equal(new URL(page.url()).pathname, `/admin/issuers/${name}`);
        assert.match(await flashText(page), new RegExp(`^Saved issuer ${name}\\.`));
      };

      assert.equal(await box.isChecked(), true);
      await box.uncheck();
      await save();
      assert.equal(await required(), false, 'unchecked: off');
      assert.match(
        await page.getByRole('region', { name: 'Fields' }).innerText(),
        /SAML 2\.0 assertions\s+signed themselves or inside a signed Response/,
      );

      await page.goto(`${gateway.gatewayUrl}/admin/issuers/${name}/edit`);
      assert.equal(await box.isChecked(), false, 'the form shows it off');
      await save();
      assert.equal(await required(), false, 'saved untouched: still off');
      await page.goto(`${gateway.gatewayUrl}/admin/issuers/${name}/edit`);
      await box.check();
      await save();
      assert.equal(await required(), true, 'checked: on again');
    },
  );

  suite.it(
    'reaches every section from the navigation, marks it current, and skips to the content',
    async (page) => {
      await signInAdmin(page, gateway.gatewayUrl, '/admin');
      await page.keyboard.press('Tab');
      const skip = page.getByRole('link', { name: 'Skip to main content' });
      assert.equal(await skip.evaluate((element) => element === document.activeElement), true);

      const sections: ReadonlyArray<readonly [string, string, string]> = [
        ['Realms', '/admin/realms', 'Realms'],
        ['Claim mappings', '/admin/mappings', 'Claim mappings'],
        ['Audit log', '/admin/audit', 'Audit log'],
        ['Thumbprint calculator', '/admin/thumbprint', 'Thumbprint calculator'],
        ['Health', '/admin/health', 'Health'],
        ['Issuers', '/admin', 'Issuers'],
      ];
      for (const [link, path, title] of sections) {
        await navigateBy(page, () => adminNavLink(page, link).click());
        assert.equal(pathOf(page), path);
        assert.equal(await heading(page).innerText(), title, path);
        assert.equal(await adminNavLink(page, link).getAttribute('aria-current'), 'page', link);
        assert.equal(
          await page.locator('nav [aria-current="page"]').count(),
          1,
          `${path}: one current section`,
        );
        if (path === '/admin/health') {
          const freshness = page.getByRole('table', { name: /^Issuer freshness/ });
          assert.equal(await freshness.getByRole('row').filter({ hasText: REFRESHED }).count(), 1);
          assert.match(await page.getByRole('main').innerText(), /Backend\s+sqlite/);
          await screenshot(page, 'admin-health');
        }
      }
    },
  );

  suite.it(
    'sends a signed-out browser from /admin/audit to the login page, before and after a sign-out',
    async (page) => {
      await page.goto(`${gateway.gatewayUrl}/admin/audit`);
      assert.equal(
        pathOf(page),
        `/admin/login?${new URLSearchParams({ returnUrl: '/admin/audit' }).toString()}`,
      );
      assert.equal(await heading(page).innerText(), LOGIN_TITLE);
      assert.equal(await page.getByRole('table').count(), 0, 'nothing of the audit log is shown');

      // Signing in returns to the page asked for; signing out ends the session.
      await navigateBy(page, async () => {
        await page.getByLabel('User name').fill(ADMIN_USERNAME);
        await page.getByLabel('Password').fill(ADMIN_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
      });
      assert.equal(pathOf(page), '/admin/audit');
      assert.equal(await heading(page).innerText(), 'Audit log');
      const session = gateway.config.session.cookieName;
      const hasSession = async (): Promise<boolean> =>
        (await page.context().cookies(gateway.gatewayUrl)).some((cookie) => cookie.name === session);
      assert.equal(await hasSession(), true, 'signed in: a session cookie');
      await navigateBy(page, () => page.getByRole('button', { name: 'Sign out' }).click());
      assert.equal(pathOf(page), '/admin/login');
      assert.equal(await hasSession(), false, 'signed out: the session cookie is gone');

      await page.goto(`${gateway.gatewayUrl}/admin/audit`);
      assert.equal(new URL(page.url()).pathname, '/admin/login');
      assert.equal(await heading(page).innerText(), LOGIN_TITLE);
    },
  );
});
