import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers/fixtures.js';

function run(bin: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'node_modules', bin), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the code base', () => {
  it('type-checks under the strict compiler settings', () => {
    const { status, output } = run('typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit']);
    assert.equal(status, 0, output);
  });

  it('passes lint', () => {
    const { status, output } = run('eslint/bin/eslint.js', ['.', '--max-warnings=0']);
    assert.equal(status, 0, output);
  });

  it('is formatted with prettier', () => {
    const { status, output } = run('prettier/bin/prettier.cjs', ['--check', '.']);
    assert.equal(status, 0, output);
  });
});
