/**
 * The simulator signs WS-Federation, SAML 2.0 and OpenID Connect tokens with
 * one key, for two issuers (its entity `<base>/<tenant>/` and its OIDC issuer
 * `<base>/<tenant>/v2.0`), as Azure AD does. After an unannounced key switch,
 * the first sign-in by each protocol succeeds in the same request, whichever
 * protocol comes first. The simulator signs its metadata with the new key at
 * once, a discontinuity (nobody announced that key): both issuers are set to
 * accept-with-alert, as `npm start` sets them; over plain http the default
 * would hold the document for an administrator (test/server/key-continuity).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  bindingCookieOf,
  cookiePair,
  createGatewayFixture,
  postForm,
  setCookieOf,
  signInAtSimulator,
  type GatewayFixture,
} from './gateway-fixture.js';

const OIDC_CLIENT = '5c1e0b7a-9d2f-4e3a-8b6c-1f0e2d3c4b5a';
const SESSION_COOKIE = 'claimsgate_session';

type Protocol = 'wsfed' | 'saml2' | 'oidc';

const ISSUER_OF: Readonly<Record<Protocol, string>> = { wsfed: 'sim', saml2: 'sim', oidc: 'sim-oidc' };

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('an unannounced key switch at an issuer whose key signs for two issuers and three protocols', () => {
  let fixture: GatewayFixture;

  before(async () => {
    fixture = await createGatewayFixture({
      flags: { 'oidc.clients': { 'sim-oidc': { clientId: OIDC_CLIENT, responseType: 'id_token' } } },
    });
    await fixture.store.updateIssuer(
      fixture.issuer.id,
      { protocols: ['wsfed', 'saml2'], discontinuityPolicy: 'accept-with-alert' },
      'test',
    );
    const urls = fixture.sim.tenantUrls();
    const oidc = await fixture.store.createIssuer(
      {
        name: 'sim-oidc',
        issuerUri: urls.oidcIssuer,
        protocols: ['oidc'],
        metadataUrl: urls.openIdConfiguration,
        useForLogin: true,
        label: 'SIMOIDC',
        discontinuityPolicy: 'accept-with-alert',
      },
      'test',
    );
    await fixture.store.createClaimMapping(
      { issuerId: oidc.id, label: 'SIMOIDC', nameClaim: 'preferred_username' },
      'test',
    );
    await fixture.engine.refreshIssuer('sim-oidc', { force: true });
    await fixture.engine.reload();
  });

  after(() => fixture.close());

  /** Signs alice in with `protocol` as a browser does, and returns the gateway's answer to the posted token. */
  async function signIn(protocol: Protocol): Promise<LightMyRequestResponse> {
    const query = new URLSearchParams({ returnUrl: '/', whr: ISSUER_OF[protocol], protocol });
    const start = await fixture.app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
    assert.equal(start.statusCode, 302, start.body);
    const form = await signInAtSimulator(start.headers.location as string);
    return postForm(fixture.app, new URL(form.action).pathname, form.fields, bindingCookieOf(start));
  }

  async function assertSignedIn(response: LightMyRequestResponse, protocol: Protocol): Promise<void> {
    assert.equal(response.statusCode, 303, `${protocol}: ${response.body}`);
    const session = setCookieOf(response, SESSION_COOKIE);
    assert.ok(session !== undefined, `${protocol}: a session cookie`);
    const page = await fixture.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: cookiePair(session) },
    });
    assert.equal(page.statusCode, 200);
  }

  it('signs in by every protocol before the switch', async () => {
    for (const protocol of ['wsfed', 'saml2', 'oidc'] as const)
      await assertSignedIn(await signIn(protocol), protocol);
  });

  for (const order of permutations<Protocol>(['wsfed', 'saml2', 'oidc'])) {
    it(`signs in at the first attempt by ${order.join(', then ')} after the switch`, async () => {
      fixture.advance(30);
      const [outcome] = await fixture.sim.rollover('switch');
      assert.equal(outcome?.emergency, true, 'the new key was never announced');
      for (const protocol of order) await assertSignedIn(await signIn(protocol), protocol);
    });
  }
});
