/**
 * The admin site's building blocks: form fields that always carry a label and
 * tie their error with `aria-describedby`, tables with a caption and scoped
 * headers, dates in `<time>`. Every function takes plain values and returns
 * `SafeHtml` written with `html` (src/lib/html.ts), which escapes every value
 * it interpolates: markup is only ever what these templates spell out.
 */
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import { CSRF_FIELD } from '../csrf-names.js';

/** What every field of a form shares. */
export interface FieldOptions {
  /** The form's ID prefix: keeps IDs unique when one page has several forms. */
  readonly form: string;
  readonly name: string;
  readonly label: string;
  /** A hint shown under the label and tied to the control. */
  readonly hint?: string;
  /** The field's error, shown next to it, tied with `aria-describedby` and `aria-invalid`. */
  readonly error?: string | undefined;
  readonly required?: boolean;
}

/** The ID of a form control. */
function fieldId(form: string, name: string): string {
  return `${form}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The label, hint and error of a field, and the attributes that tie them to the control. */
function fieldParts(options: FieldOptions): { head: SafeHtml; error: SafeHtml; attributes: SafeHtml } {
  const id = fieldId(options.form, options.name);
  const described: string[] = [];
  if (options.hint !== undefined) described.push(`${id}-hint`);
  if (options.error !== undefined) described.push(`${id}-error`);
  const hint = options.hint !== undefined && html`<span class="hint" id="${id}-hint">${options.hint}</span>`;
  const error =
    options.error === undefined
      ? html``
      : html`<span class="field-error" id="${id}-error">Error: ${options.error}</span>`;
  const attributes = joinHtml(
    [
      html`id="${id}"`,
      html`name="${options.name}"`,
      described.length > 0 && html`aria-describedby="${described.join(' ')}"`,
      options.error !== undefined && html`aria-invalid="true"`,
      options.required === true && html`required`,
    ].filter((attribute) => attribute !== false),
    ' ',
  );
  const required = options.required === true && html` <span class="required">(required)</span>`;
  const head = html`<label for="${id}">${options.label}${required}</label>${hint}`;
  return { head, error, attributes };
}

/** A labelled single-line input. */
export function textField(
  options: FieldOptions & {
    readonly value?: string | undefined;
    readonly type?: 'text' | 'url' | 'number' | 'date' | 'search';
    readonly autocomplete?: string;
    readonly spellcheck?: boolean;
  },
): SafeHtml {
  const { head, error, attributes } = fieldParts(options);
  const autocomplete = options.autocomplete !== undefined && html` autocomplete="${options.autocomplete}"`;
  const spellcheck = options.spellcheck === false && html` spellcheck="false"`;
  return html`<div class="field">${head}${error}<input type="${options.type ?? 'text'}" ${attributes} value="${options.value ?? ''}"${autocomplete}${spellcheck}></div>`;
}

/** A labelled multi-line input. */
export function textareaField(
  options: FieldOptions & { readonly value?: string | undefined; readonly rows?: number },
): SafeHtml {
  const { head, error, attributes } = fieldParts(options);
  // A newline right after <textarea> is dropped by the parser; one is added so a value starting with one survives.
  return html`<div class="field">${head}${error}<textarea ${attributes} rows="${options.rows ?? 6}" spellcheck="false">\n${options.value ?? ''}</textarea></div>`;
}

/** The value a {@link checkboxField} with `marked` sends when unchecked. */
export const UNCHECKED = 'off';

/**
 * A labelled checkbox (the label follows the box). A browser sends nothing
 * for an unchecked box, so nothing also looks like a form without the box;
 * with `marked`, a hidden field of the same name sends {@link UNCHECKED}
 * first, so the two can be told apart (`checkboxOf` in admin-responses.ts).
 */
export function checkboxField(
  options: FieldOptions & { readonly checked: boolean; readonly value?: string; readonly marked?: boolean },
): SafeHtml {
  const { head, error, attributes } = fieldParts(options);
  const checked = options.checked && html` checked`;
  const marker = options.marked === true && hiddenField(options.name, UNCHECKED);
  return html`<div class="field checkbox">${marker}<input type="checkbox" ${attributes} value="${options.value ?? 'on'}"${checked}>${head}${error}</div>`;
}

/** One option of a select or of a checkbox group. */
export interface Choice {
  readonly value: string;
  readonly label: string;
}

/** A labelled drop-down list. */
export function selectField(
  options: FieldOptions & { readonly choices: readonly Choice[]; readonly value?: string | undefined },
): SafeHtml {
  const { head, error, attributes } = fieldParts(options);
  const items = options.choices.map(
    (choice) =>
      html`<option value="${choice.value}"${choice.value === options.value && html` selected`}>${choice.label}</option>`,
  );
  return html`<div class="field">${head}${error}<select ${attributes}>${items}</select></div>`;
}

/** A group of checkboxes sharing one name, in a fieldset with a legend. */
export function checkboxGroup(options: {
  readonly form: string;
  readonly name: string;
  readonly legend: string;
  readonly hint?: string;
  readonly error?: string | undefined;
  readonly choices: readonly Choice[];
  readonly checked: ReadonlySet<string>;
}): SafeHtml {
  const groupId = fieldId(options.form, options.name);
  const described: string[] = [];
  if (options.hint !== undefined) described.push(`${groupId}-hint`);
  if (options.error !== undefined) described.push(`${groupId}-error`);
  const boxes = options.choices.map((choice, index) => {
    const id = `${groupId}-${index}`;
    const checked = options.checked.has(choice.value) && html` checked`;
    return html`<div class="field checkbox"><input type="checkbox" id="${id}" name="${options.name}" value="${choice.value}"${checked}><label for="${id}">${choice.label}</label></div>`;
  });
  return joinHtml([
    html`<fieldset${described.length > 0 && html` aria-describedby="${described.join(' ')}"`}>`,
    html`<legend>${options.legend}</legend>`,
    options.hint !== undefined && html`<span class="hint" id="${groupId}-hint">${options.hint}</span>`,
    options.error !== undefined &&
      html`<span class="field-error" id="${groupId}-error">Error: ${options.error}</span>`,
    boxes.length === 0 ? html`<p>None to choose from.</p>` : boxes,
    html`</fieldset>`,
  ]);
}

/** A hidden input. */
export function hiddenField(name: string, value: string): SafeHtml {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}

/**
 * A POST form carrying the session's CSRF token.
 *
 * SECURITY: every state-changing form carries `_csrf`; the guard refuses a
 * POST without the token bound to the session (cross-site request forgery).
 */
export function postForm(options: {
  readonly action: string;
  readonly csrf: string;
  readonly body: SafeHtml;
  readonly submit: string;
  /** `danger` for destructive actions (delete, revoke). */
  readonly kind?: 'primary' | 'secondary' | 'danger';
  readonly className?: string;
  /** An accessible name for the form, when a page has several. */
  readonly label?: string;
}): SafeHtml {
  const aria = options.label !== undefined && html` aria-label="${options.label}"`;
  const className = options.className !== undefined && html` class="${options.className}"`;
  return joinHtml([
    html`<form method="post" action="${options.action}"${className}${aria}>`,
    hiddenField(CSRF_FIELD, options.csrf),
    options.body,
    html`<button type="submit" class="button ${options.kind ?? 'primary'}">${options.submit}</button>`,
    html`</form>`,
  ]);
}

/**
 * The body of a "delete this?" page: what deleting means, the one
 * destructive button posting to `action`, and a way back.
 */
export function confirmDeletionBody(options: {
  readonly consequence: SafeHtml;
  readonly action: string;
  readonly csrf: string;
  readonly submit: string;
  readonly cancelHref: string;
}): SafeHtml {
  return joinHtml(
    [
      options.consequence,
      postForm({
        action: options.action,
        csrf: options.csrf,
        body: html``,
        submit: options.submit,
        kind: 'danger',
      }),
      html`<p>${link(options.cancelHref, 'Cancel')}</p>`,
    ],
    '\n',
  );
}

/** A GET form (filters, search): no CSRF token, because nothing changes. */
export function getForm(options: {
  readonly action: string;
  readonly body: SafeHtml;
  readonly submit: string;
  readonly label: string;
}): SafeHtml {
  return joinHtml([
    html`<form method="get" action="${options.action}" class="filters" aria-label="${options.label}">`,
    options.body,
    html`<button type="submit" class="button secondary">${options.submit}</button>`,
    html`</form>`,
  ]);
}

/** A column of a table: its header and how a row fills its cell. */
export interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => SafeHtml;
  /** True for the column that names the row: rendered as `<th scope="row">`. */
  readonly rowHeader?: boolean;
  readonly className?: string;
}

/** A table with a caption, `scope` on every header, and a row for "nothing to show". */
export function dataTable<Row>(options: {
  readonly caption: string;
  readonly columns: readonly Column<Row>[];
  readonly rows: readonly Row[];
  readonly empty: string;
  readonly className?: string;
}): SafeHtml {
  const head = options.columns.map((column) => html`<th scope="col">${column.header}</th>`);
  const body =
    options.rows.length === 0
      ? html`<tr><td colspan="${options.columns.length}">${options.empty}</td></tr>`
      : options.rows.map((row) => {
          const cells = options.columns.map((column) => {
            const className = column.className !== undefined && html` class="${column.className}"`;
            return column.rowHeader === true
              ? html`<th scope="row"${className}>${column.cell(row)}</th>`
              : html`<td${className}>${column.cell(row)}</td>`;
          });
          return html`<tr>${cells}</tr>`;
        });
  const className = options.className !== undefined && html` class="${options.className}"`;
  return joinHtml([
    html`<div class="table-wrap"><table${className}>`,
    html`<caption>${options.caption}</caption>`,
    html`<thead><tr>${head}</tr></thead>`,
    html`<tbody>${body}</tbody>`,
    html`</table></div>`,
  ]);
}

/** A description list of label → value. */
export function detailList(items: readonly (readonly [string, SafeHtml])[]): SafeHtml {
  const rows = items.map(([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`);
  return html`<dl class="details">${rows}</dl>`;
}

