/**
 * Home-realm discovery in Debian's Chromium: with more issuers than the
 * chooser lists, the sign-in page asks for an e-mail address; the plain
 * GET form sends it, the gateway finds the issuer holding its domain and
 * the browser arrives at that issuer's sign-in at the IdP simulator.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { DEFAULT_TENANT } from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import { describeInBrowser, expectSignedInAs, screenshot } from '../helpers/browser.js';
import { startLiveGateway, type LiveGateway } from '../helpers/live-gateway.js';

/** The simulator's tenant behind the issuer that holds the domain (the `sim` issuer has the first one). */
const TENANT = 'hrd-tenant';

describeInBrowser('home-realm discovery by e-mail address in a browser', (suite) => {
  let gateway: LiveGateway;
  before(async () => {
    gateway = await startLiveGateway({
      // Two issuers, a limit of one: the page asks for an address and lists none.
      flags: { 'signIn.chooserLimit': 1 },
      simulator: { tenants: [DEFAULT_TENANT, TENANT] },
      issuers: (sim) => {
        const urls = sim.tenantUrls(TENANT);
        return [
          {
            name: 'contoso',
            issuerUri: urls.entityId,
            metadataUrl: urls.federationMetadata,
            loginUrl: urls.wsfed,
            label: 'CONTOSO',
            refreshIntervalSeconds: 3_600,
            domains: ['contoso.test'],
            mapping: { label: 'CONTOSO', nameClaim: CLAIM_TYPES.upn, groupClaim: CLAIM_TYPES.groups },
          },
        ];
      },
    });
  });
  after(() => gateway?.close());

  suite.it(
    'asks for an address, says so for an unknown domain, and sends a known one to its issuer’s sign-in',
    async (page) => {
      await page.goto(`${gateway.gatewayUrl}/signin?returnUrl=%2F`);
      const address = page.getByLabel('Your work e-mail address');
      await address.waitFor({ state: 'visible' });
      assert.equal(await page.locator('script').count(), 0);
      assert.equal(await page.locator('a[href*="whr="]').count(), 0, 'no issuer is listed');

      await address.fill('bob@nowhere.example');
      await Promise.all([
        page.waitForURL(/login_hint=/),
        page.getByRole('button', { name: 'Continue' }).click(),
      ]);
      assert.match(await page.getByRole('alert').innerText(), /nowhere\.example is not set up here/);
      assert.equal(await address.inputValue(), 'bob@nowhere.example');
      await screenshot(page, 'home-realm-discovery-unknown-domain');

      await address.fill('Alice@CONTOSO.test');
      const picker = gateway.sim.tenantUrls(TENANT).wsfed;
      await Promise.all([
        page.waitForURL((url) => `${url.origin}${url.pathname}` === picker),
        page.getByRole('button', { name: 'Continue' }).click(),
      ]);
      const atIssuer = new URL(page.url());
      assert.equal(atIssuer.searchParams.get('wa'), 'wsignin1.0');
      assert.equal(atIssuer.searchParams.get('wtrealm'), gateway.gatewayUrl);

      const button = page.locator('button[name="user"][value="alice"]');
      await button.waitFor({ state: 'visible' });
      await Promise.all([
        page.waitForURL((url) => url.origin === gateway.gatewayUrl, { waitUntil: 'load' }),
        button.click(),
      ]);
      await expectSignedInAs(page, 'CONTOSO:alice@contoso.test');
    },
  );
});
