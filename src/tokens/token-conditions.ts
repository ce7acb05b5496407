import { ClaimsgateError } from '../lib/errors.js';
import type { TrustedIssuer } from './trust-snapshot.js';
import type { ValidationContext } from './validation-context.js';

/** A token's validity window, as every protocol states it. */
export interface TokenLifetime {
  readonly notBefore: Date | undefined;
  readonly notOnOrAfter: Date | undefined;
}

/**
 * Checks a validity window against `context.now` with the clock skew: the
 * token must not be used on or after `notOnOrAfter`, nor before `notBefore`.
 * `what` names the token in messages ("The JWT", "The assertion").
 *
 * @throws ClaimsgateError `CG_TOKEN_LIFETIME_MISSING`, `CG_TOKEN_EXPIRED`, `CG_TOKEN_NOT_YET_VALID`.
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
