/**
 * The waiting pool of the unknown-key hook: the admission rule alone (its
 * bound and fair share over random arrivals and departures), and the hook
 * with fetches that end only when the test says, so that every token's
 * admission is decided by the rule and nothing by timing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RefreshResult } from '../../src/rollover/issuer-refresher.js';
import type { TrustLoader } from '../../src/rollover/trust-loader.js';
import {
  admitsWaitingToken,
  createUnknownKeyHook,
  type UnknownKeyCounts,
  type WaitingPool,
} from '../../src/rollover/unknown-key-hook.js';
import type { TrustSnapshot } from '../../src/tokens/trust-snapshot.js';
import { issuerRecord } from '../helpers/rollover-records.js';

function share(maxWaiting: number, issuers: number): number {
  return Math.max(1, Math.floor(maxWaiting / issuers));
}

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('admitsWaitingToken', () => {
  const pool = (overrides: Partial<WaitingPool>): WaitingPool => ({
    waiting: 0,
    maxWaiting: 10,
    issuersWaiting: 0,
    issuerWaiting: 0,
    ...overrides,
  });

  it('lets one issuer alone fill the pool, and admits another issuer’s first token into a full one', () => {
    assert.equal(admitsWaitingToken(pool({ waiting: 9, issuersWaiting: 1, issuerWaiting: 9 })), true);
    assert.equal(admitsWaitingToken(pool({ waiting: 10, issuersWaiting: 1, issuerWaiting: 10 })), false);
    assert.equal(admitsWaitingToken(pool({ waiting: 10, issuersWaiting: 1, issuerWaiting: 0 })), true);
    assert.equal(admitsWaitingToken(pool({ waiting: 11, issuersWaiting: 2, issuerWaiting: 1 })), false);
  });

  it('holds an issuer to its fair share once others wait, though the pool has room', () => {
    // Three issuers: 10 / 3 → 3 each.
    assert.equal(admitsWaitingToken(pool({ waiting: 5, issuersWaiting: 3, issuerWaiting: 2 })), true);
    assert.equal(admitsWaitingToken(pool({ waiting: 6, issuersWaiting: 3, issuerWaiting: 3 })), false);
    // More issuers than places: one each.
    assert.equal(
      admitsWaitingToken(pool({ maxWaiting: 2, waiting: 1, issuersWaiting: 5, issuerWaiting: 1 })),
      false,
    );
  });

  it('keeps the pool within maxWaiting + issuers − 1 and every admission within its issuer’s share, over random traffic', () => {
    for (const [seed, maxWaiting, issuers] of [
      [1, 10, 3],
      [2, 7, 5],
      [3, 1, 4],
      [4, 100, 2],
      [5, 3, 12],
    ] as const) {
      const next = random(seed);
      const held = new Array<number>(issuers).fill(0);
      let full = 0;
      for (let step = 0; step < 20_000; step += 1) {
        const issuer = Math.floor(next() * issuers);
        const waiting = held.reduce((sum, count) => sum + count, 0);
        if (next() < 0.45 && held[issuer]! > 0) {
          held[issuer]! -= 1;
          continue;
        }
        if (waiting >= maxWaiting) full += 1;
        const issuersWaiting = held.filter((count) => count > 0).length;
        const issuerWaiting = held[issuer]!;
        const admitted = admitsWaitingToken({ waiting, maxWaiting, issuersWaiting, issuerWaiting });
        if (issuerWaiting === 0) assert.equal(admitted, true, 'an issuer with nothing waiting is admitted');
        if (!admitted) continue;
        held[issuer]! += 1;
        const after = held.filter((count) => count > 0).length;
        assert.ok(held[issuer]! <= share(maxWaiting, after), `share exceeded (seed ${seed}, step ${step})`);
        assert.ok(waiting + 1 <= maxWaiting + after - 1, `pool bound exceeded (seed ${seed}, step ${step})`);
      }
      assert.ok(full > 0, `seed ${seed} exercised the full pool`);
    }
  });
});

/** A fetch per issuer that ends when the test calls `end`. */
interface HeldFetches {
  end(issuerId: string): void;
}

