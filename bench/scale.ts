// `npm run bench -- scale`: claimsgate with many issuers. A loopback metadata
// farm (bench/scale-farm.ts) publishes N issuers' metadata; the real
// `claimsgate serve` (built first, unless --from-source) runs as a child
// process (so that its RSS can be read) on a fresh SQLite file or PostgreSQL
// schema. Phases, each under a hard time limit that reports "exceeded"
// instead of hanging:
//   1. add the first issuer through the admin API and measure sign-ins with it
//      alone; add --api-issuers through the API, the rest with issuers add-many;
//   2. restart the gateway with N issuers in the store: time to listen, RSS,
//      and how long the start refreshes take in the background;
//   3. refresh all (POST /admin/api/issuers/refresh): wall time, fetches,
//      failures by code, RSS after;
//   4. /healthz sampled every 100 ms during 2 and 3; /metrics size and time,
//      the sign-in page's time, and sign-ins with N issuers in the store;
//   5. token validation rate with N issuers' trust vs 1 (in this process, as
//      `npm run bench` validates).
// Child processes are killed on exit. See docs/benchmarks.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseCertificateDer } from '../src/crypto/certificate.js';
import { openStore } from '../src/store/open-store.js';
import { createTokenValidator } from '../src/tokens/create-token-validator.js';
import type { TrustedKey } from '../src/tokens/trust-snapshot.js';
import { createTrustSnapshot } from '../src/trust/create-trust-snapshot.js';
import { trustedKeyFromCertificate } from '../src/trust/trusted-key.js';
import { countInto, formatCounts, numberOption, positiveOption, runPhasedBench } from './bench-cli.js';
import { buildBenchToken } from './make-token.js';
import { measureSignIns, signedWresult, signIn, type SignInTarget } from './sign-in-client.js';
import { measureAll } from './measure.js';
import {
  createCertificatePool,
  farmLoginUrl,
  startMetadataFarm,
  type FarmIssuer,
  type MetadataFarm,
} from './scale-farm.js';

const USAGE = `Usage: npm run bench -- scale [--issuers N] [--api-issuers N] [--store sqlite|postgres] [--phase-seconds N] [--pool N] [--concurrency N] [--validate-seconds N] [--rest-seconds N] [--from-source]
  --issuers N        issuers in the farm and the store (default 1000)
  --api-issuers N    of those, how many are added through the admin API of a running gateway (default
                     all); the others with \`claimsgate issuers add-many\` (the CLI's bulk add, gateway stopped)
  --store KIND       sqlite (a fresh file) or postgres (a fresh schema in
                     CLAIMSGATE_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test)
  --phase-seconds N  hard time limit of each phase (default 300)
  --pool N           distinct signing certificates the issuers' keys are drawn from (default 200)
  --concurrency N    admin API requests in flight while adding issuers, and sign-ins at once (default 8)
  --validate-seconds N
                     timed validation per trust size, 1 issuer and all (default 3)
  --rest-seconds N   after refresh all, the gateway left alone this long before its RSS at rest is
                     read (default 60; 0 skips it)
  --from-source      run the CLI and the gateway through tsx; by default claimsgate is built first
                     (npm run build, into dist/) and the compiled CLI runs, as with npm start`;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const COMPILED_CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Node's arguments that run the claimsgate CLI: the TypeScript through tsx until {@link useCompiledCli}. */
let cliEntry: readonly string[] = ['--import', 'tsx', CLI];

/**
 * Builds claimsgate (`npm run build`, into dist/) and runs the compiled CLI
 * from then on, as `npm start` and an installed package do: what is measured
 * is what users run, without tsx's compilation in its start time and memory.
 *
 * @throws Error when the build fails.
 */
