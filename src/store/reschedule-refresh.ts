import type { RefreshStateRecord } from './model.js';
import type { IssuerFields } from './validate-input.js';

/** The issuer fields that decide when its metadata is fetched. */
export type RefreshSettings = Pick<IssuerFields, 'metadataUrl' | 'refreshIntervalSeconds'>;

/**
 * When an issuer's next refresh is due after its refresh settings changed,
 * or undefined when the stored schedule stands. Pure; both backends apply
 * it in the transaction of the issuer update, so the stored `nextAttemptAt`
 * (which every instance's scheduler arms its timer from) agrees with the
 * new settings at once, instead of keeping the old interval's due time
 * until the next refresh.
 *
 * - A new metadata URL is fetched at once: the last-known-good came from
 *   another document.
 * - A new interval counts from the last attempt: due then + the new
 *   interval (now, when that is past). During a failure streak the backoff
 *   stays, unless the new interval is sooner still.
 * - An issuer never refreshed yet (no state), or without a metadata URL,
 *   has no schedule to move.
 */
export function rescheduleRefresh(
  before: RefreshSettings,
  after: RefreshSettings,
  state: RefreshStateRecord | undefined,
  now: Date,
): Date | undefined {
  if (state === undefined || after.metadataUrl === null) return undefined;
  if (after.metadataUrl !== before.metadataUrl) return now;
  if (after.refreshIntervalSeconds === before.refreshIntervalSeconds) return undefined;
  const from = state.lastAttemptAt ?? now;
  let due = from.getTime() + after.refreshIntervalSeconds * 1000;
  if (state.consecutiveFailures > 0 && state.nextAttemptAt !== null) {
    due = Math.min(due, state.nextAttemptAt.getTime());
  }
  return new Date(Math.max(due, now.getTime()));
}
