import type { KeyObject } from 'node:crypto';
import { x5tToThumbprint } from '../crypto/thumbprint.js';
import { ClaimsgateError } from '../lib/errors.js';
import { jwtMalformed, previewValue, type JwtAlgorithm } from './decode-jwt.js';
import type { TrustSnapshot, TrustedIssuer, TrustedKey } from './trust-snapshot.js';
import { unknownKeyError } from './unknown-key-error.js';

/** A trusted key with material that fits the token's algorithm. */
export type JwtVerificationKey = TrustedKey & { readonly publicKey: KeyObject };

/** What the token says about its issuer and signing key. */
export interface JwtKeyRequest {
  readonly trust: TrustSnapshot;
  /** The trusted issuer the token's `iss` resolved to. */
  readonly trustedIssuer: TrustedIssuer;
  /** The token's `iss`. */
  readonly issuer: string;
  /** The token's `tid`, when present. */
  readonly tenantId: string | undefined;
  readonly alg: JwtAlgorithm;
  readonly kid: string | undefined;
  readonly x5t: string | undefined;
  readonly x5tS256: string | undefined;
}

const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/i;
const MIN_RSA_BITS = 2048;

function x5tS256ToThumbprint(value: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.length === 32 ? bytes.toString('hex').toUpperCase() : undefined;
}

/**
 * Whether a key published for `keyIssuer` may sign a token naming `issuer`.
 * A `{tenantid}` template is filled with the token's tenant.
 */
function keyIssuerMatches(
  keyIssuer: string | undefined,
  issuer: string,
  tenantId: string | undefined,
): boolean {
  if (keyIssuer === undefined) return true;
  if (!TENANT_PLACEHOLDER.test(keyIssuer)) return keyIssuer === issuer;
  if (tenantId === undefined) return false;
  // SECURITY: a replacer function, so that `$&` or `$'` in an attacker's tid
  // is inserted literally instead of being read as a substitution pattern.
  return keyIssuer.replace(TENANT_PLACEHOLDER, () => tenantId) === issuer;
}

