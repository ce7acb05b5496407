import {
  invalid,
  MAX_TEXT_LENGTH,
  normalizeActor,
  optionalDate,
  optionalText,
  requireDate,
  requireText,
  requireTextList,
} from './input-values.js';
import type { MetadataSnapshotRecord, NewAuditEntry, RefreshStateRecord } from './model.js';
import type { KeyUpdate, RefreshApplication } from './store.js';
import { normalizeKeyState, normalizeNewKey, type KeyFields } from './validate-key-input.js';

/**
 * Checks an audit entry to append: a non-empty actor and action. Its `at`
 * defaults to `now`.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeNewAuditEntry(
  entry: NewAuditEntry,
  now: Date,
): NewAuditEntry & { readonly at: Date } {
  if (typeof entry !== 'object' || entry === null) throw invalid('audit', 'an object', entry);
  return {
    actor: normalizeActor(entry.actor),
    action: requireText('action', entry.action),
    issuerId: entry.issuerId ?? null,
    subject: entry.subject ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    refresh: entry.refresh ?? null,
    at: optionalDate('at', entry.at) ?? now,
  };
}

/**
 * Checks the `limit` of an audit query: a positive whole number, default 1000.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID`.
 */
export function normalizeAuditLimit(limit: number | undefined): number {
  if (limit === undefined) return 1000;
  if (!Number.isSafeInteger(limit) || limit <= 0) throw invalid('limit', 'a positive whole number', limit);
  return limit;
}

/** A refresh application, checked: see {@link normalizeRefreshApplication}. */
export interface NormalizedRefreshApplication {
  readonly issuerId: string;
  readonly addKeys: readonly KeyFields[];
  readonly updateKeys: readonly KeyUpdate[];
  readonly snapshot: MetadataSnapshotRecord | null;
  readonly refreshState: RefreshStateRecord;
  readonly audit: readonly (NewAuditEntry & { readonly at: Date })[];
}

function requireSameIssuer(field: string, value: unknown, issuerId: string): void {
  // SECURITY: a refresh of one issuer must never add or change trust of another.
  if (value !== issuerId) throw invalid(field, `the refreshed issuer ${issuerId}`, value);
}

function normalizeSnapshot(snapshot: MetadataSnapshotRecord, issuerId: string): MetadataSnapshotRecord {
  requireSameIssuer('snapshot.issuerId', snapshot.issuerId, issuerId);
  if (!(snapshot.document instanceof Uint8Array))
    throw invalid('snapshot.document', 'a Buffer', typeof snapshot.document);
  return {
    issuerId,
    url: requireText('snapshot.url', snapshot.url),
    fetchedAt: requireDate('snapshot.fetchedAt', snapshot.fetchedAt),
    etag: optionalText('snapshot.etag', snapshot.etag),
    lastModified: optionalText('snapshot.lastModified', snapshot.lastModified),
    sha256: requireText('snapshot.sha256', snapshot.sha256),
    document: Buffer.from(snapshot.document),
    signerSha1: optionalText('snapshot.signerSha1', snapshot.signerSha1),
  };
}

const REFRESH_OUTCOMES: readonly RefreshStateRecord['lastOutcome'][] = [
  'success',
  'not-modified',
  'failure',
  null,
];

function normalizeRefreshState(state: RefreshStateRecord, issuerId: string): RefreshStateRecord {
  requireSameIssuer('refreshState.issuerId', state.issuerId, issuerId);
  if (!REFRESH_OUTCOMES.includes(state.lastOutcome))
    throw invalid(
      'refreshState.lastOutcome',
      "'success', 'not-modified', 'failure' or null",
      state.lastOutcome,
    );
  if (!Number.isSafeInteger(state.consecutiveFailures) || state.consecutiveFailures < 0)
    throw invalid('refreshState.consecutiveFailures', 'a whole number ≥ 0', state.consecutiveFailures);
  return {
    issuerId,
    lastAttemptAt: optionalDate('refreshState.lastAttemptAt', state.lastAttemptAt),
    lastSuccessAt: optionalDate('refreshState.lastSuccessAt', state.lastSuccessAt),
    lastOutcome: state.lastOutcome,
    lastErrorCode: optionalText('refreshState.lastErrorCode', state.lastErrorCode),
    lastErrorMessage: state.lastErrorMessage === null ? null : String(state.lastErrorMessage),
    consecutiveFailures: state.consecutiveFailures,
    nextAttemptAt: optionalDate('refreshState.nextAttemptAt', state.nextAttemptAt),
  };
}

/**
 * Checks everything one refresh will apply: every added key, snapshot and
 * refresh state belongs to the refreshed issuer, key updates name a known
 * state, audit entries have an actor and action (`at` defaults to `now`).
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeRefreshApplication(
  application: RefreshApplication,
  now: Date,
): NormalizedRefreshApplication {
  if (typeof application !== 'object' || application === null)
    throw invalid('application', 'an object', application);
  const issuerId = requireText('issuerId', application.issuerId);
  const addKeys = application.addKeys.map((key, index) => {
    requireSameIssuer(`addKeys[${index}].issuerId`, key.issuerId, issuerId);
    return normalizeNewKey(key);
  });
  const updateKeys = application.updateKeys.map((update, index): KeyUpdate => {
    const keyId = requireText(`updateKeys[${index}].keyId`, update.keyId);
    return {
      keyId,
      ...(update.state === undefined ? {} : { state: normalizeKeyState(update.state) }),
      ...(update.lastSeenInMetadataAt === undefined
        ? {}
        : {
            lastSeenInMetadataAt: requireDate(
              `updateKeys[${index}].lastSeenInMetadataAt`,
              update.lastSeenInMetadataAt,
            ),
          }),
    };
  });
  return {
    issuerId,
    addKeys,
    updateKeys,
    snapshot: application.snapshot === null ? null : normalizeSnapshot(application.snapshot, issuerId),
    refreshState: normalizeRefreshState(application.refreshState, issuerId),
    audit: application.audit.map((entry) => normalizeNewAuditEntry(entry, now)),
  };
}

/**
 * Checks a replay ID and its expiry.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeReplay(
  id: unknown,
  expiresAt: unknown,
  now: unknown,
): { id: string; expiresAt: Date; now: Date } {
  if (typeof id !== 'string' || id === '' || id.length > MAX_TEXT_LENGTH)
    throw invalid('id', `a non-empty string of at most ${MAX_TEXT_LENGTH} characters`, typeof id);
  return { id, expiresAt: requireDate('expiresAt', expiresAt), now: requireDate('now', now) };
}

/**
 * Checks the claim types of an accepted token to record: the issuer ID, a
 * list of claim type names (sorted, repeats dropped) and the instant.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizeTokenClaimTypes(
  issuerId: unknown,
  claimTypes: unknown,
  at: unknown,
): { issuerId: string; claimTypes: string[]; at: Date } {
  return {
    issuerId: requireText('issuerId', issuerId),
    claimTypes: requireTextList('claimTypes', claimTypes).sort(),
    at: requireDate('at', at),
  };
}
