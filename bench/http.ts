// `npm run bench -- http` (and the last part of a plain `npm run bench`):
// claimsgate over HTTP, end to end, next to its peers in the same run.
//   1. Sign-ins: the real `claimsgate serve` (built first, unless
//      --from-source) on a fresh SQLite file with one issuer (a loopback
//      metadata farm), and as many whole sign-ins as it takes in --seconds
//      (GET /signin, then the WS-Fed POST of a fresh token signed beforehand).
//      Its CPU time per sign-in, read from /proc, is set against one
//      validation of the same token in this process: how many of one core's
//      validations become sign-ins (issue 14's goal: at least 80 %).
//   2. Gateway mode: the same gateway, signed in, proxies GETs to a trivial
//      upstream; so do @fastify/http-proxy (a bare Node reverse proxy over
//      undici) and nginx's proxy_pass (the Debian package, when installed),
//      and the upstream is also loaded directly. Each server's requests per
//      second and CPU time per request are printed, with claimsgate's ratio
//      to @fastify/http-proxy (goal: at least 50 %).
// The load comes from this process (undici, --connections at a time); every
// server is a process of its own. Each step is bounded in time; child
// processes are killed on exit. See docs/benchmarks.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { parseCertificateDer } from '../src/crypto/certificate.js';
import { createTokenValidator } from '../src/tokens/create-token-validator.js';
import { createTrustSnapshot } from '../src/trust/create-trust-snapshot.js';
import { trustedKeyFromCertificate } from '../src/trust/trusted-key.js';
import { countInto, formatCounts, positiveOption } from './bench-cli.js';
import { buildBenchToken } from './make-token.js';
import { measureAll } from './measure.js';
import {
  addFarmIssuer,
  adminPost,
  cpuMicroseconds,
  createBenchStore,
  Deadline,
  killChildren,
  runCli,
  signInAsAdmin,
  startGateway,
  trackChild,
  useCompiledCli,
  type Gateway,
} from './scale.js';
import { createCertificatePool, startMetadataFarm, type FarmIssuer } from './scale-farm.js';
import {
  measureSignIns,
  networkFailure,
  prepareSignIn,
  signedWresult,
  signIn,
  type SignInTarget,
} from './sign-in-client.js';
import type { TestCertificate } from '../test/helpers/certificates.js';

const USAGE = `Usage: npm run bench -- http [--seconds N] [--rounds N] [--connections N] [--concurrency N] [--only PART] [--from-source]
  --seconds N       timed load per server and per sign-in run, in seconds (default 4)
  --rounds N        the proxies take turns N times, each for --seconds (default 2)
  --connections N   keep-alive connections of the proxy load (default 16)
  --concurrency N   sign-ins in flight at once (default 16)
  --only PART       sign-in or proxy: measure that part alone (default both)
  --from-source     run the gateway from src/ through tsx instead of building dist/`;

export interface HttpBenchOptions {
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly concurrency: number;
  readonly fromSource: boolean;
  readonly parts: ReadonlySet<'sign-in' | 'proxy'>;
}

export const DEFAULT_HTTP_OPTIONS: HttpBenchOptions = {
  seconds: 4,
  rounds: 2,
  connections: 16,
  concurrency: 16,
  fromSource: false,
  parts: new Set(['sign-in', 'proxy']),
};

/** Sign-ins measured, at most: signed beforehand (about a millisecond each). */
const MAX_SIGN_IN_TOKENS = 6_000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PEERS = join(ROOT, 'bench', 'http-peers.ts');
const NGINX = '/usr/sbin/nginx';
/** A path of the application's own: every proxy passes it on. */
const APP_PATH = '/app/page';

/** What one server did under load. */
export interface ProxyRow {
  readonly name: string;
  readonly perSecond: number | null;
  readonly cpuMicroseconds: number | null;
  readonly failedByCode: Record<string, number>;
  /** Why it was not measured (nginx not installed…). */
  readonly skipped?: string;
}

export interface HttpBenchResult {
  /** null when not measured (`--only proxy`). */
  readonly signIn: {
    readonly perSecond: number | null;
    readonly cpuMicroseconds: number | null;
    readonly validationMicroseconds: number | null;
    readonly failedByCode: Record<string, number>;
  } | null;
  readonly proxies: readonly ProxyRow[];
}

