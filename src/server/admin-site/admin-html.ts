/**
 * The admin site's building blocks: form fields that always carry a label and
 * tie their error with `aria-describedby`, tables with a caption and scoped
 * headers, dates in `<time>`. Every function takes plain values and escapes
 * them; every function returns markup that is safe to concatenate.
 */
import { CSRF_FIELD } from '../admin-auth.js';
import { escapeHtml } from '../html.js';

/** Markup that has already been built from escaped values (the output of this module). */
export type Html = string;

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
function fieldParts(options: FieldOptions): { head: Html; error: Html; attributes: string } {
  const id = fieldId(options.form, options.name);
  const described: string[] = [];
  let hint = '';
  let error = '';
  if (options.hint !== undefined) {
    described.push(`${id}-hint`);
    hint = `<span class="hint" id="${id}-hint">${escapeHtml(options.hint)}</span>`;
  }
  if (options.error !== undefined) {
    described.push(`${id}-error`);
    error = `<span class="field-error" id="${id}-error">Error: ${escapeHtml(options.error)}</span>`;
  }
  const attributes = [
    `id="${escapeHtml(id)}"`,
    `name="${escapeHtml(options.name)}"`,
    described.length > 0 ? `aria-describedby="${escapeHtml(described.join(' '))}"` : '',
    options.error !== undefined ? 'aria-invalid="true"' : '',
    options.required === true ? 'required' : '',
  ]
    .filter((attribute) => attribute !== '')
    .join(' ');
  const required = options.required === true ? ' <span class="required">(required)</span>' : '';
  const head = `<label for="${escapeHtml(id)}">${escapeHtml(options.label)}${required}</label>${hint}`;
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
): Html {
  const { head, error, attributes } = fieldParts(options);
  const extra = [
    options.autocomplete === undefined ? '' : ` autocomplete="${escapeHtml(options.autocomplete)}"`,
    options.spellcheck === false ? ' spellcheck="false"' : '',
  ].join('');
  return `<div class="field">${head}${error}<input type="${options.type ?? 'text'}" ${attributes} value="${escapeHtml(options.value ?? '')}"${extra}></div>`;
}

/** A labelled multi-line input. */
export function textareaField(
  options: FieldOptions & { readonly value?: string | undefined; readonly rows?: number },
): Html {
  const { head, error, attributes } = fieldParts(options);
  // A newline right after <textarea> is dropped by the parser; one is added so a value starting with one survives.
  return `<div class="field">${head}${error}<textarea ${attributes} rows="${options.rows ?? 6}" spellcheck="false">\n${escapeHtml(options.value ?? '')}</textarea></div>`;
}

/** A labelled checkbox (the label follows the box). */
export function checkboxField(
  options: FieldOptions & { readonly checked: boolean; readonly value?: string },
): Html {
  const { head, error, attributes } = fieldParts(options);
  const checked = options.checked ? ' checked' : '';
  return `<div class="field checkbox"><input type="checkbox" ${attributes} value="${escapeHtml(options.value ?? 'on')}"${checked}>${head}${error}</div>`;
}

/** One option of a select or of a checkbox group. */
export interface Choice {
  readonly value: string;
  readonly label: string;
}

/** A labelled drop-down list. */
export function selectField(
  options: FieldOptions & { readonly choices: readonly Choice[]; readonly value?: string | undefined },
): Html {
  const { head, error, attributes } = fieldParts(options);
  const items = options.choices.map(
    (choice) =>
      `<option value="${escapeHtml(choice.value)}"${choice.value === options.value ? ' selected' : ''}>${escapeHtml(choice.label)}</option>`,
  );
  return `<div class="field">${head}${error}<select ${attributes}>${items.join('')}</select></div>`;
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
}): Html {
  const groupId = fieldId(options.form, options.name);
  const described: string[] = [];
  if (options.hint !== undefined) described.push(`${groupId}-hint`);
  if (options.error !== undefined) described.push(`${groupId}-error`);
  const boxes = options.choices.map((choice, index) => {
    const id = `${groupId}-${index}`;
    const checked = options.checked.has(choice.value) ? ' checked' : '';
    return `<div class="field checkbox"><input type="checkbox" id="${id}" name="${escapeHtml(options.name)}" value="${escapeHtml(choice.value)}"${checked}><label for="${id}">${escapeHtml(choice.label)}</label></div>`;
  });
  return [
    `<fieldset${described.length > 0 ? ` aria-describedby="${described.join(' ')}"` : ''}>`,
    `<legend>${escapeHtml(options.legend)}</legend>`,
    options.hint === undefined
      ? ''
      : `<span class="hint" id="${groupId}-hint">${escapeHtml(options.hint)}</span>`,
    options.error === undefined
      ? ''
      : `<span class="field-error" id="${groupId}-error">Error: ${escapeHtml(options.error)}</span>`,
    boxes.length === 0 ? '<p>None to choose from.</p>' : boxes.join(''),
    '</fieldset>',
  ].join('');
}

