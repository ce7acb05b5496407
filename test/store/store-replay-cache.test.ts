import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { isClaimsgateError } from '../../src/lib/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createStoreReplayCache } from '../../src/store/store-replay-cache.js';

const START = new Date('2026-03-01T09:00:00.000Z');

let directory: string;
let files = 0;

before(() => {
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-replay-'));
});

after(() => rmSync(directory, { recursive: true, force: true }));

function later(seconds: number): Date {
  return new Date(START.getTime() + seconds * 1000);
}

async function withStore(work: (store: Store, clock: { now: Date }) => Promise<void>): Promise<void> {
  const clock = { now: START };
  files += 1;
  const store = await openStore(join(directory, `replay-${files}.db`), { now: () => clock.now });
  try {
    await work(store, clock);
  } finally {
    await store.close();
  }
}

describe('the store replay cache', () => {
  it('accepts an ID once and reports it as a replay until it expires', async () => {
    await withStore(async (store, clock) => {
      const cache = createStoreReplayCache(store, { now: () => clock.now });
      assert.equal(await cache.checkAndStore('issuer\u0000_assertion-1', later(300)), true);
      assert.equal(await cache.checkAndStore('issuer\u0000_assertion-1', later(300)), false);
      assert.equal(await cache.checkAndStore('issuer\u0000_assertion-2', later(300)), true);
      clock.now = later(299);
      assert.equal(await cache.checkAndStore('issuer\u0000_assertion-1', later(600)), false);
      clock.now = later(300);
      assert.equal(await cache.checkAndStore('issuer\u0000_assertion-1', later(600)), true);
      assert.equal(await cache.checkAndStore('issuer\u0000_assertion-1', later(600)), false);
    });
  });

  it('shares IDs between every cache built on one store (also given the clock alone, as in earlier releases)', async () => {
    await withStore(async (store, clock) => {
      const first = createStoreReplayCache(store, () => clock.now);
      const second = createStoreReplayCache(store, { now: () => clock.now });
      assert.equal(await first.checkAndStore('jti-1', later(60)), true);
      assert.equal(await second.checkAndStore('jti-1', later(60)), false);
    });
  });

  it('gives exactly one of many concurrent checks of one ID the first use', async () => {
    await withStore(async (store, clock) => {
      const caches = [1, 2, 3].map(() => createStoreReplayCache(store, { now: () => clock.now }));
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, index) => caches[index % 3]!.checkAndStore('jti-race', later(60))),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });
  });

  it('records an ID longer than the store accepts as text, still once', async () => {
    await withStore(async (store, clock) => {
      const cache = createStoreReplayCache(store, { now: () => clock.now });
      const long = 'x'.repeat(100_000);
      assert.equal(await cache.checkAndStore(long, later(60)), true);
      assert.equal(await cache.checkAndStore(long, later(60)), false);
      assert.equal(await cache.checkAndStore(`${long}y`, later(60)), true);
    });
  });

  it('purges expired IDs from the store at most once every ten minutes', async () => {
    await withStore(async (store, clock) => {
      const purgedAt: Date[] = [];
      const counting = new Proxy(store, {
        get(target, property) {
          if (property === 'purgeReplays')
            return (at: Date) => {
              purgedAt.push(at);
              return target.purgeReplays(at);
            };
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      const cache = createStoreReplayCache(counting, { now: () => clock.now });
      await cache.checkAndStore('a', later(30));
      clock.now = later(599);
      await cache.checkAndStore('b', later(900));
      assert.deepEqual(purgedAt, [START]);
      clock.now = later(600);
      await cache.checkAndStore('c', later(900));
      assert.deepEqual(purgedAt, [START, later(600)]);
      // The purge removed only the expired ID: the live one is still a replay.
      assert.equal(await store.purgeReplays(later(600)), 0);
      assert.equal(await cache.checkAndStore('b', later(900)), false);
    });
  });

  it('rejects with the store error when the store cannot be used, so the token is refused', async () => {
    const clock = { now: START };
    files += 1;
    const store = await openStore(join(directory, `replay-${files}.db`), { now: () => clock.now });
    const cache = createStoreReplayCache(store, { now: () => clock.now });
    await store.close();
    await assert.rejects(cache.checkAndStore('jti-1', later(60)), (error: unknown) => {
      assert.ok(isClaimsgateError(error));
      assert.equal(error.code, 'CG_STORE_UNAVAILABLE');
      return true;
    });
  });

  it('refuses a missing store, a bad clock and an empty ID', async () => {
    await withStore(async (store) => {
      assert.throws(() => createStoreReplayCache(undefined as unknown as Store), TypeError);
      assert.throws(() => createStoreReplayCache(store, { now: 'now' as unknown as () => Date }), TypeError);
      await assert.rejects(createStoreReplayCache(store).checkAndStore('', later(60)), TypeError);
    });
  });
});
