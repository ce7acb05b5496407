import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { hashPassword } from '../../src/management/account-passwords.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import {
  ADMIN_ROLE,
  createAdminGuard,
  LOCAL_ADMIN_ISSUER,
} from '../../src/server/admin-access/admin-auth.js';
import { adminReturnPath } from '../../src/server/admin-access/admin-login.js';
import { DEFAULT_LOGIN_THROTTLE_POLICY } from '../../src/server/admin-access/login-throttle.js';
import { createSessionHook } from '../../src/server/session-hook.js';
import { createSessionRevocations } from '../../src/server/session-revocations.js';
import { createSealingKeyRing } from '../../src/session/sealing-keys.js';
import { createSessionCookies, type Session } from '../../src/session/session-cookie.js';
import {
  cookiePair,
  createGatewayFixture,
  postForm,
  setCookieOf,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';

const SESSION_COOKIE = 'claimsgate_session';
const LOGIN_COOKIE = 'claimsgate_admin_login';
const PASSWORD = 'correct horse battery staple';
const FAILED = 'Sign-in failed: the user name or the password is wrong.';

/**
 * A gateway, and the admin guard built from the same configuration: what the
 * admin API and site will decide about a cookie.
 */
interface LoginFixture {
  readonly gateway: GatewayFixture;
  advance(seconds: number): void;
  /** Opens a session cookie pair (`name=value`) as the gateway would. */
  sessionOf(pair: string): Session;
  isAdmin(session: Session): boolean;
}

async function createLoginFixture(flags: Record<string, unknown> = {}): Promise<LoginFixture> {
  const gateway = await createGatewayFixture({ flags });
  const { config, now } = gateway;
  const ring = createSealingKeyRing(config.session.keys);
  const cookies = createSessionCookies({
    ring,
    cookieName: config.session.cookieName,
    absoluteLifetimeSeconds: config.session.absoluteLifetimeSeconds,
    idleTimeoutSeconds: config.session.idleTimeoutSeconds,
    renewAfterSeconds: config.session.renewAfterSeconds,
    secure: config.session.secureCookies,
    now,
  });
  const guard = createAdminGuard({
    config,
    ring,
    sessions: createSessionHook(
      cookies,
      config.session.cookieName,
      createSessionRevocations({ store: gateway.store, now, warn: () => undefined }),
    ),
    renderRefusal: () => assert.fail('no refusal page expected'),
  });
  return {
    gateway,
    advance: (seconds) => gateway.advance(seconds),
    sessionOf: (pair) => cookies.read(pair.slice(pair.indexOf('=') + 1)).session,
    isAdmin: (session) => guard.isAdmin(session),
  };
}

/** A login form as a browser gets it: its CSRF cookie pair and the hidden field's value. */
interface LoginForm {
  readonly response: LightMyRequestResponse;
  readonly cookie: string;
  readonly token: string;
}

function hiddenField(html: string, name: string): string | undefined {
  return new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1];
}

async function openLoginForm(fixture: LoginFixture, query = '', cookie?: string): Promise<LoginForm> {
  const response = await fixture.gateway.app.inject({
    method: 'GET',
    url: `/admin/login${query}`,
    ...(cookie === undefined ? {} : { headers: { cookie } }),
  });
  assert.equal(response.statusCode, 200);
  const setCookie = setCookieOf(response, LOGIN_COOKIE);
  assert.ok(setCookie !== undefined, 'the form comes with its CSRF cookie');
  const token = hiddenField(response.body, '_csrf');
  assert.ok(token !== undefined, 'the form carries a CSRF field');
  return { response, cookie: cookiePair(setCookie), token };
}

async function signIn(
  fixture: LoginFixture,
  username: string,
  password: string,
  extra: Record<string, string> = {},
  remoteAddress?: string,
): Promise<LightMyRequestResponse> {
  const form = await openLoginForm(fixture);
  if (remoteAddress === undefined)
    return postForm(
      fixture.gateway.app,
      '/admin/login',
      { _csrf: form.token, username, password, ...extra },
      form.cookie,
    );
  return fixture.gateway.app.inject({
    method: 'POST',
    url: '/admin/login',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    payload: new URLSearchParams({ _csrf: form.token, username, password, ...extra }).toString(),
  });
}

