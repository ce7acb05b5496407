import type { FastifyInstance } from 'fastify';
import type { AuditEntryView, AuditFilter } from '../../management/service.js';
import { ClaimsgateError, isClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import {
  badge,
  codeOf,
  dataTable,
  getForm,
  link,
  selectField,
  textField,
  textOf,
  timeOf,
} from './admin-html.js';
import {
  adminContextOf,
  describeError,
  fieldErrorsOf,
  fieldText,
  queryOf,
  sendAdminPage,
  type FormFields,
} from './admin-responses.js';

/** Entries per page. */
export const AUDIT_PAGE_SIZE = 50;

const FILTER_FIELDS = ['issuer', 'action', 'actor', 'from', 'to', 'text', 'after'] as const;
type FilterField = (typeof FILTER_FIELDS)[number];
type FilterValues = Readonly<Record<FilterField, string>>;

const MAX_SHOWN_VALUE = 80;

/** A value of an audit entry as compact JSON, cut to a readable length. */
function shortJson(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE - 1)}…` : text;
}

const MAX_CHANGE_LINES = 8;
/** Record fields that identify rather than describe; left out of a one-sided summary. */
const IDENTIFYING_FIELDS = new Set(['id', 'issuerId']);

/** Whether a field of a created or deleted record is worth a line: not an ID, not empty. */
function describes(key: string, value: unknown): boolean {
  if (IDENTIFYING_FIELDS.has(key) || value === null || value === undefined || value === '') return false;
  return !(Array.isArray(value) && value.length === 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What an entry changed, one line per field: `state: active → revoked` when
 * both sides are objects; `field: value` for a record that was created (empty fields left out) (and
 * `field: value → (removed)` for one that was deleted); anything else
 * whole. At most {@link MAX_CHANGE_LINES} lines, then how many more.
 */
export function summariseChange(before: unknown, after: unknown): string[] {
  let lines: string[];
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    lines = keys
      .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      .map((key) => {
        if (!(key in before)) return `${key}: ${shortJson(after[key])}`;
        if (!(key in after)) return `${key}: ${shortJson(before[key])} → (removed)`;
        return `${key}: ${shortJson(before[key])} → ${shortJson(after[key])}`;
      });
  } else if ((before === null || before === undefined) && isRecord(after)) {
    lines = Object.entries(after)
      .filter(([key, value]) => describes(key, value))
      .map(([key, value]) => `${key}: ${shortJson(value)}`);
  } else if (isRecord(before) && (after === null || after === undefined)) {
    lines = Object.entries(before)
      .filter(([key, value]) => describes(key, value))
      .map(([key, value]) => `${key}: ${shortJson(value)} → (removed)`);
  } else {
    lines = [];
    if (before !== null && before !== undefined) lines.push(`before: ${shortJson(before)}`);
    if (after !== null && after !== undefined) lines.push(`after: ${shortJson(after)}`);
  }
  return lines.length > MAX_CHANGE_LINES
    ? [...lines.slice(0, MAX_CHANGE_LINES), `… ${lines.length - MAX_CHANGE_LINES} more`]
    : lines;
}

function changeCell(entry: AuditEntryView): SafeHtml {
  const lines = summariseChange(entry.before, entry.after);
  if (lines.length === 0) return textOf(null);
  return html`<ul class="plain">${lines.map((line) => html`<li>${line}</li>`)}</ul>`;
}

function refreshCell(entry: AuditEntryView): SafeHtml {
  const refresh = entry.refresh;
  if (refresh === null) return textOf(null);
  const tone = refresh.outcome === 'failure' ? 'bad' : 'ok';
  return joinHtml([
    badge(refresh.outcome, tone),
    refresh.code !== null && html` ${codeOf(refresh.code)}`,
    refresh.httpStatus !== null && html` HTTP ${refresh.httpStatus}`,
    html`<br>${codeOf(refresh.url)}`,
    refresh.sha256 !== null && html`<br>SHA-256 ${codeOf(refresh.sha256)}`,
  ]);
}

function inputError(field: FilterField, message: string, observed: string): ClaimsgateError {
  return new ClaimsgateError('CG_ADMIN_INPUT_INVALID', message, { detail: { field, observed } });
}

/** A `YYYY-MM-DD` date field as the start of that day (UTC), or undefined when empty. */
function dayStart(field: FilterField, text: string): Date | undefined {
  if (text === '') return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00.000Z`) : undefined;
  if (date === undefined || Number.isNaN(date.getTime()))
    throw inputError(field, `“${text}” is not a date; use YYYY-MM-DD.`, text);
  return date;
}

/**
 * The service filter a query asks for: `from` is inclusive from the start of
 * that day, `to` inclusive to the end of that day (UTC).
 *
 * @throws ClaimsgateError `CG_ADMIN_INPUT_INVALID` naming the field.
 */
