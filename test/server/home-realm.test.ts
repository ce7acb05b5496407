import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  bindingCookieOf,
  createGatewayFixture,
  postForm,
  PUBLIC_URL,
  signInAtSimulator,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';

describe('choosing the issuer and the return URL', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
    await fixture.store.createIssuer(
      {
        name: 'partner',
        issuerUri: 'https://partner.example.test/',
        description: 'Partner <Corp> & Co',
        loginUrl: 'https://partner.example.test/wsfed?tenant=p1',
        useForLogin: true,
      },
      'test',
    );
    await fixture.store.createIssuer(
      {
        name: 'hidden',
        issuerUri: 'https://hidden.example.test/',
        loginUrl: 'https://hidden.example.test/wsfed',
        useForLogin: false,
      },
      'test',
    );
  });
  after(() => fixture.close());

  it('shows an escaped home-realm page listing the issuers used for login, without JavaScript', async () => {
    const page = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2Freports' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.ok(!page.body.includes('<script'));
    assert.ok(page.body.includes('Partner &lt;Corp&gt; &amp; Co'));
    assert.ok(page.body.includes('href="/signin?returnUrl=%2Freports&amp;whr=partner"'));
    assert.ok(page.body.includes('href="/signin?returnUrl=%2Freports&amp;whr=sim"'));
    assert.ok(!page.body.includes('hidden'));
  });

  it('redirects to the issuer named by whr, keeping its login URL query', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F&whr=partner' });
    assert.equal(response.statusCode, 302);
    const location = new URL(response.headers.location as string);
    assert.equal(location.origin + location.pathname, 'https://partner.example.test/wsfed');
    assert.equal(location.searchParams.get('tenant'), 'p1');
    assert.equal(location.searchParams.get('wa'), 'wsignin1.0');
    assert.equal(location.searchParams.get('wtrealm'), PUBLIC_URL);
  });

  it('reads the named issuer alone for whr, never the list of every issuer (10,000 issuers)', async () => {
    const store = fixture.store as { listIssuers: typeof fixture.store.listIssuers };
    const listIssuers = store.listIssuers;
    let lists = 0;
    store.listIssuers = function (this: unknown) {
      lists += 1;
      return listIssuers.call(fixture.store);
    };
    try {
      const named = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F&whr=partner' });
      assert.equal(named.statusCode, 302);
      assert.equal(lists, 0, 'a sign-in with whr does not list the issuers');
      const page = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F' });
      assert.equal(page.statusCode, 200);
      assert.equal(lists, 1, 'the home-realm page lists them');
      // A name the realm does not offer falls back to the list, as before.
      const hidden = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F&whr=hidden' });
      assert.equal(hidden.statusCode, 200);
      assert.equal(lists, 2);
    } finally {
      store.listIssuers = listIssuers;
    }
  });

  it('shows the home-realm page for a whr naming an issuer not used for login', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F&whr=hidden' });
    assert.equal(response.statusCode, 200);
    assert.ok(response.body.includes('whr=partner'));
  });

  it('takes whr as an exact name only: not an ID, another case or width, nor a hidden issuer by its ID', async () => {
    const partner = (await fixture.store.getIssuer('partner'))!;
    const hidden = (await fixture.store.getIssuer('hidden'))!;
    for (const whr of [
      partner.id,
      hidden.id,
      'PARTNER',
      'Partner',
      '\uFF50artner',
      ' partner',
      'partner\u200B',
    ]) {
      const response = await fixture.app.inject({
        method: 'GET',
        url: `/signin?returnUrl=%2F&whr=${encodeURIComponent(whr)}`,
      });
      assert.equal(response.statusCode, 200, `whr=${whr} shows the choice instead of redirecting`);
    }
  });

  it('offers only the realm’s allowed issuers when it lists some', async () => {
    const realm = (await fixture.store.listRealms())[0]!;
    await fixture.store.updateRealm(realm.id, { allowedIssuerIds: [fixture.issuer.id] }, 'test');
    try {
      const response = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F&whr=partner' });
      assert.equal(response.statusCode, 302);
      assert.ok((response.headers.location as string).startsWith(fixture.sim.tenantUrls().wsfed));
    } finally {
      await fixture.store.updateRealm(realm.id, { allowedIssuerIds: [] }, 'test');
    }
  });

  it('lands every open-redirect attempt on / after a real sign-in', async () => {
    const attempts = ['//evil.com', 'https://evil.com', 'javascript:alert(1)', '/\\evil.com', '/\t/evil.com'];
    for (const attempt of attempts) {
      const response = await signInThroughGateway(fixture.app, attempt, 'bob', 'sim');
      assert.equal(response.statusCode, 303, attempt);
      assert.equal(response.headers.location, '/', attempt);
    }
  });

  it('returns to an allowed absolute URL on the gateway’s own origin', async () => {
    const response = await signInThroughGateway(fixture.app, `${PUBLIC_URL}/reports?x=1`, 'bob', 'sim');
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, `${PUBLIC_URL}/reports?x=1`);
  });
});

describe('a token from another trusted issuer', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture({ secondTenant: 'second-tenant' });
  });
  after(() => fixture.close());

  it('cannot finish a sign-in that was sent to another issuer: 400 CG_TOKEN_ISSUER_MISMATCH', async () => {
    const start = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F&whr=sim' });
    assert.equal(start.statusCode, 302);
    const sentTo = new URL(start.headers.location as string);
    const other = new URL(fixture.sim.tenantUrls('second-tenant').wsfed);
    other.search = sentTo.search;
    const form = await signInAtSimulator(other.href);
    const response = await postForm(fixture.app, '/signin/wsfed', form.fields, bindingCookieOf(start));
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_TOKEN_ISSUER_MISMATCH'));
  });

  it('signs in with the second issuer when the user chooses it', async () => {
    const response = await signInThroughGateway(fixture.app, '/', 'alice', 'sim2');
    assert.equal(response.statusCode, 303);
  });
});

describe('sign-in without a realm', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture({ realm: false });
  });
  after(() => fixture.close());

  it('answers 500 with a page that tells the operator to add a realm', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/signin?returnUrl=%2F' });
    assert.equal(response.statusCode, 500);
    assert.ok(response.body.includes('CG_STORE_NOT_FOUND'));
    assert.ok(response.body.includes('claimsgate realms add'));
  });
});
