import { daysUntilExpiry } from '../crypto/certificate.js';
import { keyLabel, type Alert } from '../rollover/alerts.js';
import type {
  AuditEntry,
  ClaimMappingRecord,
  IssuerRecord,
  KeyRecord,
  MetadataSnapshotRecord,
  PendingChangeKey,
  PendingChangeRecord,
  RealmRecord,
  RealmUnlink,
  RefreshStateRecord,
} from '../store/model.js';
import { KEY_STATES } from '../store/key-schema.js';
import { USABLE_KEY_STATES, type KeyState } from '../tokens/trust-snapshot.js';
import type {
  AlertView,
  AuditEntryView,
  ClaimMappingView,
  IssuerSummary,
  IssuerView,
  IsoDateTime,
  KeyView,
  NextExpiryView,
  RealmUnlinkView,
  PendingChangeView,
  PendingKeyView,
  RealmView,
  RefreshView,
  SnapshotView,
} from './service.js';

/*
 * Records → the plain JSON views the admin service returns: instants as ISO
 * strings, no certificate bytes, days left and ages computed against the
 * service's clock.
 */

/** Every key state, in the order the admin surfaces and `/metrics` list them (declared with the key's schema). */
export { KEY_STATES };

/** An instant as ISO 8601 UTC. */
export function iso(date: Date): IsoDateTime {
  return date.toISOString();
}

/** Like {@link iso}, null staying null. */
export function isoOrNull(date: Date | null | undefined): IsoDateTime | null {
  return date === null || date === undefined ? null : date.toISOString();
}

/** Every field of an issuer record. */
export function viewIssuer(issuer: IssuerRecord): IssuerView {
  const { createdAt, updatedAt, ...fields } = issuer;
  return {
    ...fields,
    protocols: [...fields.protocols],
    allowedTenants: [...fields.allowedTenants],
    createdAt: iso(createdAt),
    updatedAt: iso(updatedAt),
  };
}

/** One key, without its certificate bytes or JWK. */
export function viewKey(key: KeyRecord, now: Date): KeyView {
  return {
    id: key.id,
    issuerId: key.issuerId,
    state: key.state,
    usable: USABLE_KEY_STATES.has(key.state),
    source: key.source,
    sha1: key.sha1,
    sha256: key.sha256,
    kid: key.kid,
    subject: key.subject,
    hasCertificate: key.certificateDer !== null,
    notBefore: isoOrNull(key.notBefore),
    notAfter: isoOrNull(key.notAfter),
    daysLeft: key.notAfter === null ? null : daysUntilExpiry({ notAfter: key.notAfter }, now),
    addedBy: key.addedBy,
    stateChangedAt: iso(key.stateChangedAt),
    firstSeenAt: iso(key.firstSeenAt),
    lastSeenInMetadataAt: isoOrNull(key.lastSeenInMetadataAt),
    lastUsedAt: isoOrNull(key.lastUsedAt),
  };
}

/** Usable keys first, then the most recently first seen. */
export function compareKeys(a: KeyRecord, b: KeyRecord): number {
  const usable = Number(USABLE_KEY_STATES.has(b.state)) - Number(USABLE_KEY_STATES.has(a.state));
  return usable !== 0 ? usable : b.firstSeenAt.getTime() - a.firstSeenAt.getTime();
}

/** Whole seconds from `since` to `now` (never negative), or null without `since`. */
function ageSeconds(since: Date | null | undefined, now: Date): number | null {
  if (since === null || since === undefined) return null;
  return Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000));
}

/** Where an issuer's refreshing stands; all null before its first refresh. */
export function viewRefresh(state: RefreshStateRecord | undefined, now: Date): RefreshView {
  return {
    lastAttemptAt: isoOrNull(state?.lastAttemptAt),
    lastOutcome: state?.lastOutcome ?? null,
    lastErrorCode: state?.lastErrorCode ?? null,
    lastErrorMessage: state?.lastErrorMessage ?? null,
    lastSuccessAt: isoOrNull(state?.lastSuccessAt),
    lastSuccessAgeSeconds: ageSeconds(state?.lastSuccessAt, now),
    consecutiveFailures: state?.consecutiveFailures ?? 0,
    nextAttemptAt: isoOrNull(state?.nextAttemptAt),
  };
}

