import type { KeyState } from '../tokens/trust-snapshot.js';
import type { LoginAttempt, LoginAttemptDecision, LoginThrottlePolicy } from './login-throttle-rules.js';
import type {
  Actor,
  AdminAccountRecord,
  AuditEntry,
  ClaimMappingRecord,
  IssuerPatch,
  IssuerRecord,
  IssuerRemoval,
  KeyRecord,
  MetadataSnapshotRecord,
  NewAdminAccount,
  NewAuditEntry,
  ClaimMappingPatch,
  NewClaimMapping,
  NewIssuer,
  NewKey,
  NewRealm,
  RealmPatch,
  NewSessionRevocation,
  PendingChangeDecision,
  PendingChangeRecord,
  RealmRecord,
  RefreshStateRecord,
  SessionRevocationRecord,
  StoreChange,
  TokenClaimTypesRecord,
} from './model.js';

/** A change to an existing key made by a refresh. */
export interface KeyUpdate {
  readonly keyId: string;
  /** The key's new state; ignored for a key revoked by then (a refresh never moves a revoked key). */
  readonly state?: KeyState;
  readonly lastSeenInMetadataAt?: Date;
}

/**
 * Everything one metadata refresh changes, applied in one transaction: the
 * keys it adds and updates, the new last-known-good document (none for a 304
 * or a failure), the refresh state, and the audit entries telling the story.
 */
export interface RefreshApplication {
  readonly issuerId: string;
  readonly addKeys: readonly NewKey[];
  readonly updateKeys: readonly KeyUpdate[];
  readonly snapshot: MetadataSnapshotRecord | null;
  readonly refreshState: RefreshStateRecord;
  readonly audit: readonly NewAuditEntry[];
  /**
   * The issuer's pending change: undefined leaves it as it is, null clears
   * it, a record sets (or replaces) it.
   */
  readonly pendingChange?: PendingChangeRecord | null;
}

/** Filter for the audit log. */
export interface AuditQuery {
  readonly issuerId?: string;
  /** Entries at or after this instant. */
  readonly since?: Date;
  /** Entries with an id greater than this (for paging and tailing). */
  readonly afterId?: number;
  /** Most entries returned, oldest first. Default 1000. */
  readonly limit?: number;
}

/**
 * The store: claimsgate's persistent state, shaped by the domain. Every
 * mutation takes the actor and writes its audit entry in the same
 * transaction as the change, so the log and the state cannot disagree.
 * Every mutation also broadcasts a {@link StoreChange} to every instance
 * sharing the store (in-process for SQLite, LISTEN/NOTIFY for PostgreSQL).
 *
 * Rejected input (a duplicate name, an unknown ID, a stale version) throws a
 * `ClaimsgateError` with a `CG_STORE_*` code and changes nothing.
 */
export interface Store {
  /** `sqlite` or `postgres`: for logs and health pages only, never for branching. */
  readonly backend: 'sqlite' | 'postgres';

  listIssuers(): Promise<IssuerRecord[]>;
  /** By ID or by name. */
  getIssuer(idOrName: string): Promise<IssuerRecord | undefined>;
  /**
   * The issuer holding an e-mail domain, for home-realm discovery: one
   * indexed read, whatever the number of issuers. `domain` is matched
   * exactly against the stored form (lower case, ASCII, no trailing dot:
   * `toDomainName` gives it); a subdomain does not match its parent.
   */
  findIssuerByDomain(domain: string): Promise<IssuerRecord | undefined>;
  /**
   * Creates an issuer. With `firstRefresh`, the issuer's first keys, its
   * last-known-good document and refresh state come in the same transaction
   * (applied as {@link Store.applyRefresh} applies a refresh): an issuer
   * added from metadata exists with its keys or not at all.
   *
   * @param firstRefresh plans the first refresh of the issuer just created,
   *   from a document fetched beforehand. It runs inside the transaction, so
   *   it must be pure (no I/O); whatever it throws rolls everything back and
   *   is thrown as is.
   * @throws ClaimsgateError `CG_STORE_DUPLICATE` (also for a domain another issuer holds, naming it),
   *   `CG_STORE_INVALID` (also for an application of another issuer).
   */
  createIssuer(
    input: NewIssuer,
    actor: Actor,
    firstRefresh?: (issuer: IssuerRecord) => RefreshApplication,
  ): Promise<IssuerRecord>;
  /**
   * @throws ClaimsgateError `CG_STORE_CONFLICT` when `expectedVersion` is given and stale;
   *   `CG_STORE_DUPLICATE` for a name, URI, label or domain another issuer holds.
   */
  updateIssuer(id: string, patch: IssuerPatch, actor: Actor, expectedVersion?: number): Promise<IssuerRecord>;
  /**
   * Removes the issuer with its keys, mappings, snapshot, refresh state and
   * domains, which are free from then on (the audit log keeps its history). In the same transaction, every realm
   * that names it stops naming it (see `planIssuerRemoval`): a home realm
   * naming it is cleared, and it leaves the realm's allowed issuers; each
   * such realm gets its `realm.updated` entry.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_STORE_REFERENCED` when a
   *   realm allows this issuer alone (nothing is removed).
   */
  deleteIssuer(id: string, actor: Actor): Promise<IssuerRemoval>;

