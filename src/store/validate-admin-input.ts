import { invalid, refuseInvisibleCharacters } from './input-values.js';
import type { NewAdminAccount } from './model.js';

/** What a local admin user name may be made of: ASCII letters, digits and `. _ @ -`, 1 to 64 of them. */
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * The form of a password hash the store accepts: `scrypt$N$r$p$salt$key`.
 *
 * SECURITY: the store cannot verify a hash, but it can refuse what is plainly
 * not one — a caller that hands over the password itself by mistake is
 * stopped before the password is written to disk.
 */
const PASSWORD_HASH =
  /^scrypt\$[1-9][0-9]{0,2}\$[1-9][0-9]{0,2}\$[1-9][0-9]{0,2}\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;
const MAX_PASSWORD_HASH_LENGTH = 512;

/** The fields of an admin account as the store writes them. */
export interface AdminAccountFields {
  readonly username: string;
  readonly passwordHash: string;
}

/**
 * The stored form of a user name (lower case), or undefined when `value`
 * cannot be one: not a string, empty, over 64 characters, or holding a
 * character other than ASCII letters, digits and `. _ @ -`.
 */
export function adminUsernameKey(value: unknown): string | undefined {
  return typeof value === 'string' && USERNAME.test(value) ? value.toLowerCase() : undefined;
}

/**
 * Checks a user name and returns its stored (lower-case) form.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming `username`.
 */
export function normalizeAdminUsername(value: unknown): string {
  // The shared name check first: its coded refusal names the invisible character, which the
  // character list below refuses too, without saying why.
  if (typeof value === 'string') refuseInvisibleCharacters('username', value);
  const key = adminUsernameKey(value);
  if (key === undefined) throw invalid('username', '1 to 64 of the characters A–Z a–z 0–9 . _ @ -', value);
  return key;
}

/** Checks a password hash's form. @throws ClaimsgateError `CG_STORE_INVALID` naming `passwordHash` (never echoing it). */
export function normalizePasswordHash(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_PASSWORD_HASH_LENGTH || !PASSWORD_HASH.test(value))
    // SECURITY: the observed value may be a password passed by mistake; it is not put in the error.
    throw invalid('passwordHash', 'an scrypt hash (scrypt$N$r$p$salt$key) made by hashPassword', '(hidden)');
  return value;
}

/** Checks a new admin account. @throws ClaimsgateError `CG_STORE_INVALID` naming the field. */
export function normalizeNewAdminAccount(input: NewAdminAccount): AdminAccountFields {
  if (typeof input !== 'object' || input === null) throw invalid('adminAccount', 'an object', input);
  return {
    username: normalizeAdminUsername(input.username),
    passwordHash: normalizePasswordHash(input.passwordHash),
  };
}
