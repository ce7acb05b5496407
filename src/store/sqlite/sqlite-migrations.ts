/** One step of the SQLite schema, applied once, in order, inside the migration transaction. */
export interface SqliteMigration {
  /** 1, 2, 3 … with no gaps; recorded in `schema_migrations`. */
  readonly version: number;
  readonly name: string;
  /** SQL run with `exec`: DDL and data changes only, never PRAGMA or transaction statements. */
  readonly up: string;
}

/*
 * Conventions: timestamps are ISO-8601 UTC text with milliseconds (they sort
 * as text); JSON columns hold JSON text; booleans are 0/1; certificates and
 * documents are BLOBs. Column names match src/store/records.ts.
 */
const INITIAL_SCHEMA = `
CREATE TABLE issuers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  issuer_uri TEXT NOT NULL,
  protocols TEXT NOT NULL,
  metadata_url TEXT,
  login_url TEXT,
  use_for_login INTEGER NOT NULL CHECK (use_for_login IN (0, 1)),
  label TEXT NOT NULL,
  refresh_interval_seconds INTEGER NOT NULL CHECK (refresh_interval_seconds > 0),
  signature_policy TEXT NOT NULL,
  allow_sha1 INTEGER NOT NULL CHECK (allow_sha1 IN (0, 1)),
  allowed_tenants TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE UNIQUE INDEX issuers_name_unique ON issuers (name);
CREATE UNIQUE INDEX issuers_issuer_uri_unique ON issuers (issuer_uri);

CREATE TABLE keys (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL REFERENCES issuers (id) ON DELETE CASCADE,
  sha1 TEXT,
  sha256 TEXT,
  kid TEXT,
  certificate_der BLOB,
  jwk TEXT,
  subject TEXT,
  not_before TEXT,
  not_after TEXT,
  source TEXT NOT NULL CHECK (source IN ('metadata', 'manual')),
  added_by TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('announced', 'active', 'retiring', 'retired', 'revoked', 'expired')),
  state_changed_at TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  last_seen_in_metadata_at TEXT,
  last_used_at TEXT
);
CREATE UNIQUE INDEX keys_issuer_sha1_unique ON keys (issuer_id, sha1) WHERE sha1 IS NOT NULL;
CREATE UNIQUE INDEX keys_issuer_sha256_unique ON keys (issuer_id, sha256) WHERE sha256 IS NOT NULL;
CREATE UNIQUE INDEX keys_issuer_kid_unique ON keys (issuer_id, kid) WHERE kid IS NOT NULL;
CREATE INDEX keys_sha1 ON keys (sha1);

CREATE TABLE realms (
  id TEXT PRIMARY KEY,
  realm_uri TEXT NOT NULL,
  reply_url TEXT NOT NULL,
  home_realm TEXT,
  allowed_issuer_ids TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX realms_realm_uri_unique ON realms (realm_uri);

CREATE TABLE claim_mappings (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL REFERENCES issuers (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  name_claim TEXT NOT NULL,
  group_claim TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX claim_mappings_issuer ON claim_mappings (issuer_id);

-- No foreign key on issuer_id: the log outlives the issuers it tells about.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  issuer_id TEXT,
  subject TEXT,
  before_json TEXT,
  after_json TEXT,
  refresh_json TEXT
);
CREATE INDEX audit_log_issuer ON audit_log (issuer_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- The log is append-only: history cannot be edited or erased through SQL either.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE metadata_snapshots (
  issuer_id TEXT PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  sha256 TEXT NOT NULL,
  document BLOB NOT NULL,
  signer_sha1 TEXT
);

CREATE TABLE refresh_states (
  issuer_id TEXT PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  last_attempt_at TEXT,
  last_success_at TEXT,
  last_outcome TEXT CHECK (last_outcome IN ('success', 'not-modified', 'failure')),
  last_error_code TEXT,
  last_error_message TEXT,
  consecutive_failures INTEGER NOT NULL,
  next_attempt_at TEXT
);

CREATE TABLE replays (
  id TEXT PRIMARY KEY,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX replays_expires_at ON replays (expires_at);
`;

/** Local admin accounts: user names stored lower-cased (unique whatever the case), scrypt hashes only. */
const ADMIN_ACCOUNTS = `
CREATE TABLE admin_accounts (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL CHECK (username = lower(username) AND length(username) BETWEEN 1 AND 64),
  password_hash TEXT NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_login_at TEXT
);
CREATE UNIQUE INDEX admin_accounts_username_unique ON admin_accounts (username);
`;

/**
 * Sessions ended before their time: by sid (sign-out, admin logout), or every
 * session of a user started at or before an instant (a password changed, an
 * account deleted). Rows are purged once expired.
 */
const SESSION_REVOCATIONS = `
CREATE TABLE session_revocations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sid TEXT,
  user_name TEXT,
  revoked_before TEXT,
  expires_at TEXT NOT NULL,
  CHECK ((sid IS NOT NULL AND user_name IS NULL AND revoked_before IS NULL)
      OR (sid IS NULL AND user_name IS NOT NULL AND revoked_before IS NOT NULL))
);
CREATE INDEX session_revocations_expires_at ON session_revocations (expires_at);
`;

