import { ClaimsgateError } from '../lib/errors.js';
import type { MetadataSignatureReport } from '../metadata/check-metadata-signature.js';
import type { PublishedKey } from '../metadata/model.js';
import type {
  DiscontinuityReason,
  NewAuditEntry,
  PendingChangeRecord,
  RefreshFacts,
} from '../store/model.js';
import { pendingChangeAuditView } from '../store/pending-changes.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import { keyLabel, makeAlert, type Alert } from './alerts.js';
import {
  DEFAULT_PROBATION_SECONDS,
  discontinuityPolicyFor,
  isSameKey,
  judgeContinuity,
} from './judge-continuity.js';
import { failurePlan } from './plan-refresh-failure.js';
import type { FetchFacts, PlanRefreshInput, RefreshPlan } from './refresh-plan-model.js';

/** A usable document, as continuity is judged: what it publishes, how it is signed, where it came from. */
export interface JudgedDocument {
  readonly signature: MetadataSignatureReport;
  readonly published: readonly PublishedKey[];
  /** SHA-256 of the document (for OpenID Connect, of the discovery + key set pair). */
  readonly sha256: string;
  /** Where it was fetched from (the final URL), as a pending change shows it. */
  readonly url: string;
  /** Every URL fetched for it (the discovery document and key set): any in plain http makes `auto` hold. */
  readonly fetchedUrls: readonly string[];
}

/** What continuity adds to a refresh that applies its document. */
export interface AppliedContinuity {
  /** Keys that left the document retire at once instead of `retiring`: a discontinuity was applied. */
  readonly cutGrace: boolean;
  /** The pending change: undefined leaves it, null clears it. */
  readonly pendingChange: null | undefined;
  readonly audit: readonly NewAuditEntry[];
  readonly alerts: readonly Alert[];
  /**
   * Whether the document's signature continued the issuer's trust (its first
   * document, a trusted or pinned signer, an approval, or the same vouching
   * document again): only then is its signer recorded with the last-known-good,
   * and only a recorded signer makes the issuer one that signs its metadata.
   * SECURITY: a signature by a key of the sender's choosing on a document
   * continued by a shared key must not turn the issuer into a signing one, in
   * which every trusted key vouches (security review, round 4).
   */
  readonly signerVouches: boolean;
}

/** A document applied (continuous, first, approved, or accepted with an alert) — or held. */
export type ContinuityOutcome =
  | { readonly hold: false; readonly applied: AppliedContinuity }
  | {
      readonly hold: true;
      readonly error: ClaimsgateError;
      /** The pending change to set; undefined when this very document is pending or rejected already. */
      readonly pendingChange: PendingChangeRecord | undefined;
      readonly audit: readonly NewAuditEntry[];
      readonly alerts: readonly Alert[];
    };

/** Why a document was judged discontinuous, in words (alerts, refusals, the import preview). */
export const DISCONTINUITY_REASON_TEXT: Readonly<Record<DiscontinuityReason, string>> = {
  'unsigned-replacement': 'it is not validly signed and shares no established key with the current trust',
  'unknown-signer-replacement':
    'it is signed by a key the issuer is not trusted with and shares no established key with the current trust',
  downgrade: 'it is not signed by a key the issuer is trusted with, though the last-known-good document was',
};

/**
 * Judges a usable document's continuity (see {@link judgeContinuity}) and
 * decides what the refresh does with it under the issuer's discontinuity
 * policy: apply it (clearing any pending change; for an approved document,
 * or one accepted with an alert, the replaced keys' grace is cut short), or
 * hold it as the issuer's pending change with a critical
 * `keys-discontinuous` alert, once per document.
 */