export function useCompiledCli(): void {
  const built = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (built.status !== 0)
    throw new Error(`npm run build failed: ${(built.stdout + built.stderr).slice(-1000)}`);
  cliEntry = [COMPILED_CLI];
}
const POSTGRES_URL =
  process.env['CLAIMSGATE_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_USER = 'scale-bench';
/** Extra node options for the gateway processes, to profile them: `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const GATEWAY_NODE_ARGS = (process.env['CLAIMSGATE_BENCH_GATEWAY_NODE_ARGS'] ?? '')
  .split(' ')
  .filter(Boolean);
const HEALTH_INTERVAL_MS = 100;
/** Key pairs the certificate pool shares (at most; a small pool gets one per 4 certificates). */
const KEY_PAIRS = 16;

export interface ScaleOptions {
  readonly issuers: number;
  /** Issuers added through the admin API (the rest with `issuers add-many`); default all. */
  readonly apiIssuers?: number;
  readonly store: 'sqlite' | 'postgres';
  readonly phaseSeconds: number;
  readonly pool: number;
  readonly concurrency: number;
  readonly validateSeconds: number;
  /** How long the gateway is left alone after refresh all before its memory at rest is read; 0: not read. Default 60. */
  readonly restSeconds?: number;
  /** Print progress and the table; off for the test. */
  readonly quiet?: boolean;
  /** Run the CLI and the gateway through tsx instead of building them first (the test's choice: faster). */
  readonly fromSource?: boolean;
}

/** How a phase ended. */
export type PhaseStatus = 'ok' | 'exceeded' | 'failed';

export interface Latency {
  readonly samples: number;
  /** Probes refused or failed once the gateway listened. */
  readonly failed: number;
  /** Probes made before the gateway listened (`serve` binds its port once the trust is loaded). */
  readonly notListening: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** The gateway's largest RSS seen at a probe. */
  readonly peakRssMiB: number | null;
  /**
   * How late the gateway's own event loop ran a 10 ms timer while it listened
   * (`nodejs_eventloop_lag_p99_seconds` / `_max_seconds` of its /metrics,
   * reset when the probes began): the event loop's share of the probes'
   * times, without this process's share (it also serves the farm).
   */
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
}

export interface ScaleResult {
  readonly options: Omit<ScaleOptions, 'quiet' | 'fromSource'> & { readonly build: 'compiled' | 'source' };
  readonly startedAt: string;
  readonly machine: string;
  readonly phases: Record<string, { status: PhaseStatus; seconds: number; error?: string }>;
  readonly add: {
    added: number;
    failedByCode: Record<string, number>;
    perSecond: number | null;
    /** The gateway the issuers were added through, started on the empty store: the baseline of phase 2. */
    emptyListenSeconds: number | null;
    emptyRssMiB: number | null;
    /** Issuers left to `claimsgate issuers add-many` (beyond --api-issuers, or not added through the API in its time), gateway stopped. */
    bulkAdded: number;
    bulkSeconds: number | null;
    bulkFailed: number;
    /** Metadata requests while the issuers were being added (the gateway's first refreshes of them). */
    farmRequests: number;
  };
  readonly start: {
    listenSeconds: number | null;
    /**
     * Seconds from listening until the start refreshes, run in the background, had fetched every
     * issuer (or the farm heard nothing for a few seconds); before phase 3, so that its forced
     * refreshes are not mixed with them.
     */
    backgroundSeconds: number | null;
    farmRequests: number;
    notModified: number;
    rssMiB: number | null;
    health: Latency;
  };
  readonly refresh: {
    wallSeconds: number | null;
    farmRequests: number;
    notModified: number;
    outcomes: Record<string, number>;
    failedByCode: Record<string, number>;
    rssMiB: number | null;
    /** RSS after restSeconds with nothing asked of the gateway (its scheduled work only). */
    restRssMiB: number | null;
    health: Latency;
  };
  readonly metrics: { bytes: number | null; ms: number | null };
  readonly signIn: {
    homeRealmMs: number | null;
    homeRealmBytes: number | null;
    redirectMs: number | null;
    /** Whole sign-ins (GET /signin, POST /signin/wsfed) per second with the first issuer alone in the store. */
    oneIssuerPerSecond: number | null;
    /** The same with every issuer in the store, on the restarted gateway. */
    manyIssuersPerSecond: number | null;
    /**
     * The gateway's CPU time per sign-in of each run, in µs (its process's user and system time
     * over the timed run, from /proc): the sign-ins one core of it could make is 10⁶ / that.
     */
    oneIssuerCpuMicroseconds: number | null;
    manyIssuersCpuMicroseconds: number | null;
    /** Sign-ins of either run that did not end in a session, by code. */
    failedByCode: Record<string, number>;
  };
  readonly validation: { oneIssuerPerSecond: number | null; manyIssuersPerSecond: number | null };
}

function readOptions(argv: readonly string[]): ScaleOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      issuers: { type: 'string' },
      'api-issuers': { type: 'string' },
      store: { type: 'string' },
      'phase-seconds': { type: 'string' },
      pool: { type: 'string' },
      concurrency: { type: 'string' },
      'validate-seconds': { type: 'string' },
      'rest-seconds': { type: 'string' },
      'from-source': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') throw new TypeError('--store must be sqlite or postgres');
  const issuers = Math.floor(positiveOption('issuers', values.issuers, 1000, 100_000));
  return {
    issuers,
    apiIssuers: Math.min(
      issuers,
      Math.floor(positiveOption('api-issuers', values['api-issuers'], issuers, 100_000)),
    ),
    store,
    phaseSeconds: positiveOption('phase-seconds', values['phase-seconds'], 300, 3600),
    pool: Math.max(3, Math.floor(positiveOption('pool', values.pool, 200, 10_000))),
    concurrency: Math.floor(positiveOption('concurrency', values.concurrency, 8, 256)),
    validateSeconds: positiveOption('validate-seconds', values['validate-seconds'], 3, 600),
    restSeconds: numberOption('rest-seconds', values['rest-seconds'], 60, { min: 0, max: 3600 }),
    fromSource: values['from-source'] === true,
  };
}

/** The phase ran out of time: loops that see it stop at their next step. */
export class Deadline {
  readonly at: number;
  constructor(seconds: number) {
    this.at = Date.now() + seconds * 1000;
  }
  get passed(): boolean {
    return Date.now() >= this.at;
  }
}

class PhaseExceeded extends Error {}

/** Runs `work` against a deadline; resolves with its status whatever happens. */
async function phase(
  result: ScaleResult,
  name: string,
  seconds: number,
  work: (deadline: Deadline) => Promise<void>,
): Promise<PhaseStatus> {
  const deadline = new Deadline(seconds);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseExceeded(`over ${seconds} s`)), seconds * 1000);
  });
  let status: PhaseStatus = 'ok';
  let error: string | undefined;
  try {
    await Promise.race([work(deadline), limit]);
    if (deadline.passed) status = 'exceeded';
  } catch (caught) {
    status = caught instanceof PhaseExceeded ? 'exceeded' : 'failed';
    error = caught instanceof Error ? caught.message : String(caught);
  } finally {
    clearTimeout(timer);
  }
  result.phases[name] = {
    status,
    seconds: (performance.now() - started) / 1000,
    ...(error === undefined ? {} : { error }),
  };
  return status;
}

// ---------------------------------------------------------------- processes

const children = new Set<ChildProcess>();
/** SIGKILLs every child process this harness started and has not seen exit (also at process exit). */
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}
process.once('exit', killChildren);

