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
import type {
  DiscontinuityReason,
  MetadataSnapshotRecord,
  NewAuditEntry,
  PendingChangeDecision,
  PendingChangeKey,
  PendingChangeRecord,
  RefreshStateRecord,
} from './model.js';
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
  /** Undefined: leave the pending change; null: clear it; a record: set it. */
  readonly pendingChange: PendingChangeRecord | null | undefined;
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
    pendingChange:
      application.pendingChange === undefined || application.pendingChange === null
        ? application.pendingChange
        : normalizePendingChange(application.pendingChange, issuerId),
  };
}

const DISCONTINUITY_REASONS: readonly DiscontinuityReason[] = [
  'unsigned-replacement',
  'unknown-signer-replacement',
  'downgrade',
];
const PENDING_DECISIONS: readonly PendingChangeDecision[] = ['pending', 'approved', 'rejected'];
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A document digest as the store keeps it: 64 lowercase hex digits. */
function normalizeDigest(field: string, value: unknown): string {
  const digest = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof digest !== 'string' || !SHA256_HEX.test(digest))
    throw invalid(field, 'a SHA-256 of 64 hexadecimal digits', value);
  return digest;
}

function normalizePendingKey(key: PendingChangeKey, index: number): PendingChangeKey {
  if (typeof key !== 'object' || key === null)
    throw invalid(`pendingChange.keys[${index}]`, 'an object', key);
  const field = (name: string): string => `pendingChange.keys[${index}].${name}`;
  return {
    sha1: optionalText(field('sha1'), key.sha1),
    sha256: optionalText(field('sha256'), key.sha256),
    kid: optionalText(field('kid'), key.kid),
    subject: optionalText(field('subject'), key.subject),
    notBefore: optionalDate(field('notBefore'), key.notBefore),
    notAfter: optionalDate(field('notAfter'), key.notAfter),
  };
}

/**
 * Checks a pending change a refresh sets: it belongs to the refreshed
 * issuer, names a known reason and decision, and lists the keys published.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizePendingChange(change: PendingChangeRecord, issuerId: string): PendingChangeRecord {
  if (typeof change !== 'object' || change === null) throw invalid('pendingChange', 'an object', change);
  requireSameIssuer('pendingChange.issuerId', change.issuerId, issuerId);
  if (!DISCONTINUITY_REASONS.includes(change.reason))
    throw invalid('pendingChange.reason', DISCONTINUITY_REASONS.join(', '), change.reason);
  if (!PENDING_DECISIONS.includes(change.decision))
    throw invalid('pendingChange.decision', PENDING_DECISIONS.join(', '), change.decision);
  if (!Array.isArray(change.keys)) throw invalid('pendingChange.keys', 'an array', change.keys);
  return {
    issuerId,
    detectedAt: requireDate('pendingChange.detectedAt', change.detectedAt),
    url: requireText('pendingChange.url', change.url),
    sha256: normalizeDigest('pendingChange.sha256', change.sha256),
    signerSha1: optionalText('pendingChange.signerSha1', change.signerSha1),
    reason: change.reason,
    keys: change.keys.map(normalizePendingKey),
    decision: change.decision,
    decidedBy: change.decidedBy === null ? null : normalizeActor(change.decidedBy),
    decidedAt: optionalDate('pendingChange.decidedAt', change.decidedAt),
  };
}

/**
 * Checks an administrator's decision on a pending change: the digest of the
 * document reviewed (any case), approved or rejected, and the actor.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field.
 */
export function normalizePendingDecision(
  sha256: unknown,
  decision: unknown,
  actor: unknown,
): { sha256: string; decision: Exclude<PendingChangeDecision, 'pending'>; actor: string } {
  if (decision !== 'approved' && decision !== 'rejected')
    throw invalid('decision', "'approved' or 'rejected'", decision);
  return { sha256: normalizeDigest('sha256', sha256), decision, actor: normalizeActor(actor) };
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
