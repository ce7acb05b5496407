import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ClaimsgateError } from '../../src/lib/errors.js';
import type { NewSessionRevocation } from '../../src/store/model.js';
import { createStoreOutage, type StoreOutageEvent } from '../../src/store/store-outage.js';
import { createStoreReplayCache } from '../../src/store/store-replay-cache.js';
import type { Store } from '../../src/store/store.js';

const START = new Date('2026-03-02T09:30:00Z');

function later(seconds: number): Date {
  return new Date(START.getTime() + seconds * 1000);
}

/**
 * A store of the calls the outage watch and the replay cache make, that can
 * be made unreachable (every call fails with CG_STORE_UNAVAILABLE) and
 * reachable again. It records what was written.
 */
function createFakeStore(): {
  store: Store;
  state: { down: boolean };
  keyUses: Array<{ id: string; at: Date }>;
  claimTypes: Array<{ issuerId: string; claimTypes: readonly string[] }>;
  revocations: NewSessionRevocation[];
  replays: Map<string, Date>;
  calls: string[];
} {
  const state = { down: false };
  const keyUses: Array<{ id: string; at: Date }> = [];
  const claimTypes: Array<{ issuerId: string; claimTypes: readonly string[] }> = [];
  const revocations: NewSessionRevocation[] = [];
  const replays = new Map<string, Date>();
  const calls: string[] = [];
  const answer = <T>(name: string, work: () => T): Promise<T> => {
    calls.push(name);
    if (state.down)
      return Promise.reject(
        new ClaimsgateError('CG_STORE_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:5432'),
      );
    return Promise.resolve(work());
  };
  const store = {
    backend: 'postgres',
    listRealms: () => answer('listRealms', () => []),
    getIssuer: () => answer('getIssuer', () => undefined),
    recordKeyUse: (id: string, at: Date) => answer('recordKeyUse', () => void keyUses.push({ id, at })),
    recordTokenClaimTypes: (issuerId: string, types: readonly string[]) =>
      answer('recordTokenClaimTypes', () => claimTypes.push({ issuerId, claimTypes: types }) > 0),
    revokeSessions: (revocation: NewSessionRevocation) =>
      answer('revokeSessions', () => void revocations.push(revocation)),
    checkAndStoreReplay: (id: string, expiresAt: Date, now: Date) =>
      answer('checkAndStoreReplay', () => {
        const known = replays.get(id);
        if (known !== undefined && known.getTime() > now.getTime()) return false;
        replays.set(id, expiresAt);
        return true;
      }),
    purgeReplays: () => answer('purgeReplays', () => 0),
    onChange: () => () => undefined,
    close: () => Promise.resolve(),
  } as unknown as Store;
  return { store, state, keyUses, claimTypes, revocations, replays, calls };
}

/** Resolves with the next event of `kind` (keeping the process alive meanwhile: the probe's timer is unref'd). */
function nextEvent<K extends StoreOutageEvent['kind']>(
  outage: ReturnType<typeof createStoreOutage>,
  kind: K,
): Promise<Extract<StoreOutageEvent, { kind: K }>> {
  const keepAlive = setInterval(() => undefined, 1_000);
  return new Promise((resolve) => {
    const unsubscribe = outage.subscribe((event) => {
      if (event.kind !== kind) return;
      unsubscribe();
      clearInterval(keepAlive);
      resolve(event as Extract<StoreOutageEvent, { kind: K }>);
    });
  });
}