/** A hidden input. */
export function hiddenField(name: string, value: string): Html {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
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
  readonly body: Html;
  readonly submit: string;
  /** `danger` for destructive actions (delete, revoke). */
  readonly kind?: 'primary' | 'secondary' | 'danger';
  readonly className?: string;
  /** An accessible name for the form, when a page has several. */
  readonly label?: string;
}): Html {
  const aria = options.label === undefined ? '' : ` aria-label="${escapeHtml(options.label)}"`;
  const className = options.className === undefined ? '' : ` class="${escapeHtml(options.className)}"`;
  return [
    `<form method="post" action="${escapeHtml(options.action)}"${className}${aria}>`,
    hiddenField(CSRF_FIELD, options.csrf),
    options.body,
    `<button type="submit" class="button ${options.kind ?? 'primary'}">${escapeHtml(options.submit)}</button>`,
    '</form>',
  ].join('');
}

/**
 * The body of a "delete this?" page: what deleting means (already-escaped
 * markup), the one destructive button posting to `action`, and a way back.
 */
export function confirmDeletionBody(options: {
  readonly consequence: Html;
  readonly action: string;
  readonly csrf: string;
  readonly submit: string;
  readonly cancelHref: string;
}): Html {
  return [
    options.consequence,
    postForm({
      action: options.action,
      csrf: options.csrf,
      body: '',
      submit: options.submit,
      kind: 'danger',
    }),
    `<p>${link(options.cancelHref, 'Cancel')}</p>`,
  ].join('\n');
}

/** A GET form (filters, search): no CSRF token, because nothing changes. */
export function getForm(options: {
  readonly action: string;
  readonly body: Html;
  readonly submit: string;
  readonly label: string;
}): Html {
  return [
    `<form method="get" action="${escapeHtml(options.action)}" class="filters" aria-label="${escapeHtml(options.label)}">`,
    options.body,
    `<button type="submit" class="button secondary">${escapeHtml(options.submit)}</button>`,
    '</form>',
  ].join('');
}

/** A column of a table: its header and how a row fills its cell. */
export interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => Html;
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
}): Html {
  const head = options.columns.map((column) => `<th scope="col">${escapeHtml(column.header)}</th>`);
  const body =
    options.rows.length === 0
      ? [`<tr><td colspan="${options.columns.length}">${escapeHtml(options.empty)}</td></tr>`]
      : options.rows.map((row) => {
          const cells = options.columns.map((column) => {
            const className = column.className === undefined ? '' : ` class="${column.className}"`;
            return column.rowHeader === true
              ? `<th scope="row"${className}>${column.cell(row)}</th>`
              : `<td${className}>${column.cell(row)}</td>`;
          });
          return `<tr>${cells.join('')}</tr>`;
        });
  return [
    `<div class="table-wrap"><table${options.className === undefined ? '' : ` class="${options.className}"`}>`,
    `<caption>${escapeHtml(options.caption)}</caption>`,
    `<thead><tr>${head.join('')}</tr></thead>`,
    `<tbody>${body.join('')}</tbody>`,
    '</table></div>',
  ].join('');
}

/** A description list of label → already-escaped value. */
export function detailList(items: readonly (readonly [string, Html])[]): Html {
  const rows = items.map(([term, value]) => `<div><dt>${escapeHtml(term)}</dt><dd>${value}</dd></div>`);
  return `<dl class="details">${rows.join('')}</dl>`;
}

/** `2026-03-02 09:30 UTC` in a `<time>` element (from a Date or an ISO 8601 string); an em dash for none. */
export function timeOf(at: Date | string | null | undefined): Html {
  if (at === null || at === undefined) return '<span class="none">—</span>';
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return escapeHtml(String(at));
  const iso = date.toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

/** Escaped text, or an em dash for none/empty. */
export function textOf(value: string | number | null | undefined): Html {
  if (value === null || value === undefined || value === '') return '<span class="none">—</span>';
  return escapeHtml(String(value));
}

/** A thumbprint or other machine value in `<code>`, breakable anywhere. */
export function codeOf(value: string | null | undefined): Html {
  if (value === null || value === undefined || value === '') return '<span class="none">—</span>';
  return `<code class="mono">${escapeHtml(value)}</code>`;
}

/** A small word-label (state, source, outcome); `tone` picks the colour, the word carries the meaning. */
export function badge(text: string, tone: 'ok' | 'info' | 'warn' | 'bad' | 'neutral' = 'neutral'): Html {
  return `<span class="badge ${tone}">${escapeHtml(text)}</span>`;
}

/** An `<a>` with an escaped href and text. */
export function link(href: string, text: string): Html {
  return `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
}

/** A section with an `<h2>` whose ID labels it. */
export function section(id: string, heading: string, body: Html): Html {
  return `<section aria-labelledby="${id}"><h2 id="${id}">${escapeHtml(heading)}</h2>${body}</section>`;
}

/** An error summary at the top of a form: announced at once (`role="alert"`). */
export function errorSummary(message: string | undefined, hint?: string): Html {
  if (message === undefined) return '';
  const next = hint === undefined ? '' : `<p>${escapeHtml(hint)}</p>`;
  return `<div class="error-summary" role="alert"><h2>There is a problem</h2><p>${escapeHtml(message)}</p>${next}</div>`;
}

/** A bulleted list of plain values. */
export function describeList(values: readonly string[]): Html {
  return `<ul class="plain">${values.map((value) => `<li>${codeOf(value)}</li>`).join('')}</ul>`;
}
