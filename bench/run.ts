// `npm run bench`: validates the same Azure-AD-shaped WS-Fed token with
// claimsgate and with the Node peers, one after the other on one core, and
// prints validations per second, the ratio to the faster peer and the ratio
// to the floor (node's own RSA-SHA256 verify). See docs/benchmarks.md.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  claimsgateContender,
  claimsgateRejectsTampered,
  peerContender,
  type BenchSetup,
  type Contender,
} from './contenders.js';
import { buildBenchToken, createBenchSigner } from './make-token.js';
import { measureAll, type Measurement } from './measure.js';
import { createReferenceOperations } from './reference-operations.js';
import { claimsgateStages, formatStages } from './stages.js';
import { createOtherCertificates } from './trust-keys.js';

const GROUPS = ['floor', 'context', 'claimsgate', 'node-saml', 'samlify', 'http'] as const;
type Group = (typeof GROUPS)[number];

const CLAIMSGATE_KEYS = [1, 100, 100_000];
/** node-saml verifies once per candidate certificate: 100,000 would take hours per token. */
const PEER_KEYS = [1, 100];
/** Real certificates made for the issuer's other keys; claimsgate's 100,000-key run synthesizes the rest. */
const REAL_OTHER_CERTIFICATES = 300;

const USAGE = `Usage: npm run bench -- [--seconds N] [--rounds N] [--max-iterations N] [--only GROUP[,GROUP…]]
  --seconds N          timed run per contender, in seconds (default 3)
  --rounds N           the contenders take turns N times, each for its share of --seconds (default 3)
  --max-iterations N   upper bound on timed iterations per contender (default 200000)
  --only GROUPS        ${GROUPS.join(', ')} (the floor always runs; http is the end-to-end
                       sign-in and gateway-mode bench, npm run bench -- http, with its defaults)`;

interface BenchOptions {
  readonly seconds: number;
  readonly maxIterations: number;
  readonly rounds: number;
  readonly only: ReadonlySet<Group>;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new TypeError(`--${name} must be a positive number`);
  return number;
}

function readOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      'max-iterations': { type: 'string' },
      rounds: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const only = new Set<Group>(values.only === undefined ? GROUPS : ['floor']);
  for (const name of values.only?.split(',') ?? []) {
    if (!(GROUPS as readonly string[]).includes(name)) throw new TypeError(`--only: unknown group ${name}`);
    only.add(name as Group);
  }
  return {
    seconds: positive('seconds', values.seconds, 3),
    maxIterations: Math.floor(positive('max-iterations', values['max-iterations'], 200_000)),
    rounds: Math.ceil(positive('rounds', values.rounds, 3)),
    only,
  };
}

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const decimal = (value: number, digits: number): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (value: number): string => `${decimal(value, value < 10 ? 2 : 1)}×`;

interface Row extends Contender {
  readonly measurement: Measurement;
}

async function buildContenders(setup: BenchSetup, only: ReadonlySet<Group>): Promise<Contender[]> {
  const references = createReferenceOperations(setup.token, setup.signer);
  const contenders: Contender[] = [
    {
      group: 'floor',
      name: `floor: node RSA-SHA256 verify (${references.signedInfoBytes} B SignedInfo)`,
      keys: undefined,
      run: references.rsaVerify,
    },
  ];
  if (only.has('context')) {
    contenders.push(
      {
        group: 'context',
        name: `signature crypto: verify + SHA-256 of ${references.canonicalAssertionBytes} B`,
        keys: undefined,
        run: references.signatureCrypto,
      },
      {
        group: 'context',
        name: 'one xmldom parse of the wresult',
        keys: undefined,
        run: references.xmldomParse,
      },
      {
        group: 'context',
        name: "xml-crypto's checkSignature alone",
        keys: undefined,
        run: references.xmlCryptoCheckSignature,
      },
    );
  }
  if (only.has('claimsgate')) {
    for (const keys of CLAIMSGATE_KEYS) contenders.push(await claimsgateContender(setup, keys));
    const code = await claimsgateRejectsTampered(setup);
    console.log(`check: claimsgate rejects a tampered copy of the token with ${code}`);
  }
  for (const peer of ['node-saml', 'samlify'] as const) {
    if (!only.has(peer)) continue;
    for (const keys of PEER_KEYS) contenders.push(await peerContender(setup, peer, keys));
    console.log(`check: ${peer} rejects the tampered copy too`);
  }
  console.log(`check: every contender accepts the token (${contenders.length} checked)\n`);
  return contenders;
}