export function planContinuity(input: PlanRefreshInput, document: JudgedDocument): ContinuityOutcome {
  const verdict = judgeContinuity({
    issuer: input.issuer,
    keys: input.keys,
    previousSnapshot: input.previousSnapshot,
    signature: document.signature,
    published: document.published,
    sha256: document.sha256,
    pendingChange: input.pendingChange,
    now: input.now,
    probationSeconds: input.probationSeconds ?? DEFAULT_PROBATION_SECONDS,
  });
  if (verdict.kind === 'initial' || verdict.kind === 'continuous') {
    const signerVouches =
      verdict.kind === 'initial' ||
      verdict.reason === 'trusted-signer' ||
      verdict.reason === 'pinned-signer' ||
      (verdict.reason === 'unchanged' && (input.previousSnapshot?.signerSha1 ?? null) !== null);
    return {
      hold: false,
      applied: {
        ...clearPending(input, false, 'the metadata now serves a continuous document'),
        signerVouches,
      },
    };
  }
  if (verdict.kind === 'approved') {
    const pending = input.pendingChange!;
    return {
      hold: false,
      applied: {
        cutGrace: true,
        pendingChange: null,
        audit: [
          {
            actor: input.actor ?? 'refresh',
            action: 'change.applied',
            issuerId: input.issuer.id,
            subject: pending.sha256,
            before: { decision: pending.decision, decidedBy: pending.decidedBy },
            after: pendingChangeAuditView(pending),
            refresh: null,
          },
        ],
        alerts: [],
        signerVouches: true,
      },
    };
  }
  const diff = diffKeys(input, document.published);
  const policy = discontinuityPolicyFor(input.issuer, document.fetchedUrls);
  const signerSha1 = document.signature.status === 'valid' ? document.signature.signer.sha1 : null;
  if (policy === 'accept-with-alert') {
    const cleared = clearPending(input, true, 'a discontinuous document was applied under accept-with-alert');
    return {
      hold: false,
      applied: {
        ...cleared,
        alerts: [discontinuityAlert(input, document, verdict.reason, signerSha1, diff, 'applied')],
      },
    };
  }

  const previous = input.pendingChange;
  const known =
    previous !== undefined &&
    previous.sha256 === document.sha256 &&
    (previous.decision === 'pending' || previous.decision === 'rejected');
  const error = heldError(input, document, verdict.reason, signerSha1, diff, known ? previous : undefined);
  if (known) return { hold: true, error, pendingChange: undefined, audit: [], alerts: [] };
  const pendingChange: PendingChangeRecord = {
    issuerId: input.issuer.id,
    detectedAt: input.now,
    url: document.url,
    sha256: document.sha256,
    signerSha1,
    reason: verdict.reason,
    keys: document.published.map((key) => ({
      sha1: key.certificate?.sha1 ?? key.sha1 ?? null,
      sha256: key.certificate?.sha256 ?? key.sha256 ?? null,
      kid: key.kid ?? null,
      subject: key.certificate?.subject ?? null,
      notBefore: key.certificate?.notBefore ?? null,
      notAfter: key.certificate?.notAfter ?? null,
    })),
    decision: 'pending',
    decidedBy: null,
    decidedAt: null,
  };
  return {
    hold: true,
    error,
    pendingChange,
    audit: [
      {
        actor: input.actor ?? 'refresh',
        action: 'change.held',
        issuerId: input.issuer.id,
        subject: document.sha256,
        before: previous === undefined ? null : pendingChangeAuditView(previous),
        after: { ...pendingChangeAuditView(pendingChange), added: diff.added, removed: diff.removed, policy },
        refresh: null,
      },
    ],
    alerts: [discontinuityAlert(input, document, verdict.reason, signerSha1, diff, 'held')],
  };
}

/**
 * What a refresh that applies its document without judging it (a 304: the
 * keys are those already trusted) does to a pending change: the endpoint
 * went back to a continuous document, so it is withdrawn.
 */
export function unjudgedContinuity(input: PlanRefreshInput): AppliedContinuity {
  return clearPending(input, false, 'the metadata now serves a continuous document');
}

/**
 * The plan of a held document: a failed refresh (every key stays, with
 * backoff) that also sets the pending change and raises the alert.
 */
