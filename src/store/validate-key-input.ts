import { parseCertificateDer, type CertificateInfo } from '../crypto/certificate.js';
import type { KeySource, KeyState } from '../tokens/trust-snapshot.js';
import {
  invalid,
  normalizeThumbprintField,
  optionalDate,
  optionalText,
  requireText,
} from './input-values.js';
import { KEY_SOURCES, KEY_STATES } from './key-schema.js';
import type { NewKey } from './model.js';

/** Every field of a key fixed when it is added (the store adds id and the timestamps it keeps). */
export type KeyFields = {
  readonly issuerId: string;
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
  readonly certificateDer: Buffer | null;
  readonly jwk: Readonly<Record<string, unknown>> | null;
  readonly subject: string | null;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
  readonly source: KeySource;
  readonly state: KeyState;
  readonly lastSeenInMetadataAt: Date | null;
};

export { KEY_SOURCES, KEY_STATES } from './key-schema.js';

function normalizeSha1(field: string, value: string): string {
  const normalized = normalizeThumbprintField(field, value);
  if (normalized.length !== 40) throw invalid(field, 'a SHA-1 thumbprint (40 hexadecimal digits)', value);
  return normalized;
}

function normalizeSha256(field: string, value: string): string {
  const normalized = normalizeThumbprintField(field, value);
  if (normalized.length !== 64) throw invalid(field, 'a SHA-256 thumbprint (64 hexadecimal digits)', value);
  return normalized;
}

/** Checks a key state name. @throws ClaimsgateError `CG_STORE_INVALID`. */
export function normalizeKeyState(state: unknown): KeyState {
  if (!KEY_STATES.includes(state as KeyState))
    throw invalid('state', `one of ${KEY_STATES.join(', ')}`, state);
  return state as KeyState;
}

function parseKeyCertificate(der: unknown): CertificateInfo {
  if (!Buffer.isBuffer(der) && !(der instanceof Uint8Array))
    throw invalid('certificateDer', 'a Buffer holding a DER certificate', typeof der);
  try {
    return parseCertificateDer(der);
  } catch (error) {
    throw invalid('certificateDer', 'a DER-encoded X.509 certificate', `${der.length} bytes`, error);
  }
}

/**
 * Checks a new key and completes it from its certificate: thumbprints are
 * normalised (uppercase hex, pasted separators and invisible characters
 * removed); with a certificate, missing thumbprints, subject and validity are
 * taken from it. The state defaults to `active`.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the field — including a
 *   thumbprint that does not match the certificate given with it, and a key
 *   with no thumbprint and no `kid` (nothing could ever match it).
 */
export function normalizeNewKey(input: NewKey): KeyFields {
  if (typeof input !== 'object' || input === null) throw invalid('key', 'an object', input);
  const issuerId = requireText('issuerId', input.issuerId);
  if (!KEY_SOURCES.includes(input.source)) throw invalid('source', "'metadata' or 'manual'", input.source);
  let sha1 = input.sha1 === undefined || input.sha1 === null ? null : normalizeSha1('sha1', input.sha1);
  let sha256 =
    input.sha256 === undefined || input.sha256 === null ? null : normalizeSha256('sha256', input.sha256);
  let subject = optionalText('subject', input.subject);
  let notBefore = optionalDate('notBefore', input.notBefore);
  let notAfter = optionalDate('notAfter', input.notAfter);
  let certificateDer: Buffer | null = null;
  if (input.certificateDer !== undefined && input.certificateDer !== null) {
    const certificate = parseKeyCertificate(input.certificateDer);
    // SECURITY: a thumbprint that disagrees with the certificate stored beside it would let the
    // index say one key is trusted while the material says another; refuse the pair.
    if (sha1 !== null && sha1 !== certificate.sha1)
      throw invalid('sha1', `the certificate's ${certificate.sha1}`, sha1);
    if (sha256 !== null && sha256 !== certificate.sha256)
      throw invalid('sha256', `the certificate's ${certificate.sha256}`, sha256);
    certificateDer = Buffer.from(certificate.der);
    sha1 = certificate.sha1;
    sha256 = certificate.sha256;
    subject ??= certificate.subject;
    notBefore ??= certificate.notBefore;
    notAfter ??= certificate.notAfter;
  }
  let jwk: Readonly<Record<string, unknown>> | null = null;
  if (input.jwk !== undefined && input.jwk !== null) {
    if (typeof input.jwk !== 'object' || Array.isArray(input.jwk))
      throw invalid('jwk', 'a JWK object', input.jwk);
    jwk = JSON.parse(JSON.stringify(input.jwk)) as Record<string, unknown>;
  }
  const kid = optionalText('kid', input.kid);
  if (sha1 === null && sha256 === null && kid === null)
    throw invalid('key', 'a certificate, a thumbprint (sha1 or sha256) or a kid', null);
  return {
    issuerId,
    sha1,
    sha256,
    kid,
    certificateDer,
    jwk,
    subject,
    notBefore,
    notAfter,
    source: input.source,
    state: input.state === undefined ? 'active' : normalizeKeyState(input.state),
    lastSeenInMetadataAt: optionalDate('lastSeenInMetadataAt', input.lastSeenInMetadataAt),
  };
}
