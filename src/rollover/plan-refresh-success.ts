import type { PublishedKey } from '../metadata/model.js';
import type {
  KeyRecord,
  MetadataSnapshotRecord,
  NewAuditEntry,
  NewKey,
  RefreshFacts,
} from '../store/model.js';
import type { KeyUpdate } from '../store/store.js';
import { USABLE_KEY_STATES, type KeyState } from '../tokens/trust-snapshot.js';
import { hasExpired, keyExpiredAlert, keyLabel, makeAlert, type Alert } from './alerts.js';
import { unjudgedContinuity, type AppliedContinuity } from './plan-continuity.js';
import { latestExpiry } from './plan-key-expiry.js';
import { keyAddedAudit, keyStateAudit, refreshAudit } from './refresh-audit.js';
import type { PlanRefreshInput, RefreshPlan } from './refresh-plan-model.js';

/** What a usable document (or a 304 confirming the last-known-good) brings to {@link successPlan}. */
export interface SuccessParts {
  readonly facts: RefreshFacts;
  /** For an OpenID Connect issuer: the facts of the key set request. */
  readonly keySetFacts?: RefreshFacts;
  /** Metadata keys the document publishes, by store ID. */
  readonly seen: ReadonlyMap<string, PublishedKey | undefined>;
  readonly additions: readonly NewKey[];
  readonly snapshot: MetadataSnapshotRecord | null;
  readonly signerAlert: Alert | undefined;
  /** The document's continuity, as judged (see planContinuity); a 304 is not judged: its keys are the trusted ones. */
  readonly continuity?: AppliedContinuity;
}

/** Who expires keys in the audit log: the passing of time, not the document. */
const EXPIRY_ACTOR = 'rollover';

/**
 * Plans the key transitions of a successful refresh: new keys announced,
 * keys seen again, keys that left the document retiring (or retired at
 * once), retiring keys past the grace retired, reappearing keys restored,
 * keys past their certificate's notAfter expired; never the issuer left
 * without a usable key. Writes the refresh state for the next interval,
 * the audit entries and the alerts.
 *
 * Grace (`retiring`) is for keys that signed tokens still in their
 * lifetime: a key that leaves the document without ever having been used
 * is retired at once, and so is every key a discontinuous document
 * replaced (approved, or accepted with an alert).
 */
