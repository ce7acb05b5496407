import type pg from 'pg';

import { storeFailure, takeConnection, type PostgresTarget } from './postgres-connection.js';

// Two-int advisory keys: (hashtext('claimsgate.refresh:<schema>'), hashtext(issuerId)).
// The first int keeps claimsgate's locks apart from other applications' and
// from other schemas' in the same database; the second picks the issuer. A
// hash collision between two issuers only makes them refresh one at a time.
const TRY_LOCK_SQL = `SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS acquired`;
const UNLOCK_SQL = `SELECT pg_advisory_unlock(hashtext($1), hashtext($2)) AS released`;

/**
 * Runs `task` while this session holds the issuer's refresh lock, or returns
 * `undefined` at once when any session (this process or another) holds it.
 *
 * The lock is a session-level advisory lock on a connection taken for the
 * purpose from `lockPool` and held for the whole task; the task's own queries
 * go through the main pool, so holding locks never starves it. The lock is
 * always released: explicitly, or — when the unlock fails — by destroying
 * the connection, which ends the session and with it every lock it held.
 * Likewise, when an instance dies its sessions end and its locks are free.
 */
export async function withAdvisoryRefreshLock<T>(
  lockPool: pg.Pool,
  target: PostgresTarget,
  statementTimeoutMs: number,
  namespace: string,
  issuerId: string,
  task: () => Promise<T>,
): Promise<T | undefined> {
  const taken = await takeConnection(lockPool, target);
  let broken: unknown;
  try {
    let acquired: boolean;
    try {
      const result = await taken.client.query<{ acquired: boolean }>(TRY_LOCK_SQL, [namespace, issuerId]);
      acquired = result.rows[0]?.acquired === true;
    } catch (error) {
      broken = error;
      throw storeFailure(target, error, statementTimeoutMs);
    }
    if (!acquired) return undefined;
    try {
      return await task();
    } finally {
      try {
        await taken.client.query(UNLOCK_SQL, [namespace, issuerId]);
      } catch (error) {
        // The session is gone or unusable; destroying the connection ends it,
        // and with it the lock. The task's own outcome stands.
        broken = error;
      }
    }
  } finally {
    taken.release(broken);
  }
}
