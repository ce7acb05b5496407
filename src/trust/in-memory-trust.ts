import type { CertificateInfo } from '../crypto/certificate.js';
import { normalizeThumbprint } from '../crypto/thumbprint.js';
import type { IssuerMetadata } from '../metadata/model.js';
import type { TrustSnapshot, TrustedIssuer, TrustedKey } from '../tokens/trust-snapshot.js';
import { createTrustSnapshot } from './create-trust-snapshot.js';
import { trustedIssuer, trustedKey, trustedKeyFromCertificate, type IssuerSettings } from './trusted-key.js';

/** Options for one issuer built from metadata, thumbprints or certificates. */
export interface IssuerTrustOptions extends IssuerSettings {
  /** The issuer URI; defaults to the metadata's entityID / issuer. */
  readonly issuer?: string;
}

/** One issuer and the keys trusted for it, before they are put in a snapshot. */
export interface IssuerTrust {
  readonly issuer: TrustedIssuer;
  readonly keys: TrustedKey[];
}

/**
 * The issuer and keys that a metadata document establishes: every published
 * signing key, with its certificate (or JWK) as the trusted material.
 *
 * @throws TypeError when neither the metadata nor the options name an issuer.
 */
export function trustFromMetadata(metadata: IssuerMetadata, options: IssuerTrustOptions = {}): IssuerTrust {
  const uri = options.issuer ?? metadata.issuer;
  if (uri === undefined) throw new TypeError('the metadata names no issuer: pass options.issuer');
  const keys = metadata.signingKeys.map((key) =>
    trustedKey({
      issuer: uri,
      sha1: key.sha1,
      sha256: key.sha256,
      kid: key.kid,
      keyIssuer: key.issuer,
      certificate: key.certificate,
      jwk: key.jwk,
      source: 'metadata',
      state: 'active',
    }),
  );
  return { issuer: trustedIssuer(uri, options), keys };
}

/**
 * An issuer trusted by configured thumbprints alone, as WIF's
 * ValidatingIssuerNameRegistry does. Values are normalised (U+200E and
 * friends removed).
 *
 * @throws ClaimsgateError `CG_TRUST_THUMBPRINT_INVALID` for a value that is not a thumbprint.
 */
export function trustFromThumbprints(
  issuerUri: string,
  thumbprints: readonly string[],
  options: IssuerSettings = {},
): IssuerTrust {
  const keys = thumbprints.map((value) => {
    const { thumbprint, algorithm } = normalizeThumbprint(value);
    return trustedKey({
      issuer: issuerUri,
      sha1: algorithm === 'sha1' ? thumbprint : undefined,
      sha256: algorithm === 'sha256' ? thumbprint : undefined,
      source: 'manual',
      state: 'active',
    });
  });
  return { issuer: trustedIssuer(issuerUri, options), keys };
}

/** An issuer trusted by certificates entered by hand: each certificate's public key is the trusted material. */
export function trustFromCertificates(
  issuerUri: string,
  certificates: readonly CertificateInfo[],
  options: IssuerSettings = {},
): IssuerTrust {
  return {
    issuer: trustedIssuer(issuerUri, options),
    keys: certificates.map((certificate) => trustedKeyFromCertificate(issuerUri, certificate)),
  };
}

/**
 * One snapshot from several sources of trust. An issuer named by more than
 * one takes its settings from the first and the keys of all.
 */
export function combineTrust(parts: readonly IssuerTrust[], builtAt?: Date): TrustSnapshot {
  const issuers = new Map<string, TrustedIssuer>();
  const keys: TrustedKey[] = [];
  for (const part of parts) {
    if (!issuers.has(part.issuer.issuer)) issuers.set(part.issuer.issuer, part.issuer);
    keys.push(...part.keys);
  }
  return createTrustSnapshot({
    issuers: [...issuers.values()],
    keys,
    ...(builtAt === undefined ? {} : { builtAt }),
  });
}
