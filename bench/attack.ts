// `npm run bench -- attack`: is the gateway still responsive while anonymous
// clients post the costliest tokens they can make as fast as they can? A
// gateway (bench/attack-gateway.ts) runs in its own process on 127.0.0.1;
// this process probes GET /healthz, signs in honestly through the IdP
// simulator, and runs the attackers, each of which takes a fresh wctx and
// binding cookie from GET /signin and posts a hostile wresult made from one
// genuine token of the simulator (issue 11's attack). Bounded in time; every
// loop stops at the end of its phase. See docs/benchmarks.md.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tokenXmlLimits } from '../src/tokens/parse-xml-token.js';
import { readForm } from '../test/idp-sim/sim-helpers.js';
import { CONTENT_SHAPES, hostileSignedToken } from './adversarial-shapes.js';
import { positiveOption } from './bench-cli.js';

const USAGE = `Usage: npm run bench -- attack [--seconds N] [--baseline N] [--clients N] [--shape NAME] [--max-token-bytes N]
  --seconds N          length of the attack, in seconds (default 20)
  --baseline N         length of the quiet phase before it, in seconds (default 5)
  --clients N          attackers posting as fast as they can (default 4)
  --shape NAME         the hostile content (default attribute-heavy): ${CONTENT_SHAPES.join(', ')}
  --max-token-bytes N  the gateway's validation.maxTokenBytes (default: its own default)`;

const PROBE_INTERVAL_MS = 20;
const HONEST_PAUSE_MS = 100;
/** At most this many requests of any one loop in a phase, whatever the time. */
const MAX_REQUESTS_PER_LOOP = 20_000;

interface Options {
  readonly seconds: number;
  readonly baseline: number;
  readonly clients: number;
  readonly shape: (typeof CONTENT_SHAPES)[number];
  readonly maxTokenBytes: number | undefined;
}

interface Gateway {
  readonly child: ChildProcess;
  readonly gatewayUrl: string;
  readonly maxTokenBytes: number;
}

function readOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      baseline: { type: 'string' },
      clients: { type: 'string' },
      shape: { type: 'string' },
      'max-token-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const number = (name: string, value: string | undefined, fallback: number): number =>
    positiveOption(name, value, fallback, 600);
  const shape = (values.shape ?? 'attribute-heavy') as Options['shape'];
  if (!CONTENT_SHAPES.includes(shape)) throw new TypeError(`--shape: unknown shape ${values.shape}`);
  return {
    seconds: number('seconds', values.seconds, 20),
    baseline: number('baseline', values.baseline, 5),
    clients: Math.floor(number('clients', values.clients, 4)),
    shape,
    maxTokenBytes: values['max-token-bytes'] === undefined ? undefined : Number(values['max-token-bytes']),
  };
}