function readOptions(argv: readonly string[]): HttpBenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      concurrency: { type: 'string' },
      'from-source': { type: 'boolean' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  if (values.only !== undefined && values.only !== 'sign-in' && values.only !== 'proxy')
    throw new TypeError('--only must be sign-in or proxy');
  return {
    seconds: positiveOption('seconds', values.seconds, DEFAULT_HTTP_OPTIONS.seconds, 120),
    rounds: Math.ceil(positiveOption('rounds', values.rounds, DEFAULT_HTTP_OPTIONS.rounds, 10)),
    connections: Math.ceil(
      positiveOption('connections', values.connections, DEFAULT_HTTP_OPTIONS.connections, 256),
    ),
    concurrency: Math.ceil(
      positiveOption('concurrency', values.concurrency, DEFAULT_HTTP_OPTIONS.concurrency, 256),
    ),
    fromSource: values['from-source'] === true,
    parts: values.only === undefined ? DEFAULT_HTTP_OPTIONS.parts : new Set([values.only]),
  };
}

// ---------------------------------------------------------------- servers

/** A server process of the bench's and the processes whose CPU time is its own. */
interface Server {
  readonly url: string;
  /** The pids whose CPU time counts (nginx: the master and its workers). */
  pids(): number[];
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
}

/** Starts a role of bench/http-peers.ts; resolves once it prints its URL (within 30 s). */
function startPeer(args: readonly string[]): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', PEERS, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not listen within 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${output.slice(-500)}`)));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /listening (http:\/\/\S+)/.exec(output)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      child.stdout.resume();
      resolve({ url, pids: () => [child.pid!], stop: stopper(child) });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The direct children of `pid` (nginx's workers). */
function childPids(pid: number): number[] {
  const listed = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout;
  return listed
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line));
}

/**
 * nginx with one worker, as a reverse proxy to `upstream` with a pool of
 * keep-alive upstream connections and an access log (as claimsgate logs
 * each request), all in a temporary folder; or why it cannot run.
 */