/** The one message a refused sign-in shows. */
function messageOf(response: LightMyRequestResponse): string | undefined {
  return /<p id="login-message" role="alert">([^<]*)<\/p>/.exec(response.body)?.[1];
}

async function createAccount(fixture: LoginFixture, username: string, password = PASSWORD): Promise<void> {
  await fixture.gateway.store.createAdminAccount(
    { username, passwordHash: await hashPassword(password) },
    'test',
  );
}

describe('admin sign-in with a local account', () => {
  let fixture: LoginFixture;
  before(async () => {
    fixture = await createLoginFixture();
    await createAccount(fixture, 'alice');
    await createAccount(fixture, 'bob');
  });
  after(() => fixture.gateway.close());

  it('serves an accessible form with its CSRF token in a SameSite=Strict, HttpOnly cookie', async () => {
    const form = await openLoginForm(fixture);
    const html = form.response.body;
    assert.equal(html.match(/<h1>/g)?.length, 1);
    assert.match(html, /<label for="username">[^<]+<\/label>/);
    assert.match(html, /<label for="password">[^<]+<\/label>/);
    assert.match(html, /<input id="username" name="username" type="text" autocomplete="username"/);
    assert.match(
      html,
      /<input id="password" name="password" type="password" autocomplete="current-password"/,
    );
    assert.match(html, /<form method="post" action="\/admin\/login">/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /Sign in with/, 'no issuer links without admin.adminClaim');
    const setCookie = setCookieOf(form.response, LOGIN_COOKIE)!;
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.equal(cookiePair(setCookie), `${LOGIN_COOKIE}=${form.token}`);
    assert.match(String(form.response.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(form.response.headers['cache-control'], 'no-store');
  });

  it('signs an admin in: a session the guard calls admin, the sign-in recorded, 303 to /admin', async () => {
    const response = await signIn(fixture, 'ALICE', PASSWORD);
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/admin');
    const session = fixture.sessionOf(cookiePair(setCookieOf(response, SESSION_COOKIE)!));
    assert.equal(session.user, 'local:alice');
    assert.equal(session.issuer, LOCAL_ADMIN_ISSUER);
    assert.deepEqual(session.roles, [ADMIN_ROLE]);
    assert.deepEqual(session.claims, {});
    assert.equal(fixture.isAdmin(session), true);
    assert.match(setCookieOf(response, LOGIN_COOKIE)!, /Max-Age=0/, 'the used form token is cleared');

    const account = await fixture.gateway.store.getAdminAccount('alice');
    assert.ok(account?.lastLoginAt instanceof Date);
    const entry = (await fixture.gateway.store.listAudit()).at(-1);
    assert.equal(entry?.action, 'admin.login');
    assert.equal(entry?.actor, 'local:alice');
  });

  it('returns to a path under /admin, and to /admin for anything else', async () => {
    const inside = await signIn(fixture, 'alice', PASSWORD, { returnUrl: '/admin/issuers/sim?tab=keys' });
    assert.equal(inside.headers.location, '/admin/issuers/sim?tab=keys');
    for (const returnUrl of [
      'https://evil.example/admin',
      '//evil.example/admin',
      '/\\evil.example/admin',
      '/admin/../signout',
      '/admin/%2e%2e/signout',
      '/administrator',
      '/admin/login',
      'javascript:alert(1)',
    ]) {
      const response = await signIn(fixture, 'alice', PASSWORD, { returnUrl });
      assert.equal(response.statusCode, 303);
      assert.equal(response.headers.location, '/admin', returnUrl);
    }
  });

  it('refuses a wrong password and an unknown user alike: 401, one message, no session', async () => {
    const wrong = await signIn(fixture, 'bob', 'not the password at all');
    const unknown = await signIn(fixture, 'mallory', PASSWORD);
    const malformed = await signIn(fixture, 'not a user name!', PASSWORD);
    for (const response of [wrong, unknown, malformed]) {
      assert.equal(response.statusCode, 401);
      assert.equal(messageOf(response), FAILED);
      assert.equal(setCookieOf(response, SESSION_COOKIE), undefined);
      assert.doesNotMatch(response.body, /not the password at all|correct horse/);
    }
    // The refused form is served again, with a token to try again with.
    assert.ok(hiddenField(wrong.body, '_csrf') !== undefined);
    assert.equal((await fixture.gateway.store.getAdminAccount('bob'))?.lastLoginAt, null);
  });

  it('refuses a sign-in whose form token is missing, forged or without its cookie (login CSRF): 403', async () => {
    const form = await openLoginForm(fixture);
    const other = await openLoginForm(fixture);
    // The first character carries six whole bits (the last may be only padding), so changing it always forges.
    const forged = `${form.token.startsWith('A') ? 'B' : 'A'}${form.token.slice(1)}`;
    const attempts: [Record<string, string>, string | undefined][] = [
      [{ username: 'bob', password: PASSWORD }, form.cookie],
      [{ _csrf: other.token, username: 'bob', password: PASSWORD }, form.cookie],
      [{ _csrf: forged, username: 'bob', password: PASSWORD }, form.cookie],
      [{ _csrf: form.token, username: 'bob', password: PASSWORD }, undefined],
      [{ _csrf: '', username: 'bob', password: PASSWORD }, `${LOGIN_COOKIE}=`],
    ];
    await createAccount(fixture, 'csrf-victim');
    for (const [fields, cookie] of attempts) {
      const response = await postForm(
        fixture.gateway.app,
        '/admin/login',
        { ...fields, username: 'csrf-victim' },
        cookie,
      );
      assert.equal(response.statusCode, 403);
      assert.equal(setCookieOf(response, SESSION_COOKIE), undefined);
      assert.ok(
        setCookieOf(response, LOGIN_COOKIE) !== undefined,
        'a fresh form token comes with the refusal',
      );
    }
    assert.equal((await fixture.gateway.store.getAdminAccount('csrf-victim'))?.lastLoginAt, null);
  });

  it('locks a user name for 15 minutes after 5 failures within 15 minutes: 429, even for the right password', async () => {
    await createAccount(fixture, 'carol');
    for (let attempt = 0; attempt < 5; attempt += 1)
      assert.equal((await signIn(fixture, 'carol', `wrong guess number ${attempt}`)).statusCode, 401);
    const locked = await signIn(fixture, 'Carol', PASSWORD);
    assert.equal(locked.statusCode, 429);
    assert.equal(locked.headers['retry-after'], '900');
    assert.match(messageOf(locked)!, /Too many failed sign-ins/);
    assert.equal(setCookieOf(locked, SESSION_COOKIE), undefined);
    // Another user name is not affected.
    assert.equal((await signIn(fixture, 'bob', PASSWORD)).statusCode, 303);

    fixture.advance(14 * 60);
    assert.equal((await signIn(fixture, 'carol', PASSWORD)).statusCode, 429);
    fixture.advance(60);
    assert.equal((await signIn(fixture, 'carol', PASSWORD)).statusCode, 303);
  });

  it('locks a user name for one address only: its owner signs in from another meanwhile', async () => {
    await createAccount(fixture, 'erin');
    for (let attempt = 0; attempt < 5; attempt += 1)
      await signIn(fixture, 'erin', `wrong guess number ${attempt}`, {}, '203.0.113.9');
    const locked = await signIn(fixture, 'erin', PASSWORD, {}, '203.0.113.9');
    assert.equal(locked.statusCode, 429);
    assert.match(messageOf(locked)!, /from this address/);
    assert.equal((await signIn(fixture, 'erin', PASSWORD, {}, '192.0.2.44')).statusCode, 303);
    // The lock is kept in the store: another gateway on the same store refuses the address too.
    const attempt = await fixture.gateway.store.beginAdminLoginAttempt(
      { account: 'erin', address: '203.0.113.9' },
      fixture.gateway.now(),
      DEFAULT_LOGIN_THROTTLE_POLICY,
    );
    assert.equal(attempt.admitted, false);
  });

  it('counts failures within the window only, and locks unknown user names the same way', async () => {
    await createAccount(fixture, 'dave');
    for (let attempt = 0; attempt < 4; attempt += 1) await signIn(fixture, 'dave', 'wrong password here');
    fixture.advance(15 * 60);
    assert.equal((await signIn(fixture, 'dave', 'wrong password here')).statusCode, 401);
    assert.equal((await signIn(fixture, 'dave', PASSWORD)).statusCode, 303);

    for (let attempt = 0; attempt < 5; attempt += 1) await signIn(fixture, 'nobody-here', PASSWORD);
    assert.equal((await signIn(fixture, 'nobody-here', PASSWORD)).statusCode, 429);
  });

  it('throttles user names no account can have, which cost the same scrypt, as one name (security review, round 3)', async () => {
    // A space, 65 characters, nothing at all: every one is counted, together.
    const malformed = ['no such user', 'x'.repeat(65), '', 'bad/name', 'no such user'];
    for (const name of malformed) assert.equal((await signIn(fixture, name, PASSWORD)).statusCode, 401);
    assert.equal((await signIn(fixture, 'another bad name', PASSWORD)).statusCode, 429);
    // A real account is not locked by them.
    await createAccount(fixture, 'frank');
    assert.equal((await signIn(fixture, 'frank', PASSWORD)).statusCode, 303);
  });

  it('signs out only with the session’s CSRF token, then clears the session cookie', async () => {
    const signedIn = await signIn(fixture, 'alice', PASSWORD);
    const session = cookiePair(setCookieOf(signedIn, SESSION_COOKIE)!);
    const page = await fixture.gateway.app.inject({
      method: 'GET',
      url: '/admin/login',
      headers: { cookie: session },
    });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /You are signed in as local:alice\./);
    const token = hiddenField(page.body, '_csrf');
    assert.ok(token !== undefined);

    for (const fields of [{}, { _csrf: 'forged' }, { _csrf: `${token.slice(0, -2)}AA` }]) {
      const refused = await postForm(fixture.gateway.app, '/admin/logout', fields, session);
      assert.equal(refused.statusCode, 403);
      assert.equal(setCookieOf(refused, SESSION_COOKIE), undefined, 'the session survives a forged sign-out');
    }
    const out = await postForm(fixture.gateway.app, '/admin/logout', { _csrf: token }, session);
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, '/admin/login');
    assert.match(setCookieOf(out, SESSION_COOKIE)!, /^claimsgate_session=; Max-Age=0;/);

    const anonymous = await postForm(fixture.gateway.app, '/admin/logout', {});
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, '/admin/login');
  });

  it('does not make a session from an issuer an admin when no admin claim is configured', async () => {
    const response = await signInThroughGateway(fixture.gateway.app, '/', 'admin');
    assert.equal(response.statusCode, 303);
    const pair = cookiePair(setCookieOf(response, SESSION_COOKIE)!);
    const session = fixture.sessionOf(pair);
    assert.deepEqual(session.roles, []);
    assert.equal(fixture.isAdmin(session), false);
    const page = await fixture.gateway.app.inject({
      method: 'GET',
      url: '/admin/login',
      headers: { cookie: pair },
    });
    assert.match(page.body, /who is not an administrator/);
    assert.match(page.body, /<form method="post" action="\/admin\/login">/);
  });
});

