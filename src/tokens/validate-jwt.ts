import { compactVerify } from 'jose';
import { ClaimsgateError } from '../lib/errors.js';
import { decodeCompactJwt, jwtMalformed, previewValue, type DecodedJwt } from './decode-jwt.js';
import type { VerifiedIdentity } from './identity.js';
import { checkAudience, checkLifetime, claimMultimap, optionalClaimString } from './jwt-claims.js';
import { selectJwtKeys, type JwtVerificationKey } from './select-jwt-keys.js';
import { someTrustedIssuers, type TrustSnapshot, type TrustedIssuer } from './trust-snapshot.js';
import type { ValidationContext } from './validation-context.js';

const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/i;

function checkContext(context: ValidationContext): void {
  const { audiences, now, clockSkewSeconds, maxTokenBytes } = context;
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === 'string')) {
    throw new TypeError('context.audiences must list at least one audience.');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new TypeError('context.now must be a valid Date.');
  }
  if (!Number.isFinite(clockSkewSeconds) || clockSkewSeconds < 0) {
    throw new TypeError('context.clockSkewSeconds must be a finite number of seconds, 0 or more.');
  }
  if (!Number.isSafeInteger(maxTokenBytes) || maxTokenBytes <= 0) {
    throw new TypeError('context.maxTokenBytes must be a positive integer.');
  }
}

/** Maps `iss` (and `tid`) to a trusted issuer; step 3. */
function resolveIssuer(trust: TrustSnapshot, issuer: string, tenantId: string | undefined): TrustedIssuer {
  const trusted = trust.findIssuer(issuer, tenantId);
  if (trusted === undefined) {
    if (tenantId !== undefined && trust.findIssuer(issuer) !== undefined) {
      // SECURITY: iss names an allowed tenant, tid another one: a token
      // assembled from two tenants' claims.
      throw new ClaimsgateError(
        'CG_TOKEN_TENANT_MISMATCH',
        `The JWT names the issuer ${issuer} but its tenant claim (tid) is ${previewValue(tenantId)}.`,
        {
          detail: { issuer, observed: { tid: previewValue(tenantId) }, expected: 'the tenant named in iss' },
        },
      );
    }
    throw new ClaimsgateError(
      'CG_TRUST_ISSUER_UNKNOWN',
      `The JWT names the issuer ${issuer}, which is not trusted${tenantId === undefined ? '' : ` for tenant ${previewValue(tenantId)}`}.`,
      {
        detail: {
          issuer,
          observed: { iss: issuer, tid: tenantId === undefined ? undefined : previewValue(tenantId) },
          expected: someTrustedIssuers(trust),
        },
      },
    );
  }
  // SECURITY: under a template the tenant must be stated twice and agree
  // (findIssuer checked it); a token without tid cannot be tied to a tenant.
  if (TENANT_PLACEHOLDER.test(trusted.issuer) && tenantId === undefined) {
    throw new ClaimsgateError(
      'CG_TOKEN_TENANT_MISMATCH',
      `The JWT names the issuer ${issuer}, trusted under the multi-tenant template ${trusted.issuer}, but carries no tenant claim (tid).`,
      {
        detail: {
          issuer,
          trustedIssuer: trusted.issuer,
          observed: { tid: undefined },
          expected: 'a tid claim',
        },
      },
    );
  }
  return trusted;
}

/** Verifies the signature with each candidate key in turn; step 5. */
async function verifySignature(
  token: string,
  jwt: DecodedJwt,
  issuer: string,
  keys: readonly JwtVerificationKey[],
): Promise<JwtVerificationKey> {
  let failure: unknown;
  for (const key of keys) {
    try {
      // jose checks the signature only: compactVerify reads no claims, so its
      // clock never decides; the algorithm is pinned to the allow-listed one.
      await compactVerify(token, key.publicKey, { algorithms: [jwt.alg] });
      return key;
    } catch (error) {
      failure ??= error;
    }
  }
  throw new ClaimsgateError(
    'CG_TOKEN_SIGNATURE_INVALID',
    `The JWT signature (${jwt.alg}) does not verify with the trusted key${keys.length === 1 ? '' : 's'} of ${issuer} it names.`,
    {
      detail: {
        issuer,
        observed: { alg: jwt.alg, kid: jwt.kid, x5t: jwt.x5t },
        expected: keys.map((key) => ({ kid: key.kid, sha1: key.sha1, sha256: key.sha256 })),
      },
      cause: failure,
    },
  );
}

