/**
 * Security review 13 (commit f925e35): the session cookie handler now
 * remembers up to 4,096 opened cookies by their exact value ("about 1–2 KiB
 * each"). Attacked: the memory one signed-in user can pin there. A cookie
 * older than `renewAfterSeconds` is renewed with a fresh value (a new IV) on
 * every request, so one session mints as many distinct valid cookies as it
 * likes; each, sent once in a Cookie header padded to what node accepts
 * (16 KiB), is remembered under a key the session hook cut out of that
 * header (`readRequestCookie`). A V8 substring keeps its whole parent string
 * alive, so every entry pinned the whole header: 64 MiB for one user's
 * small session. (Measured on the handler and the hook's own cookie parser:
 * `app.inject` itself grows the heap by ~10 KiB a request, which would drown
 * the figure.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readRequestCookie } from '../../src/server/reply-cookies.js';
import { OPENED_CACHE_SIZE, createSessionCookies } from '../../src/session/session-cookie.js';
import { T0, at, testRing } from '../session/keys.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** What the comment on OPENED_CACHE_SIZE promises, with room to spare: 4 KiB an entry. */
const BUDGET_PER_ENTRY = 4 * 1024;
/** Another cookie that pads the Cookie header to 15 KiB (node's default limit is 16 KiB of headers). */
const PADDING = `pad=${'x'.repeat(15 * 1024)}`;
const NAME = 'claimsgate_session';

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('the opened-cookie cache of the session handler', () => {
  it('does not keep a whole padded Cookie header alive per remembered cookie', () => {
    let now = T0;
    const cookies = createSessionCookies({ ring: testRing('k1'), secure: true, now: () => now });
    const old = cookies.issue({
      user: 'SIM:mallory@contoso.test',
      issuer: 'https://sim.test/',
      claims: { upn: ['mallory@contoso.test'] },
    }).value;
    now = at(301_000);
    // One session, many distinct valid cookies: every read of the old one answers a renewal.
    const minted = new Set<string>();
    while (minted.size < OPENED_CACHE_SIZE) {
      const renewed = cookies.read(old).renew;
      assert.ok(renewed !== undefined, 'the old cookie is renewed');
      minted.add(renewed.value);
    }
    const start = heapUsed();
    for (const value of minted) {
      // A flat string of its own per request, as node's HTTP parser makes one.
      const header = Buffer.from(`${PADDING}; ${NAME}=${value}`, 'latin1').toString('latin1');
      const read = cookies.read(readRequestCookie(header, NAME));
      assert.equal(read.renew, undefined);
    }
    const grown = heapUsed() - start;
    assert.ok(
      grown < OPENED_CACHE_SIZE * BUDGET_PER_ENTRY,
      `${OPENED_CACHE_SIZE} remembered cookies of one user hold ${(grown / 2 ** 20).toFixed(1)} MiB, ` +
        `more than ${(OPENED_CACHE_SIZE * BUDGET_PER_ENTRY) / 2 ** 20} MiB`,
    );
  });
});
