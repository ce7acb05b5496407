import type { Database } from 'better-sqlite3';
import { ClaimsgateError } from '../../lib/errors.js';
import type { KeyState } from '../../tokens/trust-snapshot.js';
import { createChangeListeners } from '../change-listeners.js';
import { createLocalRefreshLocks } from '../local-refresh-locks.js';
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
  NewClaimMapping,
  NewIssuer,
  NewKey,
  NewRealm,
  NewSessionRevocation,
  PendingChangeDecision,
  PendingChangeRecord,
  RealmRecord,
  RefreshStateRecord,
  SessionRevocationRecord,
  StoreChange,
  TokenClaimTypesRecord,
} from '../model.js';
import type { AuditQuery, RefreshApplication, Store } from '../store.js';
import { checkFirstRefresh, firstRefreshOf } from '../first-refresh.js';
import { normalizeInstant, normalizeNewAuditEntry } from '../validate-input.js';
import {
  createAdminAccount,
  deleteAdminAccount,
  findAdminAccount,
  listAdminAccounts,
  recordAdminLogin,
  setAdminPassword,
} from './sqlite-admin-accounts.js';
import {
  createClaimMapping,
  deleteClaimMapping,
  listClaimMappings,
  requireClaimMapping,
  updateClaimMapping,
} from './sqlite-claim-mappings.js';
import {
  isSqliteBusy,
  openSqliteDatabase,
  sqliteInUseError,
  sqliteStoreFailure,
  withoutSync,
  type SqliteConnectionOptions,
} from './sqlite-connection.js';
import { findTokenClaimTypes, recordTokenClaimTypes } from './sqlite-claim-types.js';
import { createSqliteContext, type SqliteContext } from './sqlite-context.js';
import {
  createIssuer,
  deleteIssuer,
  findIssuer,
  findIssuerByDomain,
  listIssuers,
  updateIssuer,
} from './sqlite-issuers.js';
import { activateOnUse, addKey, findKey, listKeys, setKeyState, touchKeyUse } from './sqlite-keys.js';
import { migrateSqlite } from './sqlite-migrate.js';
import { SQLITE_MIGRATIONS, type SqliteMigration } from './sqlite-migrations.js';
import { decidePendingChange, findPendingChange, listPendingChanges } from './sqlite-pending-changes.js';
import {
  findRefreshState,
  findSnapshot,
  findSnapshotSigner,
  listAudit,
  listRefreshStates,
} from './sqlite-reads.js';
import { createRealm, deleteRealm, findRealm, listRealms, updateRealm } from './sqlite-realms.js';
import { applySqliteRefresh } from './sqlite-refresh.js';
import { changesTrust } from '../refresh-durability.js';
import { checkAndStoreReplay, purgeReplays } from './sqlite-replays.js';
import type { LoginAttempt, LoginAttemptDecision, LoginThrottlePolicy } from '../login-throttle-rules.js';
import {
  beginAdminLoginAttempt,
  purgeAdminLoginThrottle,
  recordAdminLoginSuccess,
} from './sqlite-login-throttle.js';
import { normalizeSessionRevocation } from '../session-revocations.js';
import {
  insertSessionRevocation,
  listSessionRevocations,
  purgeSessionRevocations,
} from './sqlite-session-revocations.js';

export interface SqliteStoreOptions extends SqliteConnectionOptions {
  /** The clock for timestamps the store assigns. Default: the system clock. */
  readonly now?: () => Date;
  /** The schema steps to apply; tests pass their own. Default {@link SQLITE_MIGRATIONS}. */
  readonly migrations?: readonly SqliteMigration[];
}

/** The change every session revocation broadcasts. */
/** Whether a commit is flushed to the disk by itself (see {@link withoutSync}). */
type Durability = 'synced' | 'bookkeeping';

const SESSION_CHANGE: StoreChange = Object.freeze({ kind: 'session', issuerId: null });

