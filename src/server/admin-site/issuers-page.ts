import type { FastifyInstance } from 'fastify';
import type { IssuerSummary, KeyView } from '../../management/service.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import { badge, codeOf, dataTable, link, textOf, timeOf } from './admin-html.js';
import { adminContextOf, flashOf, issuerPath, sendAdminPage } from './admin-responses.js';
import {
  alertList,
  expiryText,
  lastRefreshCell,
  nextRefreshCell,
  sourceBadge,
  stateBadge,
  thumbprintCell,
} from './trust-views.js';

/** One key of an issuer, as an item of the issuers table's key list. */
function keyItem(key: KeyView): SafeHtml {
  const lastSeen =
    key.source === 'metadata'
      ? html`last seen in metadata ${timeOf(key.lastSeenInMetadataAt)}`
      : html`entered by hand`;
  return joinHtml([
    html`<li>`,
    html`<div>${stateBadge(key.state)} ${sourceBadge(key.source)}</div>`,
    thumbprintCell(key),
    html`<div>Expiry: ${expiryText(key.daysLeft)}; ${lastSeen}</div>`,
    html`</li>`,
  ]);
}

interface IssuerRow {
  readonly summary: IssuerSummary;
  readonly keys: readonly KeyView[];
}

/**
 * Registers `GET /admin`, the Issuers page: every issuer with its keys
 * (state, source, thumbprints, expiry in days, last seen in metadata), its
 * last and next refresh with their outcome, and its alerts; an issuer with
 * a document held for approval is flagged with a link to review it.
 */
export function registerIssuersPage(app: FastifyInstance, services: GatewayServices): void {
  app.get('/admin', { preHandler: services.admin.requireAdmin('page') }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const summaries = await services.adminService.listIssuers();
    const rows: IssuerRow[] = await Promise.all(
      summaries.map(async (summary) => ({
        summary,
        keys: await services.adminService.listKeys(summary.issuer.id),
      })),
    );
    const table = dataTable<IssuerRow>({
      caption: `Issuers (${rows.length})`,
      empty: 'No issuer is configured yet. Add one from its metadata URL.',
      className: 'issuers',
      rows,
      columns: [
        {
          header: 'Name',
          rowHeader: true,
          cell: ({ summary }) =>
            html`${link(issuerPath(summary.issuer), summary.issuer.name)}${
              summary.pendingChange?.decision === 'pending' &&
              html`<br>${link(`${issuerPath(summary.issuer)}#pending-change`, 'Pending change: review it')} ${badge('waiting for approval', 'bad')}`
            }`,
        },
        { header: 'Issuer URI', cell: ({ summary }) => codeOf(summary.issuer.issuerUri) },
        {
          header: 'Keys',
          cell: ({ summary, keys }) =>
            keys.length === 0
              ? html`<span class="none">No keys</span>`
              : html`<span>${summary.usableKeys} usable of ${keys.length}</span><ul class="keys">${keys.map(keyItem)}</ul>`,
        },
        { header: 'Last refresh', cell: ({ summary }) => lastRefreshCell(summary.refresh) },
        { header: 'Next refresh', cell: ({ summary }) => nextRefreshCell(summary.refresh) },
        {
          header: 'Next expiry',
          cell: ({ summary }) =>
            summary.nextExpiry === null
              ? textOf(null)
              : html`${expiryText(summary.nextExpiry.daysLeft)} ${codeOf(summary.nextExpiry.thumbprint)}`,
        },
        { header: 'Alerts', cell: ({ summary }) => alertList(summary.alerts) },
      ],
    });
    const body = joinHtml(
      [
        html`<p class="lead">Who this gateway trusts. Keys from metadata follow the issuer by themselves; keys entered by hand stay until you revoke them.</p>`,
        html`<p class="actions"><a class="button primary" href="/admin/issuers/new">Add an issuer from metadata</a> ${link('/admin/thumbprint', 'Calculate a thumbprint')}</p>`,
        table,
        html`<p>Times are UTC.</p>`,
      ],
      '\n',
    );
    return sendAdminPage(reply, context, {
      title: 'Issuers',
      section: 'issuers',
      flash: flashOf(request, context),
      body,
    });
  });
}
