/** The protocol a token arrived in. */
export type TokenKind =
  'wsfed-saml11' | 'wsfed-saml20' | 'saml20-response' | 'saml20-assertion' | 'saml11-assertion' | 'jwt';

/**
 * A verified identity: who the token says the user is, read only from what
 * the signature covers, and which trusted key vouched for it.
 */
export interface VerifiedIdentity {
  readonly kind: TokenKind;
  /** The issuer URI the token names (as written in the token). */
  readonly issuer: string;
  /** The configured issuer it was trusted under (differs for a template such as `…/{tenantid}/`). */
  readonly trustedIssuer: string;
  /** SAML NameID / NameIdentifier, or the JWT `sub`. */
  readonly subject: string | undefined;
  /** NameID Format, when given. */
  readonly subjectFormat: string | undefined;
  /** Claims as a multimap: claim type (SAML attribute name, or JWT claim) → values. */
  readonly claims: Readonly<Record<string, readonly string[]>>;
  /** The assertion ID (SAML) or `jti` (JWT); undefined for a JWT without `jti`. */
  readonly tokenId: string | undefined;
  readonly issuedAt: Date | undefined;
  readonly notBefore: Date | undefined;
  readonly notOnOrAfter: Date | undefined;
  /** The audiences the token is addressed to. */
  readonly audiences: readonly string[];
  /** Thumbprints of the key that signed the token. */
  readonly signingKey: {
    readonly sha1: string | undefined;
    readonly sha256: string | undefined;
    readonly kid: string | undefined;
  };
  /** SAML 2.0 InResponseTo, when present. */
  readonly inResponseTo: string | undefined;
  /** SAML AuthnStatement SessionIndex, when present. */
  readonly sessionIndex: string | undefined;
}
