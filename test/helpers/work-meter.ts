/**
 * A deterministic measure of the work a function does, for tests that must
 * show a cost is linear without timing anything: while `run` executes, every
 * call of the collection methods a rescan or a copy goes through is counted —
 * an array method by the length of the array it walks, a Map or Set
 * operation as one (a `new Map(other)` copy calls `set` once per entry). The
 * counts are the same on every machine and under any load.
 */

const ARRAY_METHODS = [
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
  'filter',
  'map',
  'flatMap',
  'forEach',
  'includes',
  'indexOf',
  'lastIndexOf',
  'slice',
  'reduce',
  'join',
] as const;

const UNIT_METHODS: ReadonlyArray<[object, readonly string[]]> = [
  [Map.prototype, ['get', 'set', 'has', 'delete']],
  [Set.prototype, ['add', 'has', 'delete']],
];

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Runs `run` and returns its result with the work counted while it ran. Not re-entrant. */
export function meterWork<T>(run: () => T): { result: T; work: number } {
  let work = 0;
  const restore: Array<() => void> = [];
  const patch = (target: object, name: string, cost: (self: unknown) => number): void => {
    const owner = target as Record<string, AnyFunction>;
    const original = owner[name]!;
    owner[name] = function (this: unknown, ...args: unknown[]): unknown {
      work += cost(this);
      return original.apply(this, args);
    };
    restore.push(() => {
      owner[name] = original;
    });
  };
  for (const name of ARRAY_METHODS) {
    patch(Array.prototype, name, (self) => (self as unknown[]).length);
  }
  for (const [prototype, names] of UNIT_METHODS) {
    for (const name of names) patch(prototype, name, () => 1);
  }
  try {
    return { result: run(), work };
  } finally {
    for (const undo of restore.reverse()) undo();
  }
}

/**
 * How the work of `run(size)` grows when the size doubles: about 2 for a
 * linear cost, about 4 for a quadratic one.
 */
export function growthOnDoubling(run: (size: number) => unknown, size: number): number {
  const small = meterWork(() => run(size)).work;
  const large = meterWork(() => run(size * 2)).work;
  return large / Math.max(small, 1);
}
