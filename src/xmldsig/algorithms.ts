/**
 * The XML-Signature algorithm identifiers claimsgate knows, and the
 * allow-lists it enforces. Anything not listed here is refused before any
 * cryptography runs.
 *
 * @see XML Signature Syntax and Processing 1.1 §6 (Algorithms); RFC 6931 (additional URIs).
 */

/** Exclusive XML canonicalisation 1.0, without comments: the only canonicalisation accepted. */
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
/** The namespace of `ec:InclusiveNamespaces` (the same URI as the algorithm). */
export const EXC_C14N_NS = EXC_C14N;
/** The enveloped-signature transform. */
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * The one accepted `Reference` transform chain. Enveloped-signature must come
 * first (without it the digest would cover its own DigestValue), and exclusive
 * c14n must end the chain (otherwise XML-DSig applies inclusive c14n
 * implicitly, which is refused).
 */
export const REQUIRED_TRANSFORMS: readonly string[] = [ENVELOPED_SIGNATURE, EXC_C14N];

/** How one accepted digest algorithm maps to node:crypto. */
export interface DigestAlgorithmSpec {
  /** The node:crypto hash name. */
  readonly hash: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** Digest length in bytes. */
  readonly bytes: number;
  /** SHA-1: accepted only where the caller opts in. */
  readonly weak: boolean;
}

/** How one accepted signature algorithm maps to node:crypto. */
export interface SignatureAlgorithmSpec {
  readonly hash: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** RSA PKCS#1 v1.5, or ECDSA with the raw r||s (IEEE P1363) encoding XML-DSig uses. */
  readonly family: 'rsa' | 'ecdsa';
  readonly weak: boolean;
}

// Maps, not object literals: a URI such as `constructor` must not find anything.
export const DIGEST_ALGORITHMS: ReadonlyMap<string, DigestAlgorithmSpec> = new Map([
  ['http://www.w3.org/2001/04/xmlenc#sha256', { hash: 'sha256', bytes: 32, weak: false }],
  ['http://www.w3.org/2001/04/xmldsig-more#sha384', { hash: 'sha384', bytes: 48, weak: false }],
  ['http://www.w3.org/2001/04/xmlenc#sha512', { hash: 'sha512', bytes: 64, weak: false }],
  ['http://www.w3.org/2000/09/xmldsig#sha1', { hash: 'sha1', bytes: 20, weak: true }],
] as const);

// SECURITY: no HMAC URI is listed, so a document "signed" with an HMAC keyed
// by the issuer's public certificate can never be verified (key confusion).
// RSA-PSS (sha256-rsa-MGF1), DSA and MD5 are absent as well.
export const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SignatureAlgorithmSpec> = new Map([
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', { hash: 'sha256', family: 'rsa', weak: false }],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha384', { hash: 'sha384', family: 'rsa', weak: false }],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', { hash: 'sha512', family: 'rsa', weak: false }],
  ['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', { hash: 'sha256', family: 'ecdsa', weak: false }],
  ['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384', { hash: 'sha384', family: 'ecdsa', weak: false }],
  ['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512', { hash: 'sha512', family: 'ecdsa', weak: false }],
  ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', { hash: 'sha1', family: 'rsa', weak: true }],
] as const);

/** The digest algorithm URIs accepted under the given SHA-1 policy. */
export function allowedDigestAlgorithms(allowSha1: boolean): string[] {
  return [...DIGEST_ALGORITHMS].filter(([, spec]) => allowSha1 || !spec.weak).map(([uri]) => uri);
}

/** The signature algorithm URIs accepted under the given SHA-1 policy. */
export function allowedSignatureAlgorithms(allowSha1: boolean): string[] {
  return [...SIGNATURE_ALGORITHMS].filter(([, spec]) => allowSha1 || !spec.weak).map(([uri]) => uri);
}
