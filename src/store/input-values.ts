import type { TSchema } from '@sinclair/typebox';
import { normalizeThumbprint } from '../crypto/thumbprint.js';
import { checkShape } from '../lib/check-shape.js';
import { ClaimsgateError } from '../lib/errors.js';
import type { Actor } from './model.js';

/*
 * The primitive checks behind every store input normaliser. Each throws
 * `CG_STORE_INVALID` with `detail.field` naming the offending field.
 */

export const MAX_TEXT_LENGTH = 2048;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The `CG_STORE_INVALID` error for one field (long observed values are cut). */
export function invalid(
  field: string,
  expected: string,
  observed: unknown,
  cause?: unknown,
): ClaimsgateError {
  const shown =
    typeof observed === 'string' && observed.length > 200 ? `${observed.slice(0, 200)}…` : observed;
  return new ClaimsgateError(
    'CG_STORE_INVALID',
    `The value of ${field} is not acceptable: expected ${expected}.`,
    {
      detail: { field, expected, observed: shown },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/**
 * Checks `value` against the shape its schema declares (issuer-schema.ts,
 * realm-schema.ts, …): the types, required fields, lengths, lists of
 * allowed values, and no field the schema does not know. The finer rules
 * (trimming, URL schemes, thumbprints, names) are the callers' own.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` naming the first field that disagrees (`root` for the value itself).
 */
export function requireShape(schema: TSchema, value: unknown, root: string): void {
  const mismatch = checkShape(schema, value, root);
  if (mismatch !== undefined) throw invalid(mismatch.field, mismatch.expected, mismatch.observed);
}

/** A trimmed, non-empty, bounded string without control characters. */
export function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(field, 'a non-empty string', value);
  const text = value.trim();
  if (text === '' || text.length > MAX_TEXT_LENGTH || CONTROL_CHARACTERS.test(text))
    throw invalid(
      field,
      `a non-empty string of at most ${MAX_TEXT_LENGTH} characters without control characters`,
      value,
    );
  return text;
}

/**
 * SECURITY: the invisible characters: the format characters (Unicode
 * category Cf: bidi embeddings, overrides and isolates U+202A–U+202E and
 * U+2066–U+2069, the marks U+200E / U+200F, zero-width spaces and joiners
 * U+200B–U+200D and U+FEFF, soft hyphen) and every other character Unicode
 * says to draw as nothing (Default_Ignorable_Code_Point: the combining
 * grapheme joiner U+034F, variation selectors U+FE00–U+FE0F, the Hangul
 * fillers U+115F, U+1160, U+3164 and U+FFA0, the Mongolian selectors
 * U+180B–U+180F). In a name they make two different names look alike
 * (`contoso` and `contoso` + U+200B, or + U+3164) or reorder what an
 * administrator reads (U+202E), so a name holding one is refused rather
 * than shown (security review, round 6: the Cf category alone let the
 * fillers and selectors through).
 */
const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** The value with every invisible character written as its code point (`\u202E`), to show in an error. */
function revealInvisible(value: string): string {
  return value.replace(
    /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu,
    (character) => `\\u${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/**
 * Refuses a name holding an invisible character (see above), or one not in
 * Unicode normalization form C: `e` + U+0301 looks like `é` (U+00E9) but
 * is another name, so only the composed form is taken. The check every
 * name shares — issuer names and labels, claim mapping labels, realm URIs
 * and home realms, admin user names.
 */
export function refuseInvisibleCharacters(field: string, value: string): string {
  if (INVISIBLE_CHARACTERS.test(value))
    throw invalid(
      field,
      'a name without invisible characters (Unicode Cf and Default_Ignorable_Code_Point: bidi controls such as U+202E, zero-width characters such as U+200B, fillers such as U+3164)',
      revealInvisible(value),
    );
  if (value.normalize('NFC') !== value)
    throw invalid(
      field,
      'a name in Unicode normalization form C (composed characters: é as U+00E9, not e + U+0301)',
      value,
    );
  return value;
}

/** A name: {@link requireText} without invisible format characters ({@link refuseInvisibleCharacters}). */
export function requireName(field: string, value: unknown): string {
  // Checked before trimming, which would quietly drop a leading or trailing U+FEFF.
  if (typeof value === 'string') refuseInvisibleCharacters(field, value);
  return requireText(field, value);
}

/** Like {@link requireName}, but undefined, null and blank become null. */
export function optionalName(field: string, value: unknown): string | null {
  if (typeof value === 'string') refuseInvisibleCharacters(field, value);
  return optionalText(field, value);
}

/**
 * An identity label (`K2AAD` in `K2AAD:bob@contoso.com`): {@link requireText}
 * without a colon, for the identity reaches applications as `label:name` and
 * is split at its first colon — `A:B` + `c` must not read as `A` + `B:c`,
 * another issuer's user.
 */
export function requireLabel(field: string, value: unknown): string {
  const label = requireName(field, value);
  if (label.includes(':'))
    throw invalid(field, 'a label without a colon (the identity is label:name)', value);
  return label;
}

/** Like {@link requireText}, but undefined, null and blank become null. */
export function optionalText(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.trim() === '') return null;
  return requireText(field, value);
}

/** true or false, nothing truthy or falsy. */
export function requireBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(field, 'true or false', value);
  return value;
}

/** An absolute http(s) URL. */
export function requireHttpUrl(field: string, value: unknown): string {
  const text = requireText(field, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw invalid(field, 'an absolute http:// or https:// URL', value, error);
  }
  // SECURITY: only http(s) is ever fetched or redirected to; file:, data:, javascript: are refused here.
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid(field, 'an absolute http:// or https:// URL', value);
  return text;
}

/** Like {@link requireHttpUrl}, but undefined, null and blank become null. */
export function optionalHttpUrl(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && value.trim() === '') return null;
  return requireHttpUrl(field, value);
}

/** An array of {@link requireText} strings, duplicates dropped. */
export function requireTextList(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid(field, 'an array of strings', value);
  const items = value.map((item, index) => requireText(`${field}[${index}]`, item));
  return [...new Set(items)];
}

/** A valid Date (copied), or null for undefined and null. */
export function optionalDate(field: string, value: unknown): Date | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(field, 'a valid Date', value);
  return new Date(value.getTime());
}

/** A valid Date (copied). */
export function requireDate(field: string, value: unknown): Date {
  const date = optionalDate(field, value);
  if (date === null) throw invalid(field, 'a valid Date', value);
  return date;
}

/** A pasted thumbprint cleaned to uppercase hex (40 or 64 digits). */
export function normalizeThumbprintField(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(field, 'a thumbprint string', value);
  try {
    return normalizeThumbprint(value).thumbprint;
  } catch (error) {
    throw invalid(field, 'a thumbprint of 40 or 64 hexadecimal digits', value, error);
  }
}

/** Checks that `value` is a valid Date. @throws ClaimsgateError `CG_STORE_INVALID` naming `field`. */
export function normalizeInstant(field: string, value: unknown): Date {
  return requireDate(field, value);
}

/** Checks the actor recorded with a change. */
export function normalizeActor(actor: unknown): Actor {
  return requireText('actor', actor);
}