/** An alert without its dedupe key and structured detail. */
export function viewAlert(alert: Alert): AlertView {
  return {
    kind: alert.kind,
    severity: alert.severity,
    issuerId: alert.issuerId,
    issuerName: alert.issuerName,
    keyId: alert.keyId,
    subject: alert.subject,
    threshold: alert.threshold,
    message: alert.message,
  };
}

/** The issuer's usable key with a certificate that expires first. */
function nextExpiry(keys: readonly KeyRecord[], now: Date): NextExpiryView | null {
  let first: { readonly key: KeyRecord; readonly notAfter: Date } | undefined;
  for (const key of keys) {
    if (!USABLE_KEY_STATES.has(key.state) || key.notAfter === null) continue;
    if (first === undefined || key.notAfter.getTime() < first.notAfter.getTime()) {
      first = { key, notAfter: key.notAfter };
    }
  }
  if (first === undefined) return null;
  return {
    keyId: first.key.id,
    thumbprint: keyLabel(first.key),
    notAfter: iso(first.notAfter),
    daysLeft: daysUntilExpiry({ notAfter: first.notAfter }, now),
  };
}

/** Whether a key a pending document publishes is a stored key (by SHA-256, else SHA-1, else kid). */
function samePendingKey(key: PendingChangeKey, record: KeyRecord): boolean {
  if (key.sha256 !== null && record.sha256 !== null) return key.sha256 === record.sha256;
  if (key.sha1 !== null && record.sha1 !== null) return key.sha1 === record.sha1;
  return key.kid !== null && key.kid === record.kid;
}

function viewPendingKey(key: PendingChangeKey | KeyRecord): PendingKeyView {
  return {
    sha1: key.sha1,
    sha256: key.sha256,
    kid: key.kid,
    subject: key.subject,
    notAfter: isoOrNull(key.notAfter),
  };
}

/**
 * A pending change with its diff against the issuer's keys now: the keys
 * approving it would trust, and the metadata keys it would retire.
 */
export function viewPendingChange(
  change: PendingChangeRecord,
  keys: readonly KeyRecord[],
): PendingChangeView {
  const usable = keys.filter((key) => key.issuerId === change.issuerId && USABLE_KEY_STATES.has(key.state));
  return {
    issuerId: change.issuerId,
    detectedAt: iso(change.detectedAt),
    url: change.url,
    sha256: change.sha256,
    signerSha1: change.signerSha1,
    reason: change.reason,
    decision: change.decision,
    decidedBy: change.decidedBy,
    decidedAt: isoOrNull(change.decidedAt),
    keys: change.keys.map(viewPendingKey),
    added: change.keys
      .filter((key) => !usable.some((record) => samePendingKey(key, record)))
      .map(viewPendingKey),
    removed: usable
      .filter((record) => record.source === 'metadata')
      .filter((record) => !change.keys.some((key) => samePendingKey(key, record)))
      .map(viewPendingKey),
  };
}

/** The summary of one issuer from its records and the alerts evaluated for it. */
export function summarizeIssuer(
  issuer: IssuerRecord,
  keys: readonly KeyRecord[],
  state: RefreshStateRecord | undefined,
  alerts: readonly Alert[],
  now: Date,
  pendingChange?: PendingChangeRecord,
): IssuerSummary {
  const keyCounts = Object.fromEntries(KEY_STATES.map((name) => [name, 0])) as Record<KeyState, number>;
  for (const key of keys) keyCounts[key.state] += 1;
  return {
    issuer: viewIssuer(issuer),
    keyCounts,
    usableKeys: keys.filter((key) => USABLE_KEY_STATES.has(key.state)).length,
    nextExpiry: nextExpiry(keys, now),
    refresh: viewRefresh(state, now),
    alerts: alerts.filter((alert) => alert.issuerId === issuer.id).map(viewAlert),
    pendingChange: pendingChange === undefined ? null : viewPendingChange(pendingChange, keys),
  };
}