export function readAuditFilter(values: FilterValues): AuditFilter {
  const since = dayStart('from', values.from);
  const toDay = dayStart('to', values.to);
  const until = toDay === undefined ? undefined : new Date(toDay.getTime() + 86_400_000);
  if (since !== undefined && until !== undefined && until <= since)
    throw inputError('to', 'The “to” date is before the “from” date.', values.to);
  if (values.after !== '' && !/^\d{1,15}$/.test(values.after))
    throw inputError('after', 'The page position is not a number.', values.after);
  return {
    limit: AUDIT_PAGE_SIZE,
    ...(values.issuer === '' ? {} : { issuer: values.issuer }),
    ...(values.action.trim() === '' ? {} : { action: values.action.trim() }),
    ...(values.actor.trim() === '' ? {} : { actor: values.actor.trim() }),
    ...(values.text.trim() === '' ? {} : { text: values.text.trim() }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(values.after === '' ? {} : { afterId: Number(values.after) }),
  };
}

function filterValues(query: FormFields): FilterValues {
  const entries = FILTER_FIELDS.map((field) => [field, fieldText(query, field)] as const);
  return Object.fromEntries(entries) as FilterValues;
}

/** `/admin/audit?…` with the current filters and another page position. */
function pageLink(values: FilterValues, after: number | undefined): string {
  const query = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    if (field !== 'after' && values[field] !== '') query.set(field, values[field]);
  }
  if (after !== undefined) query.set('after', String(after));
  const text = query.toString();
  return text === '' ? '/admin/audit' : `/admin/audit?${text}`;
}

/**
 * Registers `GET /admin/audit`: the audit log with filters (issuer, action,
 * actor, from/to dates, text) in a GET form, a table of entries (time,
 * actor, action, issuer, subject, what changed, refresh facts), and paging.
 */
export function registerAuditPage(app: FastifyInstance, services: GatewayServices): void {
  app.get('/admin/audit', { preHandler: services.admin.requireAdmin('page') }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const values = filterValues(queryOf(request));
    const issuers = await services.adminService.listIssuers();
    let errors: Readonly<Record<string, string>> = {};
    let problem: SafeHtml | undefined;
    let results: SafeHtml | undefined;
    try {
      const page = await services.adminService.listAudit(readAuditFilter(values));
      const table = dataTable<AuditEntryView>({
        caption: `Audit log entries ${page.entries.length === 0 ? '' : `${page.entries[0]!.id}–${page.entries[page.entries.length - 1]!.id}`} (oldest first)`,
        empty: 'No entry matches these filters.',
        rows: page.entries,
        columns: [
          { header: 'Time', rowHeader: true, cell: (e) => timeOf(e.at) },
          { header: 'Actor', cell: (e) => html`${e.actor}` },
          { header: 'Action', cell: (e) => html`<code class="ident">${e.action}</code>` },
          {
            header: 'Issuer',
            cell: (e) => (e.issuerName === null ? textOf(e.issuerId) : html`${e.issuerName}`),
          },
          { header: 'Subject', cell: (e) => codeOf(e.subject) },
          { header: 'Change', cell: changeCell },
          { header: 'Refresh', cell: refreshCell },
        ],
      });
      const pager = [
        values.after !== '' && link(pageLink(values, undefined), 'First page'),
        page.nextAfterId !== null && link(pageLink(values, page.nextAfterId), 'Next page'),
      ].filter((part) => part !== false);
      results = html`${table}${pager.length > 0 && html`<nav aria-label="Audit log pages" class="pager">${joinHtml(pager, ' ')}</nav>`}`;
    } catch (error) {
      if (!isClaimsgateError(error)) throw error;
      problem = describeError(error);
      errors = fieldErrorsOf(error, FILTER_FIELDS);
      if (Object.keys(errors).length === 0 && error.code === 'CG_STORE_NOT_FOUND')
        errors = { issuer: error.message };
    }
    const form = 'audit';
    const filters = getForm({
      action: '/admin/audit',
      label: 'Filter the audit log',
      submit: 'Filter',
      body: joinHtml([
        selectField({
          form,
          name: 'issuer',
          label: 'Issuer',
          choices: [
            { value: '', label: 'Any issuer' },
            ...issuers.map((s) => ({ value: s.issuer.name, label: s.issuer.name })),
          ],
          value: values.issuer,
          error: errors.issuer,
        }),
        textField({
          form,
          name: 'action',
          label: 'Action',
          value: values.action,
          error: errors.action,
          hint: 'key.revoked, or key. for every key action',
          spellcheck: false,
        }),
        textField({
          form,
          name: 'actor',
          label: 'Actor',
          value: values.actor,
          error: errors.actor,
          hint: 'admin:local:alice, refresh, cli:…',
          spellcheck: false,
        }),
        textField({
          form,
          name: 'from',
          label: 'From',
          type: 'date',
          value: values.from,
          error: errors.from,
        }),
        textField({ form, name: 'to', label: 'To', type: 'date', value: values.to, error: errors.to }),
        textField({
          form,
          name: 'text',
          label: 'Text',
          type: 'search',
          value: values.text,
          error: errors.text,
          hint: 'A thumbprint, a URL…',
        }),
      ]),
    });
    return sendAdminPage(reply, context, {
      title: 'Audit log',
      section: 'audit',
      status: problem === undefined ? 200 : 400,
      body: joinHtml(
        [
          html`<p class="lead">Every change of trust, by whom and when: admin edits, refreshes, rollovers and alerts. Times are UTC.</p>`,
          problem,
          filters,
          results,
        ],
        '\n',
      ),
    });
  });
}
