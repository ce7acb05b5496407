import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { ClaimsgateError } from '../../lib/errors.js';

/** Where the embedded database lives unless told otherwise. */
export const DEFAULT_SQLITE_PATH = './data/claimsgate.db';

export interface SqliteConnectionOptions {
  /** How long a statement waits for a lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * How long opening waits for another process to let go of the file (a
   * restart overlapping its predecessor's exit) before `CG_STORE_IN_USE`. Default 1000.
   */
  readonly lockTimeoutMs?: number;
}

function checkTimeout(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TypeError(`${name} must be a non-negative whole number of milliseconds`);
  return value;
}

function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The error for a database file another process holds. */
export function sqliteInUseError(path: string, cause: unknown): ClaimsgateError {
  return new ClaimsgateError(
    'CG_STORE_IN_USE',
    `The SQLite database ${path} is in use by another claimsgate process. SQLite serves one process at a time; stop the other process, or use PostgreSQL (postgres://…) to run several instances.`,
    { detail: { path }, cause },
  );
}

function unavailable(path: string, cause: unknown): ClaimsgateError {
  return new ClaimsgateError(
    'CG_STORE_UNAVAILABLE',
    `The SQLite database ${path} cannot be opened: ${cause instanceof Error ? cause.message : String(cause)}.`,
    {
      hint: 'Check that the path is a claimsgate database file (or does not exist yet) and that its directory is writable.',
      detail: { path, code: sqliteCode(cause) },
      cause,
    },
  );
}

/**
 * Creates `file` empty with mode 0600 (owner read and write only) unless it
 * exists; an existing file keeps its mode.
 *
 * SECURITY: the database holds admin password hashes and session
 * revocations. SQLite creates a missing file 0644 (less the umask), readable
 * by every local user; created here first, it is the owner's alone, and
 * SQLite gives its `-wal` and `-shm` side files the mode of the database
 * file.
 */
function createPrivateFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  closeSync(fd);
}

/**
 * Opens (creating it and its directory if needed) the database file and takes
 * it for this process alone: a new file (and directory) private to the owner
 * (0600 / 0700, see {@link createPrivateFile}), WAL journal, foreign keys on, a busy timeout,
 * full fsync at commit, and `locking_mode = EXCLUSIVE`.
 *
 * The exclusive locking mode is what keeps a second process out: SQLite then
 * holds its file lock from the first access until the connection closes. It
 * is the operating system's lock, so it is released when the process dies
 * (no stale lock to clean up after a crash, no PID that may be reused), and
 * taking it is atomic (no race between two processes starting together).
 *
 * @throws ClaimsgateError `CG_STORE_IN_USE` when another process holds the
 *   file; `CG_STORE_UNAVAILABLE` when it cannot be opened (not a database,
 *   directory not writable).
 */
export function openSqliteDatabase(path: string, options: SqliteConnectionOptions = {}): Database {
  const busyTimeoutMs = checkTimeout('busyTimeoutMs', options.busyTimeoutMs ?? 5000);
  const lockTimeoutMs = checkTimeout('lockTimeoutMs', options.lockTimeoutMs ?? 1000);
  const file = resolve(path);
  let db: Database;
  try {
    // A directory made here is the owner's alone (0700), like the file.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createPrivateFile(file);
    db = new BetterSqlite3(file, { timeout: lockTimeoutMs });
  } catch (error) {
    throw unavailable(file, error);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first statement that reads the file takes the lock: a second process fails here.
    const journalMode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (journalMode.toLowerCase() !== 'wal') throw new Error(`journal_mode is ${journalMode}, expected wal`);
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return db;
  } catch (error) {
    db.close();
    const code = sqliteCode(error);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw sqliteInUseError(file, error);
    throw unavailable(file, error);
  }
}

/**
 * Runs `work` (one autocommit statement or one transaction) with
 * `synchronous = NORMAL`: its commit is not flushed to the disk by itself,
 * but by the next synced commit or checkpoint (an fsync of the WAL covers every
 * frame before it). A process crash loses nothing; a power cut may lose the
 * last such commits, never a synced one, and the file stays consistent (the
 * WAL's frames carry checksums). Only for writes whose loss costs at most a
 * repeated fetch, an older record, or one more acceptance of a token or
 * sign-in state still within its lifetime: refresh times and ETags of a
 * refresh that changed no key, the last use of a key, the claim types seen,
 * the replay ledger's IDs (docs/store.md, "What a power cut may lose").
 */
export function withoutSync<T>(db: Database, work: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return work();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

/**
 * Any error SQLite raised while the store worked, as the store's coded error,
 * so that no driver message (it names tables, columns, values) leaves the
 * store: a ClaimsgateError unchanged; a SqliteError `CG_STORE_QUERY_FAILED`
 * with its SQLite code (`CG_STORE_IN_USE` for a lock held elsewhere).
 * Anything else (a bug of ours) is returned unchanged.
 */
export function sqliteStoreFailure(path: string, error: unknown): unknown {
  if (error instanceof ClaimsgateError || !(error instanceof BetterSqlite3.SqliteError)) return error;
  if (isSqliteBusy(error)) return sqliteInUseError(path, error);
  return new ClaimsgateError(
    'CG_STORE_QUERY_FAILED',
    `A statement on the SQLite database ${path} failed: ${error.message} (${error.code}).`,
    { detail: { path, code: error.code, reason: error.message }, cause: error },
  );
}

/** True when `error` is SQLite telling that another connection holds the lock. */
export function isSqliteBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}
