import type { TrustSnapshot } from './trust-snapshot.js';

/**
 * Everything a pure token validator needs besides the token: the trust to
 * validate against, what the relying party expects, and the time.
 */
export interface ValidationContext {
  readonly trust: TrustSnapshot;
  /** Audiences (realms) this relying party accepts; a token must name one of them. */
  readonly audiences: readonly string[];
  /** The instant to validate at. */
  readonly now: Date;
  /** Tolerated clock difference with the issuer, in seconds. */
  readonly clockSkewSeconds: number;
  /** SAML 2.0: the SubjectConfirmationData Recipient must equal this, when set (the ACS URL). */
  readonly recipient: string | undefined;
  /** SAML 2.0: the Response Destination must equal this, when set and present. */
  readonly destination: string | undefined;
  /** SAML 2.0: the InResponseTo the response must carry, when the request ID is known. */
  readonly inResponseTo: string | undefined;
  /** Largest accepted token, in bytes. */
  readonly maxTokenBytes: number;
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 300;
/**
 * 128 KiB: twenty typical tokens, six times the largest Azure AD issues (it
 * caps SAML group claims at 150). Why not more: docs/benchmarks.md, "Under attack".
 */
export const DEFAULT_MAX_TOKEN_BYTES = 128 * 1024;
