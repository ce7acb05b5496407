import { parseCertificateDer, type CertificateInfo } from '../crypto/certificate.js';
import { normalizeThumbprint } from '../crypto/thumbprint.js';
import type { ErrorCode } from '../lib/error-codes.js';
import { ClaimsgateError } from '../lib/errors.js';
import { signatureError } from '../xmldsig/ds-structure.js';
import { inspectEnvelopedSignature } from '../xmldsig/inspect-signature.js';
import { verifyEnvelopedSignature } from '../xmldsig/verify-signature.js';
import type { IssuerMetadata } from './model.js';
import type { XmlElement } from '../xml/light-dom.js';

/** Most certificates in the document signature's KeyInfo that are parsed and tried (a signer and its chain). */
const MAX_SIGNATURE_CERTIFICATES = 8;

/** The signer of a metadata document, as far as the document tells. */
export interface MetadataSigner {
  readonly sha1: string;
  readonly sha256: string;
  readonly subject: string;
  readonly notAfter: Date;
}

/** What the document's own enveloped signature says. */
export type MetadataSignatureReport =
  | { readonly status: 'unsigned' }
  | {
      readonly status: 'valid';
      readonly signer: MetadataSigner;
      /** The signer is one of the signing keys the document advertises (Azure AD, AD FS). */
      readonly signerIsAdvertisedKey: boolean;
      readonly signatureAlgorithm: string;
      readonly usesSha1: boolean;
    }
  | {
      readonly status: 'invalid';
      /** Why: a `CG_SIG_*` code. */
      readonly reason: ErrorCode;
      readonly message: string;
      readonly signer: MetadataSigner | undefined;
    };

/**
 * Which signatures a metadata document must carry before its keys are used.
 * - `off`: the signature is reported, never required.
 * - `self-consistent` (default): a signature that is present must verify
 *   (with the certificate in its KeyInfo or an advertised key); unsigned is accepted.
 *   This is what Azure AD allows: it signs with its own rolling token-signing key.
 * - `pinned`: the document must be signed by one of `pinnedSigners`.
 */
export type MetadataSignaturePolicy =
  | { readonly mode: 'off' }
  | { readonly mode: 'self-consistent' }
  | { readonly mode: 'pinned'; readonly pinnedSigners: readonly string[] };

function describeSigner(certificate: CertificateInfo): MetadataSigner {
  return {
    sha1: certificate.sha1,
    sha256: certificate.sha256,
    subject: certificate.subject,
    notAfter: certificate.notAfter,
  };
}

/**
 * Checks the enveloped signature of an XML metadata document against the
 * certificate in its own KeyInfo — or, when it carries none, against the
 * signing keys the document advertises — and reports the outcome. It never
 * throws for a bad signature: it reports it. Apply a policy with
 * {@link enforceMetadataSignaturePolicy}. A KeyInfo with more than
 * {@link MAX_SIGNATURE_CERTIFICATES} certificates is reported invalid
 * (`CG_SIG_STRUCTURE_INVALID`) without parsing any of them.
 *
 * @see XML Signature Syntax and Processing 1.1 §3.2 (core validation)
 * @see SAML V2.0 Metadata §3.1 (signing metadata)
 */
export function checkMetadataSignature(root: XmlElement, metadata: IssuerMetadata): MetadataSignatureReport {
  let signer: CertificateInfo | undefined;
  try {
    // Metadata signatures are reported whatever their algorithm; SHA-1 is flagged, not refused.
    const inspection = inspectEnvelopedSignature(root, { allowSha1: true });
    if (inspection === undefined) return { status: 'unsigned' };
    const advertised = metadata.signingKeys.flatMap((key) =>
      key.certificate === undefined ? [] : [key.certificate],
    );
    // SECURITY: each KeyInfo certificate is parsed and tried; a signer sends
    // its certificate, perhaps with its chain, not hundreds of them.
    if (inspection.keyInfoCertificates.length > MAX_SIGNATURE_CERTIFICATES) {
      throw signatureError(
        'CG_SIG_STRUCTURE_INVALID',
        'too-many-certificates',
        `The metadata signature's KeyInfo holds ${inspection.keyInfoCertificates.length} certificates; at most ${MAX_SIGNATURE_CERTIFICATES} are considered.`,
        { observed: inspection.keyInfoCertificates.length, expected: `<= ${MAX_SIGNATURE_CERTIFICATES}` },
      );
    }
    const candidates =
      inspection.keyInfoCertificates.length > 0
        ? inspection.keyInfoCertificates.map((certificate) => parseCertificateDer(certificate.der))
        : advertised;
    if (candidates.length === 0) {
      throw new ClaimsgateError(
        'CG_SIG_KEY_INVALID',
        'The metadata signature names no certificate and the document advertises none.',
        {
          detail: { expected: 'a certificate in KeyInfo or an advertised signing key' },
        },
      );
    }
    let lastError: unknown;
    for (const candidate of candidates) {
      signer = candidate;
      try {
        verifyEnvelopedSignature(inspection, root, candidate.publicKey);
        return {
          status: 'valid',
          signer: describeSigner(candidate),
          signerIsAdvertisedKey: metadata.signingKeys.some((key) => key.sha256 === candidate.sha256),
          signatureAlgorithm: inspection.signatureAlgorithm,
          usesSha1: inspection.usesSha1,
        };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  } catch (error) {
    if (!(error instanceof ClaimsgateError)) throw error;
    return {
      status: 'invalid',
      reason: error.code,
      message: error.message,
      signer: signer === undefined ? undefined : describeSigner(signer),
    };
  }
}

/**
 * Refuses a metadata document whose signature does not satisfy the policy.
 *
 * @throws ClaimsgateError `CG_META_SIGNATURE_INVALID`, `CG_META_SIGNATURE_MISSING`,
 *   `CG_META_SIGNER_NOT_PINNED`; `CG_TRUST_THUMBPRINT_INVALID` for a bad pinned thumbprint.
 */
export function enforceMetadataSignaturePolicy(
  report: MetadataSignatureReport,
  policy: MetadataSignaturePolicy,
  context: { readonly url?: string; readonly issuer?: string } = {},
): void {
  if (policy.mode === 'off') return;
  if (report.status === 'invalid') {
    throw new ClaimsgateError(
      'CG_META_SIGNATURE_INVALID',
      `The metadata signature does not verify: ${report.message}`,
      {
        detail: { ...context, observed: report.reason, signer: report.signer?.sha1 },
      },
    );
  }
  if (policy.mode === 'self-consistent') return;
  const pinned = policy.pinnedSigners.map((value) => normalizeThumbprint(value).thumbprint);
  if (report.status === 'unsigned') {
    throw new ClaimsgateError(
      'CG_META_SIGNATURE_MISSING',
      'The metadata is unsigned, but signer thumbprints are pinned.',
      {
        detail: { ...context, expected: pinned },
      },
    );
  }
  if (!pinned.includes(report.signer.sha1) && !pinned.includes(report.signer.sha256)) {
    throw new ClaimsgateError(
      'CG_META_SIGNER_NOT_PINNED',
      `The metadata is signed by ${report.signer.sha1} (${report.signer.subject}), which is not a pinned signer.`,
      { detail: { ...context, observed: report.signer.sha1, expected: pinned } },
    );
  }
}
