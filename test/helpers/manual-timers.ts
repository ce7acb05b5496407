/**
 * Timers a test fires by hand, for code that takes its timers as an option
 * (the rollover engine, shutdown, the error digest): each armed timer is kept
 * with its delay until the test fires it or the code clears it.
 */
export interface ManualTimers {
  readonly armed: Map<number, { readonly callback: () => void; readonly ms: number }>;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(handle: unknown): void;
  /** Fires one armed timer. */
  fire(handle: number): void;
  /** Fires every timer armed now (not those their callbacks arm). */
  fireAll(): void;
}

export function manualTimers(): ManualTimers {
  const armed = new Map<number, { readonly callback: () => void; readonly ms: number }>();
  let next = 0;
  return {
    armed,
    setTimeout(callback, ms) {
      next += 1;
      armed.set(next, { callback, ms });
      return next;
    },
    clearTimeout(handle) {
      armed.delete(handle as number);
    },
    fire(handle) {
      const timer = armed.get(handle);
      armed.delete(handle);
      timer?.callback();
    },
    fireAll() {
      const due = [...armed.values()];
      armed.clear();
      for (const timer of due) timer.callback();
    },
  };
}
