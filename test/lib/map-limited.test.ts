import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapLimited } from '../../src/lib/map-limited.js';

describe('mapLimited', () => {
  it('keeps the items’ order in the results and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, item * 3));
      running -= 1;
      return item * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
    assert.equal(most, 2);
  });

  it('rejects with the first failure, and resolves an empty list at once', async () => {
    await assert.rejects(
      mapLimited([1, 2, 3], 3, (item) =>
        item === 2 ? Promise.reject(new Error('two')) : Promise.resolve(item),
      ),
      /two/,
    );
    assert.deepEqual(await mapLimited([], 4, () => Promise.resolve(1)), []);
  });
});
