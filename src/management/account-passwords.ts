import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';

/*
 * Local admin passwords: scrypt hashes in one self-describing text form,
 * `scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>`, so that the cost can
 * be raised later without breaking the hashes already stored (verification
 * reads the parameters from the hash).
 */

/** log2 of the scrypt cost N used for new hashes: N = 2^15 (RFC 7914 §2, OWASP's interactive setting). */
export const SCRYPT_LOG2_N = 15;
/** The scrypt block size r used for new hashes. */
export const SCRYPT_BLOCK_SIZE = 8;
/** The scrypt parallelisation p used for new hashes. */
export const SCRYPT_PARALLELIZATION = 1;
/** Bytes of random salt per hash. */
export const SALT_BYTES = 16;
/** Bytes of derived key per hash. */
export const KEY_BYTES = 32;

/** The shortest acceptable password, in characters (code points). */
export const MIN_PASSWORD_LENGTH = 12;
/** The longest acceptable password, in characters (code points). */
export const MAX_PASSWORD_LENGTH = 1024;

/** The characters of generated passwords: no 0/O, 1/l/I, nothing that needs quoting in a shell. */
export const GENERATED_PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
/** Characters in a generated password: 24 × log2(56) ≈ 139 bits. */
export const GENERATED_PASSWORD_LENGTH = 24;

// Bounds on the parameters a stored hash may name, so that a corrupted or
// planted hash cannot make one verification take minutes or gigabytes.
const MIN_LOG2_N = 10;
const MAX_LOG2_N = 20;
const MAX_BLOCK_SIZE = 32;
const MAX_PARALLELIZATION = 16;
const MIN_SALT_BYTES = 8;
const MIN_KEY_BYTES = 16;
const MAX_FIELD_BYTES = 64;
/** A longer input is not a password anyone typed; refused before hashing (bounds the work per request). */
const MAX_VERIFY_INPUT_LENGTH = 4 * MAX_PASSWORD_LENGTH;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DECIMAL = /^[1-9][0-9]{0,2}$/;

/** The scrypt parameters of a hash. */
interface ScryptParameters {
  readonly log2N: number;
  readonly blockSize: number;
  readonly parallelization: number;
}

/**
 * The memory scrypt needs is about 128·N·r·p bytes; Node refuses to start
 * when that is above `maxmem` (default 32 MiB, which N = 2^15, r = 8 does
 * not fit in). Twice the need leaves room for Node's own bookkeeping.
 */
function scryptOptions({ log2N, blockSize, parallelization }: ScryptParameters): ScryptOptions {
  const cost = 2 ** log2N;
  return {
    N: cost,
    r: blockSize,
    p: parallelization,
    maxmem: 2 * 128 * cost * blockSize * parallelization,
  };
}

