import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { applyHeapGrowth } from '../../src/server/heap-growth.js';

describe('applyHeapGrowth (server.heapGrowthPercent)', () => {
  it("sets V8's heap growing percent", () => {
    const set: string[] = [];
    assert.deepEqual(
      applyHeapGrowth(50, [], (flags) => set.push(flags)),
      { applied: true, percent: 50 },
    );
    assert.deepEqual(set, ['--heap-growing-percent=50']);
  });

  it('leaves it to V8 at 0', () => {
    const set: string[] = [];
    assert.deepEqual(
      applyHeapGrowth(0, [], (flags) => set.push(flags)),
      { applied: false, reason: 'off' },
    );
    assert.deepEqual(set, []);
  });

  it('keeps a --heap-growing-percent given to node, in either spelling', () => {
    for (const argument of [
      '--heap-growing-percent=20',
      '--heap_growing_percent=20',
      '--heap-growing-percent',
    ]) {
      const set: string[] = [];
      assert.deepEqual(
        applyHeapGrowth(50, ['--enable-source-maps', argument], (flags) => set.push(flags)),
        { applied: false, reason: 'node-flag' },
        argument,
      );
      assert.deepEqual(set, []);
    }
    // A flag whose name only begins the same is not it.
    assert.equal(applyHeapGrowth(50, ['--heap-growing-percentage=1'], () => undefined).applied, true);
  });

  it('refuses a percent outside 0–400 or not whole, setting nothing', () => {
    for (const percent of [-1, 401, 12.5, Number.NaN]) {
      const set: string[] = [];
      assert.throws(() => applyHeapGrowth(percent, [], (flags) => set.push(flags)), TypeError);
      assert.deepEqual(set, []);
    }
  });

  it("is a flag this node's V8 knows (an unknown one is reported, not applied)", () => {
    // V8 prints "unrecognized flag" for a name it does not have: were the flag dropped
    // by a later V8, serve would set nothing and this test says so.
    const run = (flag: string) =>
      spawnSync(process.execPath, ['-e', `require('node:v8').setFlagsFromString(${JSON.stringify(flag)})`], {
        encoding: 'utf8',
      });
    assert.match(run('--no-such-heap-flag=1').stderr, /unrecognized flag/);
    const known = run('--heap-growing-percent=50');
    assert.equal(known.status, 0);
    assert.equal(known.stderr, '');
  });
});
