import type { SessionRevocationRecord } from '../model.js';
import {
  insertSessionRevocationQuery,
  listSessionRevocationsQuery,
  purgeSessionRevocationsQuery,
  revocationColumns,
} from '../queries/admin-account-queries.js';
import { sessionRevocationFromRow } from '../session-revocations.js';
import { normalizeInstant } from '../validate-input.js';
import type { SqliteContext } from './sqlite-context.js';

/** Writes one revocation, checked by `normalizeSessionRevocation` (or made by `adminAccountRevocation`). */
export function insertSessionRevocation(ctx: SqliteContext, revocation: SessionRevocationRecord): void {
  ctx.run(insertSessionRevocationQuery.bind(ctx.sql, revocationColumns(revocation)));
}

/** The revocations still in force at `now`, oldest first. */
export function listSessionRevocations(ctx: SqliteContext, now: Date): SessionRevocationRecord[] {
  const rows = ctx.all(listSessionRevocationsQuery.bind(ctx.sql, { now: normalizeInstant('now', now) }));
  return rows.map(sessionRevocationFromRow);
}

/** Drops the revocations expired at `now`; returns how many. */
export function purgeSessionRevocations(ctx: SqliteContext, now: Date): number {
  return ctx.run(purgeSessionRevocationsQuery.bind(ctx.sql, { now: normalizeInstant('now', now) }));
}