async function startNginx(upstream: string): Promise<Server | string> {
  if (!existsSync(NGINX)) return `${NGINX} not installed (apt-get install nginx-light)`;
  const directory = mkdtempSync(join(tmpdir(), 'claimsgate-bench-nginx-'));
  const port = await freePort();
  const target = new URL(upstream);
  const conf = `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${directory}/nginx.pid;
error_log ${directory}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${directory}/access.log combined buffer=64k;
  client_body_temp_path ${directory}/body;
  proxy_temp_path ${directory}/proxy;
  fastcgi_temp_path ${directory}/fastcgi;
  uwsgi_temp_path ${directory}/uwsgi;
  scgi_temp_path ${directory}/scgi;
  keepalive_requests 1000000;
  upstream app { server ${target.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  writeFileSync(join(directory, 'nginx.conf'), conf);
  // -e: the error log from the start, before the configuration is read (else /var/log/nginx).
  const args = ['-p', directory, '-e', join(directory, 'error.log'), '-c', join(directory, 'nginx.conf')];
  const child = spawn(NGINX, [...args, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackChild(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const stopChild = stopper(child);
  const stop = async (): Promise<void> => {
    await stopChild();
    rmSync(directory, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      return `nginx exited with ${child.exitCode}: ${stderr.slice(-300)}`;
    }
    try {
      await fetch(`${url}${APP_PATH}`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.arrayBuffer());
      break;
    } catch {
      if (Date.now() > until) {
        await stop();
        return 'nginx did not answer within 15 s';
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    pids: () => [child.pid!, ...childPids(child.pid!)],
    stop,
  };
}

// ---------------------------------------------------------------- load

function cpuOf(pids: readonly number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const used = cpuMicroseconds(pid);
    if (used === null) return null;
    total += used;
  }
  return total;
}

interface LoadTotals {
  ok: number;
  seconds: number;
  cpu: number | null;
  readonly failedByCode: Record<string, number>;
}

/**
 * GETs `APP_PATH` of `server` from `connections` keep-alive connections for
 * `seconds`; adds the 200s, the time, the server's CPU time and the other
 * outcomes to `totals`.
 */
async function load(
  server: Server,
  headers: Record<string, string>,
  options: { readonly seconds: number; readonly connections: number },
  totals: LoadTotals,
): Promise<void> {
  const pool = new Pool(server.url, { connections: options.connections, pipelining: 1 });
  const pids = server.pids();
  try {
    const cpuBefore = cpuOf(pids);
    const started = performance.now();
    const until = started + options.seconds * 1000;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) {
        try {
          const response = await pool.request({ path: APP_PATH, method: 'GET', headers });
          await response.body.dump();
          if (response.statusCode === 200) totals.ok += 1;
          else countInto(totals.failedByCode, `HTTP ${response.statusCode}`);
        } catch (error) {
          countInto(totals.failedByCode, networkFailure(error));
        }
      }
    };
    await Promise.all(Array.from({ length: options.connections }, worker));
    totals.seconds += (performance.now() - started) / 1000;
    const cpuAfter = cpuOf(pids);
    totals.cpu =
      totals.cpu === null || cpuBefore === null || cpuAfter === null
        ? null
        : totals.cpu + cpuAfter - cpuBefore;
  } finally {
    await pool.close();
  }
}

/** The gateway's session cookie after one whole sign-in, as the browser would hold it. */
async function sessionCookie(
  target: SignInTarget,
  audience: string,
  issuer: FarmIssuer,
  signer: TestCertificate,
): Promise<string> {
  const prepared = await prepareSignIn(target, audience, issuer.name, issuer.tenantId, signer);
  if ('failed' in prepared) throw new Error(`the sign-in did not start: ${prepared.failed}`);
  const posted = await fetch(`${target.url}/signin/wsfed`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: prepared.cookie },
    body: prepared.body,
  });
  await posted.arrayBuffer();
  if (posted.status !== 303) throw new Error(`the sign-in answered ${posted.status}`);
  const cookies = posted.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .filter((pair) => !pair.endsWith('='));
  if (cookies.length === 0) throw new Error('the sign-in set no session cookie');
  return cookies.join('; ');
}

/** µs of one validation of a token of `issuer`'s (the gateway's own check), in this process. */
async function validationMicroseconds(
  issuer: FarmIssuer,
  signer: TestCertificate,
  seconds: number,
): Promise<number> {
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const token = buildBenchToken(signer, { issuedAt, tenantId: issuer.tenantId });
  const validator = createTokenValidator({
    trust: createTrustSnapshot({
      issuers: [
        {
          issuer: issuer.issuerUri,
          allowedTenants: [],
          audiences: [],
          allowSha1: false,
          lastRefresh: undefined,
        },
      ],
      keys: [trustedKeyFromCertificate(issuer.issuerUri, parseCertificateDer(signer.der), 'metadata')],
      builtAt: new Date(),
    }),
    audiences: [token.audience],
    recipient: token.recipient,
    now: () => new Date(issuedAt.getTime() + 60_000),
    replayCache: false,
  });
  await validator.validate(token.wresult); // must accept before it is timed
  const [measured] = await measureAll([() => validator.validate(token.wresult)], {
    seconds,
    rounds: 1,
    maxIterations: 200_000,
    warmupSeconds: Math.min(1, seconds / 3),
    warmupIterations: 2_000,
  });
  return measured!.microseconds;
}

// ---------------------------------------------------------------- the run

/** A gateway in gateway mode with one issuer whose sign-ins succeed, and what signs its tokens. */
interface Rig {
  readonly gateway: Gateway;
  readonly upstream: Server;
  readonly issuer: FarmIssuer;
  readonly signer: TestCertificate;
  readonly audience: string;
}

/** Starts the farm, the store, the upstream and the gateway (pushing each onto `started`), and waits for a first sign-in. */
async function startRig(started: Array<{ stop(): Promise<void> }>): Promise<Rig> {
  const pool = await createCertificatePool(1, 1);
  const signer = pool[0]!;
  const farm = await startMetadataFarm(1, pool);
  started.push({ stop: () => farm.close() });
  const issuer = farm.issuers[0]!;
  const store = await createBenchStore('sqlite', 'cg_http');
  started.push({ stop: () => store.dispose() });
  const password = randomBytes(18).toString('base64url');
  await runCli(['admin', 'create', 'scale-bench', '--password-stdin', '--db', store.db], password, 120_000);
  const upstream = await startPeer(['upstream']);
  started.push(upstream);
  const deadline = new Deadline(120);
  const gateway = await startGateway(store.db, deadline, undefined, {
    CLAIMSGATE_GATEWAY_UPSTREAM: upstream.url,
    // Off by default in gateway mode; the bench sets its issuer up through the admin API.
    CLAIMSGATE_ADMIN_ENABLED: 'true',
  });
  started.push(gateway);
  const admin = await signInAsAdmin(gateway.url, password);
  const realm = await adminPost(gateway.url, admin, '/admin/api/realms', {
    realmUri: gateway.url,
    replyUrl: `${gateway.url}/signin/wsfed`,
  });
  if (realm.status >= 300) throw new Error(`creating the realm answered ${realm.status} ${realm.code}`);
  const added = await addFarmIssuer(gateway.url, admin, issuer);
  if (added.status >= 300) throw new Error(`adding the issuer answered ${added.status} ${added.code}`);
  const audience = gateway.url;
  // The issuer's keys arrive with its first refresh, in the background.
  for (;;) {
    const outcome = await signIn(gateway, audience, issuer.name, issuer.tenantId, signer);
    if (outcome === 'ok') break;
    if (deadline.passed) throw new Error(`no sign-in succeeded within 120 s (last: ${outcome})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { gateway, upstream, issuer, signer, audience };
}

