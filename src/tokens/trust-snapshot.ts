import type { KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../crypto/certificate.js';

/**
 * Where a key's trust comes from: the issuer's published metadata, or an
 * administrator who entered a certificate or a bare thumbprint by hand.
 */
export type KeySource = 'metadata' | 'manual';

/**
 * The life of a trusted key. `announced`, `active` and `retiring` keys
 * validate tokens; `retired`, `revoked` and `expired` keys do not and never
 * appear in a snapshot's lookups.
 */
export type KeyState = 'announced' | 'active' | 'retiring' | 'retired' | 'revoked' | 'expired';

/** A key that may sign tokens for one issuer. */
export interface TrustedKey {
  /** The issuer URI the key vouches for (exactly as the issuer is configured). */
  readonly issuer: string;
  /** SHA-1 thumbprint (uppercase hex), when known. */
  readonly sha1: string | undefined;
  /** SHA-256 thumbprint (uppercase hex), when known. */
  readonly sha256: string | undefined;
  /** JWK `kid`, when the key came from a key set. */
  readonly kid: string | undefined;
  /**
   * The issuer the key itself is published for, when the key set says so
   * (Entra ID's JWKS gives each key an `issuer`, a `{tenantid}` template or
   * one tenant's URI). A token signed with the key must name that issuer,
   * after the template is filled with the token's tenant.
   */
  readonly keyIssuer?: string;
  /**
   * The trusted key material. Undefined for a bare thumbprint entered by hand:
   * such a key vouches only for a certificate whose thumbprint equals it.
   */
  readonly publicKey: KeyObject | undefined;
  /** The certificate, when trust holds one. */
  readonly certificate: CertificateInfo | undefined;
  readonly source: KeySource;
  readonly state: KeyState;
}

/** How a token names the key that signed it. */
export type KeyIdentifier = 'sha1' | 'sha256' | 'kid';

/** The outcome of the last metadata refresh, for diagnostics. */
export interface RefreshStatus {
  readonly at: Date;
  readonly outcome: 'success' | 'not-modified' | 'failure';
  /** The error code of a failure. */
  readonly code?: string;
  readonly url?: string;
}

/**
 * A metadata document that would replace an issuer's keys without
 * continuity and waits for an administrator's approval: its keys are not
 * trusted; a token signed by one of them is refused with
 * `CG_TRUST_KEY_PENDING_APPROVAL`, which says so.
 */
export interface PendingKeyChange {
  /** Where the document was fetched from. */
  readonly url: string;
  /** SHA-256 of the document, lowercase hex. */
  readonly sha256: string;
  /** Why it is not continuous (`unsigned-replacement`, `unknown-signer-replacement`, `downgrade`). */
  readonly reason: string;
  readonly detectedAt: Date;
  /** The keys the document publishes (thumbprints uppercase hex). */
  readonly keys: readonly {
    readonly sha1: string | undefined;
    readonly sha256: string | undefined;
    readonly kid: string | undefined;
  }[];
}

/** An issuer as the validator sees it. */
export interface TrustedIssuer {
  /**
   * The issuer URI tokens must name. May be a template with `{tenantid}`
   * (Azure AD multi-tenant), in which case `allowedTenants` must list the
   * tenants accepted — a template alone admits no one.
   */
  readonly issuer: string;
  /** Tenant IDs accepted when `issuer` is a template. */
  readonly allowedTenants: readonly string[];
  /** Audiences (realms) tokens from this issuer may be addressed to; empty means the validator's own. */
  readonly audiences: readonly string[];
  /** Whether RSA-SHA1 / SHA-1 digests are accepted from this issuer (off unless configured). */
  readonly allowSha1: boolean;
  /**
   * SAML 2.0: whether the assertion must carry its own signature, so that a
   * signed Response around an unsigned assertion is refused. Undefined: no
   * (either signature vouches for the assertion).
   */
  readonly requireSignedAssertion?: boolean;
  /** When trust was last refreshed and how it went. */
  readonly lastRefresh: RefreshStatus | undefined;
  /** A document held for an administrator's approval, if any (diagnostics only: its keys are not trusted). */
  readonly pendingChange?: PendingKeyChange;
}

/**
 * An immutable view of who is trusted, with O(1) lookups. The validator asks
 * it questions; the store and rollover engine build new snapshots as trust
 * changes.
 */
export interface TrustSnapshot {
  /** The issuer a token names, resolving templates with the token's tenant ID. */
  findIssuer(issuer: string, tenantId?: string): TrustedIssuer | undefined;
  /**
   * The usable keys trusted for one issuer (its configured URI) that carry
   * this identifier, O(1). Trust is per (issuer, key): the same certificate
   * may be trusted for several issuers, each on its own, and a `kid` is
   * unique within its issuer only.
   */
  issuerKeys(issuer: string, by: KeyIdentifier, value: string): readonly TrustedKey[];
  /** Keys with this SHA-1 thumbprint, across every issuer (diagnostics: which issuers trust it). */
  keysBySha1(sha1: string): readonly TrustedKey[];
  /** Keys with this SHA-256 thumbprint, across every issuer (diagnostics). */
  keysBySha256(sha256: string): readonly TrustedKey[];
  /** Keys with this `kid`, across every issuer (diagnostics). */
  keysByKid(kid: string): readonly TrustedKey[];
  /** Every usable key of one issuer (its configured URI). */
  keysForIssuer(issuer: string): readonly TrustedKey[];
  /** Every issuer. */
  issuers(): readonly TrustedIssuer[];
  /** When this snapshot was built. */
  readonly builtAt: Date;
}

/** Key states that validate tokens. */
/** How many trusted issuers a refusal names at most. */
const ISSUERS_NAMED = 10;

/**
 * The issuer URIs a refusal for an unknown issuer names as expected: all of
 * them when there are few, else the first ten and how many more. A gateway
 * with 10,000 issuers must not put 10,000 URIs in every refusal and its log line.
 */
export function someTrustedIssuers(trust: Pick<TrustSnapshot, 'issuers'>): string[] {
  const issuers = trust.issuers();
  const named = issuers.slice(0, ISSUERS_NAMED).map((issuer) => issuer.issuer);
  return issuers.length <= ISSUERS_NAMED ? named : [...named, `… and ${issuers.length - ISSUERS_NAMED} more`];
}

export const USABLE_KEY_STATES: ReadonlySet<KeyState> = new Set(['announced', 'active', 'retiring']);
