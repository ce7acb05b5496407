import type { ColumnType, Kysely } from 'kysely';
import type { LoginThrottleScope } from './login-throttle-rules.js';

/*
 * The tables both backends keep, declared once for the typed query layer
 * (kysely). The migrations stay hand-written per backend
 * (sqlite/sqlite-migrations.ts, postgres/postgres-migrations.ts); this file
 * follows them, and the store contract tests prove the two agree.
 *
 * A column reads as whatever either driver hands back (records.ts turns it
 * into a record), and is written as the value the domain has: a `Date`, a
 * `boolean`, JSON text. The SQLite backend turns dates into ISO-8601 text and
 * booleans into 0/1 as it binds them (better-sqlite3 binds neither); pg binds
 * both as they are.
 */

/** A timestamp column: ISO-8601 text, epoch milliseconds or a driver's Date. */
export type DateColumn = string | number | Date;
/** A JSON column: JSON text, or a value the driver already parsed. */
export type JsonColumn = string | number | boolean | object | null;
/** A boolean column: a driver's boolean or SQLite's 0/1. */
export type BooleanColumn = boolean | number | bigint;
/** An integer column: a number, a bigint or PostgreSQL's int8 text. */
export type IntegerColumn = number | bigint | string;

type Timestamp = ColumnType<DateColumn, Date, Date>;
type NullableTimestamp = ColumnType<DateColumn | null, Date | null, Date | null>;
/** Written as JSON text (`toJsonColumn`), read as text or parsed. */
type Json = ColumnType<JsonColumn, string, string>;
type NullableJson = ColumnType<JsonColumn, string | null, string | null>;
type Flag = ColumnType<BooleanColumn, boolean, boolean>;
type Integer = ColumnType<IntegerColumn, number, number>;
/** An identity column: the database numbers the rows. */
type GeneratedInteger = ColumnType<IntegerColumn, never, never>;
type Bytes = ColumnType<Uint8Array, Buffer, Buffer>;
type NullableBytes = ColumnType<Uint8Array | null, Buffer | null, Buffer | null>;

export interface IssuersTable {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly issuer_uri: string;
  readonly protocols: Json;
  readonly metadata_url: string | null;
  readonly login_url: string | null;
  readonly use_for_login: Flag;
  readonly label: string;
  readonly refresh_interval_seconds: Integer;
  readonly signature_policy: Json;
  readonly allow_sha1: Flag;
  readonly allowed_tenants: Json;
  readonly discontinuity_policy: string;
  readonly require_signed_assertion: Flag;
  /** The issuer's e-mail domains, sorted; `issuer_domains` indexes them. */
  readonly domains: Json;
  readonly created_at: Timestamp;
  readonly updated_at: Timestamp;
  readonly version: Integer;
}

/**
 * One row per e-mail domain an issuer holds: the index home-realm discovery
 * reads (one row by primary key), and the constraint that gives a domain to
 * one issuer at most. Written in the transaction that writes the issuer's
 * `domains`, and emptied with the issuer (ON DELETE CASCADE).
 */
export interface IssuerDomainsTable {
  readonly domain: string;
  readonly issuer_id: string;
}

export interface KeysTable {
  readonly id: string;
  readonly issuer_id: string;
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  readonly certificate_der: NullableBytes;
  readonly jwk: NullableJson;
  readonly subject: string | null;
  readonly not_before: NullableTimestamp;
  readonly not_after: NullableTimestamp;
  readonly source: string;
  readonly added_by: string;
  readonly state: string;
  readonly state_changed_at: Timestamp;
  readonly first_seen_at: Timestamp;
  readonly probation_from: NullableTimestamp;
  readonly last_seen_in_metadata_at: NullableTimestamp;
  readonly last_used_at: NullableTimestamp;
}

export interface RealmsTable {
  readonly id: string;
  readonly realm_uri: string;
  readonly reply_url: string;
  readonly home_realm: string | null;
  readonly allowed_issuer_ids: Json;
  readonly created_at: Timestamp;
  readonly updated_at: Timestamp;
}