/**
 * Validates a signed JWT (id_token or access token) against the trust
 * snapshot and returns the identity it carries. In order: size and
 * structure, algorithm allow-list and refused headers, issuer (with the
 * tenant under a `{tenantid}` template), trusted key by `kid` / `x5t` /
 * `x5t#S256` (or every key of the issuer), the key's own issuer, key type,
 * signature, then lifetime and audience with `context.now`. Keys never come
 * from the token (`jku`, `x5u`, `jwk` refused; `x5c` ignored). Pure apart
 * from crypto: no network, no clock, no replay cache — the caller checks
 * replay with `tokenId` (`jti`) until `notOnOrAfter` (`exp`).
 *
 * @throws ClaimsgateError `CG_TOKEN_TOO_LARGE`, `CG_TOKEN_JWT_MALFORMED`,
 *   `CG_TOKEN_ALGORITHM_FORBIDDEN`, `CG_TOKEN_HEADER_FORBIDDEN`,
 *   `CG_TRUST_ISSUER_UNKNOWN`, `CG_TOKEN_TENANT_MISMATCH`,
 *   `CG_TRUST_KEY_UNKNOWN`, `CG_TRUST_KEY_WRONG_ISSUER`,
 *   `CG_TRUST_KEY_NO_MATERIAL`, `CG_TOKEN_KEY_TYPE_MISMATCH`,
 *   `CG_TOKEN_SIGNATURE_INVALID`, `CG_TOKEN_LIFETIME_MISSING`,
 *   `CG_TOKEN_EXPIRED`, `CG_TOKEN_NOT_YET_VALID`, `CG_TOKEN_AUDIENCE_MISMATCH`.
 * @throws TypeError when the context is unusable (no audiences, invalid now,
 *   negative skew, no size limit).
 * @see RFC 7519 §7.2 (validating a JWT); RFC 8725 (JWT best current practices)
 */
export async function validateJwt(token: string, context: ValidationContext): Promise<VerifiedIdentity> {
  checkContext(context);
  const jwt = decodeCompactJwt(token, context.maxTokenBytes);
  const { payload } = jwt;

  const issuer = optionalClaimString(payload, 'iss');
  if (issuer === undefined) {
    throw jwtMalformed('The JWT has no issuer (iss claim).', {
      part: 'payload',
      member: 'iss',
      expected: 'a string',
    });
  }
  const tenantId = optionalClaimString(payload, 'tid');
  const trustedIssuer = resolveIssuer(context.trust, issuer, tenantId);

  const keys = selectJwtKeys({
    trust: context.trust,
    trustedIssuer,
    issuer,
    tenantId,
    alg: jwt.alg,
    kid: jwt.kid,
    x5t: jwt.x5t,
    x5tS256: jwt.x5tS256,
  });
  const signingKey = await verifySignature(token, jwt, issuer, keys);

  // The payload was decoded from the very segment the signature covers.
  const lifetime = checkLifetime(payload, context);
  const audiences = checkAudience(payload, context, trustedIssuer);
  const subject = optionalClaimString(payload, 'sub');
  const tokenId = optionalClaimString(payload, 'jti');

  return Object.freeze({
    kind: 'jwt',
    issuer,
    trustedIssuer: trustedIssuer.issuer,
    subject,
    subjectFormat: undefined,
    claims: claimMultimap(payload),
    tokenId,
    issuedAt: lifetime.issuedAt,
    notBefore: lifetime.notBefore,
    notOnOrAfter: lifetime.notOnOrAfter,
    audiences: Object.freeze([...audiences]),
    signingKey: Object.freeze({ sha1: signingKey.sha1, sha256: signingKey.sha256, kid: signingKey.kid }),
    inResponseTo: undefined,
    sessionIndex: undefined,
  });
}
