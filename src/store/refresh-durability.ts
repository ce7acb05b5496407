import type { RefreshApplication } from './store.js';

/**
 * Whether a refresh changes what is trusted or waits for a decision: it adds
 * a key, moves one to another state, or sets or clears a pending change. Such
 * a refresh is synced at its commit; one that only records its times, ETag,
 * document and outcome is bookkeeping (a 304, a document with the same keys, a
 * failed fetch), which a power cut may lose at the cost of fetching again.
 */
export function changesTrust(application: RefreshApplication): boolean {
  return (
    application.addKeys.length > 0 ||
    application.updateKeys.some((update) => update.state !== undefined) ||
    application.pendingChange !== undefined
  );
}
