import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  bindingCookieOf,
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
  /** The binding cookie of the latest sign-in started, as the browser holds it. */
  let binding: string | undefined;
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
    binding = bindingCookieOf(response);
    return new URL(response.headers.location as string);
  }

  function postCallback(fields: Readonly<Record<string, string>>, cookie = binding) {
    return postForm(fixture.app, '/signin/wsfed', fields, cookie);
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
    const first = await postCallback(form.fields);
    assert.equal(first.statusCode, 303);
    const again = await postCallback(form.fields);
    assert.equal(again.statusCode, 400);
    assert.ok(again.body.includes('CG_TOKEN_REPLAYED'));
    assert.equal(setCookieOf(again, COOKIE), undefined);
  });

  it('refuses a forged wctx with its code and echoes nothing of it', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const forged = 'v1.dev.<b>forged</b>';
    const response = await postCallback({ ...form.fields, wctx: forged });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /CG_SESSION_(MALFORMED|INVALID|KEY_UNKNOWN)/);
    assert.ok(!response.body.includes('forged'));
  });

  it('refuses a missing wctx', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const response = await postCallback({
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
      const response = await postCallback(form.fields);
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
    const response = await postCallback({ ...form.fields, wresult: tampered });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /CG_(SIG|TOKEN)_[A-Z_]+/);
    assert.ok(!response.body.includes('contoso.test'));
    assert.equal(setCookieOf(response, COOKIE), undefined);
  });

  it('refuses garbage in wresult with CG_TOKEN_FORMAT_UNKNOWN', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const response = await postCallback({ ...form.fields, wresult: 'not a token' });
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
    const response = await postCallback({ ...form.fields, wresult: fault });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_TOKEN_ISSUER_FAULT'));
    assert.ok(!response.body.includes('user-not-allowed-secret'));
  });

  it('sets a short-lived, HttpOnly binding cookie on /signin only, and clears it after the sign-in', async () => {
    const start = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F' });
    const line = setCookieOf(start, 'claimsgate_signin');
    assert.ok(line !== undefined);
    assert.match(
      line,
      /^claimsgate_signin=[A-Za-z0-9_-]{22}; Max-Age=600; Path=\/signin; HttpOnly; SameSite=Lax$/,
    );
    const form = await signInAtSimulator(start.headers.location as string);
    const posted = await postCallback(form.fields, bindingCookieOf(start));
    assert.equal(posted.statusCode, 303, posted.body);
    assert.match(
      setCookieOf(posted, 'claimsgate_signin') ?? '',
      /^claimsgate_signin=; Max-Age=0; Path=\/signin;/,
    );
  });

  it('refuses a posted answer without the binding cookie (login CSRF) and keeps the state usable', async () => {
    const location = await startSignIn();
    const form = await signInAtSimulator(location.href);
    const refused = await postCallback(form.fields, '');
    assert.equal(refused.statusCode, 400);
    assert.ok(refused.body.includes('CG_SESSION_BINDING_MISMATCH'));
    assert.equal(setCookieOf(refused, COOKIE), undefined);
    // The forged post did not burn the state of the browser that started the sign-in.
    assert.equal((await postCallback(form.fields)).statusCode, 303);
  });

  it("refuses a posted answer with another browser's binding cookie", async () => {
    const location = await startSignIn();
    const attackerForm = await signInAtSimulator(location.href, 'bob');
    const attackerCookie = binding;
    await startSignIn();
    const victimCookie = binding;
    assert.notEqual(victimCookie, attackerCookie);
    const refused = await postCallback(attackerForm.fields, victimCookie);
    assert.equal(refused.statusCode, 400);
    assert.ok(refused.body.includes('CG_SESSION_BINDING_MISMATCH'));
    assert.equal(setCookieOf(refused, COOKIE), undefined);
  });

  it('refuses a samlp:Response posted as wresult with CG_TOKEN_FORMAT_UNKNOWN before validating it', async () => {
    await fixture.store.updateIssuer(fixture.issuer.id, { protocols: ['wsfed', 'saml2'] }, 'test');
    try {
      const samlStart = await fixture.app.inject({
        method: 'GET',
        url: '/signin?returnUrl=%2F&protocol=saml2',
      });
      assert.equal(samlStart.statusCode, 302, samlStart.body);
      const samlForm = await signInAtSimulator(samlStart.headers.location as string);
      const response = Buffer.from(samlForm.fields.SAMLResponse!, 'base64').toString('utf8');
      assert.match(response, /<samlp:Response/);
      // Raw XML, and base64 as the POST binding sends it.
      for (const wresult of [response, samlForm.fields.SAMLResponse!]) {
        const form = await signInAtSimulator((await startSignIn()).href);
        const refused = await postCallback({ ...form.fields, wresult });
        assert.equal(refused.statusCode, 400);
        assert.ok(refused.body.includes('CG_TOKEN_FORMAT_UNKNOWN'));
        assert.equal(setCookieOf(refused, COOKIE), undefined);
      }
      // The same Response is still good at its own endpoint: it was not validated (no replay entry).
      const accepted = await postForm(
        fixture.app,
        '/signin/saml2',
        samlForm.fields,
        bindingCookieOf(samlStart),
      );
      assert.equal(accepted.statusCode, 303, accepted.body);
    } finally {
      await fixture.store.updateIssuer(fixture.issuer.id, { protocols: ['wsfed'] }, 'test');
    }
  });

  it('refuses a token addressed to another realm with CG_TOKEN_AUDIENCE_MISMATCH', async () => {
    const location = await startSignIn();
    location.searchParams.set('wtrealm', 'urn:another-relying-party');
    const form = await signInAtSimulator(location.href);
    const response = await postCallback(form.fields);
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_TOKEN_AUDIENCE_MISMATCH'));
  });

  it('signs in again with no admin action after the issuer switches to a new signing key', async () => {
    // The simulator signs its metadata with the unannounced key at once: a discontinuity,
    // applied with its alert under accept-with-alert (as `npm start` sets the simulator).
    await fixture.store.updateIssuer(fixture.issuer.id, { discontinuityPolicy: 'accept-with-alert' }, 'test');
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
