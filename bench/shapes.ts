// `npm run bench -- shapes`: the CPU cost of hostile document shapes at the
// maximum token size and the maximum metadata size, through the real entry
// points (createTokenValidator(...).validate; parseMetadata then
// checkMetadataSignature), against the cost per byte of a typical token and
// of a typical metadata document. See docs/benchmarks.md.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { isClaimsgateError } from '../src/lib/errors.js';
import { checkMetadataSignature } from '../src/metadata/check-metadata-signature.js';
import { parseMetadata } from '../src/metadata/parse-metadata.js';
import { createTokenValidator } from '../src/tokens/create-token-validator.js';
import { tokenXmlLimits } from '../src/tokens/parse-xml-token.js';
import { DEFAULT_MAX_TOKEN_BYTES } from '../src/tokens/validation-context.js';
import { DEFAULT_XML_LIMITS, DEFAULT_XML_MAX_BYTES } from '../src/xml/parse-xml.js';
import { buildMetadataShapes, buildTokenShapes, type Shape } from './adversarial-shapes.js';
import { createBenchSigner } from './make-token.js';
import { createClaimsgateTrust, createOtherCertificates } from './trust-keys.js';

const USAGE = `Usage: npm run bench -- shapes [--seconds N] [--runs N] [--only tokens|metadata] [--shape NAME[,NAME…]]
  --seconds N   time spent on each shape at most, in seconds (default 1)
  --runs N      measured runs of each shape at most (default 25)
  --only        tokens or metadata (default both)
  --shape       only these shapes (and the typical document)
  --max-token-bytes N   the token size limit to fill (default ${DEFAULT_MAX_TOKEN_BYTES})`;

/** The goals of issue 11 for tokens. */
const GOAL_RATIO = 3;
const GOAL_MS = 50;

