/**
 * How trust facts read on the admin pages: key states and sources as words,
 * thumbprints with the SHA-256 one click away (`<details>`, no script),
 * expiry in days, refresh outcomes and alerts.
 */
import type { AlertView, KeyView, RefreshView } from '../../management/service.js';
import type { ThumbprintCharacter } from '../../crypto/thumbprint.js';
import type { KeyState } from '../../tokens/trust-snapshot.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import { badge, codeOf, timeOf } from './admin-html.js';

const STATE_TONES: Readonly<Record<KeyState, 'ok' | 'info' | 'warn' | 'bad' | 'neutral'>> = {
  active: 'ok',
  announced: 'info',
  retiring: 'warn',
  retired: 'neutral',
  revoked: 'bad',
  expired: 'bad',
};

/** A key state as a badge (`active`, `revoked`…). */
export function stateBadge(state: KeyState): SafeHtml {
  return badge(state, STATE_TONES[state]);
}

/** A key source as a badge: `metadata` or `manual`. */
export function sourceBadge(source: KeyView['source']): SafeHtml {
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
}): SafeHtml {
  const parts: SafeHtml[] = [];
  if (key.sha1 !== null) {
    parts.push(html`<span class="algorithm">SHA-1</span> ${codeOf(key.sha1)}`);
    if (key.sha256 !== null)
      parts.push(html`<details><summary>SHA-256</summary>${codeOf(key.sha256)}</details>`);
  } else if (key.sha256 !== null) {
    parts.push(html`<span class="algorithm">SHA-256</span> ${codeOf(key.sha256)}`);
  }
  if (key.kid !== null) parts.push(html`<span class="algorithm">kid</span> ${codeOf(key.kid)}`);
  return parts.length === 0
    ? html`<span class="none">—</span>`
    : joinHtml(parts.map((part) => html`<div>${part}</div>`));
}

/** `in 12 days`, `today`, `expired 3 days ago`, or an em dash without a certificate. */
export function expiryText(daysLeft: number | null): SafeHtml {
  if (daysLeft === null) return html`<span class="none">—</span>`;
  if (daysLeft < 0) return badge(`expired ${-daysLeft} ${-daysLeft === 1 ? 'day' : 'days'} ago`, 'bad');
  if (daysLeft === 0) return badge('expires today', 'bad');
  const text = `in ${daysLeft} ${daysLeft === 1 ? 'day' : 'days'}`;
  return daysLeft <= 7 ? badge(text, 'bad') : daysLeft <= 30 ? badge(text, 'warn') : html`${text}`;
}

/** The outcome of a refresh as a badge. */
function outcomeBadge(outcome: string | null): SafeHtml {
  if (outcome === null) return badge('never', 'neutral');
  const tone =
    outcome === 'success' || outcome === 'not-modified' ? 'ok' : outcome === 'failure' ? 'bad' : 'info';
  return badge(outcome, tone);
}

/** Last refresh (outcome, time, error code) for a table cell. */
export function lastRefreshCell(refresh: RefreshView): SafeHtml {
  if (refresh.lastAttemptAt === null) return outcomeBadge(null);
  const code = refresh.lastErrorCode !== null && html` ${codeOf(refresh.lastErrorCode)}`;
  const failures =
    refresh.consecutiveFailures > 1 && html` <span>(${refresh.consecutiveFailures} failures in a row)</span>`;
  return html`${outcomeBadge(refresh.lastOutcome)}${code} ${timeOf(refresh.lastAttemptAt)}${failures}`;
}

/** When the next refresh is due, or "not scheduled". */
export function nextRefreshCell(refresh: RefreshView): SafeHtml {
  return refresh.nextAttemptAt === null
    ? html`<span class="none">not scheduled</span>`
    : timeOf(refresh.nextAttemptAt);
}

const SEVERITY_TONES = { info: 'info', warning: 'warn', critical: 'bad' } as const;

/** Alerts as a list (severity word, then the message); "None" when there are none. */
export function alertList(alerts: readonly AlertView[]): SafeHtml {
  if (alerts.length === 0) return html`<span class="none">None</span>`;
  const items = alerts.map(
    (alert) => html`<li>${badge(alert.severity, SEVERITY_TONES[alert.severity])} ${alert.message}</li>`,
  );
  return html`<ul class="alerts">${items}</ul>`;
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
): SafeHtml {
  if (removed.length === 0) return html`<p>No characters were removed: the value was already clean.</p>`;
  const isNoteworthy = new Set(noteworthy.map((character) => character.position));
  const items = noteworthy.map(
    (character) =>
      html`<li><span class="badge invisible">${character.codePoint} ${character.name}</span> at position ${character.position}</li>`,
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
      html`<li><span class="badge neutral">${label}</span> ${characters.length === 1 ? `at position ${positions}` : `×${characters.length} at positions ${positions}`}</li>`,
    );
  }
  return html`<ul class="removed">${items}</ul>`;
}

/**
 * The pasted text with every invisible or unusual removed character
 * replaced by a visible badge of its code point, so the admin sees where it
 * was; ordinary separators are shown as they are.
 */
export function pastedWithMarks(pasted: string, noteworthy: readonly ThumbprintCharacter[]): SafeHtml {
  const marks = new Map(noteworthy.map((character) => [character.position, character]));
  let position = 0;
  const out: (string | SafeHtml)[] = [];
  for (const char of pasted) {
    position += 1;
    const mark = marks.get(position);
    out.push(
      mark === undefined
        ? char
        : html`<span class="badge invisible">${mark.codePoint}<span class="visually-hidden"> ${mark.name}</span></span>`,
    );
  }
  return html`<code class="mono pasted">${out}</code>`;
}
