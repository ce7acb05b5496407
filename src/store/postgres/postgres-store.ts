import { createHash, randomUUID } from 'node:crypto';

import type { Kysely } from 'kysely';
import type pg from 'pg';

import { isClaimsgateError } from '../../lib/errors.js';
import { createChangeListeners } from '../change-listeners.js';
import { prepareQuery } from '../prepared-query.js';
import type { Store } from '../store.js';
import { normalizeInstant, normalizeReplay } from '../validate-input.js';
import {
  createAdminAccount,
  deleteAdminAccount,
  getAdminAccount,
  listAdminAccounts,
  recordAdminLogin,
  setAdminPassword,
} from './postgres-admin-accounts.js';
import { appendAudit, listAudit } from './postgres-audit.js';
import { getTokenClaimTypes, recordTokenClaimTypes } from './postgres-claim-types.js';
import { openChangeFeed, type ChangeFeed, type ChangeOrigin } from './postgres-change-feed.js';
import {
  createClaimMapping,
  deleteClaimMapping,
  listClaimMappings,
  updateClaimMapping,
} from './postgres-claim-mappings.js';
import {
  createPool,
  resolvePostgresTarget,
  takeConnection,
  unavailable,
  type ConnectionSettings,
  type PostgresTarget,
} from './postgres-connection.js';
import {
  createIssuer,
  deleteIssuer,
  findIssuerByDomain,
  getIssuer,
  listIssuers,
  updateIssuer,
} from './postgres-issuers.js';
import { addKey, getKey, listKeys, recordKeyUse, setKeyState } from './postgres-keys.js';
import { createPostgresQueryBuilder, type PostgresDatabase } from './postgres-query-builder.js';
import { applyPostgresMigrations } from './postgres-migrations.js';
import { decidePendingChange, getPendingChange, listPendingChanges } from './postgres-pending-changes.js';
import { createRealm, deleteRealm, getRealm, listRealms, updateRealm } from './postgres-realms.js';
import { applyRefresh, getMetadataSnapshot, getRefreshState, listRefreshStates } from './postgres-refresh.js';
import { withAdvisoryRefreshLock } from './postgres-refresh-lock.js';
import {
  beginAdminLoginAttempt,
  purgeAdminLoginThrottle,
  recordAdminLoginSuccess,
} from './postgres-login-throttle.js';
import {
  listSessionRevocations,
  purgeSessionRevocations,
  revokeSessions,
} from './postgres-session-revocations.js';
import { assertOpen, execute, type PostgresContext } from './postgres-transaction.js';

/** The replay ledger's upsert: a new ID inserts, an expired one is taken over, a live one is left alone. */
const storeReplayQuery = prepareQuery(
  (sql: Kysely<PostgresDatabase>, p: { idSha256: Buffer; expiresAt: Date; now: Date }) =>
    sql
      .insertInto('replays')
      .values({ id_sha256: p.idSha256, expires_at: p.expiresAt })
      .onConflict((oc) =>
        oc
          .column('id_sha256')
          .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
          .where('replays.expires_at', '<=', p.now),
      ),
);

const purgeReplaysQuery = prepareQuery((sql: Kysely<PostgresDatabase>, p: { now: Date }) =>
  sql.deleteFrom('replays').where('expires_at', '<=', p.now),
);

/** Options of {@link openPostgresStore}; every one has a default. */
export interface PostgresStoreOptions {
  /** The clock for timestamps the store assigns (createdAt, audit `at`, …). Default: the system clock. */
  readonly now?: () => Date;
  /**
   * The schema for claimsgate's tables, created if missing; overrides the
   * URL's `?schema=`. Default: the server's search_path (normally `public`).
   */
  readonly schema?: string;
  /** Most connections for queries and transactions. Default 10. */
  readonly poolSize?: number;
  /** Most connections holding refresh locks at once (one per issuer being refreshed). Default 4. */
  readonly lockPoolSize?: number;
  /** How long to wait for a new connection. Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** First delay before the change listener reconnects; doubles up to `maxReconnectDelayMs`. Default 250 ms. */
  readonly reconnectDelayMs?: number;
  /** Default 30,000 ms. */
  readonly maxReconnectDelayMs?: number;
  /**
   * The `application_name` of every connection, to tell instances apart in
   * `pg_stat_activity`; a URL's own `application_name` wins. Default `claimsgate`.
   */
  readonly applicationName?: string;
  /**
   * How long the server lets one statement run before cancelling it
   * (`statement_timeout` of every session), in ms; 0 for no limit. Overrides
   * the URL's `?statement_timeout=`. Default 30,000 ms: a statement stuck
   * behind a lock fails with `CG_STORE_TIMEOUT` instead of holding a pooled
   * connection (and the request waiting on it) indefinitely.
   */
  readonly statementTimeoutMs?: number;
}