function hookBench(maxWaiting: number, issuerIds: readonly string[]) {
  const issuers = issuerIds.map((id) =>
    issuerRecord({ id, name: id, issuerUri: `https://${id}.test/`, metadataUrl: `https://${id}.test/md` }),
  );
  const snapshot = {
    findIssuer: (uri: string) =>
      issuers.some((issuer) => issuer.issuerUri === uri) ? { issuer: uri } : undefined,
  } as unknown as TrustSnapshot;
  const loader = {
    snapshot: () => snapshot,
    records: () =>
      ({
        issuers,
        issuerByUri: (uri: string) => issuers.find((issuer) => issuer.issuerUri === uri),
      }) as unknown as ReturnType<TrustLoader['records']>,
  };
  const ends = new Map<string, Array<() => void>>();
  const refresher = {
    pending: () => undefined,
    lastStartedAt: () => undefined,
    refresh: (issuerId: string) =>
      new Promise<RefreshResult>((resolve) => {
        const list = ends.get(issuerId) ?? [];
        list.push(() => resolve({} as RefreshResult));
        ends.set(issuerId, list);
      }),
  };
  const counts: UnknownKeyCounts = { refreshes: 0, joined: 0, timedOut: 0, unmapped: 0, overflow: 0 };
  const hook = createUnknownKeyHook({
    loader,
    refresher,
    now: () => new Date('2026-03-01T12:00:00.000Z'),
    spacingMs: 0,
    waitMs: 60_000,
    maxWaiting,
    logger: () => undefined,
    counts,
  });
  const waiting = new Map<string, Array<Promise<unknown>>>();
  const fetches: HeldFetches = {
    end(issuerId) {
      for (const end of ends.get(issuerId) ?? []) end();
      ends.delete(issuerId);
    },
  };
  return {
    counts,
    fetches,
    /** Sends `count` tokens naming unknown keys of `issuerId`; returns how many were admitted to wait. */
    send(issuerId: string, count: number): number {
      const before = counts.overflow;
      for (let index = 0; index < count; index += 1) {
        const settled = hook.onUnknownKey({
          issuer: `https://${issuerId}.test/`,
          sha1: undefined,
          sha256: undefined,
          kid: `k${index}`,
        });
        waiting.set(issuerId, [...(waiting.get(issuerId) ?? []), settled]);
      }
      return count - (counts.overflow - before);
    },
    /** Lets the fetches the tokens wait for begin (they begin on a later turn of the event loop). */
    async settle(): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
    /** Ends `issuerId`'s fetch and waits until its tokens have left the pool. */
    async release(issuerId: string): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 10));
      fetches.end(issuerId);
      await Promise.all(waiting.get(issuerId) ?? []);
      waiting.delete(issuerId);
    },
    async close(): Promise<void> {
      hook.cancelAll();
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (const id of issuerIds) fetches.end(id);
      await Promise.all([...waiting.values()].flat());
    },
  };
}

describe('the unknown-key waiting pool', () => {
  it('cannot be starved by one issuer’s flood: each issuer gets its fair share, the pool stays bounded', async () => {
    const bench = hookBench(6, ['x', 'y', 'z']);
    try {
      // X alone may fill the pool; Y and Z, arriving at a full pool, each get a token in.
      assert.equal(bench.send('x', 20), 6);
      assert.equal(bench.send('y', 5), 1);
      assert.equal(bench.send('z', 5), 1);
      // 8 waiting: maxWaiting (6) + issuers (3) − 1.
      assert.equal(bench.counts.overflow, 14 + 4 + 4);
      // X's tokens end; flooding again, X gets no more than its share of the pool (6 / 3).
      await bench.release('x');
      assert.equal(bench.send('x', 20), 2);
      // The room X left goes to Y and Z, each up to the same share.
      assert.equal(bench.send('y', 5), 1);
      assert.equal(bench.send('z', 5), 1);
      assert.equal(bench.send('x', 5), 0);
      // With Z gone, X and Y share the pool: 6 / 2 each.
      await bench.release('z');
      assert.equal(bench.send('x', 5), 1);
      assert.equal(bench.send('y', 5), 1);
      assert.equal(bench.send('x', 5), 0);
    } finally {
      await bench.close();
    }
  });
});
