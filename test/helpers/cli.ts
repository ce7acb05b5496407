import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { repoRoot } from './fixtures.js';

/** What a CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output, a fixed clock and an optional stdin. */
export async function runInProcess(
  args: readonly string[],
  options: { stdin?: string | Buffer; now?: Date; fetch?: typeof globalThis.fetch } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: () => Promise.resolve(Buffer.from(options.stdin ?? '')),
    now: () => options.now ?? new Date('2026-11-29T12:00:00Z'),
    fetch: options.fetch ?? globalThis.fetch,
  });
  return { code, stdout, stderr };
}

/** Runs `bin/claimsgate.js` as a real process. */
export function runProcess(args: readonly string[], options: { stdin?: string | Buffer } = {}): CliRun {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'claimsgate.js'), ...args], {
    cwd: repoRoot,
    input: options.stdin ?? '',
    env: { ...process.env, CLAIMSGATE_FROM_SOURCE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