export function heldPlan(
  input: PlanRefreshInput,
  outcome: Extract<ContinuityOutcome, { hold: true }>,
  facts: FetchFacts,
  keySetFacts?: RefreshFacts,
): RefreshPlan {
  const failed = failurePlan(input, outcome.error, facts, keySetFacts);
  return {
    ...failed,
    application: {
      ...failed.application,
      audit: [...failed.application.audit, ...outcome.audit],
      ...(outcome.pendingChange === undefined ? {} : { pendingChange: outcome.pendingChange }),
    },
    alerts: [...failed.alerts, ...outcome.alerts],
  };
}

function clearPending(input: PlanRefreshInput, cutGrace: boolean, why: string): AppliedContinuity {
  const pending = input.pendingChange;
  if (pending === undefined)
    return { cutGrace, pendingChange: undefined, audit: [], alerts: [], signerVouches: false };
  return {
    cutGrace,
    signerVouches: false,
    pendingChange: null,
    audit: [
      {
        actor: input.actor ?? 'refresh',
        action: 'change.withdrawn',
        issuerId: input.issuer.id,
        subject: pending.sha256,
        before: pendingChangeAuditView(pending),
        after: { why },
        refresh: null,
      },
    ],
    alerts: [],
  };
}

/** The keys a document would add to the issuer's usable ones, and the metadata keys it would remove. */
interface KeyDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

function diffKeys(input: PlanRefreshInput, published: readonly PublishedKey[]): KeyDiff {
  const usable = input.keys.filter((key) => USABLE_KEY_STATES.has(key.state));
  return {
    added: published
      .filter((key) => !usable.some((record) => isSameKey(record, key)))
      .map((key) => keyLabel(key.certificate ?? key)),
    removed: usable
      .filter((record) => record.source === 'metadata')
      .filter((record) => !published.some((key) => isSameKey(record, key)))
      .map((record) => keyLabel(record)),
  };
}

function listed(labels: readonly string[]): string {
  return labels.length === 0 ? 'none' : labels.join(', ');
}

function discontinuityAlert(
  input: PlanRefreshInput,
  document: JudgedDocument,
  reason: DiscontinuityReason,
  signerSha1: string | null,
  diff: KeyDiff,
  outcome: 'held' | 'applied',
): Alert {
  const { issuer } = input;
  const what = `The metadata of issuer ${issuer.name} at ${document.url} replaces its keys without continuity: ${DISCONTINUITY_REASON_TEXT[reason]}. Keys added: ${listed(diff.added)}; keys removed: ${listed(diff.removed)}.`;
  return makeAlert({
    kind: 'keys-discontinuous',
    issuer,
    subject: document.sha256,
    episode: outcome,
    message:
      outcome === 'held'
        ? `${what} It is held for an administrator's approval; the current keys stay trusted.`
        : `${what} It was applied (accept-with-alert): the removed keys no longer validate tokens. If the issuer did not roll its keys over in an emergency, revoke the new keys and investigate.`,
    detail: {
      outcome,
      reason,
      url: document.url,
      sha256: document.sha256,
      signerSha1,
      added: diff.added,
      removed: diff.removed,
    },
  });
}

function heldError(
  input: PlanRefreshInput,
  document: JudgedDocument,
  reason: DiscontinuityReason,
  signerSha1: string | null,
  diff: KeyDiff,
  known: PendingChangeRecord | undefined,
): ClaimsgateError {
  const { issuer } = input;
  const standing =
    known?.decision === 'rejected'
      ? `an administrator (${known.decidedBy ?? 'unknown'}) rejected this document; the current keys stay trusted`
      : "it waits for an administrator's approval; the current keys stay trusted";
  return new ClaimsgateError(
    'CG_META_KEYS_DISCONTINUOUS',
    `The metadata at ${document.url} would replace the keys of issuer ${issuer.name} without continuity (${DISCONTINUITY_REASON_TEXT[reason]}): ${standing}. Keys added: ${listed(diff.added)}; keys removed: ${listed(diff.removed)}.`,
    {
      detail: {
        url: document.url,
        issuer: issuer.issuerUri,
        sha256: document.sha256,
        reason,
        signerSha1,
        decision: known?.decision ?? 'pending',
        added: diff.added,
        removed: diff.removed,
      },
    },
  );
}