/** Whole sign-ins for `options.seconds` after an uncounted warm-up, and one validation's cost in this process. */
async function measureSignInPart(
  rig: Rig,
  options: HttpBenchOptions,
  log: (line: string) => void,
): Promise<HttpBenchResult['signIn']> {
  const { gateway, issuer, signer, audience } = rig;
  // Enough for the run at well over a thousand sign-ins a second, and a warm-up of a third of that.
  const warmUpCount = Math.min(1_000, Math.ceil(options.seconds * 500));
  const count = warmUpCount + Math.min(MAX_SIGN_IN_TOKENS, Math.ceil(options.seconds * 1_500));
  log(`http: signing ${count} tokens, then sign-ins for ${options.seconds} s…`);
  const tokens = Array.from({ length: count }, () =>
    signedWresult(gateway, audience, issuer.tenantId, signer),
  );
  const signInOptions = { seconds: options.seconds, concurrency: options.concurrency };
  await measureSignIns(gateway, issuer, signer, tokens.splice(0, warmUpCount), {
    ...signInOptions,
    seconds: Math.min(2, options.seconds),
  });
  const cpuBefore = cpuMicroseconds(gateway.child.pid);
  const rate = await measureSignIns(gateway, issuer, signer, tokens, signInOptions);
  const cpuAfter = cpuMicroseconds(gateway.child.pid);
  log('http: one validation of the same token in this process…');
  return {
    perSecond: rate.perSecond,
    cpuMicroseconds:
      cpuBefore === null || cpuAfter === null || rate.ok === 0 ? null : (cpuAfter - cpuBefore) / rate.ok,
    validationMicroseconds: await validationMicroseconds(issuer, signer, Math.max(2, options.seconds / 2)),
    failedByCode: rate.failedByCode,
  };
}

/** The upstream directly, nginx, @fastify/http-proxy and the gateway under the same load, in turns. */
async function measureProxyPart(
  rig: Rig,
  options: HttpBenchOptions,
  started: Array<{ stop(): Promise<void> }>,
  log: (line: string) => void,
): Promise<ProxyRow[]> {
  const { gateway, upstream } = rig;
  log('http: the proxies…');
  const cookie = await sessionCookie(gateway, rig.audience, rig.issuer, rig.signer);
  const fastifyProxy = await startPeer(['fastify-proxy', upstream.url]);
  started.push(fastifyProxy);
  const nginx = await startNginx(upstream.url);
  if (typeof nginx !== 'string') started.push(nginx);
  const claimsgateServer: Server = {
    url: gateway.url,
    pids: () => [gateway.child.pid!],
    stop: () => gateway.stop(),
  };
  const targets: Array<{ name: string; server: Server | string; headers: Record<string, string> }> = [
    { name: 'upstream, directly', server: upstream, headers: {} },
    { name: 'nginx proxy_pass', server: nginx, headers: {} },
    { name: '@fastify/http-proxy', server: fastifyProxy, headers: {} },
    { name: 'claimsgate gateway mode', server: claimsgateServer, headers: { cookie } },
  ];
  const totals = targets.map((): LoadTotals => ({ ok: 0, seconds: 0, cpu: 0, failedByCode: {} }));
  const loadOptions = { seconds: options.seconds, connections: options.connections };
  for (const [index, target] of targets.entries()) {
    if (typeof target.server === 'string') continue;
    // A short warm-up each (JIT, connection pools) that is not counted.
    const warmUp: LoadTotals = { ok: 0, seconds: 0, cpu: 0, failedByCode: totals[index]!.failedByCode };
    await load(target.server, target.headers, { ...loadOptions, seconds: 1 }, warmUp);
  }
  for (let round = 0; round < options.rounds; round += 1) {
    for (const [index, target] of targets.entries()) {
      if (typeof target.server === 'string') continue;
      await load(target.server, target.headers, loadOptions, totals[index]!);
    }
  }
  return targets.map((target, index): ProxyRow => {
    const total = totals[index]!;
    if (typeof target.server === 'string')
      return {
        name: target.name,
        perSecond: null,
        cpuMicroseconds: null,
        failedByCode: {},
        skipped: target.server,
      };
    return {
      name: target.name,
      perSecond: total.seconds === 0 ? null : total.ok / total.seconds,
      cpuMicroseconds: total.cpu === null || total.ok === 0 ? null : total.cpu / total.ok,
      failedByCode: total.failedByCode,
    };
  });
}

