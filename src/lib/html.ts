/**
 * HTML that escapes by default: the one way claimsgate's pages (the gateway's
 * and the IdP simulator's) are written. `html` is a tagged template whose
 * interpolations are escaped unless they are already `SafeHtml`; a list is
 * each of its items by the same rule, joined. What it returns is `SafeHtml`,
 * a type no plain string passes for, so text cannot reach a page unescaped
 * by forgetting a call.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an HTML element body or a quoted attribute value.
 *
 * SECURITY: every value that reaches a page (user names, claims, URLs) is
 * escaped here, so none of it can open markup or leave an attribute (XSS).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/** Markup known to be safe: built by `html`, `joinHtml` or `trustedHtml` only. */
export class SafeHtml {
  readonly #markup: string;
  constructor(markup: string, token: typeof CONSTRUCTION) {
    if (token !== CONSTRUCTION) throw new TypeError('SafeHtml is made by html`…`, joinHtml or trustedHtml.');
    this.#markup = markup;
  }

  /** The markup, to send or to write into a larger document. */
  toString(): string {
    return this.#markup;
  }
}

const CONSTRUCTION: unique symbol = Symbol('SafeHtml');

/**
 * What may be interpolated: text and numbers (escaped), `SafeHtml` (as it is),
 * lists of these (each by the same rule, joined with nothing), and
 * `undefined`, `null` or `false` (nothing, for optional parts).
 */
export type HtmlValue = string | number | SafeHtml | undefined | null | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return escapeHtml(String(value));
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  throw new TypeError(`html\`…\` cannot interpolate a ${typeof value}.`);
}

/**
 * The tagged template: `html\`<p>${name}</p>\``. The literal parts are the
 * markup; every interpolation is escaped unless it is `SafeHtml`.
 *
 * @throws TypeError for a value of another type (an object, a boolean `true`).
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let markup = strings[0]!;
  for (let index = 0; index < values.length; index += 1) {
    markup += render(values[index]) + strings[index + 1]!;
  }
  return new SafeHtml(markup, CONSTRUCTION);
}

/** Items rendered as `html` renders them, joined by `separator` (markup, e.g. a newline). */
export function joinHtml(items: readonly HtmlValue[], separator = ''): SafeHtml {
  return new SafeHtml(items.map(render).join(separator), CONSTRUCTION);
}

/**
 * Markup written by the program itself (a style sheet, a constant fragment),
 * taken as it is. Never for anything that holds input.
 */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup, CONSTRUCTION);
}
