import {
  formatThumbprint,
  normalizeThumbprint,
  type ThumbprintAlgorithm,
  type ThumbprintCharacter,
} from '../crypto/thumbprint.js';

/** A pasted thumbprint, cleaned, with everything that was taken out of it. */
export interface ThumbprintInspection {
  /** Uppercase hex without separators: what is stored and compared. */
  readonly thumbprint: string;
  /** The same thumbprint as `AB:CD:…`. */
  readonly colons: string;
  /** By length: 40 hex digits are SHA-1, 64 SHA-256. */
  readonly algorithm: ThumbprintAlgorithm;
  /** Every character removed, in order, with its code point (`U+200E`), name and 1-based position. */
  readonly removed: readonly ThumbprintCharacter[];
  /** The removed characters that are invisible or unusual (not a space, tab, line break, colon or dash): worth telling the admin about. */
  readonly noteworthy: readonly ThumbprintCharacter[];
}

const ORDINARY_SEPARATORS: ReadonlySet<string> = new Set([
  'SPACE',
  'CHARACTER TABULATION',
  'LINE FEED',
  'CARRIAGE RETURN',
  'COLON',
  'HYPHEN-MINUS',
]);

/**
 * Normalises a pasted thumbprint explicitly: the cleaned value, the
 * algorithm its length implies, and every character removed (U+200E
 * LEFT-TO-RIGHT MARK from the Windows certificate dialog, spaces, colons…)
 * with its code point, name and position, so the admin sees what was
 * pasted rather than a silently different value.
 *
 * @throws ClaimsgateError `CG_TRUST_THUMBPRINT_INVALID` when a character that
 *   is neither hexadecimal nor removable is present (each is named in
 *   `detail.observed`), or when the length is neither 40 nor 64 digits.
 */
export function inspectThumbprintInput(text: string): ThumbprintInspection {
  const { thumbprint, algorithm, removed } = normalizeThumbprint(text);
  return {
    thumbprint,
    colons: formatThumbprint(thumbprint, 'colons'),
    algorithm,
    removed,
    noteworthy: removed.filter((character) => !ORDINARY_SEPARATORS.has(character.name)),
  };
}
