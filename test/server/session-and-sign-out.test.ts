import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  cookiePair,
  createGatewayFixture,
  PUBLIC_URL,
  setCookieOf,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';

const COOKIE = 'claimsgate_session';

describe('the session cookie and sign-out', () => {
  let fixture: GatewayFixture;
  let session: string;
  before(async () => {
    fixture = await createGatewayFixture();
    const signedIn = await signInThroughGateway(fixture.app);
    session = cookiePair(setCookieOf(signedIn, COOKIE)!);
  });
  after(() => fixture.close());

  function visit(cookie: string): Promise<LightMyRequestResponse> {
    return fixture.app.inject({ method: 'GET', url: '/', headers: { cookie } });
  }

  it('treats a tampered session cookie as signed out and clears it', async () => {
    const value = session.slice(COOKIE.length + 1);
    const flipped = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const response = await visit(`${COOKIE}=${flipped}`);
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, '/signin?returnUrl=%2F');
    assert.match(setCookieOf(response, COOKIE)!, /^claimsgate_session=; Max-Age=0;/);
  });

  it('treats an expired session cookie as signed out and clears it', async () => {
    fixture.advance(3_601);
    try {
      const response = await visit(session);
      assert.equal(response.statusCode, 302);
      assert.match(setCookieOf(response, COOKIE)!, /^claimsgate_session=; Max-Age=0;/);
    } finally {
      fixture.advance(-3_601);
    }
  });

  it('renews a session cookie once it is due, and serves the page', async () => {
    fixture.advance(301);
    try {
      const response = await visit(`other=1; ${session}`);
      assert.equal(response.statusCode, 200);
      const renewed = setCookieOf(response, COOKIE);
      assert.ok(renewed !== undefined);
      assert.notEqual(cookiePair(renewed), session);
      assert.match(renewed, /Max-Age=3600;/);
    } finally {
      fixture.advance(-301);
    }
  });

  it('clears the cookie on sign-out and sends the user to the issuer’s wsignout1.0', async () => {
    const page = await visit(session);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(token !== undefined, 'the sample page’s sign-out form carries the CSRF token');
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/signout',
      headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token }).toString(),
    });
    assert.equal(response.statusCode, 303);
    assert.match(setCookieOf(response, COOKIE)!, /^claimsgate_session=; Max-Age=0;/);
    const location = new URL(response.headers.location as string);
    assert.equal(location.origin + location.pathname, fixture.sim.tenantUrls().wsfed);
    assert.equal(location.searchParams.get('wa'), 'wsignout1.0');
    assert.equal(location.searchParams.get('wreply'), `${PUBLIC_URL}/`);
  });

  it('sends a sign-out without a session to /', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/signout' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/');
    assert.match(setCookieOf(response, COOKIE)!, /Max-Age=0/);
  });
});

describe('a gateway behind https', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture({ flags: { 'server.publicUrl': 'https://gateway.example.test' } });
  });
  after(() => fixture.close());

  it('marks the session cookie Secure', async () => {
    const realm = (await fixture.store.listRealms())[0]!;
    await fixture.store.updateRealm(realm.id, { realmUri: 'https://gateway.example.test' }, 'test');
    const response = await signInThroughGateway(fixture.app);
    assert.equal(response.statusCode, 303);
    assert.match(setCookieOf(response, COOKIE)!, /; Secure;/);
  });
});
