import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT } from '../../src/cli/output.js';
import { createProgram } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/run-action.js';

describe('claimsgate serve', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'claimsgate-serve-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('serves /healthz and /readyz on 127.0.0.1 until its duration ends, then exits 0', async () => {
    let stdout = '';
    let stderr = '';
    const context: CliContext = {
      io: {
        stdout: (text) => {
          stdout += text;
        },
        stderr: (text) => {
          stderr += text;
        },
        readStdin: () => Promise.resolve(Buffer.alloc(0)),
        now: () => new Date(),
        fetch: globalThis.fetch,
        env: {},
        actor: 'cli:test',
        confirm: () => Promise.resolve(undefined),
      },
      exitCode: EXIT.ok,
    };
    const program = createProgram(context);
    const running = program.parseAsync(
      [
        'serve',
        '--mode',
        'development',
        '--port',
        '0',
        '--db',
        join(directory, 'store.db'),
        '--duration',
        '3',
      ],
      { from: 'user' },
    );
    let address: string | undefined;
    for (let attempt = 0; attempt < 100 && address === undefined; attempt += 1) {
      address = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (address === undefined) await delay(20);
    }
    assert.ok(address !== undefined, stderr);
    const health = await fetch(`${address}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${address}/readyz`);
    assert.equal(ready.status, 200);
    await running;
    assert.equal(context.exitCode, EXIT.ok, stderr);
    assert.match(stderr, /session\.keys/);
    // server.heapGrowthPercent's default, set before the store was read (docs/operations.md, Memory).
    const growth = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; heapGrowth?: unknown })
      .find((line) => line.msg === 'heap growth');
    assert.ok(growth !== undefined, stdout);
    // The test runner itself may have been given the node flag; either way serve said what it did.
    assert.ok(
      JSON.stringify(growth.heapGrowth) === JSON.stringify({ applied: true, percent: 50 }) ||
        process.execArgv.some((argument) => /^--?heap[-_]growing[-_]percent/.test(argument)),
      JSON.stringify(growth),
    );
  });

  it('exits 1 with CG_CONFIG_INVALID for a bad setting, without listening', async () => {
    let stderr = '';
    const context: CliContext = {
      io: {
        stdout: () => undefined,
        stderr: (text) => {
          stderr += text;
        },
        readStdin: () => Promise.resolve(Buffer.alloc(0)),
        now: () => new Date(),
        fetch: globalThis.fetch,
        env: {},
        actor: 'cli:test',
        confirm: () => Promise.resolve(undefined),
      },
      exitCode: EXIT.ok,
    };
    const program = createProgram(context);
    await program.parseAsync(['serve', '--mode', 'development', '--port', 'not-a-port'], { from: 'user' });
    assert.equal(context.exitCode, EXIT.rejected);
    assert.match(stderr, /CG_CONFIG_INVALID/);
  });
});