/** Failed admin sign-ins counted per account, per client address and per (account, address) pair. */
const ADMIN_LOGIN_THROTTLE = `
CREATE TABLE admin_login_throttle (
  scope TEXT NOT NULL CHECK (scope IN ('account', 'address', 'pair')),
  key TEXT NOT NULL,
  failures INTEGER NOT NULL CHECK (failures >= 0),
  window_started_at TEXT NOT NULL,
  locked_until TEXT,
  last_success_at TEXT,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX admin_login_throttle_expires_at ON admin_login_throttle (expires_at);
`;

/**
 * Key continuity (docs/rollover.md): each issuer's discontinuity policy, and
 * the document a refresh held for lack of continuity, one per issuer, with
 * an administrator's decision on it.
 */
const KEY_CONTINUITY = `
ALTER TABLE issuers ADD COLUMN discontinuity_policy TEXT NOT NULL DEFAULT 'auto'
  CHECK (discontinuity_policy IN ('auto', 'hold', 'accept-with-alert'));

CREATE TABLE pending_changes (
  issuer_id TEXT PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  detected_at TEXT NOT NULL,
  url TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  signer_sha1 TEXT,
  reason TEXT NOT NULL CHECK (reason IN ('unsigned-replacement', 'unknown-signer-replacement', 'downgrade')),
  keys_json TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('pending', 'approved', 'rejected')),
  decided_by TEXT,
  decided_at TEXT
);
`;

/** The claim types (never values) of the last token accepted from each issuer. */
const TOKEN_CLAIM_TYPES = `
CREATE TABLE issuer_claim_types (
  issuer_id TEXT PRIMARY KEY REFERENCES issuers (id) ON DELETE CASCADE,
  claim_types TEXT NOT NULL,
  since TEXT NOT NULL
);
`;

/**
 * Whether an issuer's SAML 2.0 assertions must carry their own signature.
 * Existing issuers keep accepting a signed Response around an unsigned
 * assertion, as before; new issuers require it (the default).
 */
const REQUIRE_SIGNED_ASSERTION = `
ALTER TABLE issuers ADD COLUMN require_signed_assertion INTEGER NOT NULL DEFAULT 0
  CHECK (require_signed_assertion IN (0, 1));
`;

/**
 * When each key's continuity probation began (docs/rollover.md, "Key
 * continuity"): NULL for a key an administrator vouched for. Existing keys
 * keep the rule they were judged by: a key a refresh brought in serves its
 * probation from when it was first seen, any other key is established.
 */
const KEY_PROBATION = `
ALTER TABLE keys ADD COLUMN probation_from TEXT;
UPDATE keys SET probation_from = first_seen_at WHERE added_by = 'refresh';
`;

/**
 * The e-mail domains each issuer signs users in for (docs/sign-in.md,
 * "Home-realm discovery"): the list on the issuer, and one row per domain in
 * `issuer_domains`, whose primary key gives a domain to one issuer at most
 * and finds it with one indexed read. Existing issuers hold none.
 */
const ISSUER_DOMAINS = `
ALTER TABLE issuers ADD COLUMN domains TEXT NOT NULL DEFAULT '[]';

CREATE TABLE issuer_domains (
  domain TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL REFERENCES issuers (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX issuer_domains_issuer_id ON issuer_domains (issuer_id);
`;

/**
 * An index on the keys' issuer alone. The unique indexes on (issuer_id, sha1),
 * (issuer_id, sha256) and (issuer_id, kid) are partial (WHERE … IS NOT NULL),
 * so a read of one issuer's keys could use none of them and scanned every key:
 * with 10,000 issuers each refresh read all 25,000 keys several times.
 */
const KEYS_BY_ISSUER = `
CREATE INDEX keys_issuer ON keys (issuer_id);
`;

/** Every SQLite migration, oldest first. Append only: a released migration is never edited. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  { version: 1, name: 'initial schema', up: INITIAL_SCHEMA },
  { version: 2, name: 'admin accounts', up: ADMIN_ACCOUNTS },
  { version: 3, name: 'session revocations', up: SESSION_REVOCATIONS },
  { version: 4, name: 'admin login throttle', up: ADMIN_LOGIN_THROTTLE },
  { version: 5, name: 'key continuity', up: KEY_CONTINUITY },
  { version: 6, name: 'token claim types', up: TOKEN_CLAIM_TYPES },
  { version: 7, name: 'require signed assertion', up: REQUIRE_SIGNED_ASSERTION },
  { version: 8, name: 'key probation', up: KEY_PROBATION },
  { version: 9, name: 'issuer domains', up: ISSUER_DOMAINS },
  { version: 10, name: 'keys by issuer', up: KEYS_BY_ISSUER },
];
