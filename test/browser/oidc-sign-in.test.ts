/**
 * OpenID Connect sign-in in Debian's Chromium: issuers registered by the IdP
 * simulator's discovery URL, claimsgate as the client `claimsgate-browser`,
 * the authorization request by redirect and the answer by `form_post` — the
 * code flow (the code redeemed by the gateway, never an id_token in the
 * browser) and the id_token flow.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { decodeJwt } from 'jose';
import { DEFAULT_TENANT } from '../../src/idp-sim/idp-sim-server.js';
import type { SimLogEntry } from '../../src/idp-sim/sim-logger.js';
import type { TenantUrls } from '../../src/idp-sim/tenant-urls.js';
import { OIDC_SCOPE } from '../../src/server/oidc-sign-in.js';
import {
  describeInBrowser,
  expectSignedInAs,
  findNavigation,
  readClaimsTable,
  recordNavigations,
  screenshot,
  signInAs,
  type Navigation,
} from '../helpers/browser.js';
import { startLiveGateway, type LiveIssuer, type LiveGateway } from '../helpers/live-gateway.js';

const COOKIE = 'claimsgate_session';
const CLIENT_ID = 'claimsgate-browser';
/** The code flow, at the simulator's first tenant. */
const CODE_ISSUER = 'oidc-sim';
const CODE_LABEL = 'OIDC';
/** The id_token flow, at a second tenant (an issuer URI belongs to one issuer). */
const ID_TOKEN_ISSUER = 'oidc-id-token';
const ID_TOKEN_LABEL = 'OIDCID';
const ID_TOKEN_TENANT = 'oidc-id-token-tenant';

/** An issuer registered by its discovery URL alone, its users named by `preferred_username`. */
function oidcIssuer(name: string, urls: TenantUrls, label: string): LiveIssuer {
  return {
    name,
    issuerUri: urls.oidcIssuer,
    metadataUrl: urls.openIdConfiguration,
    protocols: ['oidc'],
    label,
    refreshIntervalSeconds: 3_600,
    mapping: { label, nameClaim: 'preferred_username' },
  };
}

/** Whether any request of the browser carried an `id_token` parameter, in its query or its form. */
function carriedIdToken(navigations: readonly Navigation[]): boolean {
  return navigations.some(
    (navigation) => navigation.url.searchParams.has('id_token') || navigation.form.has('id_token'),
  );
}

