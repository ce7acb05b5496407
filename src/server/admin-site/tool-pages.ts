import type { FastifyInstance } from 'fastify';
import type { AdminHealth } from '../../management/service.js';
import { isClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import {
  badge,
  codeOf,
  dataTable,
  detailList,
  link,
  postForm,
  section,
  textareaField,
  textField,
  timeOf,
} from './admin-html.js';
import {
  adminContextOf,
  describeError,
  fieldText,
  formOf,
  issuerPath,
  sendAdminPage,
  statusOfError,
} from './admin-responses.js';
import { certificateTable } from './key-pages.js';
import { alertList, lastRefreshCell, nextRefreshCell } from './trust-views.js';

/** The two forms of the thumbprint calculator, with the errors of the last attempt. */
function thumbprintForms(
  csrf: string,
  values: { certificate: string; metadataUrl: string },
  errors: { certificate?: string; metadataUrl?: string },
): SafeHtml {
  return html`<div class="columns">${[
    section(
      'from-certificate',
      'From a certificate',
      postForm({
        action: '/admin/thumbprint',
        csrf,
        label: 'Thumbprint of a certificate',
        submit: 'Calculate',
        body: textareaField({
          form: 'certificate',
          name: 'certificate',
          label: 'Certificate',
          hint: 'PEM, or the base64 text of an <X509Certificate> element; line breaks are fine.',
          value: values.certificate,
          rows: 8,
          required: true,
          error: errors.certificate,
        }),
      }),
    ),
    section(
      'from-metadata',
      'From a metadata URL',
      postForm({
        action: '/admin/thumbprint',
        csrf,
        label: 'Thumbprints of a metadata document',
        submit: 'Fetch and calculate',
        body: textField({
          form: 'metadata',
          name: 'metadataUrl',
          label: 'Metadata URL',
          type: 'url',
          hint: 'Federation metadata, SAML metadata, OpenID Connect discovery or a JWKS.',
          value: values.metadataUrl,
          required: true,
          spellcheck: false,
          error: errors.metadataUrl,
        }),
      }),
    ),
  ]}</div>`;
}

const THUMBPRINT_LEAD = html`<p class="lead">The SHA-1 thumbprint is what WIF, AD FS and K2 thumbprint fields take; the SHA-256 is what claimsgate records too. Nothing is stored.</p>`;

/**
 * Registers the thumbprint calculator (`GET /admin/thumbprint`, and `POST`
 * to calculate: a pasted certificate or a metadata URL → every certificate's
 * SHA-1 and SHA-256, plain and with colons, subject and validity) and the
 * health page (`GET /admin/health`: store, engine, per-issuer freshness and
 * alerts).
 */
export function registerToolPages(app: FastifyInstance, services: GatewayServices): void {
  const preHandler = services.admin.requireAdmin('page');
  const service = services.adminService;

  app.get('/admin/thumbprint', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    return sendAdminPage(reply, context, {
      title: 'Thumbprint calculator',
      section: 'thumbprint',
      body: html`${THUMBPRINT_LEAD}${thumbprintForms(context.csrf, { certificate: '', metadataUrl: '' }, {})}`,
    });
  });

  // POST, not GET: a URL given here is fetched by the server, so the request needs the CSRF token.
  app.post('/admin/thumbprint', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const fields = formOf(request);
    const certificate = fieldText(fields, 'certificate');
    const metadataUrl = fieldText(fields, 'metadataUrl').trim();
    const fromUrl = certificate.trim() === '';
    try {
      const result = fromUrl
        ? await service.thumbprintsFromUrl(metadataUrl)
        : service.thumbprintsFromText(certificate);
      const source =
        fromUrl &&
        detailList([
          ['Metadata URL', codeOf(result.source)],
          ['Document SHA-256', codeOf(result.documentSha256)],
        ]);
      return sendAdminPage(reply, context, {
        title: 'Thumbprint calculator',
        section: 'thumbprint',
        body: joinHtml(
          [
            THUMBPRINT_LEAD,
            section(
              'results',
              'Results',
              html`${source}${certificateTable(`Certificates found (${result.certificates.length})`, result.certificates)}`,
            ),
            thumbprintForms(context.csrf, { certificate, metadataUrl }, {}),
          ],
          '\n',
        ),
      });
    } catch (error) {
      if (!isClaimsgateError(error)) throw error;
      const errors = fromUrl ? { metadataUrl: error.message } : { certificate: error.message };
      return sendAdminPage(reply, context, {
        title: 'Thumbprint calculator',
        section: 'thumbprint',
        status: statusOfError(error.code),
        body: html`${THUMBPRINT_LEAD}${describeError(error)}${thumbprintForms(context.csrf, { certificate, metadataUrl }, errors)}`,
      });
    }
  });

  app.get('/admin/health', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const health = await service.health();
    return sendAdminPage(reply, context, { title: 'Health', section: 'health', body: renderHealth(health) });
  });
}

/** The health page's body. */
function renderHealth(health: AdminHealth): SafeHtml {
  const store = detailList([
    ['Backend', html`${health.store.backend}`],
    [
      'Reachable',
      health.store.reachable ? badge('yes', 'ok') : html`${badge('no', 'bad')} ${codeOf(health.store.code)}`,
    ],
    ['Checked', timeOf(health.checkedAt)],
  ]);
  const engineTable = dataTable<readonly [string, string]>({
    caption: 'Rollover engine counters (since this process started)',
    empty: 'No counters.',
    rows: flattenCounters(health.engine),
    columns: [
      { header: 'Counter', rowHeader: true, cell: ([name]) => html`${name}` },
      { header: 'Value', cell: ([, value]) => html`${value}` },
    ],
  });
  const issuers = dataTable<AdminHealth['issuers'][number]>({
    caption: `Issuer freshness (${health.issuers.length})`,
    empty: 'No issuer.',
    rows: health.issuers,
    columns: [
      { header: 'Issuer', rowHeader: true, cell: (i) => link(issuerPath(i), i.name) },
      {
        header: 'Usable keys',
        cell: (i) => (i.usableKeys === 0 ? badge('0', 'bad') : html`${i.usableKeys}`),
      },
      { header: 'Last refresh', cell: (i) => lastRefreshCell(i.refresh) },
      {
        header: 'Last good refresh',
        cell: (i) =>
          html`${timeOf(i.refresh.lastSuccessAt)}${i.refresh.lastSuccessAgeSeconds !== null && html`<br>${describeAge(i.refresh.lastSuccessAgeSeconds)} ago`}`,
      },
      { header: 'Next refresh', cell: (i) => nextRefreshCell(i.refresh) },
      { header: 'Alerts', cell: (i) => alertList(i.alerts) },
    ],
  });
  return joinHtml(
    [
      section('store', 'Store', store),
      section('issuers', 'Issuers', issuers),
      section('engine', 'Rollover engine', engineTable),
    ],
    '\n',
  );
}

/** Nested counters as `refreshes success` → `3` rows, in the engine's order. */
function flattenCounters(value: unknown, prefix = ''): (readonly [string, string])[] {
  if (typeof value !== 'object' || value === null) return [[prefix, String(value)]];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) =>
    flattenCounters(inner, prefix === '' ? key : `${prefix} ${key}`),
  );
}

/** `3 h 12 min`, `45 s`, `2 d 4 h`. */
export function describeAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}