function startGateway(maxTokenBytes: number | undefined): Promise<Gateway> {
  const flags = maxTokenBytes === undefined ? {} : { 'validation.maxTokenBytes': maxTokenBytes };
  const child = fork(
    fileURLToPath(new URL('./attack-gateway.ts', import.meta.url)),
    [JSON.stringify(flags)],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}`)));
    child.on('message', (message: { ready?: boolean; gatewayUrl?: string; maxTokenBytes?: number }) => {
      if (message.ready !== true) return;
      clearTimeout(timer);
      resolve({ child, gatewayUrl: message.gatewayUrl!, maxTokenBytes: message.maxTokenBytes! });
    });
  });
}

interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The gateway process's CPU time so far in ms, and its event-loop delay since the last call. */
function gatewayStatus(gateway: Gateway): Promise<{ cpuMs: number; loopDelayMs: LoopDelay }> {
  return new Promise((resolve) => {
    const listener = (message: { cpu?: NodeJS.CpuUsage; loopDelayMs?: LoopDelay }): void => {
      if (message.cpu === undefined || message.loopDelayMs === undefined) return;
      gateway.child.off('message', listener);
      resolve({ cpuMs: (message.cpu.user + message.cpu.system) / 1000, loopDelayMs: message.loopDelayMs });
    };
    gateway.child.on('message', listener);
    gateway.child.send('cpu');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `GET /signin`: the redirect to the issuer (with its wctx) and the binding cookie. */
async function startSignIn(gatewayUrl: string): Promise<{ location: string; cookie: string }> {
  const response = await fetch(`${gatewayUrl}/signin?returnUrl=%2F`, { redirect: 'manual' });
  await response.arrayBuffer();
  const location = response.headers.get('location');
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .find((pair) => pair.includes('signin='));
  if (response.status !== 302 || location === null || cookie === undefined) {
    throw new Error(`GET /signin answered ${response.status} without a redirect and a binding cookie`);
  }
  return { location, cookie };
}

/** The simulator's sign-in page, user alice picked: the form it posts back (wa, wresult, wctx). */
async function signInAtSimulator(location: string): Promise<Record<string, string>> {
  const page = await fetch(location);
  const picker = readForm(await page.text());
  const posted = await fetch(picker.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...picker.fields, user: 'alice' }).toString(),
  });
  return readForm(await posted.text()).fields;
}

function postWsFed(gatewayUrl: string, body: string, cookie: string): Promise<Response> {
  return fetch(`${gatewayUrl}/signin/wsfed`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body,
  });
}

/** The error code a refusal page names, or the status. */
async function outcome(response: Response): Promise<string> {
  const text = await response.text();
  return /CG_[A-Z_]+/.exec(text)?.[0] ?? `HTTP ${response.status}`;
}

interface PhaseResult {
  readonly name: string;
  readonly seconds: number;
  readonly probes: number[];
  readonly honest: { tried: number; succeeded: number; latencies: number[] };
  readonly attacks: Map<string, number>;
  readonly gatewayCpuMs: number;
  readonly loopDelayMs: LoopDelay;
}

async function runPhase(
  gateway: Gateway,
  name: string,
  seconds: number,
  attackers: number,
  hostileBody: string,
): Promise<PhaseResult> {
  const end = performance.now() + seconds * 1000;
  const running = (count: number): boolean => performance.now() < end && count < MAX_REQUESTS_PER_LOOP;
  const probes: number[] = [];
  const honest = { tried: 0, succeeded: 0, latencies: [] as number[] };
  const attacks = new Map<string, number>();
  const before = await gatewayStatus(gateway);

  const probe = async (): Promise<void> => {
    while (running(probes.length)) {
      const start = performance.now();
      const response = await fetch(`${gateway.gatewayUrl}/healthz`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
      probes.push(performance.now() - start);
      await sleep(PROBE_INTERVAL_MS);
    }
  };
  const signInHonestly = async (): Promise<void> => {
    while (running(honest.tried)) {
      const start = performance.now();
      honest.tried += 1;
      try {
        const { location, cookie } = await startSignIn(gateway.gatewayUrl);
        const fields = await signInAtSimulator(location);
        const response = await postWsFed(gateway.gatewayUrl, new URLSearchParams(fields).toString(), cookie);
        await response.arrayBuffer();
        if (response.status === 303) {
          honest.succeeded += 1;
          honest.latencies.push(performance.now() - start);
        }
      } catch {
        // Counted as tried and not succeeded.
      }
      await sleep(HONEST_PAUSE_MS);
    }
  };
  const attack = async (): Promise<void> => {
    let count = 0;
    while (running(count)) {
      count += 1;
      const { location, cookie } = await startSignIn(gateway.gatewayUrl);
      const wctx = new URL(location).searchParams.get('wctx') ?? '';
      const code = await outcome(
        await postWsFed(gateway.gatewayUrl, `${hostileBody}${encodeURIComponent(wctx)}`, cookie),
      );
      attacks.set(code, (attacks.get(code) ?? 0) + 1);
    }
  };
  await Promise.all([probe(), signInHonestly(), ...Array.from({ length: attackers }, attack)]);
  const after = await gatewayStatus(gateway);
  return {
    name,
    seconds,
    probes,
    honest,
    attacks,
    gatewayCpuMs: after.cpuMs - before.cpuMs,
    loopDelayMs: after.loopDelayMs,
  };
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(results: readonly PhaseResult[]): void {
  const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(1));
  const header = [
    'phase',
    'probes',
    'healthz p50',
    'p90',
    'p99',
    'max',
    'honest ok/tried',
    'sign-in p50',
    'p99',
    'hostile posts',
    'gateway CPU',
    'loop delay p99',
    'max',
  ];
  const rows = results.map((result) => [
    result.name,
    String(result.probes.length),
    ms(percentile(result.probes, 50)),
    ms(percentile(result.probes, 90)),
    ms(percentile(result.probes, 99)),
    ms(Math.max(...result.probes)),
    `${result.honest.succeeded}/${result.honest.tried}`,
    ms(percentile(result.honest.latencies, 50)),
    ms(percentile(result.honest.latencies, 99)),
    String([...result.attacks.values()].reduce((a, b) => a + b, 0)),
    `${((result.gatewayCpuMs / (result.seconds * 1000)) * 100).toFixed(0)}%`,
    ms(result.loopDelayMs.p99),
    ms(result.loopDelayMs.max),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
      .join('  ');
  console.log(`\n${format(header)}`);
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(format(row));
  for (const result of results) {
    if (result.attacks.size === 0) continue;
    const codes = [...result.attacks].map(([code, count]) => `${code} ×${count}`).join(', ');
    console.log(`\n${result.name}: hostile posts answered ${codes}`);
  }
  console.log(
    '\nlatencies in ms, as the client sees them; gateway CPU: its process CPU time over the phase length',
  );
  console.log(
    "loop delay: how late the gateway's own event loop ran a 10 ms timer (monitorEventLoopDelay), in ms",
  );
}

export async function runAttack(argv: string[]): Promise<void> {
  const options = readOptions(argv);
  if (options === undefined) {
    console.log(USAGE);
    return;
  }
  const cpu = cpus();
  console.log(
    `claimsgate attack bench — ${new Date().toISOString()} — node ${process.version} — ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
  );
  const gateway = await startGateway(options.maxTokenBytes);
  try {
    // One genuine token of the simulator, made hostile in its signed assertion.
    const { location } = await startSignIn(gateway.gatewayUrl);
    const genuine = await signInAtSimulator(location);
    const hostile = hostileSignedToken(
      genuine.wresult!,
      options.shape,
      gateway.maxTokenBytes,
      tokenXmlLimits(gateway.maxTokenBytes),
    );
    const hostileBody = `wa=wsignin1.0&wresult=${encodeURIComponent(hostile)}&wctx=`;
    console.log(
      `gateway ${gateway.gatewayUrl}, validation.maxTokenBytes ${gateway.maxTokenBytes}; hostile wresult: ` +
        `${options.shape}, ${Buffer.byteLength(hostile).toLocaleString('en-US')} bytes ` +
        `(${hostileBody.length.toLocaleString('en-US')} bytes form-encoded)`,
    );
    const check = await startSignIn(gateway.gatewayUrl);
    const wctx = new URL(check.location).searchParams.get('wctx') ?? '';
    console.log(
      `check: one hostile post is refused with ${await outcome(await postWsFed(gateway.gatewayUrl, `${hostileBody}${encodeURIComponent(wctx)}`, check.cookie))}`,
    );
    console.log(
      `phases: ${options.baseline} s quiet, then ${options.seconds} s with ${options.clients} attackers; ` +
        `/healthz probed every ${PROBE_INTERVAL_MS} ms; one honest user signing in, ${HONEST_PAUSE_MS} ms between sign-ins`,
    );
    const results = [
      await runPhase(gateway, 'quiet', options.baseline, 0, hostileBody),
      await runPhase(gateway, `attack ×${options.clients}`, options.seconds, options.clients, hostileBody),
    ];
    report(results);
  } finally {
    gateway.child.kill('SIGTERM');
  }
}