export interface ClaimMappingsTable {
  readonly id: string;
  readonly issuer_id: string;
  readonly label: string;
  readonly name_claim: string;
  readonly group_claim: string | null;
  readonly created_at: Timestamp;
  readonly updated_at: Timestamp;
}

/** Append-only: both backends refuse UPDATE and DELETE with a trigger. */
export interface AuditLogTable {
  readonly id: GeneratedInteger;
  readonly at: Timestamp;
  readonly actor: string;
  readonly action: string;
  readonly issuer_id: string | null;
  readonly subject: string | null;
  readonly before_json: NullableJson;
  readonly after_json: NullableJson;
  readonly refresh_json: NullableJson;
}

export interface MetadataSnapshotsTable {
  readonly issuer_id: string;
  readonly url: string;
  readonly fetched_at: Timestamp;
  readonly etag: string | null;
  readonly last_modified: string | null;
  readonly sha256: string;
  readonly document: Bytes;
  readonly signer_sha1: string | null;
}

export interface RefreshStatesTable {
  readonly issuer_id: string;
  readonly last_attempt_at: NullableTimestamp;
  readonly last_success_at: NullableTimestamp;
  readonly last_outcome: string | null;
  readonly last_error_code: string | null;
  readonly last_error_message: string | null;
  readonly consecutive_failures: Integer;
  readonly next_attempt_at: NullableTimestamp;
}

export interface PendingChangesTable {
  readonly issuer_id: string;
  readonly detected_at: Timestamp;
  readonly url: string;
  readonly sha256: string;
  readonly signer_sha1: string | null;
  readonly reason: string;
  readonly keys_json: Json;
  readonly decision: string;
  readonly decided_by: string | null;
  readonly decided_at: NullableTimestamp;
}

export interface IssuerClaimTypesTable {
  readonly issuer_id: string;
  readonly claim_types: Json;
  readonly since: Timestamp;
}

export interface AdminAccountsTable {
  readonly id: string;
  /** Lower-cased (a CHECK in both backends). */
  readonly username: string;
  readonly password_hash: string;
  readonly created_at: Timestamp;
  readonly updated_at: Timestamp;
  readonly last_login_at: NullableTimestamp;
}

export interface SessionRevocationsTable {
  readonly id: GeneratedInteger;
  readonly sid: string | null;
  readonly user_name: string | null;
  readonly revoked_before: NullableTimestamp;
  readonly expires_at: Timestamp;
}

export interface AdminLoginThrottleTable {
  readonly scope: LoginThrottleScope;
  readonly key: string;
  readonly failures: Integer;
  readonly window_started_at: Timestamp;
  readonly locked_until: NullableTimestamp;
  readonly last_success_at: NullableTimestamp;
  readonly expires_at: Timestamp;
}

/**
 * Every table the two backends share, as kysely sees them. The replay ledger
 * is not here: SQLite keeps the token ID, PostgreSQL its SHA-256, so each
 * backend declares its own `replays` table.
 */
export interface Database {
  readonly issuers: IssuersTable;
  readonly issuer_domains: IssuerDomainsTable;
  readonly keys: KeysTable;
  readonly realms: RealmsTable;
  readonly claim_mappings: ClaimMappingsTable;
  readonly audit_log: AuditLogTable;
  readonly metadata_snapshots: MetadataSnapshotsTable;
  readonly refresh_states: RefreshStatesTable;
  readonly pending_changes: PendingChangesTable;
  readonly issuer_claim_types: IssuerClaimTypesTable;
  readonly admin_accounts: AdminAccountsTable;
  readonly session_revocations: SessionRevocationsTable;
  readonly admin_login_throttle: AdminLoginThrottleTable;
}

/** A query builder over {@link Database} for one backend's SQL dialect (it builds and compiles, never runs). */
export type QueryBuilder = Kysely<Database>;
