/** How long and how often to run each operation. */
export interface MeasureOptions {
  /** Timed run length per operation in seconds, split evenly across the rounds. */
  readonly seconds: number;
  /** Upper bound on timed iterations per operation, whatever the time. */
  readonly maxIterations: number;
  /** Rounds: every operation runs once per round, in turn, so that a change of load on the machine hits all of them alike. */
  readonly rounds: number;
  /** Warm-up length in seconds per operation (JIT, caches); it also stops at `warmupIterations`. */
  readonly warmupSeconds: number;
  readonly warmupIterations: number;
}

/** One operation's measurement. */
export interface Measurement {
  readonly iterations: number;
  readonly elapsedSeconds: number;
  /** Operations per second on one core. */
  readonly perSecond: number;
  /** Mean microseconds per operation. */
  readonly microseconds: number;
}

/** Runs `operation` until `seconds` or `iterations` is reached, awaiting each result that is a promise. */
async function runFor(
  operation: () => unknown,
  seconds: number,
  iterations: number,
): Promise<{ iterations: number; elapsedMs: number }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  let done = 0;
  let now = start;
  while (done < iterations && now < end) {
    const result = operation();
    if (result instanceof Promise) await result;
    done += 1;
    now = performance.now();
  }
  return { iterations: done, elapsedMs: now - start };
}

/**
 * Measures each operation sequentially on this thread: first a warm-up of
 * each, then `rounds` rounds in which each operation runs in turn for its
 * share of `seconds`. Every loop is bounded in count and in time; an
 * operation may overrun its share by at most one iteration.
 *
 * @param onMeasured called as each operation's last round ends, for progress output.
 */
export async function measureAll(
  operations: ReadonlyArray<() => unknown>,
  options: MeasureOptions,
  onMeasured: (index: number, measurement: Measurement) => void = () => undefined,
): Promise<Measurement[]> {
  for (const operation of operations) {
    await runFor(operation, options.warmupSeconds, options.warmupIterations);
  }
  const totals = operations.map(() => ({ iterations: 0, elapsedMs: 0 }));
  for (let round = 0; round < options.rounds; round += 1) {
    for (const [index, operation] of operations.entries()) {
      const total = totals[index]!;
      const remaining = options.maxIterations - total.iterations;
      if (remaining > 0) {
        const share = await runFor(operation, options.seconds / options.rounds, remaining);
        total.iterations += share.iterations;
        total.elapsedMs += share.elapsedMs;
      }
      if (round === options.rounds - 1) onMeasured(index, toMeasurement(total));
    }
  }
  return totals.map(toMeasurement);
}

function toMeasurement(total: { iterations: number; elapsedMs: number }): Measurement {
  const elapsedSeconds = total.elapsedMs / 1000;
  return {
    iterations: total.iterations,
    elapsedSeconds,
    perSecond: total.iterations / elapsedSeconds,
    microseconds: (elapsedSeconds * 1e6) / total.iterations,
  };
}
