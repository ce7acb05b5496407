// `npm run bench -- outage`: sign-ins through a PostgreSQL outage. The
// gateway (in this process) reaches PostgreSQL through a loopback TCP proxy
// (test/helpers/tcp-cut.ts); the IdP simulator is its issuers. Sign-ins —
// WS-Federation, SAML 2.0 and OpenID Connect in turn, the whole browser
// round trip each — start at a steady rate for --seconds; in the middle the
// proxy is cut for --cut-seconds (every connection destroyed, new ones
// refused), then restored. Printed: sign-ins ok and failed before, during and
// after the cut (by the phase each started in), failure codes, /readyz during
// the cut, and when the store came back, the records written. Bounded: at
// most --max-sign-ins sign-ins and --seconds + 60 s in all. See docs/benchmarks.md.
import { parseArgs } from 'node:util';
import { startOutageGateway } from '../test/helpers/outage-gateway.js';
import { positiveOption } from './bench-cli.js';

const USAGE = `Usage: npm run bench -- outage [--seconds N] [--cut-seconds N] [--flap-ms N] [--rate N] [--concurrency N] [--max-sign-ins N]
  --seconds N        length of the sign-in load (default 40)
  --cut-seconds N    how long PostgreSQL is cut, centred in the load (default 20)
  --flap-ms N        instead of a cut: during that window every connection is destroyed
                     each N ms, new ones being let through (default: a cut)
  --rate N           sign-ins started per second (default 8)
  --concurrency N    sign-ins in flight at most (default 8)
  --max-sign-ins N   sign-ins at most (default 1000)
PostgreSQL: CLAIMSGATE_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test (a fresh schema, dropped after).`;

const POSTGRES_URL =
  process.env['CLAIMSGATE_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const WAYS: ReadonlyArray<readonly [string, string]> = [
  ['sim', 'wsfed'],
  ['sim', 'saml2'],
  ['oidc-sim', 'oidc'],
];
const PHASES = ['before', 'during', 'after'] as const;
type Phase = (typeof PHASES)[number];

export interface OutageOptions {
  readonly seconds: number;
  readonly cutSeconds: number;
  /** Instead of a cut, destroy the connections this often during the window. */
  readonly flapMs?: number;
  readonly rate: number;
  readonly concurrency: number;
  readonly maxSignIns: number;
  readonly quiet?: boolean;
}

export interface PhaseFigures {
  ok: number;
  failed: number;
  failedByCode: Record<string, number>;
  /** Slowest sign-in that started in the phase, in ms. */
  maxMs: number;
}

export interface OutageResult {
  readonly options: Omit<OutageOptions, 'quiet'>;
  readonly phases: Record<Phase, PhaseFigures>;
  /** What /readyz said during the cut: status code and status. */
  readonly readyDuringCut: string | null;
  /** The outage as the gateway saw it: from its first failure to its recovery. */
  readonly outageSeconds: number | null;
  /** Outages the gateway saw (one for a cut; many while flapping). */
  readonly outages: number;
  /** From the proxy's restore to the recovery's records written. */
  readonly recoverySeconds: number | null;
  readonly written: Readonly<Record<string, number>>;
  readonly alerts: readonly string[];
  readonly signInsCountedDuringOutage: number;
}

