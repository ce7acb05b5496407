import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';
import { isSealingPurpose, type SealingKeyRing, type SealingPurpose } from './sealing-keys.js';

/** Options for {@link seal}. */
export interface SealOptions {
  /** The time of sealing (the caller's clock). */
  readonly now: Date;
  /** How long the value opens, in seconds (fractions allowed). */
  readonly ttlSeconds: number;
}

/** Options for {@link open}. */
export interface OpenOptions {
  /** The time of opening (the caller's clock). */
  readonly now: Date;
}

/** An opened value. */
export interface OpenedValue {
  /** The payload as sealed (parsed JSON). */
  readonly payload: unknown;
  readonly issuedAt: Date;
  /** The value stops opening at this instant (`now >= expiresAt` is expired). */
  readonly expiresAt: Date;
  /** The ring key that sealed it; not the ring's sealing key after a rotation. */
  readonly keyId: string;
}

/** The format version, the first part of every sealed value. */
export const SEAL_VERSION = 'v1';
/** The longest sealed value {@link seal} produces: a cookie holds ≤ 4096 bytes with its name and attributes. */
export const MAX_SEALED_LENGTH = 4000;
/** The longest input {@link open} looks at; anything longer is malformed before any work. */
export const MAX_OPEN_INPUT_LENGTH = 8192;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The additional authenticated data: version, key ID and purpose. The purpose
 * is not written in the value, so a value presented for another purpose fails
 * authentication (it is also sealed under another derived key).
 */
function additionalData(keyId: string, purpose: SealingPurpose): Buffer {
  return Buffer.from(`${SEAL_VERSION}.${keyId}.${purpose}`, 'utf8');
}

function checkNow(now: unknown, name: string): number {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new TypeError(`${name}.now must be a valid Date.`);
  }
  return now.getTime();
}

function checkPurpose(purpose: unknown): SealingPurpose {
  if (!isSealingPurpose(purpose)) {
    throw new TypeError(`Unknown sealing purpose ${JSON.stringify(purpose)}.`);
  }
  return purpose;
}

/**
 * Seals a JSON-serialisable payload for one purpose with the ring's sealing
 * key: AES-256-GCM, a random 96-bit IV, the issue and expiry times inside the
 * encrypted plaintext. The result is `v1.<keyId>.<iv>.<ciphertext>.<tag>`
 * (base64url parts), safe in a cookie and a URL.
 *
 * @throws ClaimsgateError CG_SESSION_TOO_LARGE when the result would exceed
 *   {@link MAX_SEALED_LENGTH} characters.
 * @throws TypeError for an unknown purpose, a bad `now` or `ttlSeconds`, or a
 *   payload JSON cannot represent.
 * @see NIST SP 800-38D (GCM)
 */
export function seal(
  ring: SealingKeyRing,
  purpose: SealingPurpose,
  payload: unknown,
  options: SealOptions,
): string {
  checkPurpose(purpose);
  const now = checkNow(options.now, 'seal options');
  const { ttlSeconds } = options;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError('seal options.ttlSeconds must be a positive number of seconds.');
  }
  const expiresAt = now + Math.round(ttlSeconds * 1000);
  let plaintext: string | undefined;
  try {
    plaintext = JSON.stringify({ iat: now, exp: expiresAt, p: payload });
  } catch (error) {
    throw new TypeError('The payload to seal cannot be serialised as JSON.', { cause: error });
  }
  if (plaintext === undefined || payload === undefined) {
    throw new TypeError('The payload to seal cannot be serialised as JSON.');
  }

  const keyId = ring.sealingKeyId;
  const key = ring.purposeKey(keyId, purpose);
  if (key === undefined) throw new TypeError(`The key ring has no key ${keyId}.`);
  // SECURITY: GCM loses confidentiality and integrity if an IV repeats under
  // one key; 96 random bits keep the chance negligible below 2^32 seals per key
  // (NIST SP 800-38D §8.3). Rotate keys well before that.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(keyId, purpose));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();

  const sealed = [
    SEAL_VERSION,
    keyId,
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    tag.toString('base64url'),
  ].join('.');
  if (sealed.length > MAX_SEALED_LENGTH) {
    throw new ClaimsgateError(
      'CG_SESSION_TOO_LARGE',
      `The sealed ${purpose} value would be ${sealed.length} characters; at most ${MAX_SEALED_LENGTH} fit.`,
      { detail: { purpose, observed: sealed.length, expected: MAX_SEALED_LENGTH } },
    );
  }
  return sealed;
}