  listKeys(issuerId?: string): Promise<KeyRecord[]>;
  getKey(id: string): Promise<KeyRecord | undefined>;
  addKey(input: NewKey, actor: Actor): Promise<KeyRecord>;
  /** Changes a key's state (revoke, retire, activate) with an audit entry. */
  setKeyState(id: string, state: KeyState, actor: Actor, reason?: string): Promise<KeyRecord>;
  /**
   * Notes that a token signed by the key was accepted; an `announced` key
   * becomes `active` (audited). Cheap when nothing changes.
   */
  recordKeyUse(id: string, at: Date): Promise<void>;

  listRealms(): Promise<RealmRecord[]>;
  getRealm(idOrUri: string): Promise<RealmRecord | undefined>;
  createRealm(input: NewRealm, actor: Actor): Promise<RealmRecord>;
  updateRealm(id: string, patch: RealmPatch, actor: Actor): Promise<RealmRecord>;
  deleteRealm(id: string, actor: Actor): Promise<void>;

  listClaimMappings(issuerId?: string): Promise<ClaimMappingRecord[]>;
  createClaimMapping(input: NewClaimMapping, actor: Actor): Promise<ClaimMappingRecord>;
  updateClaimMapping(id: string, patch: ClaimMappingPatch, actor: Actor): Promise<ClaimMappingRecord>;
  deleteClaimMapping(id: string, actor: Actor): Promise<void>;

  /**
   * Local admin accounts (sign-in at `/admin/login`). User names are matched
   * without regard to case. Every mutation is audited (`admin.created`,
   * `admin.password-changed`, `admin.deleted`, `admin.login`) with the
   * account's name and dates — SECURITY: never its password hash. Admin
   * accounts are read at each sign-in and cached nowhere. A password change
   * or a deletion also revokes, in its transaction, every session of
   * `local:<username>` started until then (see {@link Store.revokeSessions}),
   * and broadcasts `{ kind: 'session' }`.
   */
  listAdminAccounts(): Promise<AdminAccountRecord[]>;
  /** The account of `username` (any case); undefined when there is none or the name cannot be one. */
  getAdminAccount(username: string): Promise<AdminAccountRecord | undefined>;
  /**
   * @throws ClaimsgateError `CG_STORE_DUPLICATE` when the name is taken (in any case);
   *   `CG_STORE_INVALID` for a bad name or something that is not a password hash.
   */
  createAdminAccount(input: NewAdminAccount, actor: Actor): Promise<AdminAccountRecord>;
  /** @throws ClaimsgateError `CG_STORE_NOT_FOUND` for an unknown name; `CG_STORE_INVALID` for a bad hash. */
  setAdminPassword(username: string, passwordHash: string, actor: Actor): Promise<AdminAccountRecord>;
  /** @throws ClaimsgateError `CG_STORE_NOT_FOUND` for an unknown name. */
  deleteAdminAccount(username: string, actor: Actor): Promise<void>;
  /**
   * Records a successful sign-in at `at` (audited as `admin.login` by `local:<username>`).
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND` when the account was deleted meanwhile.
   */
  recordAdminLogin(username: string, at: Date): Promise<AdminAccountRecord>;

  /**
   * Records a session revocation (sign-out, admin logout): one session by
   * its `sid`, or every session of a user started at or before an instant,
   * kept until `expiresAt`, and broadcasts `{ kind: 'session', issuerId: null }`
   * to every instance.
   * @throws ClaimsgateError `CG_STORE_INVALID` for a malformed revocation.
   */
  revokeSessions(revocation: NewSessionRevocation): Promise<void>;
  /** The revocations not yet expired at `now`, oldest first. */
  listSessionRevocations(now: Date): Promise<SessionRevocationRecord[]>;
  /** Drops revocations expired at `now`; returns how many. */
  purgeSessionRevocations(now: Date): Promise<number>;

