import type {
  MetadataSnapshotRecord,
  NewAuditEntry,
  PendingChangeRecord,
  RefreshStateRecord,
} from '../model.js';
import {
  toAuditValue,
  toDateColumn,
  toJsonColumn,
  toNullableDateColumn,
  toPendingKeysColumn,
} from '../records.js';
import type { ClaimMappingFields, IssuerFields, KeyFields, RealmFields } from '../validate-input.js';

/*
 * Records → SQLite statement parameters, keyed by column name (the same names
 * as src/store/records.ts). Booleans become 0/1, dates ISO text, JSON text.
 */

export type SqliteParams = Record<string, string | number | bigint | Buffer | null>;

export function issuerParams(fields: IssuerFields): SqliteParams {
  return {
    name: fields.name,
    description: fields.description,
    issuer_uri: fields.issuerUri,
    protocols: JSON.stringify(fields.protocols),
    metadata_url: fields.metadataUrl,
    login_url: fields.loginUrl,
    use_for_login: fields.useForLogin ? 1 : 0,
    label: fields.label,
    refresh_interval_seconds: fields.refreshIntervalSeconds,
    signature_policy: JSON.stringify(fields.signaturePolicy),
    allow_sha1: fields.allowSha1 ? 1 : 0,
    allowed_tenants: JSON.stringify(fields.allowedTenants),
    discontinuity_policy: fields.discontinuityPolicy,
    require_signed_assertion: fields.requireSignedAssertion ? 1 : 0,
  };
}

export function keyParams(fields: KeyFields): SqliteParams {
  return {
    issuer_id: fields.issuerId,
    sha1: fields.sha1,
    sha256: fields.sha256,
    kid: fields.kid,
    certificate_der: fields.certificateDer,
    jwk: toJsonColumn(fields.jwk),
    subject: fields.subject,
    not_before: toNullableDateColumn(fields.notBefore),
    not_after: toNullableDateColumn(fields.notAfter),
    source: fields.source,
    state: fields.state,
    last_seen_in_metadata_at: toNullableDateColumn(fields.lastSeenInMetadataAt),
  };
}

export function realmParams(fields: RealmFields): SqliteParams {
  return {
    realm_uri: fields.realmUri,
    reply_url: fields.replyUrl,
    home_realm: fields.homeRealm,
    allowed_issuer_ids: JSON.stringify(fields.allowedIssuerIds),
  };
}

export function claimMappingParams(fields: ClaimMappingFields): SqliteParams {
  return {
    issuer_id: fields.issuerId,
    label: fields.label,
    name_claim: fields.nameClaim,
    group_claim: fields.groupClaim,
  };
}

export function auditParams(entry: NewAuditEntry & { readonly at: Date }): SqliteParams {
  return {
    at: toDateColumn(entry.at),
    actor: entry.actor,
    action: entry.action,
    issuer_id: entry.issuerId,
    subject: entry.subject,
    before_json: toJsonColumn(toAuditValue(entry.before)),
    after_json: toJsonColumn(toAuditValue(entry.after)),
    refresh_json: toJsonColumn(toAuditValue(entry.refresh)),
  };
}

export function snapshotParams(snapshot: MetadataSnapshotRecord): SqliteParams {
  return {
    issuer_id: snapshot.issuerId,
    url: snapshot.url,
    fetched_at: toDateColumn(snapshot.fetchedAt),
    etag: snapshot.etag,
    last_modified: snapshot.lastModified,
    sha256: snapshot.sha256,
    document: Buffer.from(snapshot.document),
    signer_sha1: snapshot.signerSha1,
  };
}

export function refreshStateParams(state: RefreshStateRecord): SqliteParams {
  return {
    issuer_id: state.issuerId,
    last_attempt_at: toNullableDateColumn(state.lastAttemptAt),
    last_success_at: toNullableDateColumn(state.lastSuccessAt),
    last_outcome: state.lastOutcome,
    last_error_code: state.lastErrorCode,
    last_error_message: state.lastErrorMessage,
    consecutive_failures: state.consecutiveFailures,
    next_attempt_at: toNullableDateColumn(state.nextAttemptAt),
  };
}

export function pendingChangeParams(change: PendingChangeRecord): SqliteParams {
  return {
    issuer_id: change.issuerId,
    detected_at: toDateColumn(change.detectedAt),
    url: change.url,
    sha256: change.sha256,
    signer_sha1: change.signerSha1,
    reason: change.reason,
    keys_json: toPendingKeysColumn(change.keys),
    decision: change.decision,
    decided_by: change.decidedBy,
    decided_at: toNullableDateColumn(change.decidedAt),
  };
}