/** Counts `child` among the processes {@link killChildren} kills, until it exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Runs the claimsgate CLI to completion. */
export function runCli(
  args: readonly string[],
  stdin: string,
  timeoutMs: number,
  okCodes: readonly number[] = [0],
  stdoutOnly = false,
): Promise<string> {
  const child = spawn(process.execPath, [...cliEntry, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code !== null && okCodes.includes(code)) resolve(stdoutOnly ? stdout : output);
      else
        reject(
          new Error(`claimsgate ${args[0]} ${args[1] ?? ''} exited with ${code}: ${output.slice(-500)}`),
        );
    });
  });
}

export interface Gateway {
  readonly child: ChildProcess;
  readonly url: string;
  /** Its server.publicUrl, as `serve` reports it (the base of its callback URLs). */
  readonly publicUrl: string;
  /** Seconds from spawn to "listening on". */
  readonly listenSeconds: number;
  stop(): Promise<void>;
}

/**
 * `claimsgate serve` on 127.0.0.1 (any port) on `db`; resolves when it
 * listens. `env` adds to (or overrides) its environment: CLAIMSGATE_*
 * settings of a bench of its own.
 */
export function startGateway(
  db: string,
  deadline: Deadline,
  onSpawn?: (child: ChildProcess) => void,
  env: Readonly<Record<string, string>> = {},
): Promise<Gateway> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...GATEWAY_NODE_ARGS,
      ...cliEntry,
      'serve',
      '--mode',
      'development',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      db,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        CLAIMSGATE_ROLLOVER_PRIVATE_METADATA_HOSTS: '127.0.0.1',
        CLAIMSGATE_METRICS_ENABLED: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  onSpawn?.(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => {
        void stop();
        reject(new PhaseExceeded('the gateway did not listen in time'));
      },
      Math.max(1, deadline.at - Date.now()),
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} before listening: ${stderr.slice(-1000)}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = /serving (\S+) \(listening on (http:\/\/127\.0\.0\.1:\d+)\)/.exec(stdout);
      if (line === null) return;
      const [, publicUrl, url] = line as unknown as [string, string, string];
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({ child, url, publicUrl, listenSeconds: (performance.now() - started) / 1000, stop });
    });
  });
}

/** The resident set of a process, from /proc (Linux); null elsewhere. */
function rssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kib = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) / 1024;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's times (Linux's USER_HZ), asked of getconf on first use. */
let clockTicks: number | undefined;

/** The CPU time (user and system) a process has used, in µs, from /proc; null elsewhere. */
export function cpuMicroseconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
    // The fields after the command name (which may hold spaces), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- HTTP

/** An admin session on the gateway: its cookies and CSRF token. */
export interface AdminSession {
  readonly cookie: string;
  readonly csrf: string;
}

function cookiesOf(response: Response): string[] {
  return response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!);
}

/** Signs in at /admin/login with the local account `user`, as the docs' curl recipe does. */
export async function signInAsAdmin(
  url: string,
  password: string,
  user: string = ADMIN_USER,
): Promise<AdminSession> {
  const form = await fetch(`${url}/admin/login`);
  const formCookies = cookiesOf(form);
  const token = /name="_csrf" value="([^"]*)"/.exec(await form.text())?.[1];
  if (token === undefined) throw new Error('the admin sign-in form has no _csrf field');
  const login = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookies.join('; ') },
    body: new URLSearchParams({ _csrf: token, username: user, password }).toString(),
  });
  await login.arrayBuffer();
  const cookie = [...formCookies, ...cookiesOf(login)].join('; ');
  const session = await fetch(`${url}/admin/api/session`, { headers: { cookie } });
  if (!session.ok) throw new Error(`admin sign-in failed: /admin/api/session answered ${session.status}`);
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  return { cookie, csrf: csrfToken };
}

/** POSTs JSON (or nothing) to the admin API; the answer's status, JSON and error code (or `HTTP <status>`). */
export async function adminPost(
  url: string,
  session: AdminSession,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown>; code: string }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { code: `HTTP_${response.status}` };
  }
  const code = typeof json['code'] === 'string' ? json['code'] : `HTTP ${response.status}`;
  return { status: response.status, json, code };
}

/** Adds a farm issuer through `POST /admin/api/issuers`, as an administrator would; the answer as {@link adminPost}'s. */
export function addFarmIssuer(
  url: string,
  session: AdminSession,
  issuer: FarmIssuer,
): Promise<{ status: number; json: Record<string, unknown>; code: string }> {
  return adminPost(url, session, '/admin/api/issuers', {
    name: issuer.name,
    issuerUri: issuer.issuerUri,
    metadataUrl: issuer.metadataUrl,
    // The API stores what it is given (issuers add and add-many take it from the metadata).
    loginUrl: farmLoginUrl(issuer),
    protocols: ['wsfed'],
  });
}

/** Runs `work` on every item with `concurrency` in flight, stopping at the deadline. */
async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  deadline: Deadline,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !deadline.passed) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Times `GET path` `times` times; the median ms and the last body's size. */
async function timeGet(
  url: string,
  path: string,
  times: number,
  expected = 200,
): Promise<{ ms: number; bytes: number }> {
  const durations: number[] = [];
  let bytes = 0;
  for (let index = 0; index < times; index += 1) {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, { redirect: 'manual' });
    bytes = (await response.arrayBuffer()).byteLength;
    durations.push(performance.now() - started);
    // An error page is quick too: a time is only worth reporting for the answer meant.
    if (response.status !== expected)
      throw new Error(`GET ${path} answered ${response.status}, expected ${expected}`);
  }
  durations.sort((a, b) => a - b);
  return { ms: durations[Math.floor(durations.length / 2)]!, bytes };
}

