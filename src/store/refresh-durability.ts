import type { RefreshApplication } from './store.js';

/**
 * Whether a refresh changes what is trusted or waits for a decision: it adds
 * a key, moves one to another state, sets or clears a pending change, or
 * changes the signer of the last-known-good document (`storedSigner`: the
 * stored document's, null for none or unsigned). Such a refresh is synced at
 * its commit; one that only records its times, ETag, document and outcome is
 * bookkeeping (a 304, a document with the same keys and signer, a failed
 * fetch), which a power cut may lose at the cost of fetching again.
 *
 * SECURITY: the signer is trust. Once an issuer's documents are signed by a
 * key it is trusted with, an unsigned document is a downgrade held for an
 * administrator, and every trusted key vouches without probation
 * (judge-continuity.ts); an issuer that starts signing with the keys it
 * already has turns that on with a refresh that changes no key, and lost, the
 * next unsigned document sharing a key would pass as continuous (security
 * review 9).
 */
export function changesTrust(application: RefreshApplication, storedSigner: string | null): boolean {
  return (
    application.addKeys.length > 0 ||
    application.updateKeys.some((update) => update.state !== undefined) ||
    application.pendingChange !== undefined ||
    (application.snapshot !== null && application.snapshot.signerSha1 !== storedSigner)
  );
}
