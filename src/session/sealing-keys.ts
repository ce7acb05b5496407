import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * What a sealed value is for. Each purpose has its own derived key, so a
 * value sealed for one purpose never opens for another.
 */
export type SealingPurpose = 'session' | 'wctx' | 'relay-state' | 'oidc-state' | 'csrf';

/** Every sealing purpose, in a fixed order. */
export const SEALING_PURPOSES: readonly SealingPurpose[] = Object.freeze([
  'session',
  'wctx',
  'relay-state',
  'oidc-state',
  // Not a sealing purpose proper: the key that signs CSRF tokens (HMAC-SHA256), kept apart from the others.
  'csrf',
]);

/** One key of a ring as configured: an ID and a secret of at least 32 bytes. */
export interface SealingKeyInput {
  /** 1–32 characters of `A–Z a–z 0–9 _ -`; it travels in every sealed value. */
  readonly id: string;
  /**
   * 64 hexadecimal digits (or more), base64/base64url of 32 bytes or more, or
   * a Buffer of 32 bytes or more. {@link generateSealingSecret} makes one.
   */
  readonly secret: string | Buffer;
}

/**
 * The sealing keys: the first seals, every key opens. Holds only derived
 * keys, never the configured secrets.
 */
export interface SealingKeyRing {
  /** The ID of the key that seals new values (the first one configured). */
  readonly sealingKeyId: string;
  /** Every key ID, sealing key first. */
  readonly keyIds: readonly string[];
  /** The AES-256-GCM key derived for `purpose` from key `keyId`; undefined when the ID is not in the ring. */
  purposeKey(keyId: string, purpose: SealingPurpose): KeyObject | undefined;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;
const MIN_SECRET_BYTES = 32;
// Fewer distinct byte values than this in 32+ bytes is all but impossible for
// random bytes (p < 1e-12) and typical of a placeholder ('aaaa…', zeros).
const MIN_DISTINCT_BYTES = 12;
const HKDF_SALT = Buffer.from('claimsgate sealing keys v1', 'utf8');

/** True when `purpose` names a sealing purpose. */
export function isSealingPurpose(purpose: unknown): purpose is SealingPurpose {
  return typeof purpose === 'string' && (SEALING_PURPOSES as readonly string[]).includes(purpose);
}

/** The secret's bytes, or a TypeError naming the key when it is too weak or unreadable. */
function decodeSecret(id: string, secret: unknown): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(secret)) {
    bytes = secret;
  } else if (typeof secret === 'string') {
    const text = secret.trim();
    if (HEX.test(text) && text.length % 2 === 0) {
      bytes = Buffer.from(text, 'hex');
    } else if (BASE64.test(text)) {
      bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    } else {
      throw new TypeError(
        `Sealing key ${id}: the secret must be hexadecimal or base64 text of at least ${MIN_SECRET_BYTES} bytes (generateSealingSecret() makes one).`,
      );
    }
  } else {
    throw new TypeError(`Sealing key ${id}: the secret must be a string or a Buffer.`);
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(
      `Sealing key ${id}: the secret has ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} random bytes are required (generateSealingSecret() makes one).`,
    );
  }
  if (new Set(bytes).size < MIN_DISTINCT_BYTES) {
    throw new TypeError(
      `Sealing key ${id}: the secret is not random (too few distinct bytes); use generateSealingSecret().`,
    );
  }
  return bytes;
}

/** HKDF-SHA256 (RFC 5869) of the secret, one 256-bit key per purpose. */
function deriveKey(secret: Buffer, purpose: SealingPurpose): KeyObject {
  const info = Buffer.from(`claimsgate v1 ${purpose} aes-256-gcm`, 'utf8');
  return createSecretKey(Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, info, 32)));
}

/**
 * Builds a key ring. The first key seals; every key opens. To rotate, put a
 * new key first and keep the old ones until everything sealed with them has
 * expired (the absolute session lifetime), then remove them.
 *
 * @throws TypeError when the list is empty, an ID is malformed or repeated, or
 *   a secret is shorter than 32 bytes or plainly not random (the message names
 *   the key ID, never the secret).
 * @see RFC 5869 (HKDF)
 */
export function createSealingKeyRing(keys: readonly SealingKeyInput[]): SealingKeyRing {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('The sealing key ring needs at least one key.');
  }
  const derived = new Map<string, ReadonlyMap<SealingPurpose, KeyObject>>();
  for (const key of keys as readonly unknown[]) {
    const { id, secret } = (key ?? {}) as { id?: unknown; secret?: unknown };
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      throw new TypeError(
        `Sealing key IDs are 1–32 characters of A–Z, a–z, 0–9, _ and -; got ${JSON.stringify(id)}.`,
      );
    }
    if (derived.has(id)) throw new TypeError(`Sealing key ${id} is listed twice.`);
    const bytes = decodeSecret(id, secret);
    derived.set(id, new Map(SEALING_PURPOSES.map((purpose) => [purpose, deriveKey(bytes, purpose)])));
  }
  const keyIds = Object.freeze([...derived.keys()]);
  return Object.freeze({
    sealingKeyId: keyIds[0]!,
    keyIds,
    purposeKey(keyId: string, purpose: SealingPurpose): KeyObject | undefined {
      return derived.get(keyId)?.get(purpose);
    },
  });
}

/** A new sealing secret: 32 random bytes, base64url (43 characters). */
export function generateSealingSecret(): string {
  return randomBytes(MIN_SECRET_BYTES).toString('base64url');
}