/** The last-known-good document, without its bytes. */
export function viewSnapshot(snapshot: MetadataSnapshotRecord | undefined): SnapshotView | null {
  if (snapshot === undefined) return null;
  return {
    url: snapshot.url,
    fetchedAt: iso(snapshot.fetchedAt),
    sha256: snapshot.sha256,
    etag: snapshot.etag,
    signerSha1: snapshot.signerSha1,
  };
}

/** A realm with its allowed issuers named (an ID whose issuer is gone stays an ID). */
export function viewRealm(realm: RealmRecord, names: ReadonlyMap<string, string>): RealmView {
  return {
    id: realm.id,
    realmUri: realm.realmUri,
    replyUrl: realm.replyUrl,
    homeRealm: realm.homeRealm,
    allowedIssuerIds: [...realm.allowedIssuerIds],
    allowedIssuerNames: realm.allowedIssuerIds.map((id) => names.get(id) ?? id),
    createdAt: iso(realm.createdAt),
    updatedAt: iso(realm.updatedAt),
  };
}

/** A claim mapping with its issuer's name. */
export function viewClaimMapping(
  mapping: ClaimMappingRecord,
  names: ReadonlyMap<string, string>,
): ClaimMappingView {
  return {
    id: mapping.id,
    issuerId: mapping.issuerId,
    issuerName: names.get(mapping.issuerId) ?? mapping.issuerId,
    label: mapping.label,
    nameClaim: mapping.nameClaim,
    groupClaim: mapping.groupClaim,
    createdAt: iso(mapping.createdAt),
    updatedAt: iso(mapping.updatedAt),
  };
}

/** An audit entry with its issuer's current name. */
export function viewAuditEntry(entry: AuditEntry, names: ReadonlyMap<string, string>): AuditEntryView {
  return {
    id: entry.id,
    at: iso(entry.at),
    actor: entry.actor,
    action: entry.action,
    issuerId: entry.issuerId,
    issuerName: entry.issuerId === null ? null : (names.get(entry.issuerId) ?? null),
    subject: entry.subject,
    before: entry.before ?? null,
    after: entry.after ?? null,
    refresh: entry.refresh === null ? null : { ...entry.refresh },
  };
}

/** The realms a removal changes, with the issuers each still allows by name (read from `realms` as they were). */
export function viewRealmUnlinks(
  issuer: Pick<IssuerRecord, 'id'>,
  unlinks: readonly RealmUnlink[],
  realms: readonly RealmRecord[],
  names: ReadonlyMap<string, string>,
): RealmUnlinkView[] {
  const byId = new Map(realms.map((realm) => [realm.id, realm]));
  return unlinks.map((unlink) => ({
    realmId: unlink.realmId,
    realmUri: unlink.realmUri,
    homeRealmCleared: unlink.homeRealmCleared,
    allowedIssuerRemoved: unlink.allowedIssuerRemoved,
    remainingAllowedIssuers: (byId.get(unlink.realmId)?.allowedIssuerIds ?? [])
      .filter((id) => id !== issuer.id)
      .map((id) => names.get(id) ?? id),
  }));
}

/** One sentence on what removing an issuer does to a realm that names it. */
export function describeRealmUnlink(unlink: RealmUnlinkView): string {
  const changes: string[] = [];
  if (unlink.homeRealmCleared) changes.push('its home realm is cleared, so its users choose their issuer');
  if (unlink.allowedIssuerRemoved) {
    changes.push(
      `it no longer allows this issuer (it still allows ${unlink.remainingAllowedIssuers.join(', ')})`,
    );
  }
  return `Realm ${unlink.realmUri}: ${changes.join('; ')}.`;
}