describe('admin sign-in through an issuer asserting admin.adminClaim', () => {
  let fixture: LoginFixture;
  before(async () => {
    fixture = await createLoginFixture({
      'admin.adminClaim.type': CLAIM_TYPES.role,
      'admin.adminClaim.value': 'Admin',
      'admin.adminClaim.issuers': 'sim',
    });
  });
  after(() => fixture.gateway.close());

  it('links each sign-in issuer from the login form, returning to the admin site', async () => {
    const form = await openLoginForm(fixture, '?returnUrl=%2Fadmin%2Faudit');
    assert.match(
      form.response.body,
      /<a href="\/signin\?returnUrl=%2Fadmin%2Faudit&amp;whr=sim">Sign in with sim<\/a>/,
    );
    const plain = await openLoginForm(fixture);
    assert.match(
      plain.response.body,
      /<a href="\/signin\?returnUrl=%2Fadmin&amp;whr=sim">Sign in with sim<\/a>/,
    );
  });

  it('makes a session admin when its token carries the claim, and only then', async () => {
    const admin = await signInThroughGateway(fixture.gateway.app, '/admin', 'admin');
    assert.equal(admin.statusCode, 303);
    const adminSession = fixture.sessionOf(cookiePair(setCookieOf(admin, SESSION_COOKIE)!));
    assert.deepEqual(adminSession.claims[CLAIM_TYPES.role], ['Admin']);
    assert.deepEqual(adminSession.roles, []);
    assert.equal(fixture.isAdmin(adminSession), true);

    const staff = await signInThroughGateway(fixture.gateway.app, '/admin', 'alice');
    assert.equal(fixture.isAdmin(fixture.sessionOf(cookiePair(setCookieOf(staff, SESSION_COOKIE)!))), false);
  });
});