/**
 * Runs the bench (see the file's head); `log` gets progress lines. Every
 * server it started is stopped before it returns, whatever happened.
 */
export async function runHttp(
  options: HttpBenchOptions,
  log: (line: string) => void = (line) => console.error(line),
): Promise<HttpBenchResult> {
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    if (!options.fromSource) {
      log('http: building dist/ (the gateway runs compiled, as npm start runs it)…');
      useCompiledCli();
    }
    const rig = await startRig(started);
    return {
      signIn: options.parts.has('sign-in') ? await measureSignInPart(rig, options, log) : null,
      proxies: options.parts.has('proxy') ? await measureProxyPart(rig, options, started, log) : [],
    };
  } finally {
    for (const server of started.reverse()) await server.stop().catch(() => undefined);
  }
}

const integer = (value: number | null): string =>
  value === null ? '–' : Math.round(value).toLocaleString('en-US');
const percent = (value: number): string => `${Math.round(value * 100)} %`;

/** The report: sign-ins against validations, then the proxies side by side. */
export function formatHttpReport(result: HttpBenchResult, options: HttpBenchOptions): string {
  const lines: string[] = [];
  const { signIn: signInResult } = result;
  lines.push(
    `HTTP, end to end (claimsgate serve on SQLite, one issuer; load from this process; ${options.seconds} s runs)`,
  );
  if (signInResult !== null) appendSignIn(lines, signInResult, options);
  if (result.proxies.length > 0) appendProxies(lines, result.proxies, options);
  return lines.join('\n');
}

function appendSignIn(
  lines: string[],
  signInResult: NonNullable<HttpBenchResult['signIn']>,
  options: HttpBenchOptions,
): void {
  lines.push(
    `sign-in (GET /signin + WS-Fed POST, ${options.concurrency} at a time): ${integer(signInResult.perSecond)}/s, ` +
      `gateway CPU ${integer(signInResult.cpuMicroseconds)} µs each` +
      (Object.keys(signInResult.failedByCode).length === 0
        ? ''
        : `; failed: ${formatCounts(signInResult.failedByCode)}`),
  );
  if (signInResult.cpuMicroseconds !== null && signInResult.validationMicroseconds !== null) {
    lines.push(
      `validation of the same token alone: ${integer(signInResult.validationMicroseconds)} µs → one core of the gateway ` +
        `signs in at ${percent(signInResult.validationMicroseconds / signInResult.cpuMicroseconds)} of its validation rate (goal ≥ 80 %)`,
    );
  }
}

function appendProxies(lines: string[], proxies: readonly ProxyRow[], options: HttpBenchOptions): void {
  lines.push('');
  lines.push(
    `proxied GET ${APP_PATH} (${options.connections} keep-alive connections, ${options.rounds} turn${options.rounds === 1 ? '' : 's'} each):`,
  );
  const header = ['server', 'per second', 'CPU µs each', 'failed'];
  const rows = proxies.map((row) => [
    row.name,
    row.skipped === undefined ? integer(row.perSecond) : 'skipped',
    row.skipped === undefined ? integer(row.cpuMicroseconds) : '',
    row.skipped ?? (Object.keys(row.failedByCode).length === 0 ? '' : formatCounts(row.failedByCode)),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 || column === 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  lines.push(format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(format));
  const find = (name: string): ProxyRow | undefined => proxies.find((row) => row.name === name);
  const ours = find('claimsgate gateway mode');
  const bare = find('@fastify/http-proxy');
  if (ours?.perSecond && bare?.perSecond && ours.cpuMicroseconds && bare.cpuMicroseconds) {
    lines.push(
      `claimsgate gateway mode: ${percent(ours.perSecond / bare.perSecond)} of @fastify/http-proxy's requests per second, ` +
        `${percent(bare.cpuMicroseconds / ours.cpuMicroseconds)} of its requests per CPU second (goal ≥ 50 %)`,
    );
  }
}

/** `npm run bench -- http`. */
export async function runHttpBench(argv: readonly string[]): Promise<void> {
  const options = readOptions(argv);
  if (options === undefined) {
    console.log(USAGE);
    return;
  }
  const stop = (): void => {
    killChildren();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const result = await runHttp(options);
  console.log(formatHttpReport(result, options));
  console.log(`\n${JSON.stringify(result)}`);
}
