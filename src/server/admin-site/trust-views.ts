/**
 * How trust facts read on the admin pages: key states and sources as words,
 * thumbprints with the SHA-256 one click away (`<details>`, no script),
 * expiry in days, refresh outcomes and alerts.
 */
import type { AlertView, KeyView, RefreshView } from '../../admin/admin-service.js';
import type { ThumbprintCharacter } from '../../crypto/thumbprint.js';
import type { KeyState } from '../../tokens/trust-snapshot.js';
import { escapeHtml } from '../html.js';
import { badge, codeOf, timeOf, type Html } from './admin-html.js';

const STATE_TONES: Readonly<Record<KeyState, 'ok' | 'info' | 'warn' | 'bad' | 'neutral'>> = {
  active: 'ok',
  announced: 'info',
  retiring: 'warn',
  retired: 'neutral',
  revoked: 'bad',
  expired: 'bad',
};

/** A key state as a badge (`active`, `revoked`…). */
export function stateBadge(state: KeyState): Html {
  return badge(state, STATE_TONES[state]);
}

/** A key source as a badge: `metadata` or `manual`. */
export function sourceBadge(source: KeyView['source']): Html {
  return badge(source, source === 'metadata' ? 'info' : 'neutral');
}

/**
 * A key's thumbprint: SHA-1 shown, SHA-256 in a disclosure; or the SHA-256
 * or `kid` alone when that is all the key has.
 */
export function thumbprintCell(key: {
  readonly sha1: string | null;
  readonly sha256: string | null;
  readonly kid: string | null;
}): Html {
  const parts: string[] = [];
  if (key.sha1 !== null) {
    parts.push(`<span class="algorithm">SHA-1</span> ${codeOf(key.sha1)}`);
    if (key.sha256 !== null) parts.push(`<details><summary>SHA-256</summary>${codeOf(key.sha256)}</details>`);
  } else if (key.sha256 !== null) {
    parts.push(`<span class="algorithm">SHA-256</span> ${codeOf(key.sha256)}`);
  }
  if (key.kid !== null) parts.push(`<span class="algorithm">kid</span> ${codeOf(key.kid)}`);
  return parts.length === 0
    ? '<span class="none">—</span>'
    : parts.map((part) => `<div>${part}</div>`).join('');
}

/** `in 12 days`, `today`, `expired 3 days ago`, or an em dash without a certificate. */
export function expiryText(daysLeft: number | null): Html {
  if (daysLeft === null) return '<span class="none">—</span>';
  if (daysLeft < 0) return badge(`expired ${-daysLeft} ${-daysLeft === 1 ? 'day' : 'days'} ago`, 'bad');
  if (daysLeft === 0) return badge('expires today', 'bad');
  const text = `in ${daysLeft} ${daysLeft === 1 ? 'day' : 'days'}`;
  return daysLeft <= 7 ? badge(text, 'bad') : daysLeft <= 30 ? badge(text, 'warn') : escapeHtml(text);
}

/** The outcome of a refresh as a badge. */
function outcomeBadge(outcome: string | null): Html {
  if (outcome === null) return badge('never', 'neutral');
  const tone =
    outcome === 'success' || outcome === 'not-modified' ? 'ok' : outcome === 'failure' ? 'bad' : 'info';
  return badge(outcome, tone);
}

/** Last refresh (outcome, time, error code) for a table cell. */
export function lastRefreshCell(refresh: RefreshView): Html {
  if (refresh.lastAttemptAt === null) return outcomeBadge(null);
  const code = refresh.lastErrorCode === null ? '' : ` ${codeOf(refresh.lastErrorCode)}`;
  const failures =
    refresh.consecutiveFailures > 1 ? ` <span>(${refresh.consecutiveFailures} failures in a row)</span>` : '';
  return `${outcomeBadge(refresh.lastOutcome)}${code} ${timeOf(refresh.lastAttemptAt)}${failures}`;
}

/** When the next refresh is due, or "not scheduled". */
export function nextRefreshCell(refresh: RefreshView): Html {
  return refresh.nextAttemptAt === null
    ? '<span class="none">not scheduled</span>'
    : timeOf(refresh.nextAttemptAt);
}

const SEVERITY_TONES = { info: 'info', warning: 'warn', critical: 'bad' } as const;

/** Alerts as a list (severity word, then the message); "None" when there are none. */
export function alertList(alerts: readonly AlertView[]): Html {
  if (alerts.length === 0) return '<span class="none">None</span>';
  const items = alerts.map(
    (alert) =>
      `<li>${badge(alert.severity, SEVERITY_TONES[alert.severity])} ${escapeHtml(alert.message)}</li>`,
  );
  return `<ul class="alerts">${items.join('')}</ul>`;
}

/**
 * Every removed character, listed. Invisible and unusual ones (`noteworthy`)
 * each get a visible badge of their own: `U+200E LEFT-TO-RIGHT MARK at
 * position 1`; ordinary separators (spaces, colons, line breaks) are grouped
 * by character with all their positions. No character is dropped without
 * the admin seeing it.
 */
export function removedCharacterList(
  removed: readonly ThumbprintCharacter[],
  noteworthy: readonly ThumbprintCharacter[],
): Html {
  if (removed.length === 0) return '<p>No characters were removed: the value was already clean.</p>';
  const isNoteworthy = new Set(noteworthy.map((character) => character.position));
  const items = noteworthy.map(
    (character) =>
      `<li><span class="badge invisible">${escapeHtml(`${character.codePoint} ${character.name}`)}</span> at position ${character.position}</li>`,
  );
  const groups = new Map<string, ThumbprintCharacter[]>();
  for (const character of removed) {
    if (isNoteworthy.has(character.position)) continue;
    const key = `${character.codePoint} ${character.name}`;
    groups.set(key, [...(groups.get(key) ?? []), character]);
  }
  for (const [label, characters] of groups) {
    const positions = characters.map((character) => character.position).join(', ');
    items.push(
      `<li><span class="badge neutral">${escapeHtml(label)}</span> ${characters.length === 1 ? `at position ${positions}` : `×${characters.length} at positions ${positions}`}</li>`,
    );
  }
  return `<ul class="removed">${items.join('')}</ul>`;
}

/**
 * The pasted text with every invisible or unusual removed character
 * replaced by a visible badge of its code point, so the admin sees where it
 * was; ordinary separators are shown as they are.
 */
export function pastedWithMarks(pasted: string, noteworthy: readonly ThumbprintCharacter[]): Html {
  const marks = new Map(noteworthy.map((character) => [character.position, character]));
  let position = 0;
  let out = '';
  for (const char of pasted) {
    position += 1;
    const mark = marks.get(position);
    out +=
      mark === undefined
        ? escapeHtml(char)
        : `<span class="badge invisible">${escapeHtml(mark.codePoint)}<span class="visually-hidden"> ${escapeHtml(mark.name)}</span></span>`;
  }
  return `<code class="mono pasted">${out}</code>`;
}
