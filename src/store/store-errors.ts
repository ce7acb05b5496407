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
