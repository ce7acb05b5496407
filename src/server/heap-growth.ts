import { setFlagsFromString } from 'node:v8';

/** What {@link applyHeapGrowth} did, for the start-up log. */
export type HeapGrowth =
  | { readonly applied: true; readonly percent: number }
  | { readonly applied: false; readonly reason: 'off' | 'node-flag' };

/** V8 takes its flags with one dash or two, and dashes or underscores in the name. */
const NODE_FLAG = /^--?heap[-_]growing[-_]percent(?:=|$)/;

/**
 * Sets how far V8 lets the heap grow past what is live before a full
 * collection (`server.heapGrowthPercent`), unless `percent` is 0 (V8's own
 * choice) or node was started with `--heap-growing-percent` (or
 * `-heap-growing-percent`, as V8 also takes it: the operator's
 * choice is kept). The flag is one of V8's growing heuristics, read at each
 * collection, so setting it once the process runs takes effect from the
 * next collection on. Process-wide: only `claimsgate serve` calls it, never
 * the library.
 * @throws TypeError for a percent that is not a whole number from 0 to 400.
 */
export function applyHeapGrowth(
  percent: number,
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): HeapGrowth {
  if (!Number.isInteger(percent) || percent < 0 || percent > 400)
    throw new TypeError(`heapGrowthPercent must be a whole number from 0 to 400; got ${String(percent)}.`);
  if (execArgv.some((argument) => NODE_FLAG.test(argument))) return { applied: false, reason: 'node-flag' };
  if (percent === 0) return { applied: false, reason: 'off' };
  setFlags(`--heap-growing-percent=${percent}`);
  return { applied: true, percent };
}
