import type { LabelConflict } from '../store/label-conflicts.js';
import type { IssuerRecord, KeyRecord, RefreshStateRecord } from '../store/model.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';

/** What an alert is about. */
export type AlertKind =
  /** A key expires within a threshold (30 / 7 / 1 days by default) and no successor is published. */
  | 'key-expiring'
  /**
   * A key's certificate has expired: `info` when the key was moved to
   * `expired` (no longer trusted), `critical` when it is still trusted
   * because it is the issuer's only usable key.
   */
  | 'key-expired'
  /** Metadata refreshes have failed N times in a row. */
  | 'refresh-failing'
  /** The last-known-good metadata is older than the staleness threshold. */
  | 'metadata-stale'
  /** The issuer has exactly one trusted key: its next rollover is an outage unless a successor appears. */
  | 'single-key'
  /** The issuer has no trusted key at all: nobody can sign in with it. */
  | 'no-trusted-key'
  | 'key-added'
  | 'key-retiring'
  | 'key-retired'
  | 'key-revoked'
  /** The metadata is signed by another certificate than the last-known-good document was. */
  | 'signer-changed'
  /** A refresh would have left the issuer without a usable key; its newest retiring key was kept. */
  | 'last-key-kept'
  /**
   * A document replaced the issuer's keys without continuity (docs/rollover.md,
   * "Key continuity"): held for an administrator's approval, or applied under
   * `accept-with-alert` with the replaced keys' grace cut short.
   */
  | 'keys-discontinuous'
  /**
   * The issuer shares its identity label with another issuer (a store written
   * before labels were unique): its sign-ins are refused until relabelled.
   */
  | 'label-shared'
  /**
   * An accepted token lacks a claim its issuer's mapping reads (the name
   * claim: the user was named by the subject; the group claim: no groups).
   */
  | 'claim-missing';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** One alert, as audited, logged, counted and posted to the webhook. */
