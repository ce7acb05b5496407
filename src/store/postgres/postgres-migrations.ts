import pg from 'pg';

import { ClaimsgateError } from '../../lib/errors.js';
import { isConnectionFailure } from './postgres-connection.js';

/** One numbered, forward-only schema change. */
export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The schema, one step per version, never edited once released. Versions and
 * their meaning follow the SQLite backend's; the SQL is PostgreSQL's own
 * (timestamptz, bytea, jsonb, identity columns, a trigger function).
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE issuers (
  id text PRIMARY KEY,
  name text NOT NULL CONSTRAINT issuers_name_unique UNIQUE,
  description text NOT NULL,
  issuer_uri text NOT NULL CONSTRAINT issuers_issuer_uri_unique UNIQUE,
  protocols jsonb NOT NULL,
  metadata_url text,
  login_url text,
  use_for_login boolean NOT NULL,
  label text NOT NULL,
  refresh_interval_seconds integer NOT NULL CHECK (refresh_interval_seconds > 0),
  signature_policy jsonb NOT NULL,
  allow_sha1 boolean NOT NULL,
  allowed_tenants jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL
);

CREATE TABLE keys (
  id text PRIMARY KEY,
  issuer_id text NOT NULL REFERENCES issuers (id) ON DELETE CASCADE,
  sha1 text,
  sha256 text,
  kid text,
  certificate_der bytea,
  jwk jsonb,
  subject text,
  not_before timestamptz,
  not_after timestamptz,
  source text NOT NULL CHECK (source IN ('metadata', 'manual')),
  added_by text NOT NULL,
  state text NOT NULL CHECK (state IN ('announced', 'active', 'retiring', 'retired', 'revoked', 'expired')),
  state_changed_at timestamptz NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_in_metadata_at timestamptz,
  last_used_at timestamptz
);
CREATE UNIQUE INDEX keys_issuer_sha1_unique ON keys (issuer_id, sha1) WHERE sha1 IS NOT NULL;
CREATE UNIQUE INDEX keys_issuer_sha256_unique ON keys (issuer_id, sha256) WHERE sha256 IS NOT NULL;
CREATE UNIQUE INDEX keys_issuer_kid_unique ON keys (issuer_id, kid) WHERE kid IS NOT NULL;
CREATE INDEX keys_sha1 ON keys (sha1);

