const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([1-9][0-9]{0,8})(ms|s|m|h)$/;

/**
 * Parses a duration written as a whole number and one unit — `500ms`, `90s`,
 * `2m`, `1h` — into milliseconds. Nothing else is accepted: no spaces, no
 * fractions, no bare numbers (a bare `2` could mean seconds or minutes), no
 * zero, and nothing above a week.
 *
 * @throws TypeError naming the value when it is not such a duration.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  const unit = match?.[2];
  const ms = match === null || unit === undefined ? Number.NaN : Number(match[1]) * UNIT_MS[unit]!;
  if (!Number.isSafeInteger(ms) || ms > 7 * 24 * 3_600_000) {
    throw new TypeError(
      `"${text}" is not a duration: write a whole number and a unit (ms, s, m, h), e.g. 90s or 2m, up to 168h.`,
    );
  }
  return ms;
}
