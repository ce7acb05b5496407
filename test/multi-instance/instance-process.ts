/**
 * The test's side of test/multi-instance/instance.ts: spawns an instance as a
 * real process and talks to it over its stdin/stdout protocol. Every process
 * spawned here is remembered, so that `killAllInstances` can end the ones a
 * failed test left behind.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { repoRoot } from '../helpers/fixtures.js';
import type { InstanceRequest } from './instance.js';

const SCRIPT = join(repoRoot, 'test', 'multi-instance', 'instance.ts');

/** A request without its ID (the client numbers them). */
export type Request = InstanceRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** A failed request, with the code the instance reported. */
export class InstanceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface InstanceOptions {
  readonly name: string;
  /** The PostgreSQL URL with `?schema=` (and `application_name=` to find its sessions). */
  readonly databaseUrl: string;
  readonly reconcileIntervalMs: number;
  /** The engine's metadata fetch timeout; default 2 s (instance.ts). */
  readonly fetchTimeoutMs?: number;
  /** How long to wait for `ready`; default 20 s. */
  readonly startTimeoutMs?: number;
}

export interface Instance {
  readonly name: string;
  readonly pid: number;
  /** Sends one request; rejects with an {@link InstanceError} on failure, or after `timeoutMs` (default 10 s). */
  request<T = unknown>(request: Request, timeoutMs?: number): Promise<T>;
  /** Resolves at the next unsolicited line with this `event`. */
  nextEvent(event: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** Ends stdin (the instance stops its engine and closes its store); SIGKILL if it has not exited in 5 s. */
  stop(): Promise<number | NodeJS.Signals>;
  /** The instance's stderr so far (engine logs), for failure messages. */
  stderr(): string;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills every instance still running (for `after` hooks). */
export function killAllInstances(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

process.once('exit', killAllInstances);

/** Spawns an instance and resolves once its engine has started. */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CLAIMSGATE_MI_DATABASE_URL: options.databaseUrl,
      CLAIMSGATE_MI_NAME: options.name,
      CLAIMSGATE_MI_RECONCILE_MS: String(options.reconcileIntervalMs),
      ...(options.fetchTimeoutMs === undefined
        ? {}
        : { CLAIMSGATE_MI_FETCH_TIMEOUT_MS: String(options.fetchTimeoutMs) }),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  // A write to a process that was killed must not crash the test process.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ?? code ?? -1);
    });
  });

  const replies = new Map<number, (line: Record<string, unknown>) => void>();
  const eventWaiters = new Map<string, Array<(line: Record<string, unknown>) => void>>();
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      stderr += `[stdout, not JSON] ${text}\n`;
      return;
    }
    if (typeof line['id'] === 'number') {
      replies.get(line['id'])?.(line);
      replies.delete(line['id']);
      return;
    }
    const waiting = eventWaiters.get(String(line['event'])) ?? [];
    eventWaiters.delete(String(line['event']));
    for (const resolve of waiting) resolve(line);
    if (line['event'] === 'fatal') stderr += `[fatal] ${text}\n`;
  });

  function nextEvent(event: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name}: no "${event}" within ${timeoutMs} ms\n${stderr}`)),
        timeoutMs,
      );
      const list = eventWaiters.get(event) ?? [];
      list.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      eventWaiters.set(event, list);
      void exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${String(how)}) before "${event}"\n${stderr}`));
      });
    });
  }

  let nextId = 0;
  const instance: Instance = {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    nextEvent,
    stderr: () => stderr,
    request<T>(request: Request, timeoutMs = 10_000): Promise<T> {
      nextId += 1;
      const id = nextId;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          replies.delete(id);
          reject(new Error(`${options.name}: no answer to ${request.op} within ${timeoutMs} ms`));
        }, timeoutMs);
        replies.set(id, (line) => {
          clearTimeout(timer);
          if (line['ok'] === true) resolve(line['result'] as T);
          else {
            const error = (line['error'] ?? {}) as { code?: string; message?: string };
            reject(new InstanceError(error.code ?? 'unknown', error.message ?? ''));
          }
        });
        void exited.then((how) => {
          if (!replies.delete(id)) return;
          clearTimeout(timer);
          reject(new Error(`${options.name} exited (${String(how)}) before answering ${request.op}`));
        });
        child.stdin.write(`${JSON.stringify({ ...request, id })}\n`);
      });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const how = await exited;
      clearTimeout(timer);
      return how;
    },
  };
  try {
    await nextEvent('ready', options.startTimeoutMs ?? 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return instance;
}