/**
 * The p99 and the largest delay of the gateway's event loop since its last
 * scrape, from its /metrics (prom-client resets the histogram at each
 * scrape); undefined when it did not answer.
 */
async function loopDelay(url: string): Promise<{ p99Ms: number; maxMs: number } | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) return undefined;
    const text = await response.text();
    const gauge = (name: string): number | undefined => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return match === null ? undefined : Number(match[1]) * 1000;
    };
    const p99Ms = gauge('nodejs_eventloop_lag_p99_seconds');
    const maxMs = gauge('nodejs_eventloop_lag_max_seconds');
    return p99Ms === undefined || maxMs === undefined ? undefined : { p99Ms, maxMs };
  } catch {
    return undefined;
  }
}

/** Probes GET /healthz every 100 ms until stopped; a refused connection or a timeout counts as failed. */
function sampleHealth(
  url: () => string | undefined,
  pid: () => number | undefined,
): { stop: () => Promise<Latency> } {
  const durations: number[] = [];
  let failed = 0;
  let notListening = 0;
  let running = true;
  let peakRssMiB: number | null = null;
  let loopDelayFrom: string | undefined;
  const loop = (async () => {
    while (running) {
      const target = url();
      if (target !== undefined && loopDelayFrom === undefined) {
        loopDelayFrom = target;
        // A scrape resets the gateway's loop-delay histogram: what it holds from now on is this phase's.
        await loopDelay(target);
      }
      const started = performance.now();
      const rss = rssMiB(pid());
      if (rss !== null && (peakRssMiB === null || rss > peakRssMiB)) peakRssMiB = rss;
      if (target === undefined) notListening += 1;
      else {
        try {
          const response = await fetch(`${target}/healthz`, { signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          if (response.ok) durations.push(performance.now() - started);
          else failed += 1;
        } catch {
          failed += 1;
        }
      }
      const wait = HEALTH_INTERVAL_MS - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const delay = loopDelayFrom === undefined ? undefined : await loopDelay(loopDelayFrom);
      durations.sort((a, b) => a - b);
      const at = (quantile: number): number | null =>
        durations.length === 0
          ? null
          : durations[Math.min(durations.length - 1, Math.floor(quantile * durations.length))]!;
      return {
        samples: durations.length + failed + notListening,
        failed,
        notListening,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: durations.length === 0 ? null : durations[durations.length - 1]!,
        peakRssMiB,
        loopDelayP99Ms: delay?.p99Ms ?? null,
        loopDelayMaxMs: delay?.maxMs ?? null,
      };
    },
  };
}

// ---------------------------------------------------------------- the store

export interface BenchStore {
  readonly db: string;
  readonly describe: string;
  dispose(): Promise<void>;
}

/** A fresh SQLite file, or a fresh PostgreSQL schema named `<prefix>_<pid>_<time>`; `dispose` removes it. */
export async function createBenchStore(
  kind: ScaleOptions['store'],
  prefix = 'cg_scale',
): Promise<BenchStore> {
  if (kind === 'sqlite') {
    const directory = mkdtempSync(join(tmpdir(), 'claimsgate-bench-scale-'));
    return {
      db: join(directory, 'claimsgate.db'),
      describe: `SQLite file in ${directory}`,
      dispose: () => Promise.resolve(rmSync(directory, { recursive: true, force: true })),
    };
  }
  const schema = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
  } finally {
    await client.end();
  }
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    db: url.toString(),
    describe: `PostgreSQL schema ${schema} at ${url.host}${url.pathname}`,
    dispose: async () => {
      const dropper = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 10_000 });
      await dropper.connect();
      try {
        await dropper.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      } finally {
        await dropper.end();
      }
    },
  };
}

// ---------------------------------------------------------------- validation

/** Validations per second with the trust of `issuers` farm issuers (token from the first one). */
function validationRates(
  farm: MetadataFarm,
  pool: Awaited<ReturnType<typeof createCertificatePool>>,
  seconds: number,
): Promise<number[]> {
  const parsed = pool.map((certificate) => parseCertificateDer(certificate.der));
  const trustOf = (issuers: readonly FarmIssuer[]) =>
    createTrustSnapshot({
      issuers: issuers.map((issuer) => ({
        issuer: issuer.issuerUri,
        allowedTenants: [],
        audiences: [],
        allowSha1: false,
        lastRefresh: undefined,
      })),
      keys: issuers.flatMap((issuer): TrustedKey[] =>
        issuer.certificates.map((index) =>
          trustedKeyFromCertificate(issuer.issuerUri, parsed[index]!, 'metadata'),
        ),
      ),
      builtAt: new Date(),
    });
  // A token of an issuer in the middle, signed with the last of its keys.
  const chosen = farm.issuers[Math.floor(farm.issuers.length / 2)]!;
  const signer = pool[chosen.certificates[chosen.certificates.length - 1]!]!;
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const token = buildBenchToken(signer, { issuedAt, tenantId: chosen.tenantId });
  const validatorWith = (issuers: readonly FarmIssuer[]) => {
    const validator = createTokenValidator({
      trust: trustOf(issuers),
      audiences: [token.audience],
      recipient: token.recipient,
      now: () => new Date(issuedAt.getTime() + 60_000),
      replayCache: false,
    });
    return () => validator.validate(token.wresult);
  };
  const runs = [validatorWith([chosen]), validatorWith(farm.issuers)];
  return (async () => {
    for (const run of runs) await run(); // each must accept the token before it is timed
    const measured = await measureAll(runs, {
      seconds,
      rounds: 3,
      maxIterations: 200_000,
      warmupSeconds: Math.min(1, seconds / 3),
      warmupIterations: 2_000,
    });
    return measured.map((measurement) => measurement.perSecond);
  })();
}

