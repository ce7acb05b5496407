// What the benches that run as `npm run bench -- <name>` share: reading a
// numeric option, counts in a report line, and the run itself (usage,
// Ctrl-C, the report then the result as one JSON line, the exit status).

/**
 * A numeric option: `fallback` when absent, else the number given, within
 * `min` (excluded when `minExcluded`) and `max`.
 *
 * @throws TypeError naming the option and its range.
 */
export function numberOption(
  name: string,
  value: string | undefined,
  fallback: number,
  range: { readonly min: number; readonly max: number; readonly minExcluded?: boolean },
): number {
  const parsed = value === undefined ? fallback : Number(value);
  const low = range.minExcluded === true ? parsed <= range.min : parsed < range.min;
  if (!Number.isFinite(parsed) || low || parsed > range.max)
    throw new TypeError(
      `--${name} must be in ${range.minExcluded === true ? '(' : '['}${range.min}, ${range.max}]`,
    );
  return parsed;
}

/** A positive number up to `max`: the range most options take. */
export function positiveOption(
  name: string,
  value: string | undefined,
  fallback: number,
  max: number,
): number {
  return numberOption(name, value, fallback, { min: 0, max, minExcluded: true });
}

/** Adds one to `counts[key]`: outcomes counted by code. */
export function countInto(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** `a 3, b 1`, or `none`. */
export function formatCounts(record: Record<string, number>): string {
  return Object.keys(record).length === 0
    ? 'none'
    : Object.entries(record)
        .map(([key, value]) => `${key} ${value}`)
        .join(', ');
}

/**
 * Runs a bench made of phases: prints `usage` for `--help`, kills its child
 * processes on Ctrl-C or SIGTERM (exit 130), prints the report and then the
 * result as one JSON line, and exits 1 when a phase did not end `ok`.
 */
export async function runPhasedBench<O, R extends { readonly phases: Record<string, { status: string }> }>(
  argv: readonly string[],
  bench: {
    readonly usage: string;
    readonly readOptions: (argv: readonly string[]) => O | undefined;
    readonly run: (options: O) => Promise<R>;
    readonly format: (result: R) => string;
    readonly killChildren: () => void;
  },
): Promise<void> {
  const options = bench.readOptions(argv);
  if (options === undefined) {
    console.log(bench.usage);
    return;
  }
  const stop = (): void => {
    bench.killChildren();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const result = await bench.run(options);
  console.log(bench.format(result));
  console.log(`\n${JSON.stringify(result)}`);
  if (Object.values(result.phases).some((value) => value.status !== 'ok')) process.exitCode = 1;
}