  /**
   * The admin sign-in throttle, shared by every instance: decides an attempt
   * by the counters of its account, its address and their pair (see
   * `planAttempt`), and counts it, in one transaction.
   * @throws ClaimsgateError `CG_STORE_INVALID` for a malformed attempt or policy.
   */
  beginAdminLoginAttempt(
    attempt: LoginAttempt,
    now: Date,
    policy: LoginThrottlePolicy,
  ): Promise<LoginAttemptDecision>;
  /** Takes back an admitted attempt that succeeded, and remembers the address as known for the account. */
  recordAdminLoginSuccess(attempt: LoginAttempt, now: Date, policy: LoginThrottlePolicy): Promise<void>;
  /** Drops throttle counters with nothing left to remember at `now`; returns how many. */
  purgeAdminLoginThrottle(now: Date): Promise<number>;

  /** Appends an entry on its own (alerts, refresh outcomes without other change). */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;

  getMetadataSnapshot(issuerId: string): Promise<MetadataSnapshotRecord | undefined>;
  getRefreshState(issuerId: string): Promise<RefreshStateRecord | undefined>;
  /** Every issuer's refresh state (issuers never refreshed have none), in one read. */
  listRefreshStates(): Promise<RefreshStateRecord[]>;
  /** Applies one refresh atomically (see {@link RefreshApplication}). */
  applyRefresh(application: RefreshApplication): Promise<void>;

  /** The claim types of the last token accepted from the issuer, if one was recorded. */
  getTokenClaimTypes(issuerId: string): Promise<TokenClaimTypesRecord | undefined>;
  /**
   * Records the claim types (SECURITY: never values) of a token accepted from
   * the issuer. Writes only when the set differs from the one stored, so a
   * steady stream of sign-ins costs no write; not audited and not broadcast
   * (bookkeeping, like {@link Store.recordKeyUse}). Returns whether it wrote.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND` for an unknown issuer; `CG_STORE_INVALID`.
   */
  recordTokenClaimTypes(issuerId: string, claimTypes: readonly string[], at: Date): Promise<boolean>;

  /** The issuer's pending change (a document held for lack of key continuity), if any. */
  getPendingChange(issuerId: string): Promise<PendingChangeRecord | undefined>;
  /** Every issuer's pending change, whatever its decision. */
  listPendingChanges(): Promise<PendingChangeRecord[]>;
  /**
   * Records an administrator's decision on the issuer's pending change,
   * audited as `change.approved` / `change.rejected`, and broadcast. The same
   * decision again changes nothing.
   *
   * @throws ClaimsgateError `CG_STORE_NOT_FOUND` when the issuer has no pending change;
   *   `CG_STORE_CONFLICT` when its document is not the one `sha256` names (a newer
   *   document replaced the one the administrator reviewed); `CG_STORE_INVALID` for bad input.
   */
  decidePendingChange(
    issuerId: string,
    sha256: string,
    decision: Exclude<PendingChangeDecision, 'pending'>,
    actor: Actor,
  ): Promise<PendingChangeRecord>;

  /**
   * Records a token ID until it expires. `true` when it was new, `false` for
   * a replay; atomic across every instance sharing the store.
   */
  checkAndStoreReplay(id: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Drops expired replay IDs; returns how many. */
  purgeReplays(now: Date): Promise<number>;

  /**
   * Runs `task` while holding the refresh lock of one issuer, or returns
   * `undefined` at once when another instance holds it. PostgreSQL: a
   * session advisory lock; SQLite: a process-local lock (one process per file).
   */
  withRefreshLock<T>(issuerId: string, task: () => Promise<T>): Promise<T | undefined>;

  /** Subscribes to changes made by this and every other instance. Returns the unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void;

  /**
   * Whether every change, whoever made it, reaches the `onChange` listeners
   * now. SQLite: always (one process). PostgreSQL: false from the loss of
   * its LISTEN connection until it is back (then a resync change is sent):
   * meanwhile other instances' changes are not heard of, and a copy kept
   * current by the notices may be behind the store.
   */
  changesFollowed(): boolean;

  close(): Promise<void>;
}
