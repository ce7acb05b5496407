import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { open, seal } from '../../src/session/seal.js';
import type { SealingKeyRing } from '../../src/session/sealing-keys.js';
import {
  OPENED_CACHE_CHARACTERS,
  OPENED_CACHE_SIZE,
  createSessionCookies,
  type NewSession,
  type SessionCookieOptions,
} from '../../src/session/session-cookie.js';
import { serializeSetCookie } from '../../src/session/set-cookie.js';
import { T0, at, testRing } from './keys.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const bob: NewSession = {
  user: 'K2AAD:bob@contoso.com',
  issuer: 'https://sts.windows.net/7f0e2d3c-0000-4000-8000-000000000001/',
  claims: { email: ['bob@contoso.com'], role: ['Approvers', 'Users'] },
};

/** Session cookies on a clock the test moves. */
function cookies(options: Partial<SessionCookieOptions> = {}, ring: SealingKeyRing = testRing('k1')) {
  const clock = { now: T0 };
  const handler = createSessionCookies({ ring, secure: true, now: () => clock.now, ...options });
  return {
    handler,
    /** Moves the clock to T0 + ms. */
    setTime: (ms: number): void => {
      clock.now = at(ms);
    },
  };
}

function codeOf(action: () => unknown): ErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof ClaimsgateError) return error.code;
    throw error;
  }
  assert.fail('expected a ClaimsgateError');
}

