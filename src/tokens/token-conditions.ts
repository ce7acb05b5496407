import { ClaimsgateError } from '../lib/errors.js';
import type { TrustedIssuer } from './trust-snapshot.js';
import type { ValidationContext } from './validation-context.js';

/** A token's validity window, as every protocol states it. */
export interface TokenLifetime {
  readonly notBefore: Date | undefined;
  readonly notOnOrAfter: Date | undefined;
  /** When the issuer says it made the token (SAML IssueInstant, JWT iat), when stated. */
  readonly issuedAt?: Date | undefined;
}

/**
 * The oldest issue instant accepted, in seconds before now (beyond the clock
 * skew): one day. A token is minted for the sign-in that carries it; an issue
 * instant older than this is an old token replayed or a broken issuer clock.
 */
export const MAX_TOKEN_AGE_SECONDS = 86_400;

/**
 * Checks a validity window against `context.now` with the clock skew: the
 * token must not be used on or after `notOnOrAfter`, nor before `notBefore`,
 * and its issue instant, when stated, must not be in the future nor more
 * than {@link MAX_TOKEN_AGE_SECONDS} in the past (each beyond the skew).
 * `what` names the token in messages ("The JWT", "The assertion").
 *
 * SECURITY: the issue instant is the issuer's word, not the relying party's
 * clock: a token "issued" in 2100 must not pass for a fresh one, and nothing
 * downstream (the session's lifetime counts from the sign-in) may rest on it.
 *
 * @throws ClaimsgateError `CG_TOKEN_LIFETIME_MISSING`, `CG_TOKEN_EXPIRED` (also
 *   for an issue instant too far in the past), `CG_TOKEN_NOT_YET_VALID` (also
 *   for an issue instant in the future).
 * @see RFC 7519 §4.1.4–4.1.5; SAML Core §2.5.1.2
 */
export function checkTokenLifetime(lifetime: TokenLifetime, context: ValidationContext, what: string): Date {
  const { notBefore, notOnOrAfter } = lifetime;
  if (notOnOrAfter === undefined) {
    throw new ClaimsgateError('CG_TOKEN_LIFETIME_MISSING', `${what} states no expiry.`, {
      detail: { expected: 'an expiry (exp, NotOnOrAfter)' },
    });
  }
  const skewMs = context.clockSkewSeconds * 1000;
  const now = context.now.getTime();
  const detail = { now: context.now.toISOString(), clockSkewSeconds: context.clockSkewSeconds };
  if (now >= notOnOrAfter.getTime() + skewMs) {
    throw new ClaimsgateError(
      'CG_TOKEN_EXPIRED',
      `${what} expired at ${notOnOrAfter.toISOString()}; it is now ${context.now.toISOString()} (clock skew ${context.clockSkewSeconds} s).`,
      { detail: { ...detail, notOnOrAfter: notOnOrAfter.toISOString() } },
    );
  }
  if (notBefore !== undefined && now + skewMs < notBefore.getTime()) {
    throw new ClaimsgateError(
      'CG_TOKEN_NOT_YET_VALID',
      `${what} is not valid before ${notBefore.toISOString()}; it is now ${context.now.toISOString()} (clock skew ${context.clockSkewSeconds} s).`,
      { detail: { ...detail, notBefore: notBefore.toISOString() } },
    );
  }
  const { issuedAt } = lifetime;
  if (issuedAt !== undefined && now + skewMs < issuedAt.getTime()) {
    throw new ClaimsgateError(
      'CG_TOKEN_NOT_YET_VALID',
      `${what} says it was issued at ${issuedAt.toISOString()}, in the future; it is now ${context.now.toISOString()} (clock skew ${context.clockSkewSeconds} s).`,
      { detail: { ...detail, issuedAt: issuedAt.toISOString(), reason: 'issued in the future' } },
    );
  }
  if (issuedAt !== undefined && issuedAt.getTime() < now - skewMs - MAX_TOKEN_AGE_SECONDS * 1000) {
    throw new ClaimsgateError(
      'CG_TOKEN_EXPIRED',
      `${what} says it was issued at ${issuedAt.toISOString()}, more than ${MAX_TOKEN_AGE_SECONDS} s before now (${context.now.toISOString()}, clock skew ${context.clockSkewSeconds} s).`,
      {
        detail: {
          ...detail,
          issuedAt: issuedAt.toISOString(),
          maxTokenAgeSeconds: MAX_TOKEN_AGE_SECONDS,
          reason: 'issued too long ago',
        },
      },
    );
  }
  return notOnOrAfter;
}

/**
 * The audiences accepted from an issuer: the relying party's own, narrowed
 * (never widened) by the issuer's configured audiences when it has some.
 */
export function acceptedAudiences(context: ValidationContext, trusted: TrustedIssuer): readonly string[] {
  return trusted.audiences.length === 0
    ? context.audiences
    : context.audiences.filter((audience) => trusted.audiences.includes(audience));
}

/**
 * Checks that a token is addressed to this relying party: every audience
 * group (a JWT's `aud`; each SAML AudienceRestriction) must name an accepted
 * audience, and there must be at least one group.
 *
 * @throws ClaimsgateError `CG_TOKEN_AUDIENCE_MISMATCH`.
 * @see RFC 7519 §4.1.3; SAML Core §2.5.1.4
 */
export function checkAudienceGroups(
  groups: ReadonlyArray<readonly string[]>,
  context: ValidationContext,
  trusted: TrustedIssuer,
  what: string,
): void {
  const expected = acceptedAudiences(context, trusted);
  const observed = groups.flat();
  const satisfied =
    groups.length > 0 && groups.every((group) => group.some((audience) => expected.includes(audience)));
  if (!satisfied) {
    throw new ClaimsgateError(
      'CG_TOKEN_AUDIENCE_MISMATCH',
      `${what} is addressed to ${observed.length === 0 ? 'no audience' : observed.join(', ')}; accepted: ${expected.join(', ') || 'none'}.`,
      { detail: { issuer: trusted.issuer, observed, expected } },
    );
  }
}
