/**
 * Security review 11 — DEFECT: docs/configuration.md promises that a
 * --heap-growing-percent "given to node on its command line is kept", but
 * applyHeapGrowth only recognises the two-dash spelling. V8 (and node, which
 * passes it through) also takes a V8 flag with ONE dash: `node
 * -heap-growing-percent=20 bin/claimsgate.js serve` starts V8 with 20, shows
 * up in process.execArgv as '-heap-growing-percent=20', and serve then
 * overwrites the operator's 20 with server.heapGrowthPercent (50 by default),
 * logging `applied: true`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyHeapGrowth } from '../../src/server/heap-growth.js';

const MODULE = fileURLToPath(new URL('../../src/server/heap-growth.ts', import.meta.url));

describe('a heap growing percent given to node with one dash', () => {
  it('is a flag node and V8 accept (V8 starts with 20)', () => {
    const run = spawnSync(process.execPath, ['-heap-growing-percent=20', '--print-flag-values', '-e', '0'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^--heap-growing-percent=20$/m);
  });

  it('is kept by applyHeapGrowth, as the docs promise', () => {
    const set: string[] = [];
    const result = applyHeapGrowth(50, ['-heap-growing-percent=20'], (flags) => set.push(flags));
    assert.deepEqual(set, [], 'the operator’s node flag was overwritten');
    assert.deepEqual(result, { applied: false, reason: 'node-flag' });
  });

  it('is kept end to end in a node started with it', () => {
    const script = `import(${JSON.stringify(MODULE)}).then((m) => console.log(JSON.stringify(m.applyHeapGrowth(50))))`;
    const run = spawnSync(process.execPath, ['-heap-growing-percent=20', '--import', 'tsx', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout.trim()), { applied: false, reason: 'node-flag' });
  });
});
