import { ClaimsgateError } from '../lib/errors.js';
import type { PendingChangeRecord } from './model.js';

/*
 * What both backends say about pending changes (documents held for lack of
 * key continuity): the refusal of a stale decision and the audit view.
 */

/** The `CG_STORE_CONFLICT` of a decision on a document that is no longer the pending one. */
export function stalePendingChangeError(
  issuerId: string,
  expected: string,
  observed: string,
): ClaimsgateError {
  return new ClaimsgateError(
    'CG_STORE_CONFLICT',
    `The pending change of issuer ${issuerId} is now the document ${observed}, not ${expected}: a newer document replaced the one reviewed.`,
    {
      hint: 'Review the pending change again (its keys and SHA-256), then approve or reject it.',
      detail: { entity: 'pending change', id: issuerId, expected, observed },
    },
  );
}

/** What the audit log keeps of a pending change: the document and its decision, the keys by thumbprint. */
export function pendingChangeAuditView(change: PendingChangeRecord): Record<string, unknown> {
  return {
    decision: change.decision,
    url: change.url,
    sha256: change.sha256,
    reason: change.reason,
    signerSha1: change.signerSha1,
    keys: change.keys.map((key) => key.sha1 ?? key.sha256 ?? `kid:${key.kid ?? '?'}`),
  };
}
