import { localAdminActor } from './admin-account-records.js';
import { invalid, requireDate } from './input-values.js';
import type { NewSessionRevocation, SessionRevocationRecord } from './model.js';
import type { DateColumn } from './records.js';

/*
 * Session revocations, both backends: input checks, the row shape, and the
 * revocation a change of a local admin account implies.
 */

/**
 * How long a user's revocation is kept: the longest session lifetime the
 * configuration allows (`session.absoluteLifetimeSeconds` at most 30 days).
 * The store does not know the gateway's setting (the CLI changes passwords
 * too), so it keeps the revocation until no session it covers can live.
 */
export const MAX_SESSION_LIFETIME_SECONDS = 30 * 86_400;

/** The longest `sid` or user name kept. */
const MAX_KEY_LENGTH = 2048;

/** A revocation checked: exactly one of `sid` or (`user`, `revokedBefore`), and a valid expiry. */
export function normalizeSessionRevocation(input: NewSessionRevocation): SessionRevocationRecord {
  if (typeof input !== 'object' || input === null) throw invalid('revocation', 'an object', input);
  const expiresAt = requireDate('expiresAt', input.expiresAt);
  if ('sid' in input) {
    const { sid } = input;
    if (typeof sid !== 'string' || sid === '' || sid.length > MAX_KEY_LENGTH)
      throw invalid('sid', `a non-empty string of at most ${MAX_KEY_LENGTH} characters`, typeof sid);
    return { sid, user: null, revokedBefore: null, expiresAt };
  }
  const { user } = input;
  if (typeof user !== 'string' || user === '' || user.length > MAX_KEY_LENGTH)
    throw invalid('user', `a non-empty string of at most ${MAX_KEY_LENGTH} characters`, typeof user);
  return { sid: null, user, revokedBefore: requireDate('revokedBefore', input.revokedBefore), expiresAt };
}

/** The revocation that ends every session of local admin `username` started at or before `at`. */
export function adminAccountRevocation(username: string, at: Date): SessionRevocationRecord {
  return {
    sid: null,
    user: localAdminActor(username),
    revokedBefore: at,
    expiresAt: new Date(at.getTime() + MAX_SESSION_LIFETIME_SECONDS * 1000),
  };
}

/** The `session_revocations` row, by column name (both backends). */
export interface SessionRevocationRow {
  readonly sid: string | null;
  readonly user_name: string | null;
  readonly revoked_before: DateColumn | null;
  readonly expires_at: DateColumn;
}

function readDate(value: DateColumn): Date {
  return value instanceof Date ? new Date(value.getTime()) : new Date(value);
}

export function sessionRevocationFromRow(row: SessionRevocationRow): SessionRevocationRecord {
  return {
    sid: row.sid,
    user: row.user_name,
    revokedBefore: row.revoked_before === null ? null : readDate(row.revoked_before),
    expiresAt: readDate(row.expires_at),
  };
}
