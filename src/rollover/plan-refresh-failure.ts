import type { RefreshFacts } from '../store/model.js';
import { refreshAudit } from './refresh-audit.js';
import type {
  DocumentAttempt,
  FetchFacts,
  PlanRefreshInput,
  RefreshError,
  RefreshPlan,
} from './refresh-plan-model.js';

const DEFAULT_RETRY_BASE_SECONDS = 30;

/**
 * Plans a refresh that failed: every key and the last-known-good stay as
 * they are; the failure is recorded (refresh state and a `refresh.failed`
 * audit entry) and the next attempt is put off with exponential backoff.
 */
export function failurePlan(
  input: PlanRefreshInput,
  error: RefreshError,
  partial: FetchFacts,
  keySetFacts?: RefreshFacts,
): RefreshPlan {
  const { issuer, now } = input;
  const failures = (input.previousState?.consecutiveFailures ?? 0) + 1;
  const base = input.retryBaseSeconds ?? DEFAULT_RETRY_BASE_SECONDS;
  // Exponential backoff, capped at the refresh interval: a long outage is
  // retried no more often than healthy metadata is refreshed.
  const delaySeconds = Math.min(issuer.refreshIntervalSeconds, base * 2 ** Math.min(failures - 1, 30));
  const facts: RefreshFacts = { ...partial, outcome: 'failure', code: error.code };
  return {
    outcome: 'failure',
    error,
    application: {
      issuerId: issuer.id,
      addKeys: [],
      updateKeys: [],
      snapshot: null,
      refreshState: {
        issuerId: issuer.id,
        lastAttemptAt: input.startedAt ?? now,
        lastSuccessAt: input.previousState?.lastSuccessAt ?? null,
        lastOutcome: 'failure',
        lastErrorCode: error.code,
        lastErrorMessage: error.message,
        consecutiveFailures: failures,
        nextAttemptAt: new Date(now.getTime() + delaySeconds * 1000),
      },
      audit: [
        refreshAudit(input, 'refresh.failed', facts, keySetFacts, {
          code: error.code,
          message: error.message,
          consecutiveFailures: failures,
        }),
      ],
    },
    alerts: [],
  };
}

/** The facts of a request that got no usable response. */
export function failedFacts(attempt: Extract<DocumentAttempt, { status: 'failed' }>): FetchFacts {
  return { url: attempt.url, httpStatus: attempt.httpStatus ?? null, etag: null, sha256: null };
}