function printTable(rows: readonly Row[], fasterPeer: Row | undefined, floor: Row): void {
  const header = ['contender', 'keys', 'per second', 'µs each', 'runs', 'vs faster peer', 'floor ×'];
  const lines = rows.map((row) => {
    const validator = row.keys !== undefined;
    return [
      row.name,
      row.keys === undefined ? '' : integer(row.keys),
      row.measurement.perSecond < 10
        ? decimal(row.measurement.perSecond, 2)
        : integer(row.measurement.perSecond),
      decimal(row.measurement.microseconds, 1),
      integer(row.measurement.iterations),
      validator && fasterPeer !== undefined
        ? ratio(row.measurement.perSecond / fasterPeer.measurement.perSecond)
        : '',
      ratio(floor.measurement.perSecond / row.measurement.perSecond),
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
      .join('  ');
  console.log(format(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const line of lines) console.log(format(line));
}

function printVerdict(rows: readonly Row[], fasterPeer: Row | undefined, floor: Row): void {
  const find = (group: Group, keys: number): Row | undefined =>
    rows.find((row) => row.group === group && row.keys === keys);
  console.log('');
  if (fasterPeer !== undefined) {
    console.log(
      `faster peer at one key: ${fasterPeer.group} (${integer(fasterPeer.measurement.perSecond)}/s)`,
    );
  }
  for (const [group, many] of [
    ['claimsgate', 100_000],
    ['node-saml', 100],
    ['samlify', 100],
  ] as const) {
    const one = find(group, 1);
    const lots = find(group, many);
    if (one !== undefined && lots !== undefined) {
      console.log(
        `flatness: ${group} with ${integer(many)} keys runs at ${decimal(lots.measurement.perSecond / one.measurement.perSecond, 2)} of its 1-key rate`,
      );
    }
  }
  const claimsgate = find('claimsgate', 1);
  if (claimsgate === undefined) return;
  const versusPeer =
    fasterPeer === undefined
      ? 'not compared with a peer (none measured in this run)'
      : `${ratio(claimsgate.measurement.perSecond / fasterPeer.measurement.perSecond)} the faster peer (goal ≥ 25×)`;
  const versusFloor = ratio(floor.measurement.perSecond / claimsgate.measurement.perSecond);
  console.log(`\nclaimsgate is ${versusPeer}; ${versusFloor} the floor (goal ≤ 8×)`);
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  if (options === undefined) {
    console.log(USAGE);
    return;
  }
  const cpu = cpus();
  console.log(
    `claimsgate bench — ${new Date().toISOString()} — node ${process.version} — ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
  );
  console.log(
    `one contender at a time, one awaited validation after another on one core; ${options.seconds} s each ` +
      `in ${options.rounds} turns, at most ${integer(options.maxIterations)} runs each\n`,
  );
  const signer = await createBenchSigner();
  // node-saml and samlify read the system clock: the token is issued now, and
  // claimsgate's frozen clock stands one minute later inside its window.
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const token = buildBenchToken(signer, { issuedAt });
  console.log(
    `token: ${Buffer.byteLength(token.wresult)} B wresult (SAML 2.0 assertion, RSA-SHA256, ${Object.keys(token.claims).length} claims); ` +
      `peers get a ${Buffer.byteLength(token.samlResponse)} B unsigned samlp:Response around the same signed assertion`,
  );
  const needsOthers = ['claimsgate', 'node-saml', 'samlify'].some((group) =>
    options.only.has(group as Group),
  );
  const others = needsOthers ? await createOtherCertificates(REAL_OTHER_CERTIFICATES) : [];
  const setup: BenchSetup = {
    token,
    signer,
    others,
    validationInstant: new Date(issuedAt.getTime() + 60_000),
  };
  const contenders = await buildContenders(setup, options.only);

  const measurements = await measureAll(
    contenders.map((contender) => contender.run),
    {
      seconds: options.seconds,
      maxIterations: options.maxIterations,
      rounds: options.rounds,
      warmupSeconds: Math.min(1, options.seconds / 3),
      warmupIterations: 10_000,
    },
    (index, measurement) => {
      const contender = contenders[index]!;
      const keys = contender.keys === undefined ? '' : ` [${integer(contender.keys)} keys]`;
      console.error(`  measured ${contender.name}${keys}: ${integer(measurement.perSecond)}/s`);
    },
  );
  const rows: Row[] = contenders.map((contender, index) => ({
    ...contender,
    measurement: measurements[index]!,
  }));
  console.log('');
  const floor = rows[0]!;
  const peers = rows.filter(
    (row) => (row.group === 'node-saml' || row.group === 'samlify') && row.keys === 1,
  );
  const fasterPeer = peers.sort((a, b) => b.measurement.perSecond - a.measurement.perSecond)[0];
  printTable(rows, fasterPeer, floor);
  printVerdict(rows, fasterPeer, floor);
  const whole = rows.find((row) => row.group === 'claimsgate' && row.keys === 1);
  if (whole !== undefined) await printStages(setup, options, whole.measurement.microseconds);
  if (options.only.has('http')) {
    const { runHttp, formatHttpReport, DEFAULT_HTTP_OPTIONS } = await import('./http.js');
    console.log('');
    console.log(formatHttpReport(await runHttp(DEFAULT_HTTP_OPTIONS), DEFAULT_HTTP_OPTIONS));
  }
}

/** Times each step of a claimsgate validation alone (a third of the contenders' time each) and prints them. */
async function printStages(
  setup: BenchSetup,
  options: BenchOptions,
  wholeMicroseconds: number,
): Promise<void> {
  const stages = claimsgateStages(setup.token, setup.signer);
  const measured = await measureAll(
    stages.map((stage) => stage.run),
    {
      seconds: options.seconds / 3,
      maxIterations: options.maxIterations,
      rounds: options.rounds,
      warmupSeconds: Math.min(1, options.seconds / 9),
      warmupIterations: 10_000,
    },
  );
  console.log('');
  console.log(
    formatStages(
      stages.map((stage, index) => ({ stage, microseconds: measured[index]!.microseconds })),
      wholeMicroseconds,
    ).join('\n'),
  );
}

const [command, ...rest] = process.argv.slice(2);
/** `npm run bench -- shapes …`, `… attack …`, `… store …`, `… scale …`, `… outage …`, `… cluster …` and `… http …`; anything else is the peer comparison. */
const commands: Record<string, () => Promise<void>> = {
  shapes: () => import('./shapes.js').then(({ runShapes }) => runShapes(rest)),
  attack: () => import('./attack.js').then(({ runAttack }) => runAttack(rest)),
  store: () => import('./store.js').then(({ runStoreBench }) => runStoreBench(rest)),
  scale: () => import('./scale.js').then(({ runScaleBench }) => runScaleBench(rest)),
  outage: () => import('./outage.js').then(({ runOutageBench }) => runOutageBench(rest)),
  cluster: () => import('./cluster.js').then(({ runClusterBench }) => runClusterBench(rest)),
  http: () => import('./http.js').then(({ runHttpBench }) => runHttpBench(rest)),
};
const run = (command === undefined ? undefined : commands[command]) ?? main;

run().catch((error: unknown) => {
  console.error(`\nbench FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
