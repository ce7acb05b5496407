/* eslint-disable @typescript-eslint/require-await -- in-memory stand-ins for the store's async methods */
/**
 * Security review 8: during a store outage with database.outage.replayCache
 * = local, the local ledger is the only replay check, and it evicts its
 * OLDEST UNEXPIRED entry when full (store-replay-cache.ts LocalLedger.reserve),
 * and the waiting queue drops the oldest too (so it is never written to the
 * store at the recovery). Every callback POST reserves its sign-in state's ID
 * before the token is even looked at (sign-in-pipeline.ts openCallback), so
 * an unauthenticated client fills the ledger with GET /signin + POST callback
 * pairs; a victim's captured token is then accepted again on the same instance.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoreOutage } from '../../src/store/store-outage.js';
import { createStoreReplayCache } from '../../src/store/store-replay-cache.js';
import type { Store } from '../../src/store/store.js';

describe('security review 8: local replay ledger during an outage', () => {
  it('refuses a replay of an unexpired ID however many other IDs came after it, refusing new IDs when full', async () => {
    const held = new Set<string>();
    const store = {
      async checkAndStoreReplay(digest: string) {
        if (held.has(digest)) return false;
        held.add(digest);
        return true;
      },
      async purgeReplays() {
        return 0;
      },
    } as unknown as Store;
    let queue: { flush(): Promise<{ written: number }>; dropped(): number } | undefined;
    const outage = {
      reachable: false,
      report: () => true,
      addQueue: (q: typeof queue) => {
        queue = q;
      },
    } as unknown as StoreOutage & { reachable: boolean };
    const now = new Date('2026-01-01T00:00:00Z');
    const cache = createStoreReplayCache(store, {
      now: () => now,
      whenUnreachable: 'local',
      outage,
      localEntries: 4,
    });
    const expiresAt = new Date(now.getTime() + 3_600_000);
    assert.equal(await cache.checkAndStore('victim-token', expiresAt), true);
    // The attacker's junk: sign-in state IDs reserved by callback posts.
    // The ledger holds 4: the attacker's fourth ID is refused rather than the victim's forgotten.
    const refused: unknown[] = [];
    for (let i = 0; i < 4; i += 1)
      await cache
        .checkAndStore(`attacker-state-${i}`, expiresAt)
        .catch((error: unknown) => refused.push(error));
    assert.equal(refused.length, 1);
    assert.match(String(refused[0]), /local replay ledger holds 4 unexpired/);
    const replayed = await cache.checkAndStore('victim-token', expiresAt);
    // And after the recovery the victim's ID was never written for the other instances.
    (outage as { reachable: boolean }).reachable = true;
    await queue!.flush();
    assert.equal(replayed, false, 'the unexpired victim token was accepted a second time during the outage');
  });
});