export interface Alert {
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly issuerId: string;
  readonly issuerName: string;
  /** The store ID of the key concerned, when the key exists in the store already. */
  readonly keyId: string | null;
  /** The key's thumbprint (SHA-1, else SHA-256, else `kid:<kid>`), or another subject such as a signer. */
  readonly subject: string | null;
  /** The threshold crossed (days for `key-expiring`, failures for `refresh-failing`, seconds for `metadata-stale`). */
  readonly threshold: number | null;
  readonly message: string;
  /**
   * What makes two alerts "the same": an alert whose key already fired is
   * not fired again. Condition alerts carry their episode (e.g. the last
   * success before a failure streak) so that a new episode alerts again.
   */
  readonly dedupeKey: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** When alerts fire. */
export interface AlertThresholds {
  /** Days before a key's expiry at which to warn when no successor is published; default [30, 7, 1]. */
  readonly expiryDays: readonly number[];
  /** Consecutive refresh failures that raise `refresh-failing`; default 3. */
  readonly consecutiveFailures: number;
  /** Age of the last successful refresh that raises `metadata-stale`, in seconds; default 86 400 (24 h). */
  readonly staleAfterSeconds: number;
  /** How far back a revocation is still news (and how far back fired alerts are remembered), in seconds; default 35 days. */
  readonly recentWindowSeconds: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = Object.freeze({
  expiryDays: Object.freeze([30, 7, 1]),
  consecutiveFailures: 3,
  staleAfterSeconds: 86_400,
  recentWindowSeconds: 35 * 86_400,
});

/**
 * Checks alert thresholds and fills in the defaults.
 *
 * @throws TypeError naming the bad option.
 */
export function resolveAlertThresholds(input: Partial<AlertThresholds> = {}): AlertThresholds {
  const resolved = { ...DEFAULT_ALERT_THRESHOLDS, ...input };
  if (
    !Array.isArray(resolved.expiryDays) ||
    resolved.expiryDays.some((days) => typeof days !== 'number' || !(days > 0))
  ) {
    throw new TypeError('alertThresholds.expiryDays must be a list of positive numbers of days.');
  }
  if (!Number.isInteger(resolved.consecutiveFailures) || resolved.consecutiveFailures < 1) {
    throw new TypeError('alertThresholds.consecutiveFailures must be a positive integer.');
  }
  for (const name of ['staleAfterSeconds', 'recentWindowSeconds'] as const) {
    if (!Number.isFinite(resolved[name]) || resolved[name] <= 0) {
      throw new TypeError(`alertThresholds.${name} must be a positive number of seconds.`);
    }
  }
  return Object.freeze({
    ...resolved,
    expiryDays: Object.freeze([...(resolved.expiryDays as readonly number[])].sort((a, b) => a - b)),
  });
}

/** How a key is named in alerts, audit subjects and dedupe keys: SHA-1, else SHA-256, else its kid. */
export function keyLabel(key: {
  readonly sha1?: string | null | undefined;
  readonly sha256?: string | null | undefined;
  readonly kid?: string | null | undefined;
}): string {
  return key.sha1 ?? key.sha256 ?? `kid:${key.kid ?? '?'}`;
}

const SEVERITY: Readonly<Record<AlertKind, AlertSeverity>> = {
  'key-expiring': 'warning',
  'key-expired': 'critical',
  'refresh-failing': 'warning',
  'metadata-stale': 'critical',
  'single-key': 'warning',
  'no-trusted-key': 'critical',
  'key-added': 'info',
  'key-retiring': 'info',
  'key-retired': 'info',
  'key-revoked': 'warning',
  'signer-changed': 'warning',
  'last-key-kept': 'critical',
  'keys-discontinuous': 'critical',
  'label-shared': 'critical',
  'claim-missing': 'warning',
};

/** The fields an alert is made from; severity and dedupe key follow from them. */
export interface AlertFields {
  readonly kind: AlertKind;
  readonly issuer: Pick<IssuerRecord, 'id' | 'name'>;
  readonly keyId?: string | null;
  readonly subject?: string | null;
  readonly threshold?: number | null;
  /** What distinguishes this occurrence from an earlier one of the same kind and subject. */
  readonly episode?: string;
  readonly severity?: AlertSeverity;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Builds an alert with its severity and dedupe key. */
export function makeAlert(fields: AlertFields): Alert {
  const subject = fields.subject ?? null;
  const threshold = fields.threshold ?? null;
  return {
    kind: fields.kind,
    severity: fields.severity ?? SEVERITY[fields.kind],
    issuerId: fields.issuer.id,
    issuerName: fields.issuer.name,
    keyId: fields.keyId ?? null,
    subject,
    threshold,
    message: fields.message,
    dedupeKey: [fields.kind, fields.issuer.id, subject ?? '', threshold ?? '', fields.episode ?? ''].join(
      '|',
    ),
    detail: fields.detail ?? {},
  };
}

/** What {@link evaluateAlerts} looks at. */
export interface AlertInput {
  readonly issuers: readonly IssuerRecord[];
  /** Keys of every issuer listed (keys of other issuers are ignored). */
  readonly keys: readonly KeyRecord[];
  readonly refreshStates: ReadonlyMap<string, RefreshStateRecord>;
  readonly now: Date;
  readonly thresholds?: AlertThresholds;
  /** Labels several issuers share (see `findLabelConflicts`); none when omitted. */
  readonly labelConflicts?: readonly LabelConflict[];
}

const DAY_MS = 86_400_000;

/**
 * The alerts that the current state calls for: keys about to expire without
 * a successor, an expired key still trusted as the issuer's last usable one
 * (`key-expired`, critical), failing or stale refreshes, issuers with one key or none, and
 * recent revocations. Pure: the same state and instant give the same alerts
 * (with the same dedupe keys), so evaluating often is safe — the dispatcher
 * fires each dedupe key once.
 */
export function evaluateAlerts(input: AlertInput): Alert[] {
  const thresholds = input.thresholds ?? DEFAULT_ALERT_THRESHOLDS;
  const now = input.now.getTime();
  const alerts: Alert[] = [];
  const keysOf = new Map<string, KeyRecord[]>();
  for (const key of input.keys) {
    const list = keysOf.get(key.issuerId);
    if (list === undefined) keysOf.set(key.issuerId, [key]);
    else list.push(key);
  }
  for (const issuer of input.issuers) {
    const keys = keysOf.get(issuer.id) ?? [];
    const usable = keys.filter((key) => USABLE_KEY_STATES.has(key.state));
    if (usable.length === 0) {
      alerts.push(
        makeAlert({
          kind: 'no-trusted-key',
          issuer,
          episode: latestChange(keys, issuer),
          message: `Issuer ${issuer.name} has no trusted key: every token from it is refused.`,
          detail: { keys: keys.length },
        }),
      );
    } else if (usable.length === 1) {
      const only = usable[0]!;
      alerts.push(
        makeAlert({
          kind: 'single-key',
          issuer,
          keyId: only.id,
          subject: keyLabel(only),
          message: `Issuer ${issuer.name} has a single trusted key (${keyLabel(only)}); its next rollover will refuse sign-ins unless a successor is published first.`,
          detail: { state: only.state, source: only.source },
        }),
      );
    }
    alerts.push(...expiryAlerts(issuer, usable, now, thresholds));
    for (const conflict of input.labelConflicts ?? []) {
      if (!conflict.issuers.some((owner) => owner.id === issuer.id)) continue;
      const others = conflict.issuers.filter((owner) => owner.id !== issuer.id);
      alerts.push(
        makeAlert({
          kind: 'label-shared',
          issuer,
          subject: conflict.label,
          episode: others
            .map((owner) => owner.id)
            .sort()
            .join(','),
          message: `Issuer ${issuer.name} shares the identity label ${conflict.label} with ${others.map((owner) => owner.name).join(', ')}: their users would reach applications as the same users, so sign-ins through it are refused until each issuer has its own label (claimsgate issuers edit ${issuer.name} --label <new label>).`,
          detail: { label: conflict.label, issuers: conflict.issuers.map((owner) => owner.name) },
        }),
      );
    }
    const state = input.refreshStates.get(issuer.id);
    if (issuer.metadataUrl !== null) alerts.push(...refreshAlerts(issuer, state, now, thresholds));
    for (const key of keys) {
      if (
        key.state === 'revoked' &&
        now - key.stateChangedAt.getTime() <= thresholds.recentWindowSeconds * 1000
      ) {
        alerts.push(
          makeAlert({
            kind: 'key-revoked',
            issuer,
            keyId: key.id,
            subject: keyLabel(key),
            message: `Key ${keyLabel(key)} of issuer ${issuer.name} was revoked.`,
            detail: { revokedAt: key.stateChangedAt.toISOString(), source: key.source },
          }),
        );
      }
    }
  }
  return alerts;
}

function latestChange(keys: readonly KeyRecord[], issuer: IssuerRecord): string {
  let latest = issuer.updatedAt.getTime();
  for (const key of keys) latest = Math.max(latest, key.stateChangedAt.getTime());
  return new Date(latest).toISOString();
}

function expiryAlerts(
  issuer: IssuerRecord,
  usable: readonly KeyRecord[],
  now: number,
  thresholds: AlertThresholds,
): Alert[] {
  const alerts: Alert[] = [];
  const valid = usable.filter((key) => !hasExpired(key, now));
  for (const key of usable) {
    if (hasExpired(key, now)) {
      // An expired key still trusted beside a valid one is expired by the
      // engine's next check; only one kept as the issuer's last key needs
      // the operator.
      if (valid.length === 0) alerts.push(keyExpiredAlert(issuer, key, 'kept'));
      continue;
    }
    // A retiring key is on its way out: its expiry is nobody's emergency.
    if (key.state === 'retiring' || key.notAfter === null) continue;
    const days = (key.notAfter.getTime() - now) / DAY_MS;
    const reached = thresholds.expiryDays.filter((limit) => days <= limit);
    if (reached.length === 0) continue;
    const threshold = Math.min(...reached);
    const expiry = key.notAfter.getTime();
    const successor = usable.some(
      (other) =>
        other.id !== key.id &&
        other.state !== 'retiring' &&
        (other.notAfter === null ? other.firstSeenAt > key.firstSeenAt : other.notAfter.getTime() > expiry),
    );
    if (successor) continue;
    alerts.push(
      makeAlert({
        kind: 'key-expiring',
        issuer,
        keyId: key.id,
        subject: keyLabel(key),
        threshold,
        severity: threshold <= 1 ? 'critical' : 'warning',
        message: `Key ${keyLabel(key)} of issuer ${issuer.name} expires ${key.notAfter.toISOString()} (within ${threshold} day${threshold === 1 ? '' : 's'}) and no successor is published.`,
        detail: { notAfter: key.notAfter.toISOString(), daysLeft: Math.floor(days * 10) / 10 },
      }),
    );
  }
  return alerts;
}

/** Whether a key's certificate is past its notAfter at `now` (ms); a key without a known expiry never is. */
export function hasExpired(key: Pick<KeyRecord, 'notAfter'>, now: number): boolean {
  return key.notAfter !== null && key.notAfter.getTime() <= now;
}

/**
 * The `key-expired` alert of a key: `expired` when it was moved to the
 * `expired` state (info), `kept` when it stays trusted as the issuer's only
 * usable key (critical).
 */
export function keyExpiredAlert(
  issuer: Pick<IssuerRecord, 'id' | 'name'>,
  key: {
    readonly id?: string;
    readonly sha1?: string | null;
    readonly sha256?: string | null;
    readonly kid?: string | null;
    readonly notAfter?: Date | null;
    readonly source: KeyRecord['source'];
  },
  outcome: 'expired' | 'kept',
): Alert {
  const notAfter = key.notAfter?.toISOString() ?? null;
  return makeAlert({
    kind: 'key-expired',
    issuer,
    keyId: key.id ?? null,
    subject: keyLabel(key),
    episode: outcome,
    severity: outcome === 'kept' ? 'critical' : 'info',
    message:
      outcome === 'kept'
        ? `Key ${keyLabel(key)} of issuer ${issuer.name} expired ${notAfter ?? ''} and is its only usable key: it stays trusted so that sign-ins keep working; publish or add a successor now.`
        : `Key ${keyLabel(key)} of issuer ${issuer.name} expired ${notAfter ?? ''}: it no longer validates tokens.`,
    detail: { notAfter, source: key.source, trusted: outcome === 'kept' },
  });
}

function refreshAlerts(
  issuer: IssuerRecord,
  state: RefreshStateRecord | undefined,
  now: number,
  thresholds: AlertThresholds,
): Alert[] {
  const alerts: Alert[] = [];
  const episode = state?.lastSuccessAt?.toISOString() ?? 'never';
  if (state !== undefined && state.consecutiveFailures >= thresholds.consecutiveFailures) {
    alerts.push(
      makeAlert({
        kind: 'refresh-failing',
        issuer,
        threshold: thresholds.consecutiveFailures,
        episode,
        message: `The metadata of issuer ${issuer.name} could not be refreshed ${state.consecutiveFailures} times in a row (last error ${state.lastErrorCode ?? 'unknown'}); the last-known-good keys stay trusted.`,
        detail: {
          url: issuer.metadataUrl,
          consecutiveFailures: state.consecutiveFailures,
          lastErrorCode: state.lastErrorCode,
          lastErrorMessage: state.lastErrorMessage,
          lastSuccessAt: state.lastSuccessAt?.toISOString() ?? null,
        },
      }),
    );
  }
  const since = state?.lastSuccessAt ?? issuer.createdAt;
  if (now - since.getTime() > thresholds.staleAfterSeconds * 1000) {
    alerts.push(
      makeAlert({
        kind: 'metadata-stale',
        issuer,
        threshold: thresholds.staleAfterSeconds,
        episode,
        message:
          state?.lastSuccessAt === undefined || state.lastSuccessAt === null
            ? `The metadata of issuer ${issuer.name} has never been fetched successfully.`
            : `The last-known-good metadata of issuer ${issuer.name} dates from ${state.lastSuccessAt.toISOString()}, older than ${thresholds.staleAfterSeconds} s.`,
        detail: {
          url: issuer.metadataUrl,
          lastSuccessAt: state?.lastSuccessAt?.toISOString() ?? null,
          lastErrorCode: state?.lastErrorCode ?? null,
        },
      }),
    );
  }
  return alerts;
}