/** scrypt on the libuv thread pool, as a promise: the event loop keeps serving while it runs. */
function deriveKey(
  password: string,
  salt: Buffer,
  keyBytes: number,
  parameters: ScryptParameters,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, scryptOptions(parameters), (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

/** Strict base64: the text must be exactly what encoding its bytes gives back (no stray padding or bits). */
function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function decodeInteger(text: string, min: number, max: number): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** A stored hash taken apart, or undefined when it is not one this module wrote (or could have). */
interface ParsedHash extends ScryptParameters {
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(encoded: unknown): ParsedHash | undefined {
  if (typeof encoded !== 'string' || encoded.length > 512) return undefined;
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, saltText, keyText] = parts as [string, string, string, string, string, string];
  const log2N = decodeInteger(n, MIN_LOG2_N, MAX_LOG2_N);
  const blockSize = decodeInteger(r, 1, MAX_BLOCK_SIZE);
  const parallelization = decodeInteger(p, 1, MAX_PARALLELIZATION);
  const salt = decodeBase64(saltText);
  const key = decodeBase64(keyText);
  if (log2N === undefined || blockSize === undefined || parallelization === undefined) return undefined;
  if (salt === undefined || salt.length < MIN_SALT_BYTES || salt.length > MAX_FIELD_BYTES) return undefined;
  if (key === undefined || key.length < MIN_KEY_BYTES || key.length > MAX_FIELD_BYTES) return undefined;
  return { log2N, blockSize, parallelization, salt, key };
}

/**
 * Hashes a password with scrypt (N = 2^15, r = 8, p = 1, a 16-byte random
 * salt, a 32-byte key) into `scrypt$15$8$1$<salt base64>$<key base64>`. The
 * password is NFC-normalised first, so the same characters typed on
 * different systems give the same hash. Runs off the event loop.
 *
 * Does not judge the password: call {@link checkPasswordStrength} first.
 *
 * @throws TypeError when `password` is not a string.
 * @see RFC 7914 (scrypt)
 */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== 'string') throw new TypeError('password must be a string');
  const parameters: ScryptParameters = {
    log2N: SCRYPT_LOG2_N,
    blockSize: SCRYPT_BLOCK_SIZE,
    parallelization: SCRYPT_PARALLELIZATION,
  };
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, parameters);
  return [
    'scrypt',
    SCRYPT_LOG2_N,
    SCRYPT_BLOCK_SIZE,
    SCRYPT_PARALLELIZATION,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

/**
 * True when `password` is the one `encoded` was made from. The derived key is
 * compared in constant time. Anything else — a wrong password, a hash that is
 * malformed, names parameters out of bounds, or a password input of absurd
 * length — is `false`; this function never rejects.
 *
 * SECURITY: callers verify against a dummy hash when the account does not
 * exist, so the time taken does not tell whether it does.
 */
export async function verifyPassword(password: unknown, encoded: unknown): Promise<boolean> {
  if (typeof password !== 'string' || password.length > MAX_VERIFY_INPUT_LENGTH) return false;
  const parsed = parseHash(encoded);
  if (parsed === undefined) return false;
  let derived: Buffer;
  try {
    derived = await deriveKey(password, parsed.salt, parsed.key.length, parsed);
  } catch {
    // Only resource exhaustion gets here (the parameters were checked): a refusal, not a crash.
    return false;
  }
  // SECURITY: constant-time comparison, so the stored key cannot be learnt byte by byte.
  return timingSafeEqual(derived, parsed.key);
}

/** True when `encoded` has the form of a hash {@link verifyPassword} can check. */
export function isPasswordHash(encoded: unknown): boolean {
  return parseHash(encoded) !== undefined;
}

function weak(reason: string, expected: string): ClaimsgateError {
  // The password itself never goes into the message or the detail.
  return new ClaimsgateError('CG_ADMIN_PASSWORD_WEAK', `The password is refused: ${reason}.`, {
    detail: { reason, expected },
  });
}

/**
 * Checks a new admin password: at least {@link MIN_PASSWORD_LENGTH} and at
 * most {@link MAX_PASSWORD_LENGTH} characters (code points, after NFC), no
 * control characters (the sign-in form cannot take them), not the user name
 * (ignoring case), not one character repeated.
 *
 * @throws ClaimsgateError `CG_ADMIN_PASSWORD_WEAK` naming the rule broken (never the password).
 */
export function checkPasswordStrength(password: string, username: string): void {
  if (typeof password !== 'string') throw weak('it is not text', 'a string');
  const characters = [...password.normalize('NFC')];
  if (characters.length < MIN_PASSWORD_LENGTH)
    throw weak(
      `it has ${characters.length} characters, fewer than ${MIN_PASSWORD_LENGTH}`,
      `at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  if (characters.length > MAX_PASSWORD_LENGTH)
    throw weak(
      `it has ${characters.length} characters, more than ${MAX_PASSWORD_LENGTH}`,
      `at most ${MAX_PASSWORD_LENGTH} characters`,
    );
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password))
    throw weak(
      'it holds a control character (a line break or a tab), which the sign-in form cannot take',
      'printable characters only',
    );
  if (typeof username === 'string' && password.toLowerCase() === username.toLowerCase())
    throw weak('it is the user name', 'a password other than the user name');
  if (characters.every((character) => character === characters[0]))
    throw weak('it is one character repeated', 'more than one distinct character');
}

/**
 * A new random password of {@link GENERATED_PASSWORD_LENGTH} characters from
 * {@link GENERATED_PASSWORD_ALPHABET} (easy to read aloud and to copy; about
 * 139 bits), drawn with `crypto.randomInt` (uniform, no modulo bias).
 */
export function generatePassword(): string {
  for (;;) {
    let password = '';
    for (let index = 0; index < GENERATED_PASSWORD_LENGTH; index += 1)
      password += GENERATED_PASSWORD_ALPHABET[randomInt(GENERATED_PASSWORD_ALPHABET.length)]!;
    // A draw of one repeated character (probability 56^-23) would fail the strength rules.
    if (new Set(password).size > 1) return password;
  }
}
