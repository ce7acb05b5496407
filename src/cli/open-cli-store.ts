import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import type { CliIo } from './output.js';

/**
 * The database a command works on: `--db`, else `CLAIMSGATE_DATABASE_URL`,
 * else the embedded default (`./data/claimsgate.db`). An empty value counts
 * as not given.
 */
export function databaseLocation(io: CliIo, dbOption: string | undefined): string | undefined {
  const given = dbOption ?? io.env.CLAIMSGATE_DATABASE_URL;
  return given === undefined || given.trim() === '' ? undefined : given;
}

/**
 * Opens the store named by `--db` / `CLAIMSGATE_DATABASE_URL`, runs `body`
 * with it, and closes it whatever happens (an open SQLite file is held
 * exclusively by this process until closed).
 *
 * @throws ClaimsgateError `CG_STORE_UNAVAILABLE`, `CG_STORE_IN_USE`,
 *   `CG_STORE_MIGRATION_FAILED` when the store cannot be opened; whatever `body` throws.
 */
export async function withStore<T>(
  io: CliIo,
  dbOption: string | undefined,
  body: (store: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(databaseLocation(io, dbOption), { now: io.now });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}
