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

/** How an in-process run is set up. */
export interface InProcessOptions {
  readonly stdin?: string | Buffer;
  readonly now?: Date;
  readonly fetch?: typeof globalThis.fetch;
  /** The environment the CLI sees; default empty (the test process's own is never leaked in). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The answer to every confirmation question; default `undefined` (no terminal). */
  readonly confirm?: boolean;
  /** Questions asked are pushed here. */
  readonly questions?: string[];
  readonly actor?: string;
}

/** Runs the CLI in-process with captured output, a fixed clock and an optional stdin. */
export async function runInProcess(args: readonly string[], options: InProcessOptions = {}): Promise<CliRun> {
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
    env: options.env ?? {},
    actor: options.actor ?? 'cli:test',
    confirm: (question) => {
      options.questions?.push(question);
      return Promise.resolve(options.confirm);
    },
  });
  return { code, stdout, stderr };
}

/** Runs `bin/claimsgate.js` as a real process. */
export function runProcess(
  args: readonly string[],
  options: { stdin?: string | Buffer; env?: Readonly<Record<string, string>> } = {},
): CliRun {
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'claimsgate.js'), ...args], {
    cwd: repoRoot,
    input: options.stdin ?? '',
    env: { ...process.env, ...options.env, CLAIMSGATE_FROM_SOURCE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
