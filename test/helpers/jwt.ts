import assert from 'node:assert/strict';
import { constants, sign, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { parseCertificateDer, type CertificateInfo } from '../../src/crypto/certificate.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import type { IssuerMetadata, PublishedKey } from '../../src/metadata/model.js';
import type { TrustSnapshot, TrustedIssuer, TrustedKey } from '../../src/tokens/trust-snapshot.js';
import { DEFAULT_MAX_TOKEN_BYTES, type ValidationContext } from '../../src/tokens/validation-context.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromMetadata, type IssuerTrustOptions } from '../../src/trust/in-memory-trust.js';
import { createTestCertificate, type TestCertificateOptions } from './certificates.js';

/** The frozen instant every JWT test validates at. */
export const NOW = new Date('2025-03-01T12:00:00.000Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
export const AUDIENCE = 'api://claimsgate-test';

/** A generated signing key with its certificate, as an issuer would publish it. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly certificate: CertificateInfo;
  readonly kid: string | undefined;
}

/** Generates a signing key (RSA 2048 by default) with a self-signed certificate. */
export async function createSigningKey(
  kid: string | undefined,
  options: TestCertificateOptions = {},
): Promise<SigningKey> {
  const generated = await createTestCertificate(options);
  return { privateKey: generated.privateKey, certificate: parseCertificateDer(generated.der), kid };
}

/** The key as a metadata document publishes it; `issuer` is a JWK's own issuer member. */
export function publishedKey(key: SigningKey, issuer?: string): PublishedKey {
  return {
    sha1: key.certificate.sha1,
    sha256: key.certificate.sha256,
    kid: key.kid,
    certificate: key.certificate,
    jwk: undefined,
    sections: ['jwks'],
    issuer,
  };
}

/** A key set's metadata holding these keys. */
export function keySetMetadata(keys: readonly PublishedKey[], issuer?: string): IssuerMetadata {
  return {
    format: 'jwks',
    issuer,
    endpoints: [],
    signingKeys: keys,
    encryptionKeys: [],
    validUntil: undefined,
    cacheDuration: undefined,
    entityIds: [],
  };
}

/** One issuer of a test trust snapshot. */
export interface TestIssuer {
  readonly issuer: string;
  readonly keys: readonly PublishedKey[];
  readonly options?: Omit<IssuerTrustOptions, 'issuer'>;
}

/** A trust snapshot over issuers built as trustFromMetadata builds them, plus extra keys. */
export function buildTrust(
  issuers: readonly TestIssuer[],
  extra: { issuers?: readonly TrustedIssuer[]; keys?: readonly TrustedKey[] } = {},
): TrustSnapshot {
  const built = issuers.map((entry) =>
    trustFromMetadata(keySetMetadata(entry.keys, entry.issuer), { ...entry.options, issuer: entry.issuer }),
  );
  return createTrustSnapshot({
    issuers: [...built.map((entry) => entry.issuer), ...(extra.issuers ?? [])],
    keys: [...built.flatMap((entry) => entry.keys), ...(extra.keys ?? [])],
    builtAt: NOW,
  });
}

/** A validation context at {@link NOW} accepting {@link AUDIENCE}. */
export function contextFor(
  trust: TrustSnapshot,
  overrides: Partial<ValidationContext> = {},
): ValidationContext {
  return {
    trust,
    audiences: [AUDIENCE],
    now: NOW,
    clockSkewSeconds: 300,
    recipient: undefined,
    destination: undefined,
    inResponseTo: undefined,
    maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES,
    ...overrides,
  };
}

/** Claims of a token valid at {@link NOW} for {@link AUDIENCE}. */
export function claimsFor(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: issuer,
    aud: AUDIENCE,
    sub: 'bob@contoso.com',
    iat: NOW_SECONDS - 60,
    nbf: NOW_SECONDS - 60,
    exp: NOW_SECONDS + 3600,
    jti: 'token-1',
    ...extra,
  };
}

/** Signs claims with jose's SignJWT, as an issuer would. */
export async function signJwt(
  key: KeyObject,
  alg: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);
}

function segment(value: string | Record<string, unknown>): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/**
 * Builds and signs a JWS by hand with node:crypto, for headers and payloads
 * jose refuses to produce (`crit`, `b64`, duplicate members, raw JSON text).
 */
export function signRaw(
  key: KeyObject,
  alg: 'RS256' | 'PS256' | 'ES256',
  header: string | Record<string, unknown>,
  payload: string | Record<string, unknown>,
): string {
  const input = `${segment(header)}.${segment(payload)}`;
  const signature =
    alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key)
      : alg === 'PS256'
        ? sign('sha256', Buffer.from(input), {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: 32,
          })
        : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** An unsigned JWS with the given segments, signature text as given. */
export function buildUnsigned(
  header: string | Record<string, unknown>,
  payload: string | Record<string, unknown>,
  signature = '',
): string {
  return `${segment(header)}.${segment(payload)}.${signature}`;
}

/** Asserts that `promise` rejects with a ClaimsgateError of `code`, and returns it for further checks. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
): Promise<{ code: ErrorCode; detail: Record<string, unknown> }> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${code}, but the token was accepted`);
  assert.ok(
    isClaimsgateError(caught),
    `expected ${code}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : typeof caught}`,
  );
  assert.equal(caught.code, code);
  return { code: caught.code, detail: caught.detail };
}
