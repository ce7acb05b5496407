import { invalid } from './input-values.js';
import type { IssuerRecord } from './model.js';
import type { RefreshApplication } from './store.js';

/** @throws TypeError when `firstRefresh` is given and is not a function. */
export function checkFirstRefresh(firstRefresh: unknown): void {
  if (firstRefresh !== undefined && typeof firstRefresh !== 'function')
    throw new TypeError('firstRefresh must be a function of the created issuer');
}

/**
 * The first refresh planned for a just-created issuer, checked to be that
 * issuer's: every backend calls it inside the creating transaction.
 *
 * A first refresh never holds a document for approval: an issuer is
 * created with the keys it was previewed with, or not at all, so an
 * application carrying a pending change is refused rather than leaving a new
 * issuer with no keys and a document waiting.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` for an application of another issuer or one that sets a
 *   pending change; whatever the planner throws.
 */
export function firstRefreshOf(
  issuer: IssuerRecord,
  firstRefresh: (issuer: IssuerRecord) => RefreshApplication,
): RefreshApplication {
  const application = firstRefresh(issuer);
  if (typeof application !== 'object' || application === null || application.issuerId !== issuer.id)
    throw invalid(
      'firstRefresh.issuerId',
      `the ID of the issuer created (${issuer.id})`,
      application?.issuerId,
    );
  if (application.pendingChange !== undefined && application.pendingChange !== null)
    throw invalid(
      'firstRefresh.pendingChange',
      'none: a new issuer has no keys to hold a change against',
      'a pending change',
    );
  return application;
}