describe('the store outage watch', () => {
  it('begins an outage at a call that finds the store unreachable, not at any other failure', async () => {
    const fake = createFakeStore();
    const outage = createStoreOutage({ store: fake.store, probeIntervalMs: 10_000, now: () => START });
    try {
      const failing = {
        ...fake.store,
        getIssuer: () => Promise.reject(new ClaimsgateError('CG_STORE_QUERY_FAILED', 'no table')),
      };
      assert.equal(outage.report(new ClaimsgateError('CG_STORE_QUERY_FAILED', 'no table')), false);
      await assert.rejects(createStoreOutage({ store: failing }).store.getIssuer('x'));
      assert.equal(outage.reachable, true);
      const down = nextEvent(outage, 'down');
      fake.state.down = true;
      await assert.rejects(outage.store.listRealms(), { code: 'CG_STORE_UNAVAILABLE' });
      assert.equal(outage.reachable, false);
      const event = await down;
      assert.equal(event.code, 'CG_STORE_UNAVAILABLE');
      assert.deepEqual(event.since, START);
      assert.equal(outage.status().outages, 1);
      assert.deepEqual(outage.status().since, START);
    } finally {
      outage.stop();
    }
  });

  it('takes CG_STORE_TIMEOUT for load, not an outage: load alone never makes the instance decide by itself', () => {
    const outage = createStoreOutage({ store: createFakeStore().store, probeIntervalMs: 10_000 });
    try {
      assert.equal(outage.report(new ClaimsgateError('CG_STORE_TIMEOUT', 'statement timeout')), false);
      assert.equal(outage.reachable, true);
    } finally {
      outage.stop();
    }
  });

  it('queues key uses (one per key, the latest), claim types and revocations while unreachable, and writes them when the probe finds the store back', async () => {
    const fake = createFakeStore();
    let clock = START;
    const outage = createStoreOutage({ store: fake.store, probeIntervalMs: 10, now: () => clock });
    try {
      fake.state.down = true;
      // The first write finds the store down: queued, not thrown.
      await outage.store.recordKeyUse('key-1', later(1));
      assert.equal(outage.reachable, false);
      const callsBefore = fake.calls.filter((name) => name === 'recordKeyUse').length;
      await outage.store.recordKeyUse('key-1', later(2));
      await outage.store.recordKeyUse('key-2', later(3));
      assert.equal(
        fake.calls.filter((name) => name === 'recordKeyUse').length,
        callsBefore,
        'a known outage queues without trying the store',
      );
      assert.equal(await outage.store.recordTokenClaimTypes('issuer-1', ['upn', 'name'], later(4)), true);
      await outage.store.revokeSessions({ sid: 'sid-1', expiresAt: later(3600) });
      assert.equal(outage.status().queued, 4);
      assert.deepEqual(fake.keyUses, []);

      clock = later(20);
      const up = nextEvent(outage, 'up');
      fake.state.down = false;
      const event = await up;
      assert.equal(outage.reachable, true);
      assert.equal(event.durationMs, 20_000);
      assert.deepEqual(event.written, { keyUses: 2, claimTypes: 1, revocations: 1 });
      assert.equal(event.stillQueued, 0);
      assert.deepEqual(fake.keyUses, [
        { id: 'key-1', at: later(2) },
        { id: 'key-2', at: later(3) },
      ]);
      assert.deepEqual(fake.claimTypes, [{ issuerId: 'issuer-1', claimTypes: ['upn', 'name'] }]);
      assert.deepEqual(fake.revocations, [{ sid: 'sid-1', expiresAt: later(3600) }]);
      assert.equal(outage.status().queued, 0);
    } finally {
      outage.stop();
    }
  });

  it('keeps at most queueLimit records of a kind, dropping the oldest and counting them', async () => {
    const fake = createFakeStore();
    const outage = createStoreOutage({ store: fake.store, probeIntervalMs: 10_000, queueLimit: 2 });
    try {
      outage.report(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'down'));
      for (const id of ['key-1', 'key-2', 'key-3']) await outage.store.recordKeyUse(id, START);
      assert.equal(outage.status().queued, 2);
      assert.equal(outage.status().dropped, 1);
    } finally {
      outage.stop();
    }
  });

  it('does not end an outage on the success of a call begun before it', async () => {
    const fake = createFakeStore();
    let release: () => void = () => undefined;
    const slow = {
      ...fake.store,
      getIssuer: () => new Promise<undefined>((resolve) => (release = () => resolve(undefined))),
    } as Store;
    const outage = createStoreOutage({ store: slow, probeIntervalMs: 10_000 });
    try {
      const pending = outage.store.getIssuer('sim');
      outage.report(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'down'));
      release();
      await pending;
      assert.equal(outage.reachable, false);
      // One begun during the outage does end it.
      await outage.store.listRealms();
      assert.equal(outage.reachable, true);
    } finally {
      outage.stop();
    }
  });

  it('keeps what it could not write queued when the store goes away again during the writing', async () => {
    const fake = createFakeStore();
    const flaky = {
      ...fake.store,
      recordKeyUse: (id: string, at: Date) => {
        // The second write finds the store gone again.
        if (fake.keyUses.length === 1) fake.state.down = true;
        return fake.store.recordKeyUse(id, at);
      },
    };
    const watch = createStoreOutage({ store: flaky, probeIntervalMs: 10_000 });
    try {
      watch.report(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'down'));
      for (const id of ['key-1', 'key-2', 'key-3']) await watch.store.recordKeyUse(id, START);
      const up = nextEvent(watch, 'up');
      await watch.store.listRealms();
      const event = await up;
      assert.equal(event.written['keyUses'], undefined);
      assert.equal(event.stillQueued, 2);
      assert.equal(watch.reachable, false);
      assert.deepEqual(
        fake.keyUses.map((use) => use.id),
        ['key-1'],
      );
    } finally {
      watch.stop();
    }
  });

  it('refuses a missing store and bad options', () => {
    assert.throws(() => createStoreOutage({ store: undefined as unknown as Store }), TypeError);
    const store = createFakeStore().store;
    assert.throws(() => createStoreOutage({ store, probeIntervalMs: 0 }), TypeError);
    assert.throws(() => createStoreOutage({ store, queueLimit: 0 }), TypeError);
  });
});