describe('session cookies', () => {
  it('issue a sealed cookie with HttpOnly, SameSite=Lax, Secure, path / and the idle timeout as Max-Age', () => {
    const { handler } = cookies();
    const cookie = handler.issue(bob);
    assert.equal(cookie.name, 'claimsgate_session');
    assert.deepEqual(cookie.attributes, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: true,
      path: '/',
      maxAge: 3600,
    });
    assert.match(cookie.value, /^v1\.k1\./);
    assert.ok(!cookie.value.includes('bob'));
    assert.equal(
      serializeSetCookie(cookie),
      `claimsgate_session=${cookie.value}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
  });

  it('leave Secure off when not configured, and use the configured name and path', () => {
    const { handler } = cookies({ secure: false, cookieName: 'gw', path: '/app' });
    const cookie = handler.issue(bob);
    assert.equal(cookie.name, 'gw');
    assert.deepEqual(cookie.attributes, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: false,
      path: '/app',
      maxAge: 3600,
    });
    assert.equal(
      serializeSetCookie(cookie),
      `gw=${cookie.value}; Max-Age=3600; Path=/app; HttpOnly; SameSite=Lax`,
    );
  });

  it('read back the session it issued, with its times, and no renewal right away', () => {
    const { handler } = cookies();
    const read = handler.read(handler.issue({ ...bob, authenticatedAt: at(-MINUTE) }).value);
    const { sid, ...rest } = read.session;
    assert.deepEqual(rest, {
      ...bob,
      roles: [],
      authenticatedAt: at(-MINUTE),
      expiresAt: at(8 * HOUR - MINUTE),
      lastSeenAt: T0,
    });
    assert.match(sid, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(read.renew, undefined);
  });

  it('give each session its own sid, keep it through renewal, and carry gateway-granted roles', () => {
    const { handler, setTime } = cookies();
    const first = handler.read(handler.issue(bob).value).session;
    const second = handler.read(handler.issue(bob).value).session;
    assert.notEqual(first.sid, second.sid);
    const admin = handler.issue({ ...bob, roles: ['admin'] });
    setTime(10 * MINUTE);
    const renewed = handler.read(admin.value);
    assert.ok(renewed.renew !== undefined);
    const again = handler.read(renewed.renew.value).session;
    assert.deepEqual(again.roles, ['admin']);
    assert.equal(again.sid, handler.read(admin.value).session.sid);
    assert.throws(() => handler.issue({ ...bob, roles: [1 as unknown as string] }), TypeError);
  });

  it('end the session at an earlier end the identity provider asked for (SessionNotOnOrAfter)', () => {
    const { handler, setTime } = cookies();
    const cookie = handler.issue({ ...bob, expiresAt: at(30 * MINUTE) });
    assert.equal(cookie.attributes.maxAge, 1800);
    assert.deepEqual(handler.read(cookie.value).session.expiresAt, at(30 * MINUTE));
    setTime(30 * MINUTE);
    assert.equal(
      codeOf(() => handler.read(cookie.value)),
      'CG_SESSION_EXPIRED',
    );
  });

  it('do not renew before renewAfterSeconds and renew from renewAfterSeconds on', () => {
    const { handler, setTime } = cookies();
    const value = handler.issue(bob).value;
    setTime(5 * MINUTE - 1);
    assert.equal(handler.read(value).renew, undefined);
    setTime(5 * MINUTE);
    const read = handler.read(value);
    assert.ok(read.renew);
    assert.deepEqual(read.session.lastSeenAt, at(5 * MINUTE));
    assert.equal(read.renew.attributes.maxAge, 3600);
    const renewed = handler.read(read.renew.value);
    assert.deepEqual(renewed.session.lastSeenAt, at(5 * MINUTE));
    assert.equal(renewed.renew, undefined);
    assert.deepEqual(renewed.session.authenticatedAt, T0);
    assert.deepEqual(renewed.session.expiresAt, at(8 * HOUR));
  });

  it('enforce the idle timeout from the last renewal', () => {
    const { handler, setTime } = cookies();
    const value = handler.issue(bob).value;
    setTime(HOUR - 1);
    assert.ok(handler.read(value).renew);
    setTime(HOUR);
    assert.equal(
      codeOf(() => handler.read(value)),
      'CG_SESSION_EXPIRED',
    );
  });

  it('slide with activity but never past the absolute lifetime', () => {
    const { handler, setTime } = cookies();
    let value = handler.issue(bob).value;
    for (let minutes = 30; minutes < 8 * 60; minutes += 30) {
      setTime(minutes * MINUTE);
      const read = handler.read(value);
      assert.ok(read.renew, `renewed at ${minutes} min`);
      const expiresAt = open(testRing('k1'), 'session', read.renew.value, {
        now: at(minutes * MINUTE),
      }).expiresAt;
      assert.ok(expiresAt.getTime() <= at(8 * HOUR).getTime());
      assert.equal(read.renew.attributes.maxAge, Math.min(3600, 8 * 3600 - minutes * 60));
      value = read.renew.value;
    }
    // The last renewal (7 h 30) was capped at the absolute end.
    setTime(8 * HOUR - 1);
    assert.equal(handler.read(value).session.user, bob.user);
    setTime(8 * HOUR);
    assert.equal(
      codeOf(() => handler.read(value)),
      'CG_SESSION_EXPIRED',
    );
  });

  it('refuse a replayed old cookie after its idle deadline even though the session was renewed since', () => {
    const { handler, setTime } = cookies();
    const first = handler.issue(bob).value;
    setTime(50 * MINUTE);
    assert.ok(handler.read(first).renew);
    setTime(HOUR);
    assert.equal(
      codeOf(() => handler.read(first)),
      'CG_SESSION_EXPIRED',
    );
  });

  it('follow a key rotation: the old key opens while in the ring, renewal re-seals with the new key, removal ends it', () => {
    const before = cookies({}, testRing('old')).handler;
    const oldCookie = before.issue(bob).value;

    const during = cookies({}, testRing('new', 'old')).handler;
    const read = during.read(oldCookie);
    assert.equal(read.session.user, bob.user);
    assert.ok(read.renew, 'a cookie sealed with a key other than the sealing key is renewed at once');
    assert.equal(read.renew.value.split('.')[1], 'new');
    assert.equal(during.read(read.renew.value).renew, undefined);

    const after = cookies({}, testRing('new')).handler;
    assert.equal(
      codeOf(() => after.read(oldCookie)),
      'CG_SESSION_KEY_UNKNOWN',
    );
    assert.equal(after.read(read.renew.value).session.user, bob.user);
  });

  it('refuse a sign-in state value presented as a session cookie', () => {
    const ring = testRing('k1');
    const { handler } = cookies({}, ring);
    const wctx = seal(ring, 'wctx', { u: bob.user }, { now: T0, ttlSeconds: 600 });
    assert.equal(
      codeOf(() => handler.read(wctx)),
      'CG_SESSION_INVALID',
    );
  });

  it('refuse an authentic session-purpose value that does not hold a session as malformed', () => {
    const ring = testRing('k1');
    const { handler } = cookies({}, ring);
    const value = seal(ring, 'session', { user: bob.user }, { now: T0, ttlSeconds: 600 });
    assert.equal(
      codeOf(() => handler.read(value)),
      'CG_SESSION_MALFORMED',
    );
  });

  it('answer a missing or garbage cookie with a coded error', () => {
    const { handler } = cookies();
    for (const value of [undefined, '', 'deleted', 'x'.repeat(10_240), 'v1.k1.a.b.c']) {
      assert.equal(
        codeOf(() => handler.read(value)),
        'CG_SESSION_MALFORMED',
      );
    }
  });

  it('clear with an empty, already expired cookie with the same attributes', () => {
    const { handler } = cookies({ path: '/app' });
    const cleared = handler.clear();
    assert.deepEqual(cleared, {
      name: 'claimsgate_session',
      value: '',
      attributes: { httpOnly: true, sameSite: 'Lax', secure: true, path: '/app', maxAge: 0 },
    });
    assert.equal(
      serializeSetCookie(cleared),
      'claimsgate_session=; Max-Age=0; Path=/app; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('refuse to issue a session whose claims do not fit in a cookie', () => {
    const { handler } = cookies();
    const groups = Array.from(
      { length: 200 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    assert.equal(
      codeOf(() => handler.issue({ ...bob, claims: { groups } })),
      'CG_SESSION_TOO_LARGE',
    );
  });

  it('refuse malformed sessions and sessions that would already have ended with a TypeError', () => {
    const { handler } = cookies();
    assert.throws(() => handler.issue({ ...bob, user: '' }), TypeError);
    assert.throws(() => handler.issue({ ...bob, issuer: 42 as unknown as string }), TypeError);
    assert.throws(
      () => handler.issue({ ...bob, claims: { role: 'admin' } as unknown as NewSession['claims'] }),
      TypeError,
    );
    assert.throws(() => handler.issue({ ...bob, authenticatedAt: new Date('nope') }), TypeError);
    assert.throws(() => handler.issue({ ...bob, authenticatedAt: at(-8 * HOUR) }), TypeError);
    assert.throws(() => handler.issue({ ...bob, expiresAt: T0 }), TypeError);
  });

  it('refuse bad options with a TypeError', () => {
    const ring = testRing('k1');
    const bad: Partial<SessionCookieOptions>[] = [
      { secure: 'yes' as unknown as boolean },
      { cookieName: 'a b' },
      { cookieName: '' },
      { path: 'app' },
      { path: '/a;b' },
      { absoluteLifetimeSeconds: 0 },
      { idleTimeoutSeconds: 1.5 },
      { renewAfterSeconds: -1 },
      { idleTimeoutSeconds: 9 * 3600 },
      { renewAfterSeconds: 3600 },
      { cookieName: '__Host-session', path: '/app' },
      { cookieName: '__Host-session', secure: false },
      { cookieName: '__Secure-session', secure: false },
      { ring: undefined as unknown as SealingKeyRing },
    ];
    for (const options of bad) {
      assert.throws(
        () => createSessionCookies({ ring, secure: true, ...options }),
        TypeError,
        JSON.stringify(options),
      );
    }
    assert.doesNotThrow(() => createSessionCookies({ ring, secure: true, cookieName: '__Host-session' }));
  });

  describe('remembering opened cookies', () => {
    it('answers the same cookie again from memory, with the same session', () => {
      const { handler } = cookies();
      const { value } = handler.issue(bob);
      const first = handler.read(value);
      const second = handler.read(value);
      assert.equal(second.session, first.session);
      assert.equal(second.renew, undefined);
    });

    it('still ends a remembered session at its idle deadline, its absolute end and its sealed expiry', () => {
      const idle = cookies({ idleTimeoutSeconds: 600, renewAfterSeconds: 60 });
      const idleValue = idle.handler.issue(bob).value;
      idle.handler.read(idleValue);
      idle.setTime(10 * MINUTE);
      assert.equal(
        codeOf(() => idle.handler.read(idleValue)),
        'CG_SESSION_EXPIRED',
      );

      const absolute = cookies({ absoluteLifetimeSeconds: 3600, idleTimeoutSeconds: 3600 });
      const absoluteValue = absolute.handler.issue({ ...bob, expiresAt: at(30 * MINUTE) }).value;
      absolute.handler.read(absoluteValue);
      absolute.setTime(30 * MINUTE);
      assert.equal(
        codeOf(() => absolute.handler.read(absoluteValue)),
        'CG_SESSION_EXPIRED',
      );
    });

    it('still renews a remembered cookie once it is due', () => {
      const { handler, setTime } = cookies({ renewAfterSeconds: 300 });
      const { value } = handler.issue(bob);
      assert.equal(handler.read(value).renew, undefined);
      setTime(5 * MINUTE);
      const renewed = handler.read(value);
      assert.ok(renewed.renew !== undefined);
      assert.deepEqual(renewed.session.lastSeenAt, at(5 * MINUTE));
    });

    it('opens the cookie again when the ring answers another key for its ID', () => {
      const real = testRing('k1');
      let replaced = false;
      const other = testRing('k1', 'k2').purposeKey('k2', 'session');
      // A ring whose key k1 changes under the handler: what it remembered must not outlive the key.
      const ring: SealingKeyRing = {
        sealingKeyId: real.sealingKeyId,
        keyIds: real.keyIds,
        purposeKey: (keyId, purpose) =>
          replaced && purpose === 'session' ? other : real.purposeKey(keyId, purpose),
      };
      const { handler } = cookies({}, ring);
      const { value } = handler.issue(bob);
      handler.read(value);
      replaced = true;
      assert.equal(
        codeOf(() => handler.read(value)),
        'CG_SESSION_INVALID',
      );
    });

    it('remembers a bounded length of cookies: large ones are dropped sooner', () => {
      const { handler } = cookies();
      const big: NewSession = {
        ...bob,
        claims: { group: Array.from({ length: 60 }, (_, i) => `group-${i}-${'g'.repeat(20)}`) },
      };
      const oldest = handler.issue(big).value;
      assert.ok(oldest.length > 2_500 && oldest.length < 4_096, `${oldest.length}`);
      const kept = handler.read(oldest).session;
      const fit = Math.floor(OPENED_CACHE_CHARACTERS / oldest.length);
      // Far fewer than the count bound, but more than the length bound holds.
      assert.ok(fit + 1 < OPENED_CACHE_SIZE);
      for (let index = 0; index < fit; index += 1) handler.read(handler.issue(big).value);
      assert.notEqual(handler.read(oldest).session, kept);
    });

    it('remembers a bounded number of cookies, the least recently used dropped first', () => {
      const { handler } = cookies();
      const oldest = handler.issue(bob).value;
      const kept = handler.read(oldest).session;
      for (let index = 0; index < OPENED_CACHE_SIZE; index += 1) handler.read(handler.issue(bob).value);
      assert.notEqual(handler.read(oldest).session, kept);
    });
  });
});