function malformed(purpose: SealingPurpose, reason: string): ClaimsgateError {
  // SECURITY: the message names the purpose and the reason only; the value a
  // client sent is never echoed back.
  return new ClaimsgateError('CG_SESSION_MALFORMED', `The ${purpose} value is malformed: ${reason}.`, {
    detail: { purpose, reason },
  });
}

/** Decodes one base64url part strictly: the canonical encoding only, so a value has one spelling. */
function decodePart(text: string, purpose: SealingPurpose, name: string, bytes?: number): Buffer {
  if (!BASE64URL.test(text)) throw malformed(purpose, `the ${name} is not base64url`);
  const decoded = Buffer.from(text, 'base64url');
  if (decoded.toString('base64url') !== text)
    throw malformed(purpose, `the ${name} is not canonical base64url`);
  if (bytes !== undefined && decoded.length !== bytes) {
    throw malformed(purpose, `the ${name} is ${decoded.length} bytes, not ${bytes}`);
  }
  return decoded;
}

function readEnvelope(plaintext: Buffer, purpose: SealingPurpose): { iat: number; exp: number; p: unknown } {
  let envelope: unknown;
  try {
    envelope = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw malformed(purpose, 'the sealed content is not JSON');
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw malformed(purpose, 'the sealed content is not an object');
  }
  const { iat, exp, p } = envelope as { iat?: unknown; exp?: unknown; p?: unknown };
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp) || p === undefined) {
    throw malformed(purpose, 'the sealed content lacks its times or payload');
  }
  return { iat: iat as number, exp: exp as number, p };
}

/**
 * Opens a value sealed by {@link seal} for the same purpose with a key still
 * in the ring, and checks that it has not expired.
 *
 * @throws ClaimsgateError CG_SESSION_MALFORMED (not a sealed value, wrong
 *   version, bad encoding, longer than {@link MAX_OPEN_INPUT_LENGTH}),
 *   CG_SESSION_KEY_UNKNOWN (its key is not in the ring: rotated out),
 *   CG_SESSION_INVALID (authentication failed: altered, or sealed for another
 *   purpose or with another secret), CG_SESSION_EXPIRED (`now >= expiresAt`).
 * @throws TypeError for an unknown purpose or a bad `now`.
 * @see NIST SP 800-38D (GCM)
 */
export function open(
  ring: SealingKeyRing,
  purpose: SealingPurpose,
  sealed: unknown,
  options: OpenOptions,
): OpenedValue {
  checkPurpose(purpose);
  const now = checkNow(options.now, 'open options');
  if (typeof sealed !== 'string' || sealed.length === 0) throw malformed(purpose, 'it is empty or not text');
  // SECURITY: bound the work an attacker can cause before anything is decoded.
  if (sealed.length > MAX_OPEN_INPUT_LENGTH) {
    throw malformed(purpose, `it is longer than ${MAX_OPEN_INPUT_LENGTH} characters`);
  }
  const parts = sealed.split('.');
  if (parts.length !== 5) throw malformed(purpose, 'it does not have five dot-separated parts');
  const [version, keyId, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
  if (version !== SEAL_VERSION) throw malformed(purpose, 'its version is not v1');
  if (!KEY_ID.test(keyId)) throw malformed(purpose, 'its key ID is not well formed');
  const iv = decodePart(ivText, purpose, 'IV', IV_BYTES);
  const ciphertext = decodePart(ciphertextText, purpose, 'ciphertext');
  // SECURITY: exactly 16 tag bytes; a shorter tag would be accepted by GCM and
  // make forgery cheaper (truncated-tag attacks).
  const tag = decodePart(tagText, purpose, 'tag', TAG_BYTES);

  const key = ring.purposeKey(keyId, purpose);
  if (key === undefined) {
    throw new ClaimsgateError(
      'CG_SESSION_KEY_UNKNOWN',
      `The ${purpose} value was sealed with key ${keyId}, which is not in the key ring.`,
      { detail: { purpose, keyId, observed: keyId, expected: ring.keyIds } },
    );
  }

  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(keyId, purpose));
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw new ClaimsgateError(
      'CG_SESSION_INVALID',
      `The ${purpose} value sealed with key ${keyId} failed authentication.`,
      { detail: { purpose, keyId }, cause: error },
    );
  }

  const { iat, exp, p } = readEnvelope(plaintext, purpose);
  if (now >= exp) {
    throw new ClaimsgateError(
      'CG_SESSION_EXPIRED',
      `The ${purpose} value expired at ${new Date(exp).toISOString()}.`,
      {
        detail: { purpose, keyId, expiredAt: new Date(exp).toISOString(), now: new Date(now).toISOString() },
      },
    );
  }
  return { payload: p, issuedAt: new Date(iat), expiresAt: new Date(exp), keyId };
}