/** An em dash for a value there is none of. */
const NONE = html`<span class="none">—</span>`;

/** `2026-03-02 09:30 UTC` in a `<time>` element (from a Date or an ISO 8601 string); an em dash for none. */
export function timeOf(at: Date | string | null | undefined): SafeHtml {
  if (at === null || at === undefined) return NONE;
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return html`${String(at)}`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

/** Text, or an em dash for none/empty. */
export function textOf(value: string | number | null | undefined): SafeHtml {
  if (value === null || value === undefined || value === '') return NONE;
  return html`${value}`;
}

/** A thumbprint or other machine value in `<code>`, breakable anywhere. */
export function codeOf(value: string | null | undefined): SafeHtml {
  if (value === null || value === undefined || value === '') return NONE;
  return html`<code class="mono">${value}</code>`;
}

/** A small word-label (state, source, outcome); `tone` picks the colour, the word carries the meaning. */
export function badge(text: string, tone: 'ok' | 'info' | 'warn' | 'bad' | 'neutral' = 'neutral'): SafeHtml {
  return html`<span class="badge ${tone}">${text}</span>`;
}

/** An `<a>`; the href and the text are escaped like every value. */
export function link(href: string, text: string): SafeHtml {
  return html`<a href="${href}">${text}</a>`;
}

/** A section with an `<h2>` whose ID labels it. */
export function section(id: string, heading: string, body: SafeHtml): SafeHtml {
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${heading}</h2>${body}</section>`;
}

/** An error summary at the top of a form: announced at once (`role="alert"`); nothing without a message. */
export function errorSummary(message: string | undefined, hint?: string): SafeHtml {
  if (message === undefined) return html``;
  const next = hint !== undefined && html`<p>${hint}</p>`;
  return html`<div class="error-summary" role="alert"><h2>There is a problem</h2><p>${message}</p>${next}</div>`;
}

/** A bulleted list of plain values. */
export function describeList(values: readonly string[]): SafeHtml {
  return html`<ul class="plain">${values.map((value) => html`<li>${codeOf(value)}</li>`)}</ul>`;
}