describe('admin.adminClaim without admin.adminClaim.issuers', () => {
  let fixture: LoginFixture;
  before(async () => {
    fixture = await createLoginFixture({
      'admin.adminClaim.type': CLAIM_TYPES.role,
      'admin.adminClaim.value': 'Admin',
    });
  });
  after(() => fixture.gateway.close());

  it('lets no issuer grant the admin role by default, and offers no issuer on the login form', async () => {
    assert.deepEqual(fixture.gateway.config.admin.adminClaim?.issuers, []);
    const admin = await signInThroughGateway(fixture.gateway.app, '/admin', 'admin');
    assert.equal(admin.statusCode, 303);
    const session = fixture.sessionOf(cookiePair(setCookieOf(admin, SESSION_COOKIE)!));
    assert.deepEqual(session.claims[CLAIM_TYPES.role], ['Admin']);
    assert.equal(fixture.isAdmin(session), false);
    const page = await fixture.gateway.app.inject({
      method: 'GET',
      url: '/admin',
      headers: { cookie: cookiePair(setCookieOf(admin, SESSION_COOKIE)!) },
    });
    assert.equal(page.statusCode, 403);
    const form = await openLoginForm(fixture);
    assert.doesNotMatch(form.response.body, /Sign in with/);
  });

  it('does not take the claim from an issuer other than those listed', () => {
    const session = {
      sid: 'c2lk',
      user: 'OTHER:mallory',
      issuer: 'other-tenant',
      claims: { [CLAIM_TYPES.role]: ['Admin'] },
      roles: [],
      authenticatedAt: new Date(0),
      expiresAt: new Date(0),
      lastSeenAt: new Date(0),
    };
    assert.equal(fixture.isAdmin(session), false);
  });
});

describe('admin sign-in when the admin site is disabled', () => {
  let fixture: LoginFixture;
  before(async () => {
    fixture = await createLoginFixture({ 'admin.enabled': false });
  });
  after(() => fixture.gateway.close());

  it('serves no login routes', async () => {
    const response = await fixture.gateway.app.inject({ method: 'GET', url: '/admin/login' });
    assert.equal(response.statusCode, 404);
  });
});

describe('adminReturnPath', () => {
  it('keeps paths under /admin, normalised, and gives /admin for everything else', () => {
    assert.equal(adminReturnPath('/admin'), '/admin');
    assert.equal(adminReturnPath('/admin/issuers/a?x=1'), '/admin/issuers/a?x=1');
    assert.equal(adminReturnPath('/admin/./realms'), '/admin/realms');
    for (const value of [
      undefined,
      42,
      '',
      '/',
      '/adminx',
      '/admin/../x',
      '//x/admin',
      'http://127.0.0.1:8787/admin',
      '/admin/logout',
      '/admin\n/x',
    ])
      assert.equal(adminReturnPath(value), '/admin', String(value));
  });
});
