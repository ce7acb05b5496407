import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  cookiePair,
  createGatewayFixture,
  postForm,
  PUBLIC_URL,
  setCookieOf,
  signInAtSimulator,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';

const COOKIE = 'claimsgate_session';

describe('WS-Federation sign-in through the gateway', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  async function startSignIn(returnUrl = '/'): Promise<URL> {
    const response = await fixture.app.inject({
      method: 'GET',
      url: `/signin?returnUrl=${encodeURIComponent(returnUrl)}`,
    });
    assert.equal(response.statusCode, 302);
    return new URL(response.headers.location as string);
  }

  it('redirects a sign-in to the only issuer with wa, wtrealm, wreply and a sealed wctx', async () => {
    const location = await startSignIn('/reports');
    assert.equal(`${location.origin}${location.pathname}`, fixture.sim.tenantUrls().wsfed);
    assert.equal(location.searchParams.get('wa'), 'wsignin1.0');
    assert.equal(location.searchParams.get('wtrealm'), PUBLIC_URL);
    assert.equal(location.searchParams.get('wreply'), `${PUBLIC_URL}/signin/wsfed`);
    assert.ok(!location.searchParams.get('wctx')!.includes('reports'));
  });

  it('signs in end to end: a session cookie, a 303 to the return URL, and the sample page shows the mapped user', async () => {
    const posted = await signInThroughGateway(fixture.app, '/');
    assert.equal(posted.statusCode, 303);
    assert.equal(posted.headers.location, '/');
    const setCookie = setCookieOf(posted, COOKIE);
    assert.ok(setCookie !== undefined);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.doesNotMatch(setCookie, /Secure/);
    const page = await fixture.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: cookiePair(setCookie) },
    });
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('SIM:alice@contoso.test'));
    assert.ok(page.body.includes('<strong>sim</strong>'));
    assert.ok(!page.body.includes('<script'));
  });

  it('sends a signed-out visitor of the sample page to sign-in', async () => {
    const page = await fixture.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 302);
    assert.equal(page.headers.location, '/signin?returnUrl=%2F');
  });

  it('refuses a wctx that was already used with CG_TOKEN_REPLAYED', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const first = await postForm(fixture.app, '/signin/wsfed', form.fields);
    assert.equal(first.statusCode, 303);
    const again = await postForm(fixture.app, '/signin/wsfed', form.fields);
    assert.equal(again.statusCode, 400);
    assert.ok(again.body.includes('CG_TOKEN_REPLAYED'));
    assert.equal(setCookieOf(again, COOKIE), undefined);
  });

  it('refuses a forged wctx with its code and echoes nothing of it', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const forged = 'v1.dev.<b>forged</b>';
    const response = await postForm(fixture.app, '/signin/wsfed', { ...form.fields, wctx: forged });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /CG_SESSION_(MALFORMED|INVALID|KEY_UNKNOWN)/);
    assert.ok(!response.body.includes('forged'));
  });

  it('refuses a missing wctx', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const response = await postForm(fixture.app, '/signin/wsfed', {
      wa: 'wsignin1.0',
      wresult: form.fields.wresult!,
    });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_SESSION_MALFORMED'));
  });

  it('refuses a wctx that expired while the user was at the issuer with CG_SESSION_EXPIRED', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    fixture.advance(601);
    try {
      const response = await postForm(fixture.app, '/signin/wsfed', form.fields);
      assert.equal(response.statusCode, 400);
      assert.ok(response.body.includes('CG_SESSION_EXPIRED'));
    } finally {
      fixture.advance(-601);
    }
  });

  it('refuses a tampered wresult and never shows the token', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const tampered = form.fields.wresult!.replace('alice@contoso.test', 'admin@contoso.test');
    assert.notEqual(tampered, form.fields.wresult);
    const response = await postForm(fixture.app, '/signin/wsfed', { ...form.fields, wresult: tampered });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /CG_(SIG|TOKEN)_[A-Z_]+/);
    assert.ok(!response.body.includes('contoso.test'));
    assert.equal(setCookieOf(response, COOKIE), undefined);
  });

  it('refuses garbage in wresult with CG_TOKEN_FORMAT_UNKNOWN', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const response = await postForm(fixture.app, '/signin/wsfed', { ...form.fields, wresult: 'not a token' });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_TOKEN_FORMAT_UNKNOWN'));
  });

  it('refuses a SOAP fault in wresult with CG_TOKEN_ISSUER_FAULT and does not show its text', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const fault = [
      '<s:Fault xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">',
      '<faultcode>s:Client</faultcode><faultstring>user-not-allowed-secret</faultstring>',
      '</s:Fault>',
    ].join('');
    const response = await postForm(fixture.app, '/signin/wsfed', { ...form.fields, wresult: fault });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_TOKEN_ISSUER_FAULT'));
    assert.ok(!response.body.includes('user-not-allowed-secret'));
  });

  it('refuses a token addressed to another realm with CG_TOKEN_AUDIENCE_MISMATCH', async () => {
    const location = await startSignIn();
    location.searchParams.set('wtrealm', 'urn:another-relying-party');
    const form = await signInAtSimulator(location.href);
    const response = await postForm(fixture.app, '/signin/wsfed', form.fields);
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_TOKEN_AUDIENCE_MISMATCH'));
  });

  it('signs in again with no admin action after the issuer switches to a new signing key', async () => {
    const first = await signInThroughGateway(fixture.app);
    assert.equal(first.statusCode, 303);
    const switched = await fetch(`${fixture.sim.url}/control/rollover`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ step: 'switch' }),
    });
    assert.equal(switched.status, 200);
    // Past the engine's cooldown since its last refresh of the issuer (at start).
    fixture.advance(120);
    const second = await signInThroughGateway(fixture.app);
    assert.equal(second.statusCode, 303, second.body);
    assert.ok(setCookieOf(second, COOKIE) !== undefined);
    assert.equal(fixture.engine.metrics().unknownKey.refreshes, 1);
  });
});
