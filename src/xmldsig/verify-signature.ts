/**
 * Verifies an inspected enveloped signature with a key the caller chose.
 */
import { constants, createHash, KeyObject, timingSafeEqual, verify } from 'node:crypto';
import { DIGEST_ALGORITHMS, SIGNATURE_ALGORITHMS, type SignatureAlgorithmSpec } from './algorithms.js';
import { canonicalizeSignedElement, canonicalizeSignedInfo } from './canonicalize.js';
import { signatureError } from './ds-structure.js';
import type { SignatureInspection } from './inspect-signature.js';
import type { XmlElement } from '../xml/light-dom.js';

const KEY_TYPE_FOR_FAMILY = { rsa: 'rsa', ecdsa: 'ec' } as const;

/** Checks that the key can verify this algorithm: a public key of the algorithm's family. */
function checkKey(publicKey: KeyObject, spec: SignatureAlgorithmSpec, algorithm: string): void {
  // SECURITY: a secret key is refused outright, so nothing can turn this
  // into an HMAC check keyed by public material (B5).
  if (publicKey.type !== 'public') {
    throw signatureError(
      'CG_SIG_KEY_INVALID',
      'key-not-public',
      `A ${publicKey.type} key was given to verify a signature; a public key is required.`,
      { observed: publicKey.type, expected: 'public' },
    );
  }
  const expected = KEY_TYPE_FOR_FAMILY[spec.family];
  if (publicKey.asymmetricKeyType !== expected) {
    throw signatureError(
      'CG_SIG_KEY_INVALID',
      'key-type-mismatch',
      `The signature algorithm needs an ${expected.toUpperCase()} key; the trusted key is ${publicKey.asymmetricKeyType ?? 'unknown'}.`,
      { observed: publicKey.asymmetricKeyType, expected, algorithm },
    );
  }
}

/**
 * Verifies the enveloped signature described by `inspection` with
 * `publicKey`, which the caller selected from its trusted keys (never the
 * document's KeyInfo). The SignatureValue over the canonical SignedInfo is
 * checked first, as it is the cheaper check and refuses a forgery before the
 * signed content is canonicalised; then the digest of the signed element.
 * Neither changes the caller's DOM.
 *
 * The inspection's values (algorithms, URI, DigestValue) were read from the
 * DOM after checks that keep them equal to what the canonical SignedInfo
 * says: no comments or processing instructions inside, every part located
 * by position.
 *
 * Returns the canonical XML of the signed element (see
 * {@link canonicalizeSignedElement}): the only text a caller should read
 * claims from, re-parsed.
 *
 * @throws ClaimsgateError `CG_SIG_KEY_INVALID` (key not public, or not of the
 *   algorithm's type), `CG_SIG_VALUE_INVALID`, `CG_SIG_DIGEST_MISMATCH`,
 *   `CG_SIG_CANONICAL_TOO_LARGE` (past the inspection's `maxCanonicalLength`),
 *   `CG_SIG_ALGORITHM_FORBIDDEN` (an inspection not produced by
 *   `inspectEnvelopedSignature`).
 * @throws TypeError when `publicKey` is not a KeyObject or `signedElement`
 *   does not carry the inspected signature.
 * @see XML Signature Syntax and Processing 1.1 §3.2 (core validation).
 */
export function verifyEnvelopedSignature(
  inspection: SignatureInspection,
  signedElement: XmlElement,
  publicKey: KeyObject,
): string {
  if (!(publicKey instanceof KeyObject)) throw new TypeError('publicKey must be a node:crypto KeyObject.');
  if (inspection.signature.parentNode !== signedElement) {
    throw new TypeError('signedElement must be the element that carries the inspected signature.');
  }
  const signatureSpec = SIGNATURE_ALGORITHMS.get(inspection.signatureAlgorithm);
  const digestSpec = DIGEST_ALGORITHMS.get(inspection.digestAlgorithm);
  if (signatureSpec === undefined || digestSpec === undefined) {
    throw signatureError(
      'CG_SIG_ALGORITHM_FORBIDDEN',
      'algorithm-forbidden',
      'The inspection names an algorithm outside the allow-list.',
      { observed: [inspection.signatureAlgorithm, inspection.digestAlgorithm] },
    );
  }
  checkKey(publicKey, signatureSpec, inspection.signatureAlgorithm);

  const signedInfo = Buffer.from(canonicalizeSignedInfo(inspection), 'utf8');
  const keyOptions =
    signatureSpec.family === 'rsa'
      ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING }
      : // XML-DSig ECDSA signatures are r||s, not DER (RFC 4050 §3.3, XML-DSig 1.1 §6.4.3).
        { key: publicKey, dsaEncoding: 'ieee-p1363' as const };
  let valid: boolean;
  try {
    valid = verify(signatureSpec.hash, signedInfo, keyOptions, inspection.signatureValue);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw signatureError(
      'CG_SIG_VALUE_INVALID',
      'signature-value-invalid',
      'The SignatureValue does not verify with the trusted key.',
      { algorithm: inspection.signatureAlgorithm },
    );
  }

  const canonical = canonicalizeSignedElement(inspection, signedElement);
  const digest = createHash(digestSpec.hash).update(canonical, 'utf8').digest();
  if (digest.length !== inspection.digestValue.length || !timingSafeEqual(digest, inspection.digestValue)) {
    throw signatureError(
      'CG_SIG_DIGEST_MISMATCH',
      'digest-mismatch',
      `The digest of <${signedElement.nodeName}> does not match the signed DigestValue: the content was changed after signing.`,
      { algorithm: inspection.digestAlgorithm, referenceId: inspection.referenceId },
    );
  }
  return canonical;
}