/** The statement timeout when neither the option nor the URL gives one. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

const APPLICATION_NAME = 'claimsgate';

/**
 * Opens the PostgreSQL store at `url` (`postgres://user@host:port/db`,
 * optionally `?schema=name`), bringing the schema up to date first under a
 * transaction-level advisory lock, so that instances starting together
 * migrate one at a time.
 *
 * The instance uses up to `poolSize` + `lockPoolSize` + 1 connections: the
 * query pool, the pool whose sessions hold refresh advisory locks, and one
 * connection that LISTENs for changes. After the listening connection is lost
 * and restored, subscribers receive `{ kind: 'refresh', issuerId: null }`:
 * changes may have been missed meanwhile, so they reload everything.
 *
 * @throws TypeError for a bad option, a URL that is not `postgres://` / `postgresql://`, or a bad `statement_timeout` in it.
 * @throws ClaimsgateError `CG_STORE_UNAVAILABLE` when the database cannot be reached (the detail
 *   names host, port, database and user, never the password); `CG_STORE_MIGRATION_FAILED` when the
 *   schema is newer than this code or a migration fails.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const now = options.now ?? (() => new Date());
  if (typeof now !== 'function') throw new TypeError('now must be a function returning a Date');
  const poolSize = positiveInteger('poolSize', options.poolSize, 10);
  const lockPoolSize = positiveInteger('lockPoolSize', options.lockPoolSize, 4);
  const reconnectDelayMs = positiveInteger('reconnectDelayMs', options.reconnectDelayMs, 250);
  const maxReconnectDelayMs = positiveInteger('maxReconnectDelayMs', options.maxReconnectDelayMs, 30_000);
  const target = resolvePostgresTarget(url, options.schema);
  const settings = resolveConnectionSettings(options, target);

  const pool = createPool(target, settings, poolSize);
  const lockPool = createPool(target, settings, lockPoolSize);
  const listeners = createChangeListeners();
  let feed: ChangeFeed;
  let origin: ChangeOrigin;
  try {
    const schema = await migrate(pool, target, now);
    origin = { schema, instance: randomUUID() };
    feed = await openChangeFeed({
      target,
      settings,
      self: origin,
      emit: (change) => listeners.emit(change),
      reconnectDelayMs,
      maxReconnectDelayMs,
    });
  } catch (error) {
    await Promise.allSettled([pool.end(), lockPool.end()]);
    throw error;
  }

  let closing: Promise<void> | undefined;
  const sql = createPostgresQueryBuilder();
  const context: PostgresContext = {
    pool,
    target,
    origin,
    emit: (change) => listeners.emit(change),
    now,
    isClosed: () => closing !== undefined,
    statementTimeoutMs: settings.statementTimeoutMs,
    sql,
    local: sql.withTables<Pick<PostgresDatabase, 'replays'>>(),
  };
  const lockNamespace = `claimsgate.refresh:${origin.schema}`;

  return {
    backend: 'postgres',
    listIssuers: () => listIssuers(context),
    getIssuer: (idOrName) => getIssuer(context, idOrName),
    findIssuerByDomain: (domain) => findIssuerByDomain(context, domain),
    createIssuer: (input, actor, firstRefresh) => createIssuer(context, input, actor, firstRefresh),
    updateIssuer: (id, patch, actor, expectedVersion) =>
      updateIssuer(context, id, patch, actor, expectedVersion),
    deleteIssuer: (id, actor) => deleteIssuer(context, id, actor),
    listKeys: (issuerId) => listKeys(context, issuerId),
    getKey: (id) => getKey(context, id),
    addKey: (input, actor) => addKey(context, input, actor),
    setKeyState: (id, state, actor, reason) => setKeyState(context, id, state, actor, reason),
    recordKeyUse: (id, at) => recordKeyUse(context, id, at),
    listRealms: () => listRealms(context),
    getRealm: (idOrUri) => getRealm(context, idOrUri),
    createRealm: (input, actor) => createRealm(context, input, actor),
    updateRealm: (id, patch, actor) => updateRealm(context, id, patch, actor),
    deleteRealm: (id, actor) => deleteRealm(context, id, actor),
    listClaimMappings: (issuerId) => listClaimMappings(context, issuerId),
    createClaimMapping: (input, actor) => createClaimMapping(context, input, actor),
    updateClaimMapping: (id, patch, actor) => updateClaimMapping(context, id, patch, actor),
    deleteClaimMapping: (id, actor) => deleteClaimMapping(context, id, actor),
    listAdminAccounts: () => listAdminAccounts(context),
    getAdminAccount: (username) => getAdminAccount(context, username),
    createAdminAccount: (input, actor) => createAdminAccount(context, input, actor),
    setAdminPassword: (username, passwordHash, actor) =>
      setAdminPassword(context, username, passwordHash, actor),
    deleteAdminAccount: (username, actor) => deleteAdminAccount(context, username, actor),
    recordAdminLogin: (username, at) => recordAdminLogin(context, username, at),
    revokeSessions: (revocation) => revokeSessions(context, revocation),
    listSessionRevocations: (at) => listSessionRevocations(context, at),
    purgeSessionRevocations: (at) => purgeSessionRevocations(context, at),
    beginAdminLoginAttempt: (attempt, at, policy) => beginAdminLoginAttempt(context, attempt, at, policy),
    recordAdminLoginSuccess: (attempt, at, policy) => recordAdminLoginSuccess(context, attempt, at, policy),
    purgeAdminLoginThrottle: (at) => purgeAdminLoginThrottle(context, at),
    appendAudit: (entry) => appendAudit(context, entry),
    listAudit: (filter) => listAudit(context, filter),
    getMetadataSnapshot: (issuerId) => getMetadataSnapshot(context, issuerId),
    getRefreshState: (issuerId) => getRefreshState(context, issuerId),
    listRefreshStates: () => listRefreshStates(context),
    applyRefresh: (application) => applyRefresh(context, application),
    getTokenClaimTypes: (issuerId) => getTokenClaimTypes(context, issuerId),
    recordTokenClaimTypes: (issuerId, claimTypes, at) =>
      recordTokenClaimTypes(context, issuerId, claimTypes, at),
    getPendingChange: (issuerId) => getPendingChange(context, issuerId),
    listPendingChanges: () => listPendingChanges(context),
    decidePendingChange: (issuerId, sha256, decision, actor) =>
      decidePendingChange(context, issuerId, sha256, decision, actor),

    async checkAndStoreReplay(id, expiresAt, at) {
      const replay = normalizeReplay(id, expiresAt, at);
      // One statement, atomic across instances: a new ID inserts; a known ID
      // is taken over only when its entry has expired. A concurrent insert of
      // the same ID waits for the first to commit, then finds it unexpired.
      const changes = await execute(
        context,
        storeReplayQuery.bind(context.local, {
          idSha256: createHash('sha256').update(replay.id, 'utf8').digest(),
          expiresAt: replay.expiresAt,
          now: replay.now,
        }),
      );
      return changes === 1;
    },

    async purgeReplays(at) {
      const until = normalizeInstant('now', at);
      return execute(context, purgeReplaysQuery.bind(context.local, { now: until }));
    },

    async withRefreshLock(issuerId, task) {
      assertOpen(context);
      if (typeof task !== 'function') throw new TypeError('task must be a function');
      return withAdvisoryRefreshLock(
        lockPool,
        target,
        settings.statementTimeoutMs,
        lockNamespace,
        issuerId,
        task,
      );
    },

    onChange(listener) {
      return listeners.add(listener);
    },

    changesFollowed: () => feed.live(),

    close() {
      closing ??= (async () => {
        listeners.clear();
        await feed.close();
        await Promise.allSettled([pool.end(), lockPool.end()]);
      })();
      return closing;
    },
  };
}

/** Migrates on one pooled connection and returns the schema the tables are in. */
async function migrate(pool: pg.Pool, target: PostgresTarget, now: () => Date): Promise<string> {
  const taken = await takeConnection(pool, target);
  let broken: unknown;
  try {
    await applyPostgresMigrations(taken.client, target.schema, now());
    if (target.schema !== null) return target.schema;
    const result = await taken.client.query<{ schema: string }>('SELECT current_schema() AS schema');
    return (result.rows[0] as { schema: string }).schema;
  } catch (error) {
    broken = error;
    if (isClaimsgateError(error)) throw error;
    throw unavailable(target, error);
  } finally {
    taken.release(broken);
  }
}

