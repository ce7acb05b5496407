/**
 * Process-local try-locks, one per issuer: what {@link Store.withRefreshLock}
 * needs when a single process owns the database (SQLite).
 */
export interface LocalRefreshLocks {
  /**
   * Runs `task` holding the lock of `issuerId`, or resolves `undefined` at
   * once when the lock is held. The lock is released when the task settles,
   * whether it resolves or rejects.
   */
  run<T>(issuerId: string, task: () => Promise<T>): Promise<T | undefined>;
  /** Whether the lock of `issuerId` is held now. */
  isHeld(issuerId: string): boolean;
}

export function createLocalRefreshLocks(): LocalRefreshLocks {
  const held = new Set<string>();
  return {
    async run<T>(issuerId: string, task: () => Promise<T>): Promise<T | undefined> {
      if (typeof task !== 'function') throw new TypeError('task must be a function');
      if (held.has(issuerId)) return undefined;
      held.add(issuerId);
      try {
        return await task();
      } finally {
        held.delete(issuerId);
      }
    },
    isHeld(issuerId) {
      return held.has(issuerId);
    },
  };
}