describe('the replay cache while the store is unreachable', () => {
  it('decides from the local ledger (a second use is a replay) and writes the IDs when the store is back', async () => {
    const fake = createFakeStore();
    const clock = { now: START };
    const outage = createStoreOutage({ store: fake.store, probeIntervalMs: 10, now: () => clock.now });
    const cache = createStoreReplayCache(outage.store, {
      now: () => clock.now,
      whenUnreachable: 'local',
      outage,
    });
    try {
      assert.equal(await cache.checkAndStore('before', later(300)), true);
      fake.state.down = true;
      assert.equal(await cache.checkAndStore('during', later(300)), true);
      assert.equal(outage.reachable, false);
      assert.equal(
        await cache.checkAndStore('during', later(300)),
        false,
        'a replay to this instance is refused',
      );
      assert.equal(
        await cache.checkAndStore('before', later(300)),
        false,
        'so is one accepted before the outage',
      );
      assert.equal(await cache.checkAndStore('short', later(5)), true);
      assert.equal(outage.status().queued, 2);
      clock.now = later(10);
      const up = nextEvent(outage, 'up');
      fake.state.down = false;
      const event = await up;
      // The expired one is not written: it can no longer be replayed anyway.
      assert.equal(event.written['replayIds'], 1);
      assert.equal(fake.replays.size, 2);
      // Another instance on the store now sees it.
      const other = createStoreReplayCache(fake.store, { now: () => clock.now });
      assert.equal(await other.checkAndStore('during', later(300)), false);
    } finally {
      outage.stop();
    }
  });

  it('counts an ID another instance had written meanwhile as a conflict', async () => {
    const fake = createFakeStore();
    const outage = createStoreOutage({ store: fake.store, probeIntervalMs: 10, now: () => START });
    const cache = createStoreReplayCache(outage.store, {
      now: () => START,
      whenUnreachable: 'local',
      outage,
    });
    try {
      fake.state.down = true;
      assert.equal(await cache.checkAndStore('twice', later(300)), true);
      const up = nextEvent(outage, 'up');
      const stored = `sha256:${(await import('node:crypto')).createHash('sha256').update('twice').digest('hex')}`;
      // Another instance accepted the same token and wrote it once the store was back: written
      // in the same step as the store comes back, before the 10 ms probe can find it up and
      // write the queued ID (an await between the two let the probe win now and then).
      fake.replays.set(stored, later(300));
      fake.state.down = false;
      const event = await up;
      assert.equal(event.written['replayIds'], 0);
      assert.equal(event.conflicts['replayIds'], 1);
    } finally {
      outage.stop();
    }
  });

  it('refuses the token with the store error in refuse mode, without burning its ID', async () => {
    const fake = createFakeStore();
    const outage = createStoreOutage({ store: fake.store, probeIntervalMs: 10_000 });
    const cache = createStoreReplayCache(outage.store, {
      now: () => START,
      whenUnreachable: 'refuse',
      outage,
    });
    try {
      fake.state.down = true;
      await assert.rejects(cache.checkAndStore('jti-1', later(60)), { code: 'CG_STORE_UNAVAILABLE' });
      await assert.rejects(cache.checkAndStore('jti-1', later(60)), { code: 'CG_STORE_UNAVAILABLE' });
      fake.state.down = false;
      assert.equal(await cache.checkAndStore('jti-1', later(60)), true);
      assert.equal(await cache.checkAndStore('jti-1', later(60)), false);
    } finally {
      outage.stop();
    }
  });

  it('treats an ID it accepted as a replay even when the store does not know it', async () => {
    const fake = createFakeStore();
    const cache = createStoreReplayCache(fake.store, { now: () => START });
    assert.equal(await cache.checkAndStore('jti-1', later(60)), true);
    fake.replays.clear();
    assert.equal(await cache.checkAndStore('jti-1', later(60)), false);
    assert.equal(fake.calls.filter((name) => name === 'checkAndStoreReplay').length, 1, 'no round trip');
  });

  it('keeps at most localEntries IDs, the oldest leaving first (then the store decides)', async () => {
    const fake = createFakeStore();
    const cache = createStoreReplayCache(fake.store, { now: () => START, localEntries: 2 });
    for (const id of ['a', 'b', 'c']) assert.equal(await cache.checkAndStore(id, later(60)), true);
    fake.replays.clear();
    assert.equal(await cache.checkAndStore('c', later(60)), false);
    assert.equal(
      await cache.checkAndStore('a', later(60)),
      true,
      'a left the ledger and the store forgot it',
    );
  });

  it('refuses a bad mode or bound', () => {
    const store = createFakeStore().store;
    assert.throws(
      () => createStoreReplayCache(store, { whenUnreachable: 'open' as unknown as 'local' }),
      TypeError,
    );
    assert.throws(() => createStoreReplayCache(store, { localEntries: 0 }), TypeError);
  });
});