function applicationName(value: string | undefined): string {
  if (value === undefined) return APPLICATION_NAME;
  // PostgreSQL keeps at most 63 bytes of printable ASCII; anything else would be altered silently.
  if (typeof value !== 'string' || !/^[\x20-\x7e]{1,63}$/.test(value))
    throw new TypeError('applicationName must be 1 to 63 printable ASCII characters');
  return value;
}

/**
 * The settings every connection of the store uses: the options, with the
 * URL's `statement_timeout` when the option gives none, and the defaults.
 *
 * @throws TypeError for a bad option.
 */
export function resolveConnectionSettings(
  options: PostgresStoreOptions,
  target: PostgresTarget,
): ConnectionSettings {
  return {
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    applicationName: applicationName(options.applicationName),
    statementTimeoutMs: statementTimeout(options.statementTimeoutMs, target.statementTimeoutMs),
  };
}

/** The option, else the URL's value, else the default; 0 means no limit. */
function statementTimeout(option: number | undefined, fromUrl: number | undefined): number {
  if (option !== undefined && (!Number.isSafeInteger(option) || option < 0))
    throw new TypeError('statementTimeoutMs must be a whole number of milliseconds (0: none)');
  return option ?? fromUrl ?? DEFAULT_STATEMENT_TIMEOUT_MS;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