interface Row {
  readonly shape: Shape;
  readonly bytes: number;
  readonly outcome: string;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** CPU of each run (all of the process's threads: garbage collection included). */
async function measure(
  run: () => Promise<string> | string,
  seconds: number,
  maxRuns: number,
): Promise<{ outcome: string; samples: number[] }> {
  let outcome = await run();
  await run();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (samples.length < maxRuns && (samples.length < 3 || performance.now() < end)) {
    const start = process.cpuUsage();
    outcome = await run();
    samples.push(cpuMs(start));
  }
  return { outcome, samples };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** What became of a document: `describe` of the result, or the code it was refused with. */
async function outcomeOf<T>(
  action: () => Promise<T> | T,
  describe: (result: T) => string = () => 'accepted',
): Promise<string> {
  try {
    return describe(await action());
  } catch (error) {
    if (isClaimsgateError(error)) return error.code;
    throw error;
  }
}

function nsPerByte(row: Row): number {
  return (row.medianMs * 1e6) / row.bytes;
}

function printRows(title: string, rows: readonly Row[], typical: Row): void {
  const typicalPerByte = nsPerByte(typical);
  const header = [
    'shape',
    'where',
    'bytes',
    'outcome',
    'CPU ms (median)',
    'max',
    'ns/byte',
    '× typical/byte',
  ];
  const lines = rows.map((row) => [
    row.shape.name,
    row.shape.placement,
    row.bytes.toLocaleString('en-US'),
    row.outcome,
    row.medianMs.toFixed(2),
    row.maxMs.toFixed(2),
    nsPerByte(row).toFixed(0),
    (nsPerByte(row) / typicalPerByte).toFixed(2),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column <= 1 || column === 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  console.log(`\n${title}`);
  console.log(format(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const line of lines) console.log(format(line));
}

async function measureShapes(
  shapes: readonly Shape[],
  run: (shape: Shape) => Promise<string> | string,
  seconds: number,
  maxRuns: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const shape of shapes) {
    const { outcome, samples } = await measure(() => run(shape), seconds, maxRuns);
    const row: Row = {
      shape,
      bytes: Buffer.byteLength(shape.text),
      outcome,
      medianMs: median(samples),
      maxMs: Math.max(...samples),
      runs: samples.length,
    };
    console.error(`  ${shape.name} (${shape.placement}): ${row.outcome}, ${row.medianMs.toFixed(2)} ms`);
    rows.push(row);
  }
  return rows;
}

/**
 * The worst shape per byte, against the typical document of the run and (for
 * metadata) against the typical token, as issue 11 asks; and the costliest
 * document, by its median and by its slowest run.
 */
function verdict(rows: readonly Row[], what: string, goals: boolean, tokenPerByte?: number): number {
  const typical = rows.find((row) => row.shape.name === 'typical')!;
  const hostile = rows.filter((row) => row.shape.name !== 'typical');
  const worstPerByte = hostile.reduce((a, b) => (nsPerByte(b) > nsPerByte(a) ? b : a));
  const worstMedian = hostile.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
  const worstRun = hostile.reduce((a, b) => (b.maxMs > a.maxMs ? b : a));
  const ratio = nsPerByte(worstPerByte) / nsPerByte(typical);
  const versusToken =
    tokenPerByte === undefined
      ? ''
      : `, ${(nsPerByte(worstPerByte) / tokenPerByte).toFixed(2)}× the typical token`;
  console.log(
    `\n${what}: typical ${nsPerByte(typical).toFixed(0)} ns/byte (${typical.bytes.toLocaleString('en-US')} B, ${typical.medianMs.toFixed(2)} ms); ` +
      `worst per byte ${worstPerByte.shape.name} (${worstPerByte.shape.placement}) ${nsPerByte(worstPerByte).toFixed(0)} ns/byte = ` +
      `${ratio.toFixed(2)}× typical${versusToken}${goals ? ` (goal ≤ ${GOAL_RATIO}×)` : ''}`,
  );
  console.log(
    `${what}: costliest document ${worstMedian.shape.name} (${worstMedian.shape.placement}), median ${worstMedian.medianMs.toFixed(1)} ms` +
      `${goals ? ` (goal ≤ ${GOAL_MS} ms)` : ''}; slowest single run ${worstRun.maxMs.toFixed(1)} ms (${worstRun.shape.name}, ${worstRun.shape.placement})`,
  );
  return nsPerByte(typical);
}

type Select = (shape: Shape) => boolean;

async function tokenRows(
  seconds: number,
  maxRuns: number,
  select: Select,
  maxTokenBytes: number,
): Promise<Row[]> {
  const signer = await createBenchSigner();
  const issuedAt = new Date('2026-01-15T09:30:00.000Z');
  const { typical, shapes } = buildTokenShapes(
    signer,
    issuedAt,
    maxTokenBytes,
    tokenXmlLimits(maxTokenBytes),
  );
  const validator = createTokenValidator({
    trust: createClaimsgateTrust(typical, signer, [], 1),
    audiences: [typical.audience],
    recipient: typical.recipient,
    now: () => new Date(issuedAt.getTime() + 60_000),
    replayCache: false,
    maxTokenBytes,
  });
  return measureShapes(
    shapes.filter(select),
    (shape) => outcomeOf(() => validator.validate(shape.text)),
    seconds,
    maxRuns,
  );
}

async function metadataRows(seconds: number, maxRuns: number, select: Select): Promise<Row[]> {
  const others = await createOtherCertificates(16, 4);
  const shapes = buildMetadataShapes(
    DEFAULT_XML_MAX_BYTES,
    DEFAULT_XML_LIMITS,
    others.map((other) => other.der.toString('base64')),
  );
  return measureShapes(
    shapes.filter(select),
    (shape) =>
      outcomeOf(
        () => {
          const parsed = parseMetadata(shape.text);
          return checkMetadataSignature(parsed.xml!.root, parsed.metadata);
        },
        (report) => `parsed; signature ${report.status === 'invalid' ? report.reason : report.status}`,
      ),
    seconds,
    maxRuns,
  );
}

export async function runShapes(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      runs: { type: 'string' },
      only: { type: 'string' },
      shape: { type: 'string' },
      'max-token-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const seconds = Number(values.seconds ?? 1);
  const runs = Math.floor(Number(values.runs ?? 25));
  if (!(seconds > 0) || !(runs > 0)) throw new TypeError('--seconds and --runs must be positive');
  if (values.only !== undefined && values.only !== 'tokens' && values.only !== 'metadata') {
    throw new TypeError('--only takes tokens or metadata');
  }
  const maxTokenBytes = Math.floor(Number(values['max-token-bytes'] ?? DEFAULT_MAX_TOKEN_BYTES));
  if (!(maxTokenBytes >= 8192)) throw new TypeError('--max-token-bytes must be at least 8192');
  const names = values.shape?.split(',');
  const select: Select = (shape) =>
    names === undefined || shape.name === 'typical' || names.includes(shape.name);
  const cpu = cpus();
  console.log(
    `claimsgate shapes bench — ${new Date().toISOString()} — node ${process.version} — ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
  );
  console.log(
    `CPU time of each validation (user + system, all threads), median of up to ${runs} runs or ${seconds} s per shape`,
  );
  let tokenPerByte: number | undefined;
  if (values.only !== 'metadata') {
    const rows = await tokenRows(seconds, runs, select, maxTokenBytes);
    printRows(
      `tokens at ${maxTokenBytes.toLocaleString('en-US')} bytes, through createTokenValidator().validate`,
      rows,
      rows[0]!,
    );
    tokenPerByte = verdict(rows, 'tokens', true);
  }
  if (values.only !== 'tokens') {
    const rows = await metadataRows(seconds, runs, select);
    printRows(
      `metadata at ${DEFAULT_XML_MAX_BYTES.toLocaleString('en-US')} bytes, through parseMetadata + checkMetadataSignature`,
      rows,
      rows[0]!,
    );
    verdict(rows, 'metadata', false, tokenPerByte);
  }
}
