import type { KeyObject } from 'node:crypto';
import { parseCertificateDer } from '../crypto/certificate.js';
import { ClaimsgateError } from '../lib/errors.js';
import type { KeyInfoCertificate, SignatureInspection } from '../xmldsig/inspect-signature.js';
import { verifyEnvelopedSignature } from '../xmldsig/verify-signature.js';
import type { TrustSnapshot, TrustedIssuer, TrustedKey } from './trust-snapshot.js';
import { unknownKeyError } from './unknown-key-error.js';
import type { XmlElement } from '../xml/light-dom.js';

/** Most keys tried for a signature without a certificate in KeyInfo. */
const MAX_KEYS_WITHOUT_KEYINFO = 32;

/** A signature verified with a trusted key. */
export interface TrustedSignature {
  /** The canonical XML of the signed element: the only text to read identity from. */
  readonly canonical: string;
  readonly key: TrustedKey;
  readonly sha1: string | undefined;
  readonly sha256: string | undefined;
}

/** The keys trusted for `issuer` that carry the certificate's thumbprint (SHA-256 first). */
function issuerKeysFor(trust: TrustSnapshot, issuer: string, certificate: KeyInfoCertificate): TrustedKey[] {
  const found = new Set<TrustedKey>(trust.issuerKeys(issuer, 'sha256', certificate.sha256));
  for (const key of trust.issuerKeys(issuer, 'sha1', certificate.sha1)) found.add(key);
  return [...found];
}

/** The issuers, other than the token's, that trust a certificate: for the message of a refusal only. */
function otherIssuersTrusting(trust: TrustSnapshot, certificate: KeyInfoCertificate): string[] {
  const issuers = new Set<string>();
  for (const key of trust.keysBySha256(certificate.sha256)) issuers.add(key.issuer);
  for (const key of trust.keysBySha1(certificate.sha1)) issuers.add(key.issuer);
  return [...issuers];
}

/**
 * A bare thumbprint entered by hand holds no key material; then the
 * certificate the token carries is used — it is the trusted certificate,
 * since its thumbprint is the configured one (the WIF model; a SHA-256
 * thumbprint makes it collision-safe).
 */
function certificatePublicKey(certificate: KeyInfoCertificate): KeyObject {
  return parseCertificateDer(certificate.der).publicKey;
}

/**
 * Maps a signature's key to a trusted key of the issuer the token names, and
 * verifies the signature with that key's own material.
 *
 * - With a certificate in KeyInfo, its thumbprint is looked up among the keys
 *   trusted for `issuer` (O(1)); a key trusted for another issuer does not
 *   vouch for this one (`CG_TRUST_KEY_WRONG_ISSUER`).
 * - Without one, the issuer's trusted keys are tried, at most as many as it has.
 *
 * @throws ClaimsgateError `CG_TRUST_KEY_UNKNOWN`, `CG_TRUST_KEY_WRONG_ISSUER`,
 *   `CG_TRUST_KEY_NO_MATERIAL`, and the `CG_SIG_*` codes of verification.
 */
export function verifyWithTrust(
  inspection: SignatureInspection,
  signedElement: XmlElement,
  trust: TrustSnapshot,
  issuer: TrustedIssuer,
  issuerName: string,
): TrustedSignature {
  const presented = inspection.keyInfoCertificates;
  if (presented.length > 0) {
    for (const certificate of presented) {
      // Trust is per (issuer, key): only a key trusted for the issuer the token names is looked for.
      const key = issuerKeysFor(trust, issuer.issuer, certificate)[0];
      if (key === undefined) continue;
      const material = key.publicKey ?? certificatePublicKey(certificate);
      const canonical = verifyEnvelopedSignature(inspection, signedElement, material);
      return { canonical, key, sha1: key.sha1 ?? certificate.sha1, sha256: key.sha256 ?? certificate.sha256 };
    }
    for (const certificate of presented) {
      const others = otherIssuersTrusting(trust, certificate);
      if (others.length === 0) continue;
      // SECURITY: node-saml and passport-wsfed-saml2 accept a key trusted for
      // issuer A on a token that names issuer B; the key mapping is per issuer.
      // The validator treats this like an unknown key of B (B's metadata may
      // publish it by now) before the refusal stands.
      throw new ClaimsgateError(
        'CG_TRUST_KEY_WRONG_ISSUER',
        `The token names issuer ${issuerName}, but its signing key ${certificate.sha1} is trusted only for ${others.join(', ')}.`,
        {
          detail: {
            issuer: issuerName,
            observed: { sha1: certificate.sha1, sha256: certificate.sha256 },
            expected: trust
              .keysForIssuer(issuer.issuer)
              .map((trusted) => trusted.sha1 ?? trusted.sha256 ?? trusted.kid),
            trustedFor: others,
          },
        },
      );
    }
    const first = presented[0]!;
    let certificate;
    try {
      certificate = parseCertificateDer(first.der);
    } catch {
      certificate = undefined;
    }
    throw unknownKeyError(trust, issuerName, { sha1: first.sha1, sha256: first.sha256, certificate });
  }

  const keys = trust.keysForIssuer(issuer.issuer);
  const withMaterial = keys.filter((key) => key.publicKey !== undefined);
  if (withMaterial.length === 0) {
    if (keys.length > 0) {
      throw new ClaimsgateError(
        'CG_TRUST_KEY_NO_MATERIAL',
        `Issuer ${issuerName} is trusted by thumbprint only, and the token's signature carries no certificate to match against it.`,
        {
          detail: {
            issuer: issuerName,
            expected: keys.map((key) => key.sha1 ?? key.sha256),
          },
        },
      );
    }
    throw unknownKeyError(trust, issuerName, {});
  }
  // SECURITY: without a certificate to look up, each candidate costs a signature
  // verification; real issuers publish a handful of keys, so the attempts are capped.
  if (withMaterial.length > MAX_KEYS_WITHOUT_KEYINFO) {
    throw new ClaimsgateError(
      'CG_TRUST_KEY_UNKNOWN',
      `The token's signature names no certificate and issuer ${issuerName} has ${withMaterial.length} keys; claimsgate tries at most ${MAX_KEYS_WITHOUT_KEYINFO} without a certificate to look up.`,
      {
        detail: { issuer: issuerName, observed: {}, trustedKeyCount: withMaterial.length },
        hint: 'Have the issuer include its certificate in the signature (KeyInfo), or retire the keys it no longer uses.',
      },
    );
  }
  for (const key of withMaterial) {
    try {
      const canonical = verifyEnvelopedSignature(inspection, signedElement, key.publicKey!);
      return { canonical, key, sha1: key.sha1, sha256: key.sha256 };
    } catch (error) {
      // Another key of the issuer may have signed: only a wrong-key failure moves on.
      if (
        !(error instanceof ClaimsgateError) ||
        (error.code !== 'CG_SIG_VALUE_INVALID' && error.code !== 'CG_SIG_KEY_INVALID')
      ) {
        throw error;
      }
    }
  }
  throw unknownKeyError(trust, issuerName, {});
}