describeInBrowser('OpenID Connect sign-in in a browser', (suite) => {
  let gateway: LiveGateway;
  const simLog: SimLogEntry[] = [];
  const redeemedCodes = (user: string): SimLogEntry[] =>
    simLog.filter((entry) => entry.event === 'idp-sim.oidc.token' && entry.user === user);

  before(async () => {
    gateway = await startLiveGateway({
      simulator: { tenants: [DEFAULT_TENANT, ID_TOKEN_TENANT], logger: (entry) => simLog.push(entry) },
      flags: {
        'oidc.clients': {
          [CODE_ISSUER]: { clientId: CLIENT_ID },
          [ID_TOKEN_ISSUER]: { clientId: CLIENT_ID, responseType: 'id_token' },
        },
      },
      issuers: (sim) => [
        oidcIssuer(CODE_ISSUER, sim.tenantUrls(), CODE_LABEL),
        oidcIssuer(ID_TOKEN_ISSUER, sim.tenantUrls(ID_TOKEN_TENANT), ID_TOKEN_LABEL),
      ],
    });
    // The engine refreshed both at start: discovery document and key set stored.
    for (const name of [CODE_ISSUER, ID_TOKEN_ISSUER]) {
      const issuer = await gateway.store.getIssuer(name);
      assert.ok(issuer !== undefined);
      assert.ok((await gateway.store.listKeys(issuer.id)).length > 0, `${name} has no keys after the start`);
    }
  });
  after(() => gateway?.close());

  /** `/signin` for `issuer`, back to `/`. */
  const startUrlOf = (issuer: string): string =>
    `${gateway.gatewayUrl}/signin?${new URLSearchParams({ whr: issuer, returnUrl: '/' }).toString()}`;

  /**
   * Checks the authorization request the gateway redirected the browser to
   * and the answer the simulator's page posted back to `/signin/oidc`.
   */
  async function checkRoundTrip(
    navigations: readonly Navigation[],
    issuer: string,
    urls: TenantUrls,
    responseType: 'code' | 'id_token',
  ): Promise<{ authorize: URLSearchParams; posted: URLSearchParams }> {
    const redirectUri = `${gateway.gatewayUrl}/signin/oidc`;
    const toIdp = findNavigation(navigations, 'GET', urls.authorize);
    assert.equal(toIdp.redirectedFrom?.href, startUrlOf(issuer));
    assert.equal((await toIdp.request.redirectedFrom()?.response())?.status(), 302);
    const authorize = toIdp.url.searchParams;
    assert.equal(authorize.get('client_id'), CLIENT_ID);
    assert.equal(authorize.get('response_type'), responseType);
    assert.equal(authorize.get('response_mode'), 'form_post');
    assert.equal(authorize.get('redirect_uri'), redirectUri);
    assert.equal(authorize.get('scope'), OIDC_SCOPE);
    assert.match(authorize.get('nonce') ?? '', /^[A-Za-z0-9_-]{22}$/);
    assert.ok((authorize.get('state') ?? '') !== '', 'the request carries state');

    const postedTo = findNavigation(navigations, 'POST', redirectUri);
    const posted = postedTo.form;
    assert.deepEqual([...posted.keys()].sort(), [responseType, 'state'].sort());
    assert.equal(posted.get('state'), authorize.get('state'));
    assert.equal((await postedTo.request.response())?.status(), 303);
    assert.equal(
      findNavigation(navigations, 'GET', `${gateway.gatewayUrl}/`).redirectedFrom?.href,
      redirectUri,
    );
    return { authorize, posted };
  }

  suite.it(
    'signs alice in with the code flow: PKCE, the code posted back and redeemed by the gateway, no id_token in the browser',
    async (page) => {
      const urls = gateway.sim.tenantUrls();
      const navigations = recordNavigations(page);
      const { picker, landed } = await signInAs(page, startUrlOf(CODE_ISSUER), 'alice');
      assert.equal(`${picker.origin}${picker.pathname}`, urls.authorize);
      assert.equal(landed.href, `${gateway.gatewayUrl}/`);

      const { authorize, posted } = await checkRoundTrip(navigations, CODE_ISSUER, urls, 'code');
      assert.equal(authorize.get('code_challenge_method'), 'S256');
      assert.match(authorize.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok((posted.get('code') ?? '') !== '');
      assert.ok(!carriedIdToken(navigations), 'the id_token never passed through the browser');
      // The back channel: the gateway redeemed alice's code at the token endpoint, once, as the client.
      const redeemed = redeemedCodes('alice');
      assert.equal(redeemed.length, 1, JSON.stringify(simLog.map((entry) => entry.event)));
      assert.equal(redeemed[0]?.['clientId'], CLIENT_ID);

      await expectSignedInAs(page, `${CODE_LABEL}:alice@contoso.test`);
      assert.equal(await page.locator('main strong').nth(1).innerText(), CODE_ISSUER);
      const claims = await readClaimsTable(page);
      assert.deepEqual(claims['preferred_username'], ['alice@contoso.test']);
      assert.deepEqual(claims['name'], ['Alice Example']);
      assert.deepEqual(claims['tid'], [DEFAULT_TENANT]);
      // The id_token the gateway redeemed belongs to this sign-in.
      assert.deepEqual(claims['nonce'], [authorize.get('nonce')]);
      const cookies = await page.context().cookies(gateway.gatewayUrl);
      assert.ok(cookies.some((cookie) => cookie.name === COOKIE && cookie.httpOnly));
      assert.equal(await page.locator('script').count(), 0);
      await screenshot(page, 'oidc-sample-page');
    },
  );

  suite.it(
    'signs bob in with the id_token flow: the id_token posted back carries this sign-in’s nonce and no code is redeemed',
    async (page) => {
      const urls = gateway.sim.tenantUrls(ID_TOKEN_TENANT);
      const navigations = recordNavigations(page);
      const { picker } = await signInAs(page, startUrlOf(ID_TOKEN_ISSUER), 'bob');
      assert.equal(`${picker.origin}${picker.pathname}`, urls.authorize);

      const { authorize, posted } = await checkRoundTrip(navigations, ID_TOKEN_ISSUER, urls, 'id_token');
      assert.equal(authorize.get('code_challenge'), null, 'no PKCE without a code');
      const idToken = decodeJwt(posted.get('id_token') ?? '');
      assert.equal(idToken.iss, urls.oidcIssuer);
      assert.equal(idToken.aud, CLIENT_ID);
      assert.equal(idToken['nonce'], authorize.get('nonce'));
      assert.equal(idToken['preferred_username'], 'bob@contoso.test');
      assert.deepEqual(redeemedCodes('bob'), [], 'nothing was redeemed at the token endpoint');

      await expectSignedInAs(page, `${ID_TOKEN_LABEL}:bob@contoso.test`);
      assert.equal(await page.locator('main strong').nth(1).innerText(), ID_TOKEN_ISSUER);
      const claims = await readClaimsTable(page);
      assert.deepEqual(claims['preferred_username'], ['bob@contoso.test']);
      assert.deepEqual(claims['tid'], [ID_TOKEN_TENANT]);
      await screenshot(page, 'oidc-id-token-sample-page');
    },
  );
});
