import type { MetadataSignaturePolicy } from '../metadata/check-metadata-signature.js';
import type { KeySource, KeyState } from '../tokens/trust-snapshot.js';
import type {
  AuditEntry,
  ClaimMappingRecord,
  DiscontinuityPolicy,
  DiscontinuityReason,
  IssuerRecord,
  KeyRecord,
  MetadataSnapshotRecord,
  PendingChangeDecision,
  PendingChangeKey,
  PendingChangeRecord,
  Protocol,
  RealmRecord,
  RefreshFacts,
  RefreshStateRecord,
  TokenClaimTypesRecord,
} from './model.js';
import type { Selectable } from 'kysely';
import type {
  AuditLogTable,
  BooleanColumn,
  ClaimMappingsTable,
  DateColumn,
  IntegerColumn,
  IssuerClaimTypesTable,
  IssuersTable,
  JsonColumn,
  KeysTable,
  MetadataSnapshotsTable,
  PendingChangesTable,
  RealmsTable,
  RefreshStatesTable,
} from './database.js';

/*
 * The rows every backend stores (as declared in database.ts), and their
 * conversion to and from records. Column values are typed loosely where the
 * drivers differ (SQLite hands back ISO text, 0/1 and JSON text; PostgreSQL
 * may hand back Date, boolean and parsed jsonb), so one set of readers serves
 * both.
 */

export type { BooleanColumn, DateColumn, IntegerColumn, JsonColumn } from './database.js';

export type IssuerRow = Selectable<IssuersTable>;
export type KeyRow = Selectable<KeysTable>;
export type RealmRow = Selectable<RealmsTable>;
export type ClaimMappingRow = Selectable<ClaimMappingsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type SnapshotRow = Selectable<MetadataSnapshotsTable>;
export type PendingChangeRow = Selectable<PendingChangesTable>;
export type RefreshStateRow = Selectable<RefreshStatesTable>;
export type TokenClaimTypesRow = Selectable<IssuerClaimTypesTable>;

/** Like {@link toDateColumn}, keeping null. */
export function toNullableDateColumn(date: Date | null | undefined): string | null {
  return date === null || date === undefined ? null : date.toISOString();
}

/** The stored form of a JSON value (null stays SQL NULL). */
export function toJsonColumn(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function readDate(value: DateColumn): Date {
  return value instanceof Date ? new Date(value.getTime()) : new Date(value);
}

function readNullableDate(value: DateColumn | null): Date | null {
  return value === null ? null : readDate(value);
}

function readJson(value: JsonColumn): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

function readBoolean(value: BooleanColumn): boolean {
  return typeof value === 'boolean' ? value : Number(value) !== 0;
}

function readInteger(value: IntegerColumn): number {
  return Number(value);
}

function readBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value);
}

export function issuerFromRow(row: IssuerRow): IssuerRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    issuerUri: row.issuer_uri,
    protocols: readJson(row.protocols) as Protocol[],
    metadataUrl: row.metadata_url,
    loginUrl: row.login_url,
    useForLogin: readBoolean(row.use_for_login),
    label: row.label,
    refreshIntervalSeconds: readInteger(row.refresh_interval_seconds),
    signaturePolicy: readJson(row.signature_policy) as MetadataSignaturePolicy,
    allowSha1: readBoolean(row.allow_sha1),
    allowedTenants: readJson(row.allowed_tenants) as string[],
    discontinuityPolicy: row.discontinuity_policy as DiscontinuityPolicy,
    requireSignedAssertion: readBoolean(row.require_signed_assertion),
    domains: readJson(row.domains) as string[],
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
    version: readInteger(row.version),
  };
}

export function keyFromRow(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    issuerId: row.issuer_id,
    sha1: row.sha1,
    sha256: row.sha256,
    kid: row.kid,
    certificateDer: row.certificate_der === null ? null : readBuffer(row.certificate_der),
    jwk: readJson(row.jwk) as Record<string, unknown> | null,
    subject: row.subject,
    notBefore: readNullableDate(row.not_before),
    notAfter: readNullableDate(row.not_after),
    source: row.source as KeySource,
    addedBy: row.added_by,
    state: row.state as KeyState,
    stateChangedAt: readDate(row.state_changed_at),
    firstSeenAt: readDate(row.first_seen_at),
    probationFrom: readNullableDate(row.probation_from),
    lastSeenInMetadataAt: readNullableDate(row.last_seen_in_metadata_at),
    lastUsedAt: readNullableDate(row.last_used_at),
  };
}

export function realmFromRow(row: RealmRow): RealmRecord {
  return {
    id: row.id,
    realmUri: row.realm_uri,
    replyUrl: row.reply_url,
    homeRealm: row.home_realm,
    allowedIssuerIds: readJson(row.allowed_issuer_ids) as string[],
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
  };
}

