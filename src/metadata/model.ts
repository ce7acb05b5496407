import type { CertificateInfo } from '../crypto/certificate.js';

/** The kind of document an issuer's metadata came from. */
export type MetadataFormat = 'saml-metadata' | 'wsfed-metadata' | 'oidc-discovery' | 'jwks';

/**
 * Where in a document a key was published. For XML metadata, the role
 * descriptor (`fed:SecurityTokenServiceType`, `fed:ApplicationServiceType`,
 * `IDPSSODescriptor`, `SPSSODescriptor`, …); for a JWKS, `jwks`.
 */
export type KeySection =
  | 'fed:SecurityTokenServiceType'
  | 'fed:ApplicationServiceType'
  | 'IDPSSODescriptor'
  | 'SPSSODescriptor'
  | 'AttributeAuthorityDescriptor'
  | 'RoleDescriptor'
  | 'jwks';

/**
 * A signing key an issuer publishes, deduplicated across the sections of the
 * document (by SHA-256 of the certificate, or by `kid` for a bare JWK).
 */
export interface PublishedKey {
  /**
   * SHA-1 thumbprint of the certificate (uppercase hex). For a JWK without
   * `x5c`, the thumbprint its `x5t` claims (so that tokens naming the key by
   * `x5t` map to it; `certificate` is then undefined), else undefined.
   */
  readonly sha1: string | undefined;
  /** SHA-256 thumbprint of the certificate (uppercase hex); for a JWK without `x5c`, what its `x5t#S256` claims, else undefined. */
  readonly sha256: string | undefined;
  /** The JWK `kid`, when the key came from a JWKS. */
  readonly kid: string | undefined;
  /** The certificate, when the document carries one (X509Certificate, x5c). */
  readonly certificate: CertificateInfo | undefined;
  /** The JWK itself (public members only) when the key came from a JWKS. */
  readonly jwk: Readonly<Record<string, unknown>> | undefined;
  /** The sections the key appears in, in document order, without repeats. */
  readonly sections: readonly KeySection[];
  /** Per-key issuer a JWKS may carry (Entra ID does), else undefined. */
  readonly issuer: string | undefined;
}

/** Why a key in a document was left out of both key lists. */
export type SkippedKeyReason =
  /** A JWK with private members (`d`, `p`, `q`, …): the key is compromised by being published. */
  | 'private-key-material'
  /** A JWK of `kty: "oct"`: a shared secret, never an issuer's public signing key. */
  | 'symmetric-key'
  /** A JWK `kty` claimsgate does not understand (RFC 7517 §5 says to ignore such keys). */
  | 'unsupported-key-type'
  /** A `use` (XML) or `use` / `key_ops` (JWK) that is neither signing nor encryption. */
  | 'unsupported-use'
  /** An XML KeyDescriptor without an `X509Certificate` (a bare KeyName or KeyValue). */
  | 'no-certificate';

/** A key that a document publishes but that was not taken, and why. */
export interface SkippedKey {
  readonly section: KeySection;
  /** 1-based position: of the KeyDescriptor within its role descriptor, or of the JWK within `keys`. */
  readonly position: number;
  /** The JWK `kid`, when there is one. */
  readonly kid: string | undefined;
  readonly reason: SkippedKeyReason;
}

/** A protocol endpoint an issuer advertises. */
export interface MetadataEndpoint {
  /** `wsfed-passive` (PassiveRequestorEndpoint), `saml-sso`, `saml-slo`, `oidc-authorization`, … */
  readonly kind:
    | 'wsfed-passive'
    | 'wsfed-sts'
    | 'saml-sso'
    | 'saml-slo'
    | 'oidc-authorization'
    | 'oidc-token'
    | 'oidc-jwks'
    | 'oidc-end-session';
  readonly url: string;
  /** SAML binding URI, for SAML endpoints. */
  readonly binding?: string;
  /** The section it was found in. */
  readonly section?: KeySection;
}

/**
 * An issuer's metadata, in one model whatever the format: what it calls
 * itself, where to send users, and which keys sign its tokens.
 */
export interface IssuerMetadata {
  readonly format: MetadataFormat;
  /** The entityID (SAML / WS-Fed) or `issuer` (OIDC); may be a template such as `https://sts.windows.net/{tenantid}/`. */
  readonly issuer: string | undefined;
  readonly endpoints: readonly MetadataEndpoint[];
  /** Signing keys, deduplicated; keys published only for encryption are not here. */
  readonly signingKeys: readonly PublishedKey[];
  /** Keys published with `use="encryption"` (reported, never trusted for signatures). */
  readonly encryptionKeys: readonly PublishedKey[];
  /** `validUntil` of the document, when present. */
  readonly validUntil: Date | undefined;
  /** `cacheDuration` of the document, as written (ISO 8601 duration), when present. */
  readonly cacheDuration: string | undefined;
  /** For an EntitiesDescriptor: every entityID it holds (the selected one is `issuer`). */
  readonly entityIds: readonly string[];
  /** Keys the document publishes that are in neither list, with the reason; the parsers always fill it. */
  readonly skippedKeys?: readonly SkippedKey[];
}