function readOptions(argv: readonly string[]): OutageOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string' },
      'cut-seconds': { type: 'string' },
      'flap-ms': { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      'max-sign-ins': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const seconds = positiveOption('seconds', values.seconds, 40, 600);
  const cutSeconds = positiveOption('cut-seconds', values['cut-seconds'], 20, 600);
  if (cutSeconds >= seconds) throw new TypeError('--cut-seconds must be less than --seconds');
  return {
    seconds,
    cutSeconds,
    ...(values['flap-ms'] === undefined
      ? {}
      : { flapMs: Math.floor(positiveOption('flap-ms', values['flap-ms'], 100, 60_000)) }),
    rate: positiveOption('rate', values.rate, 8, 200),
    concurrency: Math.floor(positiveOption('concurrency', values.concurrency, 8, 64)),
    maxSignIns: Math.floor(positiveOption('max-sign-ins', values['max-sign-ins'], 1000, 20_000)),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The error code on a gateway's error answer, or the HTTP status. */
function codeOf(statusCode: number, body: string): string {
  return (
    /"code":"(CG_[A-Z_]+)"/.exec(body)?.[1] ?? /\b(CG_[A-Z_]+)\b/.exec(body)?.[1] ?? `HTTP ${statusCode}`
  );
}

/** Runs the load with the cut in its middle; resolves with what was counted. */
export async function runOutage(options: OutageOptions): Promise<OutageResult> {
  const log = (line: string): void => {
    if (options.quiet !== true) console.error(line);
  };
  const world = await startOutageGateway({ databaseUrl: POSTGRES_URL, logLevel: 'warn' });
  try {
    const phases = Object.fromEntries(
      PHASES.map((phase) => [phase, { ok: 0, failed: 0, failedByCode: {}, maxMs: 0 }]),
    ) as unknown as Record<Phase, PhaseFigures>;
    const cutAt = ((options.seconds - options.cutSeconds) / 2) * 1000;
    const restoreAt = cutAt + options.cutSeconds * 1000;
    let phase: Phase = 'before';
    let readyDuringCut: string | null = null;
    let restoredAt: number | null = null;
    let recoveredAt: number | null = null;
    world.outage.subscribe((event) => {
      if (event.kind === 'up' && event.stillQueued === 0 && restoredAt !== null)
        recoveredAt ??= performance.now();
    });
    const started = performance.now();
    const elapsed = (): number => performance.now() - started;

    const schedule = (async () => {
      await sleep(cutAt);
      let flapping: NodeJS.Timeout | undefined;
      if (options.flapMs === undefined) world.cut.cut();
      else flapping = setInterval(() => world.cut.reset(), options.flapMs);
      phase = 'during';
      log(`  ${(elapsed() / 1000).toFixed(1)} s: PostgreSQL ${flapping === undefined ? 'cut' : 'flapping'}`);
      await sleep(1_000);
      const ready = await world.app.inject({ method: 'GET', url: '/readyz' });
      readyDuringCut = `${ready.statusCode} ${ready.json<{ status: string }>().status}`;
      await sleep(Math.max(0, restoreAt - elapsed()));
      clearInterval(flapping);
      world.cut.restore();
      restoredAt = performance.now();
      phase = 'after';
      log(`  ${(elapsed() / 1000).toFixed(1)} s: PostgreSQL restored`);
    })();

    const inFlight = new Set<Promise<void>>();
    let count = 0;
    const intervalMs = 1000 / options.rate;
    while (elapsed() < options.seconds * 1000 && count < options.maxSignIns) {
      const due = count * intervalMs;
      if (elapsed() < due) await sleep(due - elapsed());
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      const [whr, protocol] = WAYS[count % WAYS.length]!;
      const figures = phases[phase];
      const begun = performance.now();
      count += 1;
      const attempt = world
        .signIn(whr, protocol)
        .then(
          ({ response }) => {
            if (response.statusCode === 303) figures.ok += 1;
            else {
              figures.failed += 1;
              const code = codeOf(response.statusCode, response.body);
              figures.failedByCode[code] = (figures.failedByCode[code] ?? 0) + 1;
            }
          },
          (error: unknown) => {
            figures.failed += 1;
            const { statusCode, body } = error as { statusCode?: number; body?: string };
            const code =
              statusCode === undefined ? 'thrown' : codeOf(statusCode, typeof body === 'string' ? body : '');
            figures.failedByCode[code] = (figures.failedByCode[code] ?? 0) + 1;
          },
        )
        .finally(() => {
          figures.maxMs = Math.max(figures.maxMs, performance.now() - begun);
          inFlight.delete(attempt);
        });
      inFlight.add(attempt);
    }
    await Promise.all(inFlight);
    await schedule;

    // The recovery: the outage watch's probe finds the store and writes what was queued (bounded: 60 s).
    const deadline = performance.now() + 60_000;
    let up = world.events.find((event) => event.kind === 'up');
    while (performance.now() < deadline && (up === undefined || world.outage.status().queued > 0)) {
      await sleep(50);
      up = [...world.events].reverse().find((event) => event.kind === 'up');
    }
    const down = world.events.find((event) => event.kind === 'down');
    const metrics = await world.app.inject({ method: 'GET', url: '/metrics' });
    const counted = [
      ...metrics.body.matchAll(/^claimsgate_store_outage_sign_ins_total\{[^}]*\} (\d+)/gm),
    ].reduce((sum, match) => sum + Number(match[1]), 0);
    const written: Record<string, number> = {};
    for (const event of world.events) {
      if (event.kind !== 'up') continue;
      for (const [name, value] of Object.entries(event.written)) written[name] = (written[name] ?? 0) + value;
    }
    return {
      options: {
        seconds: options.seconds,
        cutSeconds: options.cutSeconds,
        ...(options.flapMs === undefined ? {} : { flapMs: options.flapMs }),
        rate: options.rate,
        concurrency: options.concurrency,
        maxSignIns: options.maxSignIns,
      },
      phases,
      readyDuringCut,
      outages: world.outage.status().outages,
      outageSeconds:
        up?.kind === 'up' && down !== undefined ? (up.at.getTime() - down.since.getTime()) / 1000 : null,
      recoverySeconds: recoveredAt !== null && restoredAt !== null ? (recoveredAt - restoredAt) / 1000 : null,
      written,
      alerts: world.webhookPosts.map((post) => post.kind),
      signInsCountedDuringOutage: counted,
    };
  } finally {
    await world.close();
  }
}

/** The result as the table docs/benchmarks.md quotes. */
export function formatOutageReport(result: OutageResult): string {
  const { options } = result;
  const rows = PHASES.map((phase) => {
    const figures = result.phases[phase];
    const codes = Object.entries(figures.failedByCode)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
    return `| ${phase} | ${figures.ok} | ${figures.failed} | ${Math.round(figures.maxMs)} | ${codes} |`;
  });
  const written = Object.entries(result.written)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return [
    `sign-ins at ${options.rate}/s (at most ${options.concurrency} in flight) for ${options.seconds} s, WS-Fed, SAML 2.0 and OIDC in turn; PostgreSQL ${options.flapMs === undefined ? 'cut' : `connections destroyed every ${options.flapMs} ms`} for ${options.cutSeconds} s in the middle`,
    '',
    '| phase | ok | failed | slowest ms | failures |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `/readyz 1 s into the window: ${result.readyDuringCut ?? 'not asked'}`,
    `outages the gateway saw: ${result.outages}, from the first failure to the last recovery: ${result.outageSeconds === null ? 'no recovery seen' : `${result.outageSeconds.toFixed(1)} s`}; restore to records written: ${result.recoverySeconds === null ? '—' : `${result.recoverySeconds.toFixed(2)} s`}`,
    `records written at the recovery: ${written === '' ? 'none' : written}`,
    `sign-ins counted by claimsgate_store_outage_sign_ins_total: ${result.signInsCountedDuringOutage}`,
    `webhook alerts: ${result.alerts.join(', ') || 'none'}`,
  ].join('\n');
}

/** `npm run bench -- outage …`. */
export async function runOutageBench(argv: readonly string[]): Promise<void> {
  const options = readOptions(argv);
  if (options === undefined) {
    console.log(USAGE);
    return;
  }
  console.error(`outage bench: ${options.seconds} s of sign-ins, ${options.cutSeconds} s cut`);
  const result = await runOutage(options);
  console.log(formatOutageReport(result));
}