/** Whether `key` is the kind of key `alg` is defined for (RFC 7518 §3.3–3.5). */
export function keyFitsAlgorithm(key: KeyObject, alg: JwtAlgorithm): boolean {
  if (key.type !== 'public') return false;
  const details = key.asymmetricKeyDetails;
  switch (alg) {
    case 'RS256':
    case 'RS384':
    case 'RS512':
      return key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
    case 'PS256':
      return (
        (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
        (details?.modulusLength ?? 0) >= MIN_RSA_BITS
      );
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1';
  }
}

function describeKey(key: TrustedKey): Record<string, unknown> {
  const details = key.publicKey?.asymmetricKeyDetails;
  return {
    kid: key.kid,
    sha1: key.sha1,
    keyType: key.publicKey?.asymmetricKeyType,
    modulusLength: details?.modulusLength,
    namedCurve: details?.namedCurve,
  };
}

/**
 * The keys trusted for `issuer` that the header names. The kid is an opaque
 * map key into that issuer's trusted set (unique per issuer, not globally):
 * never a path, a query or a URL. x5t / x5t#S256 are tried when the kid
 * names no key of the issuer, as v1 Entra tokens and AD FS name the key by
 * its certificate only.
 */
function findNamedKeys(
  trust: TrustSnapshot,
  issuer: string,
  kid: string | undefined,
  sha1: string | undefined,
  sha256: string | undefined,
): readonly TrustedKey[] {
  let found: readonly TrustedKey[] = kid === undefined ? [] : trust.issuerKeys(issuer, 'kid', kid);
  if (found.length === 0 && sha1 !== undefined) found = trust.issuerKeys(issuer, 'sha1', sha1);
  if (found.length === 0 && sha256 !== undefined) found = trust.issuerKeys(issuer, 'sha256', sha256);
  return found;
}

/** The issuers that trust a key the header names, for the message of a refusal only. */
function issuersTrustingNamedKey(
  trust: TrustSnapshot,
  kid: string | undefined,
  sha1: string | undefined,
  sha256: string | undefined,
): string[] {
  const found = [
    ...(kid === undefined ? [] : trust.keysByKid(kid)),
    ...(sha1 === undefined ? [] : trust.keysBySha1(sha1)),
    ...(sha256 === undefined ? [] : trust.keysBySha256(sha256)),
  ];
  return [...new Set(found.map((key) => key.issuer))];
}

/**
 * The trusted keys that may have signed a JWT, best first: those the header
 * names (by `kid`, else `x5t`, else `x5t#S256`), or every key of the issuer
 * when it names none. Keys are kept only when they are trusted for the
 * token's issuer, published for it (a JWK's own `issuer`), hold key
 * material, and are of the type the algorithm needs.
 *
 * @throws ClaimsgateError `CG_TOKEN_JWT_MALFORMED` for an `x5t` / `x5t#S256`
 *   of the wrong length; `CG_TRUST_KEY_UNKNOWN` when no trusted key matches;
 *   `CG_TRUST_KEY_WRONG_ISSUER` when the matching keys vouch for another
 *   issuer; `CG_TRUST_KEY_NO_MATERIAL` when they are bare thumbprints;
 *   `CG_TOKEN_KEY_TYPE_MISMATCH` when none fits the algorithm.
 * @see RFC 7515 §4.1.4, §4.1.7–4.1.8 (kid, x5t, x5t#S256); RFC 8725 §3.1
 */
export function selectJwtKeys(request: JwtKeyRequest): readonly JwtVerificationKey[] {
  const { trust, trustedIssuer, issuer, tenantId, alg, kid, x5t, x5tS256 } = request;
  const sha1 = x5t === undefined ? undefined : x5tToThumbprint(x5t);
  if (x5t !== undefined && sha1 === undefined) {
    throw jwtMalformed('The JWT header x5t is not 20 bytes of base64url.', {
      member: 'x5t',
      observed: previewValue(x5t),
      expected: 'a base64url SHA-1 thumbprint',
    });
  }
  const sha256 = x5tS256 === undefined ? undefined : x5tS256ToThumbprint(x5tS256);
  if (x5tS256 !== undefined && sha256 === undefined) {
    throw jwtMalformed('The JWT header x5t#S256 is not 32 bytes of base64url.', {
      member: 'x5t#S256',
      observed: previewValue(x5tS256),
      expected: 'a base64url SHA-256 thumbprint',
    });
  }
  const observed = { kid, sha1, sha256 };
  const named = kid !== undefined || sha1 !== undefined || sha256 !== undefined;

  let candidates: readonly TrustedKey[];
  if (named) {
    candidates = findNamedKeys(trust, trustedIssuer.issuer, kid, sha1, sha256);
    if (candidates.length === 0) {
      const others = issuersTrustingNamedKey(trust, kid, sha1, sha256);
      if (others.length === 0) throw unknownKeyError(trust, issuer, observed);
      // SECURITY: a key trusted for issuer A never vouches for a token naming
      // issuer B, even when both issuers are trusted. The validator treats this
      // like an unknown key of B (B's metadata may publish it by now) before the
      // refusal stands.
      throw new ClaimsgateError(
        'CG_TRUST_KEY_WRONG_ISSUER',
        `The key that the JWT names is trusted for ${others.join(', ')}, not for the issuer the token names (${issuer}).`,
        {
          detail: {
            issuer,
            observed,
            trustedIssuer: trustedIssuer.issuer,
            keyTrustedFor: others,
          },
        },
      );
    }
  } else {
    // No key named: try the issuer's own keys only, so the work is bounded
    // by that issuer's key count.
    candidates = trust.keysForIssuer(trustedIssuer.issuer);
    if (candidates.length === 0) throw unknownKeyError(trust, issuer, observed);
  }

  // SECURITY: Entra ID publishes each JWK with its own issuer; the consumer
  // (MSA) tenant's keys must not sign work-tenant tokens, nor the reverse.
  const published = candidates.filter((key) => keyIssuerMatches(key.keyIssuer, issuer, tenantId));
  if (published.length === 0) {
    throw new ClaimsgateError(
      'CG_TRUST_KEY_WRONG_ISSUER',
      `The key that the JWT names is published for another issuer than the token names (${issuer}).`,
      {
        detail: {
          issuer,
          observed,
          trustedIssuer: trustedIssuer.issuer,
          keyTrustedFor: [...new Set(candidates.map((key) => key.keyIssuer))],
        },
      },
    );
  }

  const withMaterial = published.filter((key): key is JwtVerificationKey => key.publicKey !== undefined);
  if (withMaterial.length === 0) {
    throw new ClaimsgateError(
      'CG_TRUST_KEY_NO_MATERIAL',
      `The JWT is signed by a key of ${issuer} that is trusted by thumbprint only; a JWT carries no trusted certificate to check it with.`,
      {
        detail: { issuer, observed, trustedIssuer: trustedIssuer.issuer },
        hint: "Trust the issuer by its metadata or certificate (a JWT's own x5c is never trusted).",
      },
    );
  }

  // SECURITY: bind the algorithm to the key type before verifying, so that a
  // header cannot make an RSA key serve as an HMAC secret or an EC key as RSA.
  const fitting = withMaterial.filter((key) => keyFitsAlgorithm(key.publicKey, alg));
  if (fitting.length === 0) {
    throw new ClaimsgateError(
      'CG_TOKEN_KEY_TYPE_MISMATCH',
      `The JWT names the algorithm ${alg}, which does not fit the trusted key${withMaterial.length === 1 ? '' : 's'} of ${issuer} it may be signed with.`,
      { detail: { issuer, observed: { ...observed, alg }, expected: withMaterial.map(describeKey) } },
    );
  }
  return fitting;
}
