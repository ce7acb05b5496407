/**
 * Takes turns for CPU-bound steps (parsing and verifying a token): one runs
 * at a time, and the next starts on a later turn of the event loop
 * (`setImmediate`), so that whatever I/O arrived meanwhile — a health check,
 * a proxied request, an honest user's sign-in — is handled between two steps
 * instead of after every step that was ready at once. Without it, N requests
 * whose bodies complete together run N validations back to back.
 *
 * Steps are taken in the order they ask. A step's own awaits (a key refresh
 * over the network) should not happen inside it: they would hold the turn.
 */
export interface CpuGate {
  /** Runs `step` on its turn and returns what it returns (or throws what it throws). */
  run<T>(step: () => T | Promise<T>): Promise<T>;
  /** Steps waiting for their turn. */
  readonly waiting: number;
}

/** Creates a gate; share one per process (per server) among everything CPU-bound it should order. */
export function createCpuGate(): CpuGate {
  let busy = false;
  const queue: Array<() => void> = [];
  // The turn passes on a later turn of the event loop even when nobody waits
  // yet: a request whose body completes in the same poll phase must queue too.
  const handOver = (): void => {
    const next = queue.shift();
    if (next === undefined) busy = false;
    else next();
  };
  const release = (): void => {
    setImmediate(handOver);
  };
  return {
    async run<T>(step: () => T | Promise<T>): Promise<T> {
      if (busy) await new Promise<void>((resolve) => queue.push(resolve));
      else busy = true;
      try {
        return await step();
      } finally {
        release();
      }
    },
    get waiting(): number {
      return queue.length;
    },
  };
}