function closedError(): ClaimsgateError {
  return new ClaimsgateError('CG_STORE_UNAVAILABLE', 'The SQLite store has been closed.', {
    hint: 'Open the store again; a closed store cannot be used.',
  });
}

/** Runs synchronous work and hands back its result or its error as a promise. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}

/**
 * The embedded backend: one SQLite file, owned by one process.
 *
 * better-sqlite3 is synchronous, so a transaction runs to its end without
 * yielding and two mutations of this process never interleave; the methods
 * return promises only to share the {@link Store} interface with PostgreSQL.
 */
class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  readonly #db: Database;
  readonly #ctx: SqliteContext;
  readonly #listeners = createChangeListeners();
  readonly #refreshLocks = createLocalRefreshLocks();
  #closed = false;

  constructor(db: Database, now: () => Date) {
    this.#db = db;
    this.#ctx = createSqliteContext(db, now);
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }

  #read<T>(work: (ctx: SqliteContext) => T): Promise<T> {
    return settle(() => {
      this.#assertOpen();
      try {
        return work(this.#ctx);
      } catch (error) {
        throw sqliteStoreFailure(this.#db.name, error);
      }
    });
  }

  /**
   * Runs a mutation in one transaction (its audit entry included), then tells
   * listeners — only once it is committed, never for a rolled-back change.
   * `durability` is `'bookkeeping'` for a write that changes no trust and no
   * setting (see {@link withoutSync}); anything else is synced at its commit.
   * Given as a function, it is judged from the store as it is right before
   * the transaction, in the same synchronous step (nothing writes between).
   */
  #mutate<T>(
    work: (ctx: SqliteContext) => T,
    change: (result: T) => StoreChange | null,
    durability: Durability | ((ctx: SqliteContext) => Durability) = 'synced',
  ): Promise<T> {
    return settle(() => {
      this.#assertOpen();
      let result: T;
      try {
        const transaction = () => this.#db.transaction(() => work(this.#ctx)).immediate();
        const judged = typeof durability === 'function' ? durability(this.#ctx) : durability;
        result = judged === 'synced' ? transaction() : withoutSync(this.#db, transaction);
      } catch (error) {
        throw sqliteStoreFailure(this.#db.name, error);
      }
      const event = change(result);
      if (event !== null) this.#listeners.emit(event);
      return result;
    });
  }

  listIssuers(): Promise<IssuerRecord[]> {
    return this.#read((ctx) => listIssuers(ctx));
  }

  getIssuer(idOrName: string): Promise<IssuerRecord | undefined> {
    return this.#read((ctx) => findIssuer(ctx, idOrName));
  }

  findIssuerByDomain(domain: string): Promise<IssuerRecord | undefined> {
    return this.#read((ctx) => findIssuerByDomain(ctx, domain));
  }

  createIssuer(
    input: NewIssuer,
    actor: Actor,
    firstRefresh?: (issuer: IssuerRecord) => RefreshApplication,
  ): Promise<IssuerRecord> {
    checkFirstRefresh(firstRefresh);
    return this.#mutate(
      (ctx) => {
        const issuer = createIssuer(ctx, input, actor);
        if (firstRefresh !== undefined) applySqliteRefresh(ctx, firstRefreshOf(issuer, firstRefresh));
        return issuer;
      },
      (issuer) => ({ kind: 'issuer', issuerId: issuer.id }),
    );
  }

  async updateIssuer(
    id: string,
    patch: IssuerPatch,
    actor: Actor,
    expectedVersion?: number,
  ): Promise<IssuerRecord> {
    const outcome = await this.#mutate(
      (ctx) => updateIssuer(ctx, id, patch, actor, expectedVersion),
      ({ record, changed }) => (changed ? { kind: 'issuer', issuerId: record.id } : null),
    );
    return outcome.record;
  }

  async deleteIssuer(id: string, actor: Actor): Promise<IssuerRemoval> {
    const removal = await this.#mutate(
      (ctx) => deleteIssuer(ctx, id, actor),
      () => ({ kind: 'issuer', issuerId: id }),
    );
    // The realms it unlinked changed too (as the PostgreSQL store notifies): the directory reloads them.
    if (removal.realms.length > 0) this.#listeners.emit({ kind: 'realm', issuerId: null });
    return removal;
  }

  listKeys(issuerId?: string): Promise<KeyRecord[]> {
    return this.#read((ctx) => listKeys(ctx, issuerId));
  }

  getKey(id: string): Promise<KeyRecord | undefined> {
    return this.#read((ctx) => findKey(ctx, id));
  }

  addKey(input: NewKey, actor: Actor): Promise<KeyRecord> {
    return this.#mutate(
      (ctx) => addKey(ctx, input, actor),
      (key) => ({ kind: 'key', issuerId: key.issuerId }),
    );
  }

  async setKeyState(id: string, state: KeyState, actor: Actor, reason?: string): Promise<KeyRecord> {
    const outcome = await this.#mutate(
      (ctx) => setKeyState(ctx, id, state, actor, reason),
      ({ record, changed }) => (changed ? { kind: 'key', issuerId: record.issuerId } : null),
    );
    return outcome.record;
  }

  async recordKeyUse(id: string, at: Date): Promise<void> {
    const used = normalizeInstant('at', at);
    // The common case — a key already past `announced` — is one UPDATE, with no transaction around it.
    if (await this.#read((ctx) => withoutSync(ctx.db, () => touchKeyUse(ctx, id, used)))) return;
    await this.#mutate(
      (ctx) => activateOnUse(ctx, id, used),
      (activated) => activated,
    );
  }

  listRealms(): Promise<RealmRecord[]> {
    return this.#read((ctx) => listRealms(ctx));
  }

  getRealm(idOrUri: string): Promise<RealmRecord | undefined> {
    return this.#read((ctx) => findRealm(ctx, idOrUri));
  }

  createRealm(input: NewRealm, actor: Actor): Promise<RealmRecord> {
    return this.#mutate(
      (ctx) => createRealm(ctx, input, actor),
      () => ({ kind: 'realm', issuerId: null }),
    );
  }

  async updateRealm(id: string, patch: Partial<NewRealm>, actor: Actor): Promise<RealmRecord> {
    const outcome = await this.#mutate(
      (ctx) => updateRealm(ctx, id, patch, actor),
      ({ changed }) => (changed ? { kind: 'realm', issuerId: null } : null),
    );
    return outcome.record;
  }

  async deleteRealm(id: string, actor: Actor): Promise<void> {
    await this.#mutate(
      (ctx) => deleteRealm(ctx, id, actor),
      () => ({ kind: 'realm', issuerId: null }),
    );
  }

  listClaimMappings(issuerId?: string): Promise<ClaimMappingRecord[]> {
    return this.#read((ctx) => listClaimMappings(ctx, issuerId));
  }

  createClaimMapping(input: NewClaimMapping, actor: Actor): Promise<ClaimMappingRecord> {
    return this.#mutate(
      (ctx) => createClaimMapping(ctx, input, actor),
      (mapping) => ({ kind: 'mapping', issuerId: mapping.issuerId }),
    );
  }

  async updateClaimMapping(
    id: string,
    patch: Partial<NewClaimMapping>,
    actor: Actor,
  ): Promise<ClaimMappingRecord> {
    let previousIssuerId: string | undefined;
    const outcome = await this.#mutate(
      (ctx) => {
        previousIssuerId = requireClaimMapping(ctx, id).issuerId;
        return updateClaimMapping(ctx, id, patch, actor);
      },
      ({ record, changed }) => (changed ? { kind: 'mapping', issuerId: record.issuerId } : null),
    );
    // A mapping moved to another issuer changed the issuer it left too (as the PostgreSQL store notifies).
    if (outcome.changed && previousIssuerId !== undefined && previousIssuerId !== outcome.record.issuerId)
      this.#listeners.emit({ kind: 'mapping', issuerId: previousIssuerId });
    return outcome.record;
  }

  async deleteClaimMapping(id: string, actor: Actor): Promise<void> {
    await this.#mutate(
      (ctx) => deleteClaimMapping(ctx, id, actor),
      (issuerId) => ({ kind: 'mapping', issuerId }),
    );
  }

  listAdminAccounts(): Promise<AdminAccountRecord[]> {
    return this.#read((ctx) => listAdminAccounts(ctx));
  }

  getAdminAccount(username: string): Promise<AdminAccountRecord | undefined> {
    return this.#read((ctx) => findAdminAccount(ctx, username));
  }

  // Admin account changes are not broadcast (nothing caches accounts), except the sessions they revoke.
  createAdminAccount(input: NewAdminAccount, actor: Actor): Promise<AdminAccountRecord> {
    return this.#mutate(
      (ctx) => createAdminAccount(ctx, input, actor),
      () => null,
    );
  }

  setAdminPassword(username: string, passwordHash: string, actor: Actor): Promise<AdminAccountRecord> {
    return this.#mutate(
      (ctx) => setAdminPassword(ctx, username, passwordHash, actor),
      () => SESSION_CHANGE,
    );
  }

  deleteAdminAccount(username: string, actor: Actor): Promise<void> {
    return this.#mutate(
      (ctx) => deleteAdminAccount(ctx, username, actor),
      () => SESSION_CHANGE,
    );
  }

  recordAdminLogin(username: string, at: Date): Promise<AdminAccountRecord> {
    return this.#mutate(
      (ctx) => recordAdminLogin(ctx, username, at),
      () => null,
    );
  }

  async revokeSessions(revocation: NewSessionRevocation): Promise<void> {
    const checked = normalizeSessionRevocation(revocation);
    await this.#mutate(
      (ctx) => insertSessionRevocation(ctx, checked),
      () => SESSION_CHANGE,
    );
  }

  listSessionRevocations(now: Date): Promise<SessionRevocationRecord[]> {
    return this.#read((ctx) => listSessionRevocations(ctx, now));
  }

  purgeSessionRevocations(now: Date): Promise<number> {
    return this.#read((ctx) => purgeSessionRevocations(ctx, now));
  }

  beginAdminLoginAttempt(
    attempt: LoginAttempt,
    now: Date,
    policy: LoginThrottlePolicy,
  ): Promise<LoginAttemptDecision> {
    return this.#mutate(
      (ctx) => beginAdminLoginAttempt(ctx, attempt, now, policy),
      () => null,
    );
  }

  async recordAdminLoginSuccess(
    attempt: LoginAttempt,
    now: Date,
    policy: LoginThrottlePolicy,
  ): Promise<void> {
    await this.#mutate(
      (ctx) => recordAdminLoginSuccess(ctx, attempt, now, policy),
      () => null,
    );
  }

  purgeAdminLoginThrottle(now: Date): Promise<number> {
    return this.#read((ctx) => purgeAdminLoginThrottle(ctx, now));
  }

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.#read((ctx) => ctx.audit(normalizeNewAuditEntry(entry, ctx.now())));
  }

  listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.#read((ctx) => listAudit(ctx, query));
  }

  getMetadataSnapshot(issuerId: string): Promise<MetadataSnapshotRecord | undefined> {
    return this.#read((ctx) => findSnapshot(ctx, issuerId));
  }

  getRefreshState(issuerId: string): Promise<RefreshStateRecord | undefined> {
    return this.#read((ctx) => findRefreshState(ctx, issuerId));
  }

  listRefreshStates(): Promise<RefreshStateRecord[]> {
    return this.#read((ctx) => listRefreshStates(ctx));
  }

  /** Broadcasts `key` when a key was added or changed state, else `refresh`. */
  async applyRefresh(application: RefreshApplication): Promise<void> {
    await this.#mutate(
      (ctx) => applySqliteRefresh(ctx, application),
      (keysChanged) => ({ kind: keysChanged ? 'key' : 'refresh', issuerId: application.issuerId }),
      (ctx) =>
        changesTrust(application, findSnapshotSigner(ctx, application.issuerId)) ? 'synced' : 'bookkeeping',
    );
  }

  getTokenClaimTypes(issuerId: string): Promise<TokenClaimTypesRecord | undefined> {
    return this.#read((ctx) => findTokenClaimTypes(ctx, issuerId));
  }

  // Not broadcast and not audited: bookkeeping that nothing caches (see Store).
  recordTokenClaimTypes(issuerId: string, claimTypes: readonly string[], at: Date): Promise<boolean> {
    return this.#read((ctx) =>
      withoutSync(ctx.db, () => recordTokenClaimTypes(ctx, issuerId, claimTypes, at)),
    );
  }

  getPendingChange(issuerId: string): Promise<PendingChangeRecord | undefined> {
    return this.#read((ctx) => findPendingChange(ctx, issuerId));
  }

  listPendingChanges(): Promise<PendingChangeRecord[]> {
    return this.#read((ctx) => listPendingChanges(ctx));
  }

  async decidePendingChange(
    issuerId: string,
    sha256: string,
    decision: Exclude<PendingChangeDecision, 'pending'>,
    actor: Actor,
  ): Promise<PendingChangeRecord> {
    const outcome = await this.#mutate(
      (ctx) => decidePendingChange(ctx, issuerId, sha256, decision, actor),
      ({ changed }) => (changed ? { kind: 'pending-change', issuerId } : null),
    );
    return outcome.record;
  }

  checkAndStoreReplay(id: string, expiresAt: Date, now: Date): Promise<boolean> {
    // One per sign-in: a flush of its own would make the disk's fsync the sign-in's pace. A power
    // cut may lose the last IDs, never a process crash (docs/store.md, "What a power cut may lose").
    return this.#read((ctx) => withoutSync(ctx.db, () => checkAndStoreReplay(ctx, id, expiresAt, now)));
  }

  purgeReplays(now: Date): Promise<number> {
    return this.#read((ctx) => purgeReplays(ctx, now));
  }

  withRefreshLock<T>(issuerId: string, task: () => Promise<T>): Promise<T | undefined> {
    if (this.#closed) return Promise.reject(closedError());
    // A process-local lock is enough: no other process can open the file (see sqlite-connection.ts).
    return this.#refreshLocks.run(issuerId, task);
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    return this.#listeners.add(listener);
  }

  /** Every change is made in this process: always heard of. */
  changesFollowed(): boolean {
    return true;
  }

  close(): Promise<void> {
    return settle(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#listeners.clear();
      this.#db.close();
    });
  }
}

/**
 * Opens the SQLite store in one file (created with its directory when
 * missing), takes it for this process, and brings its schema up to date.
 *
 * @throws ClaimsgateError `CG_STORE_IN_USE` when another process has the file
 *   open; `CG_STORE_MIGRATION_FAILED` when the schema cannot be brought up to
 *   date or is newer than this release; `CG_STORE_UNAVAILABLE` when the file
 *   cannot be opened.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  return settle(() => {
    const now = options.now ?? (() => new Date());
    if (typeof now !== 'function') throw new TypeError('now must be a function returning a Date');
    const db = openSqliteDatabase(path, options);
    try {
      migrateSqlite(db, options.migrations ?? SQLITE_MIGRATIONS, now());
    } catch (error) {
      db.close();
      if (isSqliteBusy(error)) throw sqliteInUseError(db.name, error);
      throw error;
    }
    return new SqliteStore(db, now);
  });
}
