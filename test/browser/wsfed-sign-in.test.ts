/**
 * WS-Federation sign-in in Debian's Chromium: the gateway's sample page, the
 * IdP simulator's user picker, the auto-posted token, the session cookie,
 * sign-out — real HTTP, real redirects, real cookies.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { DEFAULT_TENANT } from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import {
  describeInBrowser,
  expectSignedInAs,
  readClaimsTable,
  screenshot,
  signInAs,
} from '../helpers/browser.js';
import { startLiveGateway, type LiveGateway } from '../helpers/live-gateway.js';

const COOKIE = 'claimsgate_session';

describeInBrowser('WS-Federation sign-in in a browser', (suite) => {
  let gateway: LiveGateway;
  before(async () => {
    gateway = await startLiveGateway();
  });
  after(() => gateway?.close());

  suite.it(
    'signs alice in from the sample page through the user picker, shows her claims, and signs her out',
    async (page) => {
      const visited: string[] = [];
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) visited.push(frame.url());
      });

      const { picker, landed } = await signInAs(page, `${gateway.gatewayUrl}/`, 'alice');
      assert.equal(`${picker.origin}${picker.pathname}`, gateway.sim.tenantUrls().wsfed);
      assert.equal(picker.searchParams.get('wa'), 'wsignin1.0');
      assert.equal(picker.searchParams.get('wtrealm'), gateway.gatewayUrl);
      assert.equal(picker.searchParams.get('wreply'), `${gateway.gatewayUrl}/signin/wsfed`);
      assert.equal(landed.href, `${gateway.gatewayUrl}/`);

      await expectSignedInAs(page, 'SIM:alice@contoso.test');
      assert.equal(await page.locator('main strong').nth(1).innerText(), 'sim');
      const claims = await readClaimsTable(page);
      assert.deepEqual(claims[CLAIM_TYPES.upn], ['alice@contoso.test']);
      assert.deepEqual(claims[CLAIM_TYPES.givenName], ['Alice']);
      assert.deepEqual(claims[CLAIM_TYPES.surname], ['Example']);
      assert.deepEqual(claims[CLAIM_TYPES.tenantId], [DEFAULT_TENANT]);
      assert.equal(claims[CLAIM_TYPES.groups]?.length, 1);
      assert.equal(await page.locator('script').count(), 0);

      const cookies = await page.context().cookies(gateway.gatewayUrl);
      const session = cookies.find((cookie) => cookie.name === COOKIE);
      assert.ok(session !== undefined, `no ${COOKIE} cookie: ${JSON.stringify(cookies.map((c) => c.name))}`);
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      assert.equal(session.secure, false);
      await screenshot(page, 'wsfed-sample-page');

      // A reload stays signed in: the cookie carries the session.
      await page.reload();
      await expectSignedInAs(page, 'SIM:alice@contoso.test');

      // Sign-out clears the cookie, tells the issuer (wsignout1.0), whose
      // signed-out page returns to the sample page, which asks for a sign-in again.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('button[name="user"][value="alice"]').waitFor({ state: 'visible' });
      const signOut = visited
        .map((url) => new URL(url))
        .find((url) => url.searchParams.get('wa') === 'wsignout1.0');
      assert.ok(signOut !== undefined, `no wsignout1.0 among ${visited.join(', ')}`);
      assert.equal(`${signOut.origin}${signOut.pathname}`, gateway.sim.tenantUrls().wsfed);
      assert.equal(signOut.searchParams.get('wreply'), `${gateway.gatewayUrl}/`);
      const remaining = await page.context().cookies(gateway.gatewayUrl);
      assert.equal(
        remaining.find((cookie) => cookie.name === COOKIE),
        undefined,
      );
      assert.equal(new URL(page.url()).searchParams.get('wa'), 'wsignin1.0');
    },
  );

  suite.it(
    'shows the error page with its code, and no session, when the posted token was altered',
    async (page) => {
      // The token is changed on its way from the simulator's auto-post page to the gateway.
      let altered = false;
      await page.route(`${gateway.gatewayUrl}/signin/wsfed`, async (route) => {
        const fields = new URLSearchParams(route.request().postData() ?? '');
        const wresult = fields.get('wresult') ?? '';
        altered = wresult.includes('alice@contoso.test');
        fields.set('wresult', wresult.replaceAll('alice@contoso.test', 'admin@contoso.test'));
        await route.continue({ postData: fields.toString() });
      });
      const { landed } = await signInAs(page, `${gateway.gatewayUrl}/`, 'alice');
      assert.ok(altered, 'the posted wresult carried alice and was altered');
      assert.equal(landed.pathname, '/signin/wsfed');
      const text = await page.locator('main').innerText();
      assert.match(text, /Sign-in failed/);
      // The UPN sits inside the signed assertion: its digest no longer matches.
      assert.match(text, /Error code: CG_SIG_DIGEST_MISMATCH/);
      assert.ok(!text.includes('contoso.test'));
      const cookies = await page.context().cookies(gateway.gatewayUrl);
      assert.equal(
        cookies.find((cookie) => cookie.name === COOKIE),
        undefined,
      );
      await screenshot(page, 'wsfed-refused-token');
    },
  );
});
