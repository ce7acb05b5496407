import { ClaimsgateError } from '../lib/errors.js';
import { isErrorCode } from '../lib/error-codes.js';
import type { Actor, IssuerRecord, NewAuditEntry, NewIssuer } from '../store/model.js';
import type { Store } from '../store/store.js';
import type { Alert } from './alerts.js';
import type { FiredAlerts } from './engine-alerts.js';
import type { RefreshResult } from './issuer-refresher.js';
import { planRefresh, type RefreshAttempt, type RefreshError, type RefreshPlan } from './plan-refresh.js';

/** An issuer added from its metadata, and what its first refresh did. */
export interface AddedIssuer {
  readonly issuer: IssuerRecord;
  /** The first refresh: `success`, with the alerts it fired. */
  readonly result: RefreshResult;
}

export interface IssuerAdderOptions {
  readonly store: Store;
  readonly now: () => Date;
  /** This addition's jitter of the next refresh, as a fraction of the interval. */
  readonly intervalJitter: () => number;
  readonly graceSeconds: number;
  readonly retryBaseSeconds: number;
  /** Expires keys and fires the issuer's alerts; called holding the issuer's lock. */
  readonly fireAlertsLocked: (issuer: IssuerRecord, planned: readonly Alert[]) => Promise<FiredAlerts>;
  /** Rebuilds the in-memory trust. */
  /** Reads these issuers into the in-memory trust again. */
  readonly reload: (issuerIds: readonly string[]) => Promise<void>;
  /** Refreshes counted by outcome. */
  readonly counts: Record<RefreshResult['outcome'], number>;
}

function toError(error: RefreshError): ClaimsgateError {
  if (error instanceof ClaimsgateError) return error;
  return new ClaimsgateError(isErrorCode(error.code) ? error.code : 'CG_META_FETCH_FAILED', error.message);
}

/**
 * The first refresh's `startedAt`: when the document was fetched (the
 * latest its fetch can have begun), recorded as the first `lastAttemptAt`.
 */
function startedAtOf(document: RefreshAttempt): { readonly startedAt?: Date } {
  return document.status === 'failed' ? {} : { startedAt: document.response.fetchedAt };
}

/**
 * Creates the engine's `addIssuer`: the issuer and its first keys from a
 * document fetched already, in one store transaction. The first refresh is
 * planned exactly as any refresh of an issuer without keys (the same
 * checks, states and audit entries), so what a preview of that plan showed
 * is what is stored; a document the plan refuses (every key expired) stores
 * nothing at all, instead of an issuer that signs nobody in.
 *
 * Key continuity: a new issuer has no usable key and no pending change, so
 * its first document is judged `initial` and applied as a first refresh
 * always was. SECURITY: a plan that held the document anyway would carry
 * an error and is refused here, and the store refuses a first refresh
 * carrying a pending change: a held document is never what a new issuer is
 * created with.
 */
export function createIssuerAdder(
  options: IssuerAdderOptions,
): (
  input: NewIssuer,
  document: RefreshAttempt,
  actor: Actor,
  note?: (issuer: IssuerRecord) => readonly NewAuditEntry[],
) => Promise<AddedIssuer> {
  const { store, now } = options;
  return async (input, document, actor, note) => {
    if (typeof input?.metadataUrl !== 'string')
      throw new TypeError('addIssuer needs the metadataUrl its document came from.');
    let plan: RefreshPlan | undefined;
    const issuer = await store.createIssuer(input, actor, (created) => {
      plan = planRefresh({
        issuer: created,
        keys: [],
        previousSnapshot: undefined,
        previousState: undefined,
        pendingChange: undefined,
        attempt: document,
        now: now(),
        ...startedAtOf(document),
        graceSeconds: options.graceSeconds,
        retryBaseSeconds: options.retryBaseSeconds,
        intervalJitter: options.intervalJitter(),
        trigger: { reason: 'manual' },
      });
      if (plan.error !== undefined) throw toError(plan.error);
      const noted = note?.(created) ?? [];
      return { ...plan.application, audit: [...noted, ...plan.application.audit] };
    });
    const planned = plan!;
    options.counts[planned.outcome] += 1;
    const alerts =
      (await store.withRefreshLock(
        issuer.id,
        async () => (await options.fireAlertsLocked(issuer, planned.alerts)).alerts,
      )) ?? [];
    await options.reload([issuer.id]);
    return { issuer, result: { issuerId: issuer.id, outcome: planned.outcome, alerts } };
  };
}
