import { ClaimsgateError } from '../lib/errors.js';
import { jwtMalformed, previewValue } from './decode-jwt.js';
import type { TrustedIssuer } from './trust-snapshot.js';
import { checkAudienceGroups, checkTokenLifetime } from './token-conditions.js';
import type { ValidationContext } from './validation-context.js';

/** The largest NumericDate a JavaScript Date holds, in seconds. */
const MAX_NUMERIC_DATE = 8.64e12;

/**
 * A claim that must be a string when present.
 *
 * @throws ClaimsgateError `CG_TOKEN_JWT_MALFORMED` when it is another JSON type.
 */
export function optionalClaimString(
  payload: Readonly<Record<string, unknown>>,
  name: string,
): string | undefined {
  if (!Object.hasOwn(payload, name)) return undefined;
  const value = payload[name];
  if (typeof value !== 'string') {
    throw jwtMalformed(`The JWT claim "${name}" is not a string.`, {
      part: 'payload',
      member: name,
      observed: previewValue(value),
      expected: 'a string',
    });
  }
  return value;
}

function optionalNumericDate(payload: Readonly<Record<string, unknown>>, name: string): Date | undefined {
  if (!Object.hasOwn(payload, name)) return undefined;
  const value = payload[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_NUMERIC_DATE) {
    throw jwtMalformed(`The JWT claim "${name}" is not a NumericDate.`, {
      part: 'payload',
      member: name,
      observed: previewValue(value),
      expected: 'seconds since 1970-01-01T00:00:00Z',
    });
  }
  return new Date(value * 1000);
}

/** The token's times, as Dates. */
export interface JwtLifetime {
  readonly issuedAt: Date | undefined;
  readonly notBefore: Date | undefined;
  readonly notOnOrAfter: Date;
}

/**
 * Checks `exp` (required), `nbf` and `iat` against `context.now`, allowing
 * `context.clockSkewSeconds` either way.
 *
 * @throws ClaimsgateError `CG_TOKEN_LIFETIME_MISSING` without `exp`;
 *   `CG_TOKEN_EXPIRED` on or after `exp` + skew; `CG_TOKEN_NOT_YET_VALID`
 *   before `nbf` − skew or with an `iat` in the future beyond the skew (or
 *   older than a day, `CG_TOKEN_EXPIRED`); `CG_TOKEN_JWT_MALFORMED` for a time that is not a
 *   NumericDate.
 * @see RFC 7519 §4.1.4–4.1.6
 */
export function checkLifetime(
  payload: Readonly<Record<string, unknown>>,
  context: ValidationContext,
): JwtLifetime {
  const notOnOrAfter = optionalNumericDate(payload, 'exp');
  const notBefore = optionalNumericDate(payload, 'nbf');
  const issuedAt = optionalNumericDate(payload, 'iat');
  if (notOnOrAfter === undefined) {
    throw new ClaimsgateError('CG_TOKEN_LIFETIME_MISSING', 'The JWT has no expiry (exp claim).', {
      detail: { member: 'exp', expected: 'a NumericDate' },
    });
  }
  checkTokenLifetime({ notBefore, notOnOrAfter, issuedAt }, context, 'The JWT');
  return { issuedAt, notBefore, notOnOrAfter };
}

/**
 * The token's audiences, one of which must be among `context.audiences`
 * (and among the issuer's own audiences when it has some).
 *
 * @throws ClaimsgateError `CG_TOKEN_AUDIENCE_MISMATCH` when none is accepted
 *   or `aud` is missing; `CG_TOKEN_JWT_MALFORMED` when `aud` is neither a
 *   string nor an array of strings.
 * @see RFC 7519 §4.1.3
 */
export function checkAudience(
  payload: Readonly<Record<string, unknown>>,
  context: ValidationContext,
  trusted: TrustedIssuer,
): readonly string[] {
  const aud = payload['aud'];
  let audiences: readonly string[];
  if (!Object.hasOwn(payload, 'aud')) audiences = [];
  else if (typeof aud === 'string') audiences = [aud];
  else if (Array.isArray(aud) && aud.every((value) => typeof value === 'string')) audiences = aud;
  else {
    throw jwtMalformed('The JWT claim "aud" is neither a string nor an array of strings.', {
      part: 'payload',
      member: 'aud',
      observed: previewValue(aud),
      expected: 'a string or an array of strings',
    });
  }
  checkAudienceGroups([audiences], context, trusted, 'The JWT');
  return audiences;
}

function claimValues(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return value.flatMap((element: unknown) => claimValues(element));
  return [JSON.stringify(value)];
}

/**
 * Every payload claim as a multimap of strings: array elements one by one
 * (nested arrays flattened, nulls dropped), objects as JSON, numbers and
 * booleans as their JSON text.
 */
export function claimMultimap(
  payload: Readonly<Record<string, unknown>>,
): Readonly<Record<string, readonly string[]>> {
  // SECURITY: fromEntries defines own properties, so a "__proto__" claim is a
  // claim like any other and cannot replace the object's prototype.
  return Object.freeze(
    Object.fromEntries(
      Object.entries(payload).map(([name, value]) => [name, Object.freeze(claimValues(value))]),
    ),
  );
}
