import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoginThrottle, type AdmittedAttempt } from '../../src/server/admin-login-throttle.js';

const T0 = new Date('2026-03-02T09:30:00Z').getTime();
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

function admit(
  throttle: ReturnType<typeof createLoginThrottle>,
  name: string,
  seconds: number,
): AdmittedAttempt {
  const attempt = throttle.begin(name, at(seconds));
  assert.ok(attempt.admitted, `${name} at +${seconds}s was refused`);
  return attempt;
}

function fail(throttle: ReturnType<typeof createLoginThrottle>, name: string, seconds: number): void {
  admit(throttle, name, seconds).finish(false, at(seconds));
}

describe('the admin sign-in throttle', () => {
  it('locks a name on the fifth failure within the window, for the lock time from that failure', () => {
    const throttle = createLoginThrottle();
    for (let index = 0; index < 5; index += 1) fail(throttle, 'alice', index * 60);
    assert.deepEqual(throttle.begin('alice', at(240)), { admitted: false, retryAfterSeconds: 900 });
    assert.deepEqual(throttle.begin('alice', at(240 + 899)), { admitted: false, retryAfterSeconds: 1 });
    assert.equal(throttle.begin('bob', at(300)).admitted, true);
    // Once the lock has run out the name starts afresh: one failure does not lock it again.
    fail(throttle, 'alice', 240 + 900);
    assert.equal(throttle.begin('alice', at(240 + 901)).admitted, true);
  });

  it('forgets failures older than the window, and all failures after a success', () => {
    const throttle = createLoginThrottle();
    for (let index = 0; index < 4; index += 1) fail(throttle, 'alice', index);
    fail(throttle, 'alice', 903); // the first failure (at 0 s) has left the window
    assert.equal(throttle.begin('alice', at(904)).admitted, true);

    const other = createLoginThrottle();
    for (let index = 0; index < 4; index += 1) fail(other, 'bob', index);
    admit(other, 'bob', 10).finish(true, at(10));
    for (let index = 0; index < 4; index += 1) fail(other, 'bob', 20 + index);
    assert.equal(other.begin('bob', at(30)).admitted, true);
    assert.equal(other.size(), 1);
  });

  it('counts attempts still being checked, so a parallel burst gets no more tries than a sequence', () => {
    const throttle = createLoginThrottle();
    const burst = Array.from({ length: 5 }, () => admit(throttle, 'alice', 0));
    assert.deepEqual(throttle.begin('alice', at(0)), { admitted: false, retryAfterSeconds: 1 });
    for (const attempt of burst) attempt.finish(false, at(1));
    assert.deepEqual(throttle.begin('alice', at(2)), { admitted: false, retryAfterSeconds: 899 });
    // Finishing twice counts once.
    burst[0]!.finish(false, at(3));
    assert.equal(throttle.size(), 1);
  });

  it('stays within its bound, dropping names with nothing to remember before locks', () => {
    const throttle = createLoginThrottle({ maxTrackedNames: 3 });
    for (let index = 0; index < 5; index += 1) fail(throttle, 'locked', index);
    fail(throttle, 'one', 10);
    fail(throttle, 'two', 11);
    fail(throttle, 'three', 12);
    assert.equal(throttle.size(), 3);
    assert.equal(throttle.begin('locked', at(13)).admitted, false, 'the lock outlives newer failures');
    // A success leaves nothing to remember, so it takes no room.
    admit(throttle, 'four', 14).finish(true, at(14));
    assert.ok(throttle.size() <= 3);
  });

  it('refuses options that are not positive integers', () => {
    assert.throws(() => createLoginThrottle({ maxFailures: 0 }), TypeError);
    assert.throws(() => createLoginThrottle({ lockSeconds: 1.5 }), TypeError);
  });
});