export function successPlan(input: PlanRefreshInput, parts: SuccessParts): RefreshPlan {
  const { issuer, now } = input;
  const at = now.getTime();
  const actor = input.actor ?? 'refresh';
  const graceMs = input.graceSeconds * 1000;
  const continuity = parts.continuity ?? unjudgedContinuity(input);
  const next = new Map<string, KeyState>();
  /** Why a key retires at once rather than after the grace period, for its audit entry. */
  const retiredAtOnce = new Map<string, string>();
  for (const key of input.keys) {
    if (key.source !== 'metadata') continue;
    const published = parts.seen.has(key.id);
    const leaving =
      !published && (key.state === 'announced' || key.state === 'active' || key.state === 'retiring');
    const atOnce = !leaving
      ? undefined
      : continuity.cutGrace
        ? 'it left a document that replaced the keys without continuity'
        : key.lastUsedAt === null
          ? 'it left the metadata without having signed a token'
          : undefined;
    if (published) {
      if (key.state === 'retiring' || key.state === 'retired') {
        next.set(key.id, key.lastUsedAt === null ? 'announced' : 'active');
      }
    } else if (atOnce !== undefined) {
      next.set(key.id, 'retired');
      retiredAtOnce.set(key.id, atOnce);
    } else if (key.state === 'announced' || key.state === 'active') {
      next.set(key.id, graceMs === 0 ? 'retired' : 'retiring');
    } else if (key.state === 'retiring' && now.getTime() - key.stateChangedAt.getTime() >= graceMs) {
      next.set(key.id, 'retired');
    }
  }
  // A certificate past its notAfter no longer vouches for tokens, whatever
  // the metadata says; the state it would otherwise have had is kept aside
  // for the never-zero-keys guard below.
  const unexpired = new Map<string, KeyState>();
  for (const key of input.keys) {
    const state = next.get(key.id) ?? key.state;
    if (key.source !== 'metadata' || !USABLE_KEY_STATES.has(state) || !hasExpired(key, at)) continue;
    unexpired.set(key.id, state);
    next.set(key.id, 'expired');
  }
  const additions = [...parts.additions];

  const alerts: Alert[] = [];
  const trusted = (key: KeyRecord): boolean =>
    USABLE_KEY_STATES.has(next.get(key.id) ?? key.state) && !hasExpired(key, at);
  if (!input.keys.some(trusted) && !additions.some((key) => key.state !== 'expired')) {
    // SECURITY (availability): never drop an issuer to zero keys; the
    // newest key the metadata last published stays trusted and the operator
    // is told, rather than every sign-in failing.
    const kept = newestOf(input.keys.filter((key) => next.get(key.id) === 'retired' && !hasExpired(key, at)));
    if (kept !== undefined) {
      if (kept.state === 'retiring') next.delete(kept.id);
      else next.set(kept.id, 'retiring');
      alerts.push(
        makeAlert({
          kind: 'last-key-kept',
          issuer,
          keyId: kept.id,
          subject: keyLabel(kept),
          episode: (parts.snapshot?.sha256 ?? input.previousSnapshot?.sha256 ?? '') + kept.state,
          message: `Issuer ${issuer.name} would have been left without a trusted key; key ${keyLabel(kept)} stays trusted (retiring) until the metadata publishes a usable one.`,
          detail: { state: kept.state },
        }),
      );
    } else if (!input.keys.some((key) => USABLE_KEY_STATES.has(next.get(key.id) ?? key.state))) {
      // Only expired certificates are left: the one that expired last stays
      // in the state it would have had, and the critical alert says so.
      const lastExisting = latestExpiry(input.keys.filter((key) => unexpired.has(key.id)));
      const lastAdded = latestExpiry(additions.filter((key) => key.state === 'expired'));
      const time = (key: { readonly notAfter?: Date | null }): number => key.notAfter?.getTime() ?? -Infinity;
      if (lastAdded !== undefined && (lastExisting === undefined || time(lastAdded) > time(lastExisting))) {
        additions[additions.indexOf(lastAdded)] = { ...lastAdded, state: 'announced' };
        alerts.push(keyExpiredAlert(issuer, lastAdded, 'kept'));
      } else if (lastExisting !== undefined) {
        const state = unexpired.get(lastExisting.id)!;
        if (state === lastExisting.state) next.delete(lastExisting.id);
        else next.set(lastExisting.id, state);
        alerts.push(keyExpiredAlert(issuer, lastExisting, 'kept'));
      }
    }
  }

  const updateKeys: KeyUpdate[] = [];
  const audit: NewAuditEntry[] = [];
  for (const key of input.keys) {
    if (key.source !== 'metadata') continue;
    const state = next.get(key.id);
    const seen = parts.seen.has(key.id);
    if (state === undefined && !seen) continue;
    updateKeys.push({
      keyId: key.id,
      ...(state === undefined ? {} : { state }),
      ...(seen ? { lastSeenInMetadataAt: now } : {}),
    });
    if (state === undefined) continue;
    if (state === 'expired') {
      audit.push(
        keyStateAudit(EXPIRY_ACTOR, 'key.expired', issuer.id, key, {
          state,
          notAfter: key.notAfter?.toISOString() ?? null,
        }),
      );
      alerts.push(keyExpiredAlert(issuer, key, 'expired'));
      continue;
    }
    const action = seen ? 'key.restored' : state === 'retired' ? 'key.retired' : 'key.retiring';
    const why = state === 'retired' ? retiredAtOnce.get(key.id) : undefined;
    audit.push(
      keyStateAudit(actor, action, issuer.id, key, { state, ...(why === undefined ? {} : { why }) }),
    );
    if (action !== 'key.restored') {
      alerts.push(
        makeAlert({
          kind: state === 'retired' ? 'key-retired' : 'key-retiring',
          issuer,
          keyId: key.id,
          subject: keyLabel(key),
          episode: now.toISOString(),
          message:
            state === 'retired'
              ? `Key ${keyLabel(key)} of issuer ${issuer.name} is retired: it no longer validates tokens.`
              : `Key ${keyLabel(key)} of issuer ${issuer.name} left the metadata; it stays trusted for ${input.graceSeconds} s.`,
          detail: { before: key.state, after: state },
        }),
      );
    }
  }
  for (const key of additions) {
    const label = keyLabel(key);
    const state = key.state ?? 'announced';
    audit.push(keyAddedAudit(actor, issuer.id, key, state));
    if (state === 'expired') continue;
    alerts.push(
      makeAlert({
        kind: 'key-added',
        issuer,
        subject: label,
        message: `Issuer ${issuer.name} published a new key ${label}; it is trusted from now on.`,
        detail: { subject: key.subject, notAfter: key.notAfter?.toISOString() ?? null },
      }),
    );
  }
  if (parts.signerAlert !== undefined) alerts.push(parts.signerAlert);
  alerts.push(...continuity.alerts);

  const documentChanged = parts.snapshot !== null && parts.snapshot.sha256 !== input.previousSnapshot?.sha256;
  if (documentChanged) {
    audit.unshift(refreshAudit(input, 'metadata.updated', parts.facts, parts.keySetFacts));
  }
  if ((input.previousState?.consecutiveFailures ?? 0) > 0) {
    audit.push(refreshAudit(input, 'refresh.recovered', parts.facts, parts.keySetFacts));
  }
  audit.push(...continuity.audit);
  const interval = issuer.refreshIntervalSeconds * (1 + (input.intervalJitter ?? 0));
  return {
    outcome: parts.facts.outcome,
    error: undefined,
    application: {
      issuerId: issuer.id,
      addKeys: additions,
      updateKeys,
      snapshot: parts.snapshot,
      refreshState: {
        issuerId: issuer.id,
        lastAttemptAt: input.startedAt ?? now,
        lastSuccessAt: now,
        lastOutcome: parts.facts.outcome,
        lastErrorCode: null,
        lastErrorMessage: null,
        consecutiveFailures: 0,
        nextAttemptAt: new Date(now.getTime() + Math.round(interval * 1000)),
      },
      audit,
      ...(continuity.pendingChange === undefined ? {} : { pendingChange: continuity.pendingChange }),
    },
    alerts,
  };
}

/** The key most recently published: latest seen in metadata, then latest expiry, then latest added. */
function newestOf(keys: readonly KeyRecord[]): KeyRecord | undefined {
  const time = (date: Date | null): number => date?.getTime() ?? -Infinity;
  return [...keys].sort(
    (a, b) =>
      time(b.lastSeenInMetadataAt) - time(a.lastSeenInMetadataAt) ||
      time(b.notAfter) - time(a.notAfter) ||
      time(b.firstSeenAt) - time(a.firstSeenAt),
  )[0];
}
