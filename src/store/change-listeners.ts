import type { StoreChange } from './model.js';

/** The in-process side of {@link Store.onChange}: a set of listeners told of each committed change. */
export interface ChangeListeners {
  /** Adds a listener; returns the function that removes it. */
  add(listener: (change: StoreChange) => void): () => void;
  /** Tells every listener of a change. Call only after the change is committed. */
  emit(change: StoreChange): void;
  clear(): void;
}

/**
 * Creates a listener set. A listener that throws does not stop the others nor
 * fail the mutation that was already committed; its error is reported as a
 * process warning.
 */
export function createChangeListeners(): ChangeListeners {
  const listeners = new Set<(change: StoreChange) => void>();
  return {
    add(listener) {
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      // Wrapped so that one function added twice gets two independent subscriptions.
      const entry = (change: StoreChange): void => listener(change);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    emit(change) {
      for (const listener of [...listeners]) {
        try {
          listener(change);
        } catch (error) {
          process.emitWarning(
            `A store change listener threw: ${error instanceof Error ? error.message : String(error)}`,
            'ClaimsgateStoreWarning',
          );
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}