export function claimMappingFromRow(row: ClaimMappingRow): ClaimMappingRecord {
  return {
    id: row.id,
    issuerId: row.issuer_id,
    label: row.label,
    nameClaim: row.name_claim,
    groupClaim: row.group_claim,
    createdAt: readDate(row.created_at),
    updatedAt: readDate(row.updated_at),
  };
}

export function auditFromRow(row: AuditRow): AuditEntry {
  return {
    id: readInteger(row.id),
    at: readDate(row.at),
    actor: row.actor,
    action: row.action,
    issuerId: row.issuer_id,
    subject: row.subject,
    before: readJson(row.before_json),
    after: readJson(row.after_json),
    refresh: readJson(row.refresh_json) as RefreshFacts | null,
  };
}

export function snapshotFromRow(row: SnapshotRow): MetadataSnapshotRecord {
  return {
    issuerId: row.issuer_id,
    url: row.url,
    fetchedAt: readDate(row.fetched_at),
    etag: row.etag,
    lastModified: row.last_modified,
    sha256: row.sha256,
    document: readBuffer(row.document),
    signerSha1: row.signer_sha1,
  };
}

/** The stored form of a pending change's keys: JSON with ISO instants. */
export function toPendingKeysColumn(keys: readonly PendingChangeKey[]): string {
  return JSON.stringify(
    keys.map((key) => ({
      sha1: key.sha1,
      sha256: key.sha256,
      kid: key.kid,
      subject: key.subject,
      notBefore: toNullableDateColumn(key.notBefore),
      notAfter: toNullableDateColumn(key.notAfter),
    })),
  );
}

export function pendingChangeFromRow(row: PendingChangeRow): PendingChangeRecord {
  const keys = readJson(row.keys_json) as Array<Record<string, string | null>>;
  return {
    issuerId: row.issuer_id,
    detectedAt: readDate(row.detected_at),
    url: row.url,
    sha256: row.sha256,
    signerSha1: row.signer_sha1,
    reason: row.reason as DiscontinuityReason,
    keys: keys.map((key) => ({
      sha1: key['sha1'] ?? null,
      sha256: key['sha256'] ?? null,
      kid: key['kid'] ?? null,
      subject: key['subject'] ?? null,
      notBefore: readNullableDate(key['notBefore'] ?? null),
      notAfter: readNullableDate(key['notAfter'] ?? null),
    })),
    decision: row.decision as PendingChangeDecision,
    decidedBy: row.decided_by,
    decidedAt: readNullableDate(row.decided_at),
  };
}

export function refreshStateFromRow(row: RefreshStateRow): RefreshStateRecord {
  return {
    issuerId: row.issuer_id,
    lastAttemptAt: readNullableDate(row.last_attempt_at),
    lastSuccessAt: readNullableDate(row.last_success_at),
    lastOutcome: row.last_outcome as RefreshStateRecord['lastOutcome'],
    lastErrorCode: row.last_error_code,
    lastErrorMessage: row.last_error_message,
    consecutiveFailures: readInteger(row.consecutive_failures),
    nextAttemptAt: readNullableDate(row.next_attempt_at),
  };
}

/**
 * A value as the audit log keeps it: plain JSON (dates become ISO text), so
 * an entry returned by a mutation equals the same entry read back later.
 */
export function toAuditValue(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

/** What the audit log records of a key: its identity and trust, not its certificate bytes. */
export function keyAuditView(key: KeyRecord): unknown {
  return toAuditValue({
    id: key.id,
    issuerId: key.issuerId,
    sha1: key.sha1,
    sha256: key.sha256,
    kid: key.kid,
    subject: key.subject,
    notBefore: key.notBefore,
    notAfter: key.notAfter,
    source: key.source,
    state: key.state,
  });
}

/** The audit subject of a key: the thumbprint operators search for, else its kid. */
export function keySubject(key: Pick<KeyRecord, 'sha1' | 'sha256' | 'kid' | 'id'>): string {
  return key.sha1 ?? key.sha256 ?? key.kid ?? key.id;
}

const KEY_STATE_ACTIONS: Readonly<Record<KeyState, string>> = {
  announced: 'key.announced',
  active: 'key.activated',
  retiring: 'key.retiring',
  retired: 'key.retired',
  revoked: 'key.revoked',
  expired: 'key.expired',
};

/** The audit action of a key entering `state` (`key.activated`, `key.revoked`, …). */
export function keyStateAction(state: KeyState): string {
  return KEY_STATE_ACTIONS[state];
}

export function tokenClaimTypesFromRow(row: TokenClaimTypesRow): TokenClaimTypesRecord {
  const types = readJson(row.claim_types);
  return {
    issuerId: row.issuer_id,
    claimTypes: Array.isArray(types) ? types.filter((type): type is string => typeof type === 'string') : [],
    since: readDate(row.since),
  };
}
