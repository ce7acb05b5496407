import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../crypto/certificate.js';
import type {
  KeySource,
  KeyState,
  PendingKeyChange,
  RefreshStatus,
  TrustedIssuer,
  TrustedKey,
} from '../tokens/trust-snapshot.js';

/** How tokens from one issuer are judged, as configured for it. */
export interface IssuerSettings {
  readonly audiences?: readonly string[];
  readonly allowSha1?: boolean;
  readonly allowedTenants?: readonly string[];
  /** SAML 2.0: refuse a signed Response around an unsigned assertion; default false. */
  readonly requireSignedAssertion?: boolean;
}

/** What is known of an issuer's refreshes, for diagnostics. */
export interface IssuerStatus {
  readonly lastRefresh?: RefreshStatus | undefined;
  readonly pendingChange?: PendingKeyChange | undefined;
}

/**
 * An issuer as the validators see it, with the defaults every source of
 * trust shares: no tenants, the validator's own audience, no SHA-1, either
 * signature vouching for a SAML 2.0 assertion.
 */
export function trustedIssuer(
  issuerUri: string,
  settings: IssuerSettings = {},
  status: IssuerStatus = {},
): TrustedIssuer {
  return {
    issuer: issuerUri,
    allowedTenants: settings.allowedTenants ?? [],
    audiences: settings.audiences ?? [],
    allowSha1: settings.allowSha1 ?? false,
    requireSignedAssertion: settings.requireSignedAssertion ?? false,
    lastRefresh: status.lastRefresh,
    ...(status.pendingChange === undefined ? {} : { pendingChange: status.pendingChange }),
  };
}

/** One key of one issuer, with whatever material its source holds. */
export interface KeyFacts {
  /** The issuer URI the key vouches for. */
  readonly issuer: string;
  /** SHA-1 thumbprint (uppercase hex); defaults to the certificate's. */
  readonly sha1?: string | undefined;
  /** SHA-256 thumbprint (uppercase hex); defaults to the certificate's. */
  readonly sha256?: string | undefined;
  readonly kid?: string | undefined;
  /** The issuer the key set publishes the key for, when it says so. */
  readonly keyIssuer?: string | undefined;
  /** The certificate: its public key is the trusted material. */
  readonly certificate?: CertificateInfo | undefined;
  /** A public JWK: the trusted material when there is no certificate. */
  readonly jwk?: Readonly<Record<string, unknown>> | undefined;
  readonly source: KeySource;
  readonly state: KeyState;
}

/**
 * A key trusted for one issuer. The material is the certificate's public
 * key, else the JWK's, else none: a bare thumbprint vouches only for a
 * certificate whose thumbprint equals it.
 *
 * @throws TypeError (from `node:crypto`) when the JWK is not a usable public key.
 */
export function trustedKey(facts: KeyFacts): TrustedKey {
  const { certificate } = facts;
  const publicKey =
    certificate?.publicKey ?? (facts.jwk === undefined ? undefined : publicKeyFromJwk(facts.jwk));
  return {
    issuer: facts.issuer,
    sha1: facts.sha1 ?? certificate?.sha1,
    sha256: facts.sha256 ?? certificate?.sha256,
    kid: facts.kid,
    ...(facts.keyIssuer === undefined ? {} : { keyIssuer: facts.keyIssuer }),
    publicKey,
    certificate,
    source: facts.source,
    state: facts.state,
  };
}

/**
 * A key trusted for `issuer` by its certificate, as an administrator enters it:
 * the certificate is the trusted material, its thumbprints the lookup keys.
 */
export function trustedKeyFromCertificate(
  issuer: string,
  certificate: CertificateInfo,
  source: KeySource = 'manual',
): TrustedKey {
  return trustedKey({ issuer, certificate, source, state: 'active' });
}

/** The JWK members that make up a public key; anything else (the Entra `issuer`, `x5c`, …) is left out of the import. */
const PUBLIC_JWK_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

/**
 * The public key of a JWK, read from its public members only.
 *
 * @throws TypeError (from `node:crypto`) when they do not make a key.
 */
export function publicKeyFromJwk(jwk: Readonly<Record<string, unknown>>): KeyObject {
  const members: JsonWebKey = {};
  for (const name of PUBLIC_JWK_MEMBERS) {
    const value = jwk[name];
    if (typeof value === 'string') members[name] = value;
  }
  return createPublicKey({ key: members, format: 'jwk' });
}
