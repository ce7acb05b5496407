import { X509Certificate, type KeyObject } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';
import { computeThumbprint } from './thumbprint.js';

/** An X.509 certificate with the facts claimsgate reports and trusts by. */
export interface CertificateInfo {
  /** The DER encoding: what thumbprints are computed over. */
  readonly der: Buffer;
  /** Subject distinguished name, `CN=…, O=…`. */
  readonly subject: string;
  /** Issuer distinguished name. */
  readonly issuer: string;
  /** Serial number, uppercase hex. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** `rsa`, `ec`, `rsa-pss`, `ed25519`, … */
  readonly keyType: string;
  /** RSA modulus length in bits, or the EC key size in bits. */
  readonly keySize: number | undefined;
  /** EC curve name, when the key is EC. */
  readonly curve: string | undefined;
  /** SHA-1 thumbprint, uppercase hex. */
  readonly sha1: string;
  /** SHA-256 thumbprint, uppercase hex. */
  readonly sha256: string;
  /** The public key, ready for signature verification. */
  readonly publicKey: KeyObject;
}

const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
};

/** Node prints DNs one RDN per line; thumbprint tools and logs use `, `. */
function formatDistinguishedName(multiline: string): string {
  return multiline.split('\n').filter(Boolean).join(', ');
}

/**
 * Parses one DER-encoded certificate.
 *
 * @throws ClaimsgateError `CG_CERT_INVALID` when the bytes are not an X.509 certificate.
 */
export function parseCertificateDer(der: Uint8Array): CertificateInfo {
  const bytes = Buffer.from(der);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(bytes);
  } catch (cause) {
    throw new ClaimsgateError('CG_CERT_INVALID', 'The data is not a valid X.509 certificate.', {
      cause,
      detail: { observed: `${bytes.length} bytes`, expected: 'a DER-encoded X.509 certificate' },
    });
  }
  const publicKey = x509.publicKey;
  const details = publicKey.asymmetricKeyDetails ?? {};
  const curve = details.namedCurve;
  return {
    der: bytes,
    subject: formatDistinguishedName(x509.subject),
    issuer: formatDistinguishedName(x509.issuer),
    serialNumber: x509.serialNumber.toUpperCase(),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    keyType: publicKey.asymmetricKeyType ?? 'unknown',
    keySize: details.modulusLength ?? (curve === undefined ? undefined : CURVE_BITS[curve]),
    curve,
    sha1: computeThumbprint(bytes, 'sha1'),
    sha256: computeThumbprint(bytes, 'sha256'),
    publicKey,
  };
}

const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes a bare base64 certificate exactly as copied out of an
 * `<X509Certificate>` element or a JWK `x5c` entry: line breaks, spaces and
 * tabs inside are ignored.
 *
 * @throws ClaimsgateError `CG_CERT_INVALID` when the text is not base64 or not a certificate.
 */
export function parseCertificateBase64(text: string): CertificateInfo {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
    throw new ClaimsgateError('CG_CERT_INVALID', 'The certificate text is not valid base64.', {
      detail: { observed: `${compact.length} characters`, expected: 'base64 (A–Z, a–z, 0–9, +, /, =)' },
    });
  }
  return parseCertificateDer(Buffer.from(compact, 'base64'));
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Reads every certificate in a PEM text, in order. Blocks of other types
 * (keys, CSRs) are skipped.
 *
 * @throws ClaimsgateError `CG_CERT_INVALID` when a CERTIFICATE block does not decode;
 *   `CG_CERT_NOT_FOUND` when there is no CERTIFICATE block.
 */
export function parseCertificatesPem(text: string): CertificateInfo[] {
  const certificates: CertificateInfo[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [, label, body] = match;
    if (label !== 'CERTIFICATE' && label !== 'X509 CERTIFICATE' && label !== 'TRUSTED CERTIFICATE') continue;
    try {
      certificates.push(parseCertificateBase64(body ?? ''));
    } catch (cause) {
      throw new ClaimsgateError(
        'CG_CERT_INVALID',
        `PEM block ${certificates.length + 1} (${label}) is not a valid certificate.`,
        { cause, detail: { observed: label, position: certificates.length + 1 } },
      );
    }
  }
  if (certificates.length === 0) {
    throw new ClaimsgateError('CG_CERT_NOT_FOUND', 'The PEM text contains no CERTIFICATE block.', {
      detail: { expected: '-----BEGIN CERTIFICATE-----' },
    });
  }
  return certificates;
}

/** Whether the bytes start like a DER SEQUENCE (the outer element of a certificate). */
function looksLikeDer(bytes: Uint8Array): boolean {
  return (
    bytes.length > 4 && bytes[0] === 0x30 && (bytes[1] === 0x82 || bytes[1] === 0x81 || bytes[1]! < 0x80)
  );
}

/**
 * Reads the certificates in a file or pasted value whose form is not known in
 * advance: PEM (one or many), bare base64 (whitespace allowed) or DER.
 * Federation metadata is not handled here: see `parseMetadata`.
 *
 * @throws ClaimsgateError `CG_CERT_INVALID` or `CG_CERT_NOT_FOUND`.
 */
export function readCertificates(input: Uint8Array | string): CertificateInfo[] {
  if (typeof input !== 'string' && looksLikeDer(input)) return [parseCertificateDer(input)];
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.includes('-----BEGIN')) return parseCertificatesPem(trimmed);
  if (trimmed.length === 0) {
    throw new ClaimsgateError('CG_CERT_NOT_FOUND', 'The input is empty.', {
      detail: { expected: 'a PEM, base64 or DER certificate' },
    });
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) return [parseCertificateBase64(trimmed)];
  throw new ClaimsgateError('CG_CERT_NOT_FOUND', 'The input is not a PEM, base64 or DER certificate.', {
    detail: { expected: 'a PEM, base64 or DER certificate' },
  });
}

/** Whole days from `now` until the certificate expires (negative once expired). */
export function daysUntilExpiry(certificate: Pick<CertificateInfo, 'notAfter'>, now: Date): number {
  return Math.floor((certificate.notAfter.getTime() - now.getTime()) / 86_400_000);
}
