/**
 * Security review 11: `claimsgate serve` with a bad server.heapGrowthPercent
 * exits 1 with CG_CONFIG_INVALID naming the setting, before any V8 flag is set
 * or the store is opened (no database file appears); a good one is set once,
 * as exactly `--heap-growing-percent=N`. Importing the library
 * (src/index.ts) sets no V8 flag. (Passes: no defect found here.)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import v8 from 'node:v8';
import { EXIT } from '../../src/cli/output.js';
import { runInProcess, type CliRun } from '../helpers/cli.js';

const calls: string[] = [];
mock.method(v8, 'setFlagsFromString', (flags: string) => {
  calls.push(flags);
});
syncBuiltinESMExports();

/** `claimsgate serve` for 0.3 s on `db`, in-process, with `env` as its whole environment. */
function serve(env: Record<string, string>, db: string): Promise<CliRun> {
  return runInProcess(['serve', '--mode', 'development', '--port', '0', '--db', db, '--duration', '0.3'], {
    env,
    now: new Date(),
  });
}

describe('serve and server.heapGrowthPercent', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'cg-review-11-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('the library sets no V8 flag when imported', async () => {
    calls.length = 0;
    await import('../../src/index.js');
    assert.deepEqual(calls, []);
  });

  it('refuses a bad value before setting any flag or opening the store', async () => {
    for (const [index, text] of [
      '50 --expose-gc',
      '50\n--allow-natives-syntax',
      '5e1',
      '0x32',
      '401',
      '-1',
      '12.5',
      'env:X',
    ].entries()) {
      calls.length = 0;
      const db = join(directory, `bad-${index}.db`);
      const { code, stderr } = await serve({ CLAIMSGATE_SERVER_HEAP_GROWTH_PERCENT: text, X: '50' }, db);
      assert.equal(code, EXIT.rejected, `${JSON.stringify(text)}: ${stderr}`);
      assert.match(stderr, /CG_CONFIG_INVALID/);
      assert.match(stderr, /server\.heapGrowthPercent/);
      assert.deepEqual(calls, [], JSON.stringify(text));
      assert.equal(existsSync(db), false, `${JSON.stringify(text)}: store opened`);
    }
  });

  it('sets a good value once, exactly; 0 sets nothing', async () => {
    calls.length = 0;
    let run = await serve({ CLAIMSGATE_SERVER_HEAP_GROWTH_PERCENT: ' 123 ' }, join(directory, 'good.db'));
    assert.equal(run.code, EXIT.ok, run.stderr);
    assert.deepEqual(calls, ['--heap-growing-percent=123']);
    calls.length = 0;
    run = await serve({ CLAIMSGATE_SERVER_HEAP_GROWTH_PERCENT: '0' }, join(directory, 'zero.db'));
    assert.equal(run.code, EXIT.ok, run.stderr);
    assert.deepEqual(calls, []);
  });
});
