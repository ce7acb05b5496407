import { ClaimsgateError } from '../lib/errors.js';

/**
 * `CG_STORE_NOT_FOUND` for a record that does not exist, with the entity and
 * the ID or name looked for in the detail.
 */
export function notFoundError(entity: string, id: string, field = 'id'): ClaimsgateError {
  return new ClaimsgateError('CG_STORE_NOT_FOUND', `No ${entity} has ${field} ${JSON.stringify(id)}.`, {
    detail: { entity, field, observed: id },
  });
}

/** `CG_STORE_CONFLICT` for an update made against a stale version. */
export function conflictError(
  entity: string,
  id: string,
  expectedVersion: number,
  actualVersion: number,
): ClaimsgateError {
  return new ClaimsgateError(
    'CG_STORE_CONFLICT',
    `The ${entity} ${id} is at version ${actualVersion}, not ${expectedVersion}: someone else changed it since it was read.`,
    { detail: { entity, id, expected: expectedVersion, observed: actualVersion } },
  );
}

/**
 * True for a store failure that says the database cannot be reached now —
 * `CG_STORE_UNAVAILABLE` (connection refused or lost, the server refusing
 * work) — as opposed to one that says something about the statement, the
 * data or the load: `CG_STORE_TIMEOUT` (a statement cancelled at the
 * statement timeout, or every pooled connection busy for the connect
 * timeout) is not, so that load alone cannot switch an instance to deciding
 * replays by itself (security review 8). The gateway keeps signing users in
 * through an unreachable store (see `createStoreOutage`); any other failure
 * is answered as before.
 */
export function isStoreUnreachable(error: unknown): error is ClaimsgateError {
  return error instanceof ClaimsgateError && error.code === 'CG_STORE_UNAVAILABLE';
}