// ---------------------------------------------------------------- the run

/** Sign-ins measured per run, at most: signed beforehand, a few seconds' worth. */
const MAX_SIGN_IN_TOKENS = 2_000;

/**
 * The sign-in rate through `gateway` with the farm's first issuer: waits until
 * one sign-in succeeds (the gateway refreshes a new issuer in the background),
 * signs the tokens beforehand, then signs in for `seconds`, `concurrency` at a time.
 * Also the gateway's CPU time per sign-in that ended in a session (its
 * process, `pid`, read from /proc before and after the timed run): what one
 * core of the gateway needs, whatever the client on the same machine takes.
 */
async function signInRate(
  gateway: SignInTarget,
  pid: number | undefined,
  audience: string,
  farm: MetadataFarm,
  pool: Awaited<ReturnType<typeof createCertificatePool>>,
  options: { readonly seconds: number; readonly concurrency: number },
  deadline: Deadline,
  failedByCode: Record<string, number>,
): Promise<{ perSecond: number; cpuMicroseconds: number | null } | null> {
  const issuer = farm.issuers[0]!;
  const signer = pool[issuer.certificates[issuer.certificates.length - 1]!]!;
  for (;;) {
    const outcome = await signIn(gateway, audience, issuer.name, issuer.tenantId, signer);
    if (outcome === 'ok') break;
    if (deadline.passed) {
      countInto(failedByCode, outcome);
      return null;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const tokens = Array.from({ length: MAX_SIGN_IN_TOKENS }, () =>
    signedWresult(gateway, audience, issuer.tenantId, signer),
  );
  // As long unmeasured first, so that both runs meet a warm gateway (the first one's is new).
  await measureSignIns(gateway, issuer, signer, tokens.splice(0, tokens.length / 2), options);
  const cpuBefore = cpuMicroseconds(pid);
  const rate = await measureSignIns(gateway, issuer, signer, tokens, options);
  const cpuAfter = cpuMicroseconds(pid);
  for (const [code, count] of Object.entries(rate.failedByCode))
    failedByCode[code] = (failedByCode[code] ?? 0) + count;
  return {
    perSecond: rate.perSecond,
    cpuMicroseconds:
      cpuBefore === null || cpuAfter === null || rate.ok === 0 ? null : (cpuAfter - cpuBefore) / rate.ok,
  };
}

/**
 * Waits until the farm has answered one request per issuer since `since`
 * requests (the start refreshes fetch each issuer once), or heard nothing for
 * 3 s, or the deadline; resolves with the milliseconds from `from` to the
 * last request seen.
 */
async function startRefreshesDone(
  farm: MetadataFarm,
  since: number,
  deadline: Deadline,
  from: number,
): Promise<number> {
  let last = farm.counts().requests;
  let lastAt = performance.now();
  let lastRequestAt = from;
  while (
    !deadline.passed &&
    farm.counts().requests - since < farm.issuers.length &&
    performance.now() - lastAt < 3_000
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = farm.counts().requests;
    if (now !== last) {
      last = now;
      lastAt = performance.now();
      lastRequestAt = lastAt;
    }
  }
  return Math.max(0, lastRequestAt - from);
}

/** The health of a phase that did not run. */
const NO_PROBES: Latency = {
  samples: 0,
  failed: 0,
  notListening: 0,
  p50Ms: null,
  p99Ms: null,
  maxMs: null,
  peakRssMiB: null,
  loopDelayP99Ms: null,
  loopDelayMaxMs: null,
};

/** Runs every phase; never throws for a phase that failed or ran out of time (its status says so). */
export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const log = (text: string): void => {
    if (options.quiet !== true) console.error(text);
  };
  const cpu = cpus();
  const shown = {
    issuers: options.issuers,
    apiIssuers: options.apiIssuers ?? options.issuers,
    store: options.store,
    phaseSeconds: options.phaseSeconds,
    pool: options.pool,
    concurrency: options.concurrency,
    validateSeconds: options.validateSeconds,
    restSeconds: options.restSeconds ?? 60,
    build: options.fromSource === true ? ('source' as const) : ('compiled' as const),
  };
  const result: ScaleResult = {
    options: shown,
    startedAt: new Date().toISOString(),
    machine: `node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    phases: {},
    add: {
      added: 0,
      failedByCode: {},
      perSecond: null,
      emptyListenSeconds: null,
      emptyRssMiB: null,
      bulkAdded: 0,
      bulkSeconds: null,
      bulkFailed: 0,
      farmRequests: 0,
    },
    start: {
      listenSeconds: null,
      backgroundSeconds: null,
      farmRequests: 0,
      notModified: 0,
      rssMiB: null,
      health: NO_PROBES,
    },
    refresh: {
      wallSeconds: null,
      farmRequests: 0,
      notModified: 0,
      outcomes: {},
      failedByCode: {},
      rssMiB: null,
      restRssMiB: null,
      health: NO_PROBES,
    },
    metrics: { bytes: null, ms: null },
    signIn: {
      homeRealmMs: null,
      homeRealmBytes: null,
      redirectMs: null,
      oneIssuerPerSecond: null,
      manyIssuersPerSecond: null,
      oneIssuerCpuMicroseconds: null,
      manyIssuersCpuMicroseconds: null,
      failedByCode: {},
    },
    validation: { oneIssuerPerSecond: null, manyIssuersPerSecond: null },
  };
  const limit = options.phaseSeconds;
  /** A line at each tenth of the issuers, so that a long phase shows its pace. */
  const progress = (what: string, done: number, since: number): void => {
    if (done % Math.max(1, Math.ceil(options.issuers / 10)) === 0)
      log(`   ${what} ${done} in ${((performance.now() - since) / 1000).toFixed(1)} s`);
  };
  const password = randomBytes(18).toString('base64url');
  let pool: Awaited<ReturnType<typeof createCertificatePool>> = [];
  let farm: MetadataFarm | undefined;
  let store: BenchStore | undefined;
  let gateway: Gateway | undefined;
  const issuerIds: string[] = [];
  const added = new Set<string>();
  try {
    const keyPairs = Math.min(KEY_PAIRS, Math.ceil(options.pool / 4));
    log(`setup: ${options.pool} certificates on ${keyPairs} key pairs, the farm, the store…`);
    const setup = await phase(result, 'setup', limit, async () => {
      if (options.fromSource !== true) useCompiledCli();
      pool = await createCertificatePool(options.pool, keyPairs);
      farm = await startMetadataFarm(options.issuers, pool);
      store = await createBenchStore(options.store);
      await runCli(['admin', 'create', ADMIN_USER, '--password-stdin', '--db', store.db], password, 120_000);
    });
    if (setup !== 'ok' || farm === undefined || store === undefined) return result;
    const theFarm: MetadataFarm = farm;
    const theStore: BenchStore = store;
    const thePool = pool;
    log(`store: ${theStore.describe}`);
    /** The realm's URI: the first gateway's URL (the one realm, which every gateway falls back to). */
    let audience = '';

    log(`1. adding ${options.apiIssuers ?? options.issuers} issuers through POST /admin/api/issuers…`);
    let started: number | undefined;
    await phase(result, 'add', limit, async (deadline) => {
      const running = await startGateway(theStore.db, deadline);
      gateway = running;
      result.add.emptyListenSeconds = running.listenSeconds;
      result.add.emptyRssMiB = rssMiB(running.child.pid);
      const url = running.url;
      const admin = await signInAsAdmin(url, password);
      // The realm first: the sign-in page needs one, whether or not every issuer gets added in time.
      const realm = await adminPost(url, admin, '/admin/api/realms', {
        realmUri: url,
        replyUrl: `${url}/signin/wsfed`,
      });
      if (realm.status >= 300) throw new Error(`creating the realm answered ${realm.status} ${realm.code}`);
      audience = url;
      let since = performance.now();
      const addOne = async (issuer: FarmIssuer): Promise<void> => {
        const { status, json, code } = await addFarmIssuer(url, admin, issuer);
        if (status === 201 || status === 200) {
          result.add.added += 1;
          progress('added', result.add.added, since);
          added.add(issuer.name);
          issuerIds.push(String((json['issuer'] as { id?: unknown } | undefined)?.id ?? json['id']));
        } else countInto(result.add.failedByCode, code);
      };
      const throughApi = theFarm.issuers.slice(0, options.apiIssuers ?? options.issuers);
      // The first issuer alone, and the sign-in rate with it: the baseline of phase 4's.
      await addOne(throughApi[0]!);
      log(`   sign-ins with one issuer in the store…`);
      const one = await signInRate(
        running,
        running.child.pid,
        audience,
        theFarm,
        thePool,
        { seconds: options.validateSeconds, concurrency: options.concurrency },
        deadline,
        result.signIn.failedByCode,
      );
      result.signIn.oneIssuerPerSecond = one?.perSecond ?? null;
      result.signIn.oneIssuerCpuMicroseconds = one?.cpuMicroseconds ?? null;
      since = performance.now();
      started = since;
      await forEachLimited(throughApi.slice(1), options.concurrency, deadline, addOne);
    });
    if (started !== undefined)
      result.add.perSecond = result.add.added / ((performance.now() - started) / 1000);
    await gateway?.stop();
    gateway = undefined;
    result.add.farmRequests = theFarm.counts().requests;

    const rest = theFarm.issuers.filter((issuer) => !added.has(issuer.name));
    if (rest.length > 0) {
      log(`1b. adding the other ${rest.length} with claimsgate issuers add-many (gateway stopped)…`);
      const bulk = await phase(result, 'bulk-add', limit, async (deadline) => {
        const file = join(mkdtempSync(join(tmpdir(), 'claimsgate-bulk-')), 'issuers.jsonl');
        writeFileSync(
          file,
          rest
            .map((issuer) =>
              JSON.stringify({ name: issuer.name, metadataUrl: issuer.metadataUrl, protocols: ['wsfed'] }),
            )
            .join('\n'),
        );
        const started = performance.now();
        try {
          const output = await runCli(
            [
              'issuers',
              'add-many',
              file,
              '--yes',
              '--json',
              '--concurrency',
              String(options.concurrency),
              '--db',
              theStore.db,
            ],
            '',
            Math.max(1000, deadline.at - Date.now()),
            [0, 1],
            true,
          );
          const { issuers } = JSON.parse(output) as {
            issuers: Array<{ status: string; id?: string }>;
          };
          for (const outcome of issuers) {
            if (outcome.status === 'added' && outcome.id !== undefined) {
              issuerIds.push(outcome.id);
              result.add.bulkAdded += 1;
            } else result.add.bulkFailed += 1;
          }
          result.add.bulkSeconds = (performance.now() - started) / 1000;
        } finally {
          rmSync(dirname(file), { recursive: true, force: true });
        }
      });
      if (bulk === 'exceeded') {
        // Killed at its limit: the issuers it stored before are in the store; count them from there.
        const direct = await openStore(theStore.db);
        try {
          const known = new Set(issuerIds);
          for (const issuer of await direct.listIssuers()) {
            if (known.has(issuer.id)) continue;
            issuerIds.push(issuer.id);
            result.add.bulkAdded += 1;
          }
        } finally {
          await direct.close();
        }
      }
      if (bulk === 'failed') return result;
    }

    log(`2. starting the gateway with ${issuerIds.length} issuers in the store…`);
    let child: ChildProcess | undefined;
    const startHealth = sampleHealth(
      () => gateway?.url,
      () => child?.pid,
    );
    const before = theFarm.counts();
    const startStatus = await phase(result, 'start', limit, async (deadline) => {
      gateway = await startGateway(theStore.db, deadline, (spawned) => (child = spawned));
      result.start.listenSeconds = gateway.listenSeconds;
      result.start.rssMiB = rssMiB(child?.pid);
      const listened = performance.now();
      result.start.backgroundSeconds =
        (await startRefreshesDone(theFarm, before.requests, deadline, listened)) / 1000;
    });
    result.start.health = await startHealth.stop();
    result.start.farmRequests = theFarm.counts().requests - before.requests;
    result.start.notModified = theFarm.counts().notModified - before.notModified;
    // Phases 3 and 4 need the gateway listening; phase 5 runs in this process whatever happened.
    if (startStatus === 'ok' && gateway !== undefined) {
      const running: Gateway = gateway;

      log(`3. refreshing every issuer at once (POST /admin/api/issuers/refresh: refresh all, 8 at a time)…`);
      const refreshHealth = sampleHealth(
        () => running.url,
        () => running.child.pid,
      );
      const counts = theFarm.counts();
      await phase(result, 'refresh', limit, async () => {
        const admin = await signInAsAdmin(running.url, password);
        const started = performance.now();
        const { status, json, code } = await adminPost(
          running.url,
          admin,
          '/admin/api/issuers/refresh',
          undefined,
        );
        result.refresh.wallSeconds = (performance.now() - started) / 1000;
        if (status !== 200) throw new Error(`refresh all answered ${status} ${code}`);
        const summary = json as {
          byOutcome: Record<string, number>;
          failures: Array<{ issuer: string; code: string | null }>;
        };
        for (const [outcome, count] of Object.entries(summary.byOutcome))
          if (count > 0) result.refresh.outcomes[outcome] = count;
        for (const failure of summary.failures)
          countInto(result.refresh.failedByCode, failure.code ?? 'none');
      });
      result.refresh.health = await refreshHealth.stop();
      result.refresh.farmRequests = theFarm.counts().requests - counts.requests;
      result.refresh.notModified = theFarm.counts().notModified - counts.notModified;
      result.refresh.rssMiB = rssMiB(running.child.pid);
      const restSeconds = options.restSeconds ?? 60;
      if (restSeconds > 0) {
        // V8 gives back the heap a burst grew only once the process is quiet for a while.
        log(`   ${restSeconds} s at rest…`);
        await new Promise((resolve) => setTimeout(resolve, restSeconds * 1000));
        result.refresh.restRssMiB = rssMiB(running.child.pid);
      }

      log('4. /metrics and the sign-in page…');
      await phase(result, 'pages', limit, async () => {
        const metrics = await timeGet(running.url, '/metrics', 5);
        result.metrics.ms = metrics.ms;
        result.metrics.bytes = metrics.bytes;
        const home = await timeGet(running.url, '/signin?returnUrl=%2F', 5);
        result.signIn.homeRealmMs = home.ms;
        result.signIn.homeRealmBytes = home.bytes;
        const redirect = await timeGet(
          running.url,
          `/signin?returnUrl=%2F&whr=${theFarm.issuers[0]!.name}`,
          5,
          302,
        );
        result.signIn.redirectMs = redirect.ms;
      });
      log(`   sign-ins with ${options.issuers} issuers in the store…`);
      await phase(result, 'sign-in', limit, async (deadline) => {
        const many = await signInRate(
          running,
          running.child.pid,
          audience,
          theFarm,
          thePool,
          { seconds: options.validateSeconds, concurrency: options.concurrency },
          deadline,
          result.signIn.failedByCode,
        );
        result.signIn.manyIssuersPerSecond = many?.perSecond ?? null;
        result.signIn.manyIssuersCpuMicroseconds = many?.cpuMicroseconds ?? null;
      });
      await running.stop();
      gateway = undefined;
    }

    log(`5. token validation with 1 and ${options.issuers} issuers' trust…`);
    await phase(result, 'validate', limit, async () => {
      const [one, many] = await validationRates(theFarm, pool, options.validateSeconds);
      result.validation.oneIssuerPerSecond = one ?? null;
      result.validation.manyIssuersPerSecond = many ?? null;
    });
    return result;
  } finally {
    await gateway?.stop();
    killChildren();
    await farm?.close();
    await store?.dispose().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }
}

// ---------------------------------------------------------------- the report

const fixed = (value: number | null, digits = 1): string =>
  value === null
    ? '—'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const counts = formatCounts;
const ratioOf = (value: number | null, base: number | null): string =>
  value === null || base === null || base === 0 ? '—' : `${fixed(value / base, 2)}×`;
/** Sign-ins per core-second (10⁶ / µs per sign-in) as a share of validations per second. */
const coreShare = (signInMicroseconds: number | null, validationsPerSecond: number | null): string =>
  signInMicroseconds === null || validationsPerSecond === null || signInMicroseconds === 0
    ? '—'
    : `${fixed((100 * 1e6) / signInMicroseconds / validationsPerSecond, 0)} %`;
const latency = (value: Latency): string =>
  `p50 ${fixed(value.p50Ms)} ms, p99 ${fixed(value.p99Ms)} ms, max ${fixed(value.maxMs)} ms (${value.samples} probes: ${value.notListening} before it listened, ${value.failed} failed after); gateway RSS peak ${fixed(value.peakRssMiB)} MiB` +
  `\n            gateway's own event-loop delay meanwhile: p99 ${fixed(value.loopDelayP99Ms)} ms, max ${fixed(value.loopDelayMaxMs)} ms`;

/** The table of one run, for the terminal. */
export function formatScaleReport(result: ScaleResult): string {
  const n = result.options.issuers;
  const lines = [
    `claimsgate scale bench — ${result.startedAt} — ${result.machine}`,
    `${n} issuers, store ${result.options.store}, ${result.options.concurrency} admin requests in flight, phases limited to ${result.options.phaseSeconds} s`,
    '',
    'phase     status     seconds',
    ...Object.entries(result.phases).map(
      ([name, value]) =>
        `${name.padEnd(9)} ${value.status.padEnd(9)} ${fixed(value.seconds).padStart(8)}${value.error === undefined ? '' : `  ${value.error}`}`,
    ),
    '',
    `1. add      ${result.add.added} issuers added through the admin API, ${fixed(result.add.perSecond)} per second; refused: ${counts(result.add.failedByCode)}; ${result.add.farmRequests} metadata fetches meanwhile` +
      (result.add.bulkAdded + result.add.bulkFailed === 0
        ? ''
        : `\n            the other ${result.add.bulkAdded} added with claimsgate issuers add-many in ${fixed(result.add.bulkSeconds, 2)} s (${fixed(result.add.bulkSeconds === null ? null : result.add.bulkAdded / result.add.bulkSeconds)} per second); ${result.add.bulkFailed} failed`),
    `2. start    listening after ${fixed(result.start.listenSeconds, 2)} s (empty store: ${fixed(result.add.emptyListenSeconds, 2)} s); start refreshes in the background done ${fixed(result.start.backgroundSeconds, 1)} s later; ${result.start.farmRequests} metadata fetches at start (${result.start.notModified} answered 304)`,
    `            RSS after start ${fixed(result.start.rssMiB)} MiB (empty store: ${fixed(result.add.emptyRssMiB)} MiB)`,
    `            /healthz during start: ${latency(result.start.health)}`,
    `3. refresh  ${fixed(result.refresh.wallSeconds, 2)} s for all; ${result.refresh.farmRequests} fetches (${result.refresh.notModified} answered 304); outcomes: ${counts(result.refresh.outcomes)}`,
    `            failed by code: ${counts(result.refresh.failedByCode)}; RSS after ${fixed(result.refresh.rssMiB)} MiB, ${fixed(result.refresh.restRssMiB)} MiB ${result.options.restSeconds} s later at rest`,
    `            /healthz during refresh: ${latency(result.refresh.health)}`,
    `4. pages    /metrics ${result.metrics.bytes ?? '—'} B in ${fixed(result.metrics.ms)} ms; /signin home-realm page ${result.signIn.homeRealmBytes ?? '—'} B in ${fixed(result.signIn.homeRealmMs)} ms; /signin?whr= redirect ${fixed(result.signIn.redirectMs)} ms`,
    `            sign-ins (GET /signin, POST /signin/wsfed, ${result.options.concurrency} at a time): ${fixed(result.signIn.oneIssuerPerSecond, 0)}/s with 1 issuer in the store, ${fixed(result.signIn.manyIssuersPerSecond, 0)}/s with ${n} (${ratioOf(result.signIn.manyIssuersPerSecond, result.signIn.oneIssuerPerSecond)}); failed: ${counts(result.signIn.failedByCode)}`,
    `            gateway CPU per sign-in: ${fixed(result.signIn.oneIssuerCpuMicroseconds, 0)} µs with 1 issuer, ${fixed(result.signIn.manyIssuersCpuMicroseconds, 0)} µs with ${n}; ` +
      `one core's sign-ins vs its validations (phase 5), 1 issuer: ${coreShare(result.signIn.oneIssuerCpuMicroseconds, result.validation.oneIssuerPerSecond)}, ${n}: ${coreShare(result.signIn.manyIssuersCpuMicroseconds, result.validation.manyIssuersPerSecond)}`,
    `5. validate ${fixed(result.validation.oneIssuerPerSecond, 0)}/s with 1 issuer's trust, ${fixed(result.validation.manyIssuersPerSecond, 0)}/s with ${n} issuers' trust` +
      (result.validation.oneIssuerPerSecond !== null && result.validation.manyIssuersPerSecond !== null
        ? ` (${n} vs 1: ${fixed(result.validation.manyIssuersPerSecond / result.validation.oneIssuerPerSecond, 2)}×)`
        : ''),
    '',
    `ratios, ${n} issuers vs an empty store: time to listen ${ratioOf(result.start.listenSeconds, result.add.emptyListenSeconds)}, ` +
      `RSS after start ${ratioOf(result.start.rssMiB, result.add.emptyRssMiB)}, RSS after the refresh ${ratioOf(result.refresh.rssMiB, result.add.emptyRssMiB)}; ` +
      `validation rate vs 1 issuer ${ratioOf(result.validation.manyIssuersPerSecond, result.validation.oneIssuerPerSecond)}, ` +
      `sign-in rate vs 1 issuer ${ratioOf(result.signIn.manyIssuersPerSecond, result.signIn.oneIssuerPerSecond)}`,
  ];
  return lines.join('\n');
}

export async function runScaleBench(argv: readonly string[]): Promise<void> {
  await runPhasedBench(argv, {
    usage: USAGE,
    readOptions,
    run: runScale,
    format: formatScaleReport,
    killChildren,
  });
}
