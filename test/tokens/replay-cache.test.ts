import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryReplayCache } from '../../src/tokens/replay-cache.js';

describe('createMemoryReplayCache', () => {
  it('accepts an ID once and refuses it again until it expires', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const cache = createMemoryReplayCache({ now: () => now });
    const expiresAt = new Date('2026-01-01T00:05:00Z');
    assert.equal(await cache.checkAndStore('_a', expiresAt), true);
    assert.equal(await cache.checkAndStore('_a', expiresAt), false);
    assert.equal(await cache.checkAndStore('_b', expiresAt), true);
    now = new Date('2026-01-01T00:05:00Z');
    assert.equal(await cache.checkAndStore('_a', new Date('2026-01-01T00:10:00Z')), true);
  });

  it('drops the oldest entry when full', async () => {
    const cache = createMemoryReplayCache({ maxEntries: 2, now: () => new Date('2026-01-01Z') });
    const later = new Date('2027-01-01Z');
    await cache.checkAndStore('1', later);
    await cache.checkAndStore('2', later);
    await cache.checkAndStore('3', later);
    assert.equal(await cache.checkAndStore('1', later), true);
    assert.equal(await cache.checkAndStore('3', later), false);
  });

  it('refuses a nonsensical size as a programming mistake', () => {
    assert.throws(() => createMemoryReplayCache({ maxEntries: 0 }), TypeError);
  });
});
