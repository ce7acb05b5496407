import { ClaimsgateError } from '../lib/errors.js';
import { attribute } from '../xml/dom.js';
import type { XmlElement } from '../xml/light-dom.js';

const XS_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Reads an `xs:dateTime` attribute (SAML instants are UTC; a value without a
 * zone is read as UTC, as SAML Core §1.3.3 requires it to be).
 *
 * @throws ClaimsgateError `CG_TOKEN_STRUCTURE_INVALID` for a value that is not a date-time.
 */
export function readInstant(element: XmlElement, name: string): Date | undefined {
  const value = attribute(element, name);
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const match = XS_DATE_TIME.exec(trimmed);
  const date = match === null ? undefined : new Date(match[2] === undefined ? `${trimmed}Z` : trimmed);
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new ClaimsgateError(
      'CG_TOKEN_STRUCTURE_INVALID',
      `<${element.nodeName}> has an invalid ${name} "${trimmed.slice(0, 40)}".`,
      {
        detail: {
          element: element.nodeName,
          attribute: name,
          expected: 'an xs:dateTime such as 2026-11-29T12:00:00Z',
        },
      },
    );
  }
  return date;
}

/** The earliest of some instants, ignoring absent ones. */
export function earliest(...instants: ReadonlyArray<Date | undefined>): Date | undefined {
  let result: Date | undefined;
  for (const instant of instants)
    if (instant !== undefined && (result === undefined || instant < result)) result = instant;
  return result;
}

/** The latest of some instants, ignoring absent ones. */
export function latest(...instants: ReadonlyArray<Date | undefined>): Date | undefined {
  let result: Date | undefined;
  for (const instant of instants)
    if (instant !== undefined && (result === undefined || instant > result)) result = instant;
  return result;
}

/** Adds a value to a claim multimap kept as a Map (so a `__proto__` claim type is only a key). */
export function addClaim(claims: Map<string, string[]>, type: string, value: string): void {
  const values = claims.get(type);
  if (values === undefined) claims.set(type, [value]);
  else values.push(value);
}

/** A claim multimap as a frozen plain object (own properties only). */
export function freezeClaims(claims: Map<string, string[]>): Readonly<Record<string, readonly string[]>> {
  return Object.freeze(
    Object.fromEntries([...claims].map(([type, values]) => [type, Object.freeze(values)])),
  );
}
