import { ClaimsgateError } from '../lib/errors.js';
import { DEFAULT_SQLITE_PATH } from './sqlite/sqlite-connection.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** The clock for timestamps the store assigns. Default: the system clock. */
  readonly now?: () => Date;
}

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;
const SQLITE_PREFIX = /^sqlite:(?:\/\/)?/i;
const ANY_URL = /^[a-z][a-z0-9+.-]+:\/\//i;

/**
 * Opens the store named by a database location, as given by
 * `CLAIMSGATE_DATABASE_URL` or `--db`:
 *
 * - nothing → the SQLite file `./data/claimsgate.db`;
 * - `postgres://…` or `postgresql://…` → PostgreSQL (several instances);
 * - `sqlite:<path>` (also `sqlite://<path>`, so `sqlite:///var/lib/cg.db` is
 *   absolute) or a plain file path → SQLite (one process).
 *
 * @throws ClaimsgateError `CG_STORE_UNAVAILABLE` for a location in any other
 *   scheme (`mysql://…`) or an empty one; otherwise whatever the backend's
 *   opener throws (`CG_STORE_IN_USE`, `CG_STORE_MIGRATION_FAILED`,
 *   `CG_STORE_UNAVAILABLE`).
 */
export async function openStore(
  location: string | undefined,
  options: OpenStoreOptions = {},
): Promise<Store> {
  if (location !== undefined && typeof location !== 'string')
    throw new TypeError('location must be a string or undefined');
  if (options.now !== undefined && typeof options.now !== 'function')
    throw new TypeError('now must be a function returning a Date');
  const backendOptions = options.now === undefined ? {} : { now: options.now };
  const trimmed = location?.trim();
  if (trimmed === undefined) return openSqliteStore(DEFAULT_SQLITE_PATH, backendOptions);
  if (POSTGRES_URL.test(trimmed)) {
    // Loaded on demand: an embedded deployment never loads the PostgreSQL driver.
    const { openPostgresStore } = await import('./postgres/postgres-store.js');
    return openPostgresStore(trimmed, backendOptions);
  }
  const path = SQLITE_PREFIX.test(trimmed) ? trimmed.replace(SQLITE_PREFIX, '') : trimmed;
  if (path === '' || (!SQLITE_PREFIX.test(trimmed) && ANY_URL.test(trimmed))) {
    const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(trimmed)?.[1];
    throw new ClaimsgateError(
      'CG_STORE_UNAVAILABLE',
      path === ''
        ? 'The database location is empty.'
        : `The database location uses the scheme ${JSON.stringify(scheme)}, which claimsgate does not support.`,
      {
        hint: 'Give a file path or sqlite:<path> for SQLite (one process), or postgres://user:password@host/db for PostgreSQL (several instances).',
        // SECURITY: only the scheme is reported; the location may carry a password.
        detail: { observed: scheme ?? '', expected: ['<file path>', 'sqlite:<path>', 'postgres://…'] },
      },
    );
  }
  return openSqliteStore(path, backendOptions);
}
