import { createHash } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';

/** The hash a thumbprint is computed with. */
export type ThumbprintAlgorithm = 'sha1' | 'sha256';

/** How a thumbprint is written: `plain` (thumbprint fields) or `colons` (certificate dialogs, openssl). */
export type ThumbprintFormat = 'plain' | 'colons';

/**
 * The thumbprint of a certificate: the hash of its DER encoding, as uppercase
 * hexadecimal without separators — the form WIF, AD FS and K2 thumbprint fields take.
 */
export function computeThumbprint(der: Uint8Array, algorithm: ThumbprintAlgorithm): string {
  return createHash(algorithm).update(der).digest('hex').toUpperCase();
}

/** Writes an uppercase hex thumbprint in the requested format. */
export function formatThumbprint(thumbprint: string, format: ThumbprintFormat): string {
  if (format === 'plain') return thumbprint;
  return thumbprint.match(/../g)?.join(':') ?? thumbprint;
}

/**
 * The JWK `x5t` of a SHA-1 thumbprint: the same 20 bytes in base64url
 * (RFC 7517 §4.8). One trust model therefore serves metadata, SAML and JWKS.
 */
export function thumbprintToX5t(sha1Thumbprint: string): string {
  return Buffer.from(sha1Thumbprint, 'hex').toString('base64url');
}

/**
 * The SHA-1 thumbprint (uppercase hex) named by a JWK `x5t`, or `undefined`
 * when the value is not 20 bytes of base64url.
 */
export function x5tToThumbprint(x5t: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{27}$/.test(x5t)) return undefined;
  const bytes = Buffer.from(x5t, 'base64url');
  return bytes.length === 20 ? bytes.toString('hex').toUpperCase() : undefined;
}

/** Invisible format characters that certificate dialogs and browsers add to copied text. */
const INVISIBLE_CHARACTERS: ReadonlyMap<number, string> = new Map([
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x200c, 'ZERO WIDTH NON-JOINER'],
  [0x200d, 'ZERO WIDTH JOINER'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE (BOM)'],
]);

const SEPARATORS: ReadonlyMap<number, string> = new Map([
  [0x3a, 'COLON'],
  [0x2d, 'HYPHEN-MINUS'],
]);

/** One character taken out of, or refused in, a pasted thumbprint. */
export interface ThumbprintCharacter {
  /** The code point as `U+XXXX`. */
  readonly codePoint: string;
  /** 1-based position among the code points of the pasted value. */
  readonly position: number;
  /** The Unicode name where claimsgate knows it, else a description. */
  readonly name: string;
}

/** A pasted thumbprint, cleaned. */
export interface NormalizedThumbprint {
  /** Uppercase hex, 40 or 64 digits. */
  readonly thumbprint: string;
  readonly algorithm: ThumbprintAlgorithm;
  /** What was removed, in order: whitespace, separators and invisible format characters. */
  readonly removed: readonly ThumbprintCharacter[];
}

function toCodePointLabel(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

function describeWhitespace(codePoint: number): string {
  switch (codePoint) {
    case 0x20:
      return 'SPACE';
    case 0x09:
      return 'CHARACTER TABULATION';
    case 0x0a:
      return 'LINE FEED';
    case 0x0d:
      return 'CARRIAGE RETURN';
    case 0xa0:
      return 'NO-BREAK SPACE';
    default:
      return 'WHITESPACE';
  }
}

function describeRefused(char: string): string {
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char)) return `'${char}' (not a hexadecimal digit)`;
  return 'not a hexadecimal digit';
}

/**
 * Cleans a thumbprint pasted from anywhere: removes whitespace, colons,
 * dashes and the invisible format characters (U+200E and friends) that the
 * Windows certificate dialog and browsers add, and uppercases it.
 *
 * @throws ClaimsgateError `CG_TRUST_THUMBPRINT_INVALID` when anything else is
 *   left, naming each offending character by code point and position, or when
 *   the result is not 40 (SHA-1) or 64 (SHA-256) hex digits.
 */
export function normalizeThumbprint(pasted: string): NormalizedThumbprint {
  const removed: ThumbprintCharacter[] = [];
  const refused: ThumbprintCharacter[] = [];
  let hex = '';
  let position = 0;
  for (const char of pasted) {
    position += 1;
    const codePoint = char.codePointAt(0) ?? 0;
    if (/^[0-9a-fA-F]$/.test(char)) {
      hex += char;
      continue;
    }
    const record = { codePoint: toCodePointLabel(codePoint), position };
    const invisible = INVISIBLE_CHARACTERS.get(codePoint) ?? SEPARATORS.get(codePoint);
    if (invisible !== undefined) removed.push({ ...record, name: invisible });
    else if (/^\s$/u.test(char)) removed.push({ ...record, name: describeWhitespace(codePoint) });
    else refused.push({ ...record, name: describeRefused(char) });
  }
  if (refused.length > 0) {
    const list = refused.map((c) => `${c.codePoint} ${c.name} at position ${c.position}`).join('; ');
    throw new ClaimsgateError(
      'CG_TRUST_THUMBPRINT_INVALID',
      `The thumbprint contains ${refused.length === 1 ? 'a character' : `${refused.length} characters`} that cannot be part of a hexadecimal thumbprint: ${list}.`,
      { detail: { observed: refused, expected: '40 or 64 hexadecimal digits', removed } },
    );
  }
  const thumbprint = hex.toUpperCase();
  if (thumbprint.length !== 40 && thumbprint.length !== 64) {
    throw new ClaimsgateError(
      'CG_TRUST_THUMBPRINT_INVALID',
      `The thumbprint has ${thumbprint.length} hexadecimal digits; a SHA-1 thumbprint has 40 and a SHA-256 thumbprint 64.`,
      {
        detail: { observed: thumbprint.length, expected: [40, 64], removed },
        hint:
          thumbprint.length < 40
            ? 'Part of the value is missing; copy the whole thumbprint again.'
            : 'The value is longer than a thumbprint; check that two values were not pasted together.',
      },
    );
  }
  return { thumbprint, algorithm: thumbprint.length === 40 ? 'sha1' : 'sha256', removed };
}