CREATE TABLE realms (
  id text PRIMARY KEY,
  realm_uri text NOT NULL CONSTRAINT realms_realm_uri_unique UNIQUE,
  reply_url text NOT NULL,
  home_realm text,
  allowed_issuer_ids jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE claim_mappings (
  id text PRIMARY KEY,
  issuer_id text NOT NULL REFERENCES issuers (id) ON DELETE CASCADE,
  label text NOT NULL,
  name_claim text NOT NULL,
  group_claim text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX claim_mappings_issuer ON claim_mappings (issuer_id);

CREATE TABLE metadata_snapshots (
  issuer_id text PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  url text NOT NULL,
  fetched_at timestamptz NOT NULL,
  etag text,
  last_modified text,
  sha256 text NOT NULL,
  document bytea NOT NULL,
  signer_sha1 text
);

CREATE TABLE refresh_states (
  issuer_id text PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  last_attempt_at timestamptz,
  last_success_at timestamptz,
  last_outcome text CHECK (last_outcome IN ('success', 'not-modified', 'failure')),
  last_error_code text,
  last_error_message text,
  consecutive_failures integer NOT NULL,
  next_attempt_at timestamptz
);

-- The audit log has no foreign key: it keeps the history of deleted issuers.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  issuer_id text,
  subject text,
  before_json jsonb,
  after_json jsonb,
  refresh_json jsonb
);
CREATE INDEX audit_log_issuer ON audit_log (issuer_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- The log is append-only: history cannot be edited or erased through SQL either.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Replay IDs are kept as their SHA-256: bounded index entries whatever the token carried.
CREATE TABLE replays (
  id_sha256 bytea PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX replays_expires_at ON replays (expires_at);
`,
  },
  {
    version: 2,
    name: 'admin accounts',
    // User names stored lower-cased (unique whatever the case); scrypt hashes only.
    sql: `
CREATE TABLE admin_accounts (
  id text PRIMARY KEY,
  username text NOT NULL CONSTRAINT admin_accounts_username_unique UNIQUE
    CHECK (username = lower(username) AND length(username) BETWEEN 1 AND 64),
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_login_at timestamptz
);
`,
  },
  {
    version: 3,
    name: 'session revocations',
    // Sessions ended before their time: by sid, or a user's sessions started at or before an instant.
    sql: `
CREATE TABLE session_revocations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sid text,
  user_name text,
  revoked_before timestamptz,
  expires_at timestamptz NOT NULL,
  CHECK ((sid IS NOT NULL AND user_name IS NULL AND revoked_before IS NULL)
      OR (sid IS NULL AND user_name IS NOT NULL AND revoked_before IS NOT NULL))
);
CREATE INDEX session_revocations_expires_at ON session_revocations (expires_at);
`,
  },
  {
    version: 4,
    name: 'admin login throttle',
    // Failed admin sign-ins counted per account, per client address and per pair, shared by every instance.
    sql: `
CREATE TABLE admin_login_throttle (
  scope text NOT NULL CHECK (scope IN ('account', 'address', 'pair')),
  key text NOT NULL,
  failures integer NOT NULL CHECK (failures >= 0),
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz,
  last_success_at timestamptz,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX admin_login_throttle_expires_at ON admin_login_throttle (expires_at);
`,
  },
  {
    version: 5,
    name: 'key continuity',
    // Each issuer's discontinuity policy, and the document a refresh held for lack of key
    // continuity (docs/rollover.md), one per issuer, with an administrator's decision on it.
    sql: `
ALTER TABLE issuers ADD COLUMN discontinuity_policy text NOT NULL DEFAULT 'auto'
  CHECK (discontinuity_policy IN ('auto', 'hold', 'accept-with-alert'));

CREATE TABLE pending_changes (
  issuer_id text PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  detected_at timestamptz NOT NULL,
  url text NOT NULL,
  sha256 text NOT NULL,
  signer_sha1 text,
  reason text NOT NULL CHECK (reason IN ('unsigned-replacement', 'unknown-signer-replacement', 'downgrade')),
  keys_json jsonb NOT NULL,
  decision text NOT NULL CHECK (decision IN ('pending', 'approved', 'rejected')),
  decided_by text,
  decided_at timestamptz
);
`,
  },
  {
    version: 6,
    name: 'token claim types',
    // The claim types (never values) of the last token accepted from each issuer.
    sql: `
CREATE TABLE issuer_claim_types (
  issuer_id text PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  claim_types jsonb NOT NULL,
  since timestamptz NOT NULL
);
`,
  },
  {
    version: 7,
    name: 'require signed assertion',
    // Existing issuers keep accepting a signed Response around an unsigned assertion; new ones require it.
    sql: `
ALTER TABLE issuers ADD COLUMN require_signed_assertion boolean NOT NULL DEFAULT false;
`,
  },
  {
    version: 8,
    name: 'key probation',
    // When each key's continuity probation began; NULL for a key an administrator vouched for.
    // Existing keys keep the rule they were judged by: a key a refresh brought in serves its
    // probation from when it was first seen, any other key is established.
    sql: `
ALTER TABLE keys ADD COLUMN probation_from timestamptz;
UPDATE keys SET probation_from = first_seen_at WHERE added_by = 'refresh';
`,
  },
  {
    version: 9,
    name: 'issuer domains',
    // The e-mail domains each issuer signs users in for: the list on the issuer, and one row per
    // domain whose primary key gives a domain to one issuer at most and finds it with one indexed
    // read (home-realm discovery). Existing issuers hold none.
    sql: `
ALTER TABLE issuers ADD COLUMN domains jsonb NOT NULL DEFAULT '[]'::jsonb;

CREATE TABLE issuer_domains (
  domain text CONSTRAINT issuer_domains_pkey PRIMARY KEY,
  issuer_id text NOT NULL REFERENCES issuers (id) ON DELETE CASCADE
);
CREATE INDEX issuer_domains_issuer_id ON issuer_domains (issuer_id);
`,
  },
  {
    version: 10,
    name: 'keys by issuer',
    // The unique indexes on (issuer_id, sha1|sha256|kid) are partial (WHERE … IS NOT NULL): a read
    // of one issuer's keys could use none of them and scanned every key (10,000 issuers: each
    // refresh read all 25,000 keys several times).
    sql: `
CREATE INDEX keys_issuer ON keys (issuer_id);
`,
  },
];

/** The schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));

/**
 * The two-int advisory lock key that serialises migrations of one schema:
 * `(hashtext('claimsgate.migrate'), hashtext(schema))`. Exported for tests
 * that hold it to prove an opening store waits.
 */
export const MIGRATION_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('claimsgate.migrate'), hashtext($1))`;

/**
 * Brings the schema up to date in one transaction, holding the migration
 * advisory lock so that instances opening at once migrate one after the
 * other (the second finds nothing left to do).
 *
 * @returns the versions applied by this call (empty when already current).
 * @throws ClaimsgateError `CG_STORE_MIGRATION_FAILED` when the database was written by a newer
 *   claimsgate or a step fails (the transaction is rolled back: nothing changes).
 */
export async function applyPostgresMigrations(
  client: pg.ClientBase,
  schema: string | null,
  now: Date,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const latest = Math.max(0, ...migrations.map((m) => m.version));
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    // A migration must finish, and may wait for another instance's: the statement timeout does not apply here.
    await client.query('SET LOCAL statement_timeout = 0');
    const target = schema ?? (await currentSchema(client));
    await client.query(MIGRATION_LOCK_SQL, [target]);
    if (schema !== null) {
      // Created only when missing: a schema prepared by a DBA must not need CREATE on the database.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
      // The lock client may predate the pool's search_path; be explicit here.
      await client.query(`SET LOCAL search_path TO ${pg.escapeIdentifier(schema)}`);
    }
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`,
    );
    const result = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    const current = result.rows[0]?.version ?? 0;
    if (current > latest)
      throw new ClaimsgateError(
        'CG_STORE_MIGRATION_FAILED',
        `The database schema is at version ${current}, newer than this claimsgate knows (${latest}).`,
        { detail: { observed: current, expected: latest, schema: target } },
      );
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        now,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof ClaimsgateError || isConnectionFailure(error)) throw error;
    throw new ClaimsgateError(
      'CG_STORE_MIGRATION_FAILED',
      `Migrating the PostgreSQL schema failed: ${error instanceof Error ? error.message : String(error)}`,
      { detail: { schema, reason: error instanceof Error ? error.message : String(error) }, cause: error },
    );
  }
}

async function currentSchema(client: pg.ClientBase): Promise<string> {
  const result = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const name = result.rows[0]?.schema;
  if (name === null || name === undefined)
    throw new ClaimsgateError(
      'CG_STORE_MIGRATION_FAILED',
      'The connection has no current schema to migrate.',
      {
        hint: "Set the role's search_path, or pass a schema (?schema=name).",
      },
    );
  return name;
}
