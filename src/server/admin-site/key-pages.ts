import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  inspectThumbprintInput,
  type CertificateView,
  type IssuerDetail,
  type ThumbprintInspection,
} from '../../management/service.js';
import { formatThumbprint } from '../../crypto/thumbprint.js';
import { ClaimsgateError, isClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import {
  codeOf,
  dataTable,
  detailList,
  hiddenField,
  link,
  postForm,
  section,
  selectField,
  textOf,
  timeOf,
} from './admin-html.js';
import {
  adminContextOf,
  describeError,
  fieldText,
  formOf,
  issuerPath,
  paramOf,
  redirectWithFlash,
  sendAdminPage,
  statusOfError,
  type ManagementContext,
} from './admin-responses.js';
import { addKeyForm } from './issuer-page.js';
import { expiryText, pastedWithMarks, removedCharacterList } from './trust-views.js';

/** The invisible and separator characters a pasted thumbprint may carry (see `normalizeThumbprint`). */
const THUMBPRINT_NOISE = /[\s:\u002d\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Whether pasted text is a certificate rather than a thumbprint: a PEM
 * block, or more than 64 characters once separators are gone that are not
 * all hexadecimal (a 65-digit hex value is a mistyped thumbprint, and is
 * reported as one).
 */
export function looksLikeCertificate(text: string): boolean {
  if (text.includes('-----BEGIN')) return true;
  const compact = text.replace(THUMBPRINT_NOISE, '');
  return compact.length > 64 && /[^0-9a-fA-F]/.test(compact);
}

const STATE_CHOICES = [
  { value: 'active', label: 'Active: trusted for sign-in now' },
  { value: 'announced', label: 'Announced: trusted, and shown as the coming key' },
] as const;

function stateField(value: string): SafeHtml {
  return selectField({
    form: 'add',
    name: 'state',
    label: 'State of the new key',
    choices: STATE_CHOICES,
    value,
  });
}

/** The Check step for a thumbprint: the clean value, what was removed (made visible), then Add. */
function thumbprintCheck(
  detail: IssuerDetail,
  csrf: string,
  pasted: string,
  inspection: ThumbprintInspection,
): SafeHtml {
  const algorithm = inspection.algorithm === 'sha1' ? 'SHA-1' : 'SHA-256';
  const warning =
    inspection.noteworthy.length > 0 &&
    html`<p class="field-error">The pasted value contained ${inspection.noteworthy.length} invisible or unusual character(s). They have been removed; check that this is the thumbprint you meant.</p>`;
  return joinHtml(
    [
      section(
        'normalised',
        'Normalised thumbprint',
        joinHtml([
          detailList([
            ['Algorithm', html`${algorithm} (${inspection.thumbprint.length} hexadecimal digits)`],
            ['Thumbprint', codeOf(inspection.thumbprint)],
            ['With colons', codeOf(inspection.colons)],
            ['What you pasted', pastedWithMarks(pasted, inspection.noteworthy)],
          ]),
          warning,
        ]),
      ),
      section(
        'removed',
        `Characters removed (${inspection.removed.length})`,
        removedCharacterList(inspection.removed, inspection.noteworthy),
      ),
      html`<p>A key entered as a bare thumbprint vouches only for a certificate whose thumbprint is exactly this value. It stays trusted until you revoke it; metadata refreshes do not remove it.</p>`,
      postForm({
        action: issuerPath(detail.issuer, '/keys'),
        csrf,
        label: 'Add the key',
        submit: `Add ${algorithm} thumbprint to ${detail.issuer.name}`,
        body: html`${hiddenField('thumbprint', inspection.thumbprint)}${stateField('active')}`,
      }),
    ],
    '\n',
  );
}

/** The certificates found in pasted text, as a table. */
export function certificateTable(caption: string, certificates: readonly CertificateView[]): SafeHtml {
  return dataTable<CertificateView>({
    caption,
    empty: 'No certificate.',
    rows: certificates,
    columns: [
      { header: 'Subject', rowHeader: true, cell: (c) => html`${c.subject}` },
      {
        header: 'Thumbprints',
        cell: (c) =>
          joinHtml(
            [
              html`<span class="algorithm">SHA-1</span> ${codeOf(c.sha1)}`,
              html`<span class="algorithm">SHA-1 with colons</span> ${codeOf(formatThumbprint(c.sha1, 'colons'))}`,
              html`<span class="algorithm">SHA-256</span> ${codeOf(c.sha256)}`,
              html`<span class="algorithm">SHA-256 with colons</span> ${codeOf(formatThumbprint(c.sha256, 'colons'))}`,
            ],
            '<br>',
          ),
      },
      {
        header: 'Valid',
        cell: (c) =>
          html`from ${timeOf(c.notBefore)}<br>to ${timeOf(c.notAfter)}<br>${expiryText(c.daysLeft)}`,
      },
      { header: 'Issued by', cell: (c) => html`${c.issuer}` },
      {
        header: 'Key',
        cell: (c) => html`${c.keyType}${c.keySize !== null && ` ${c.keySize} bits`}`,
      },
      {
        header: 'Found in',
        cell: (c) => (c.sections.length === 0 ? textOf(null) : html`${c.sections.join('; ')}`),
      },
    ],
  });
}

/** The Check step for a certificate: what it is, then Add. */
function certificateCheck(
  detail: IssuerDetail,
  csrf: string,
  pasted: string,
  certificate: CertificateView,
): SafeHtml {
  const expired = certificate.daysLeft < 0;
  return joinHtml(
    [
      certificateTable('The pasted certificate', [certificate]),
      expired &&
        html`<p class="field-error">This certificate has expired: tokens it signs will not be accepted.</p>`,
      postForm({
        action: issuerPath(detail.issuer, '/keys'),
        csrf,
        label: 'Add the key',
        submit: `Add certificate to ${detail.issuer.name}`,
        body: html`${hiddenField('certificate', pasted)}${stateField('active')}`,
      }),
    ],
    '\n',
  );
}

/**
 * Registers the key pages of an issuer: the two steps of **Add a key**
 * (`POST …/keys/check` shows the normalised value and every character
 * removed; `POST …/keys` adds it), and **Revoke** / **Reactivate** with a
 * reason and a confirmation (`GET|POST …/keys/:keyId/revoke|reactivate`).
 */
export function registerKeyPages(app: FastifyInstance, services: GatewayServices): void {
  const preHandler = services.admin.requireAdmin('page');
  const service = services.adminService;

  function sendCheckPage(
    reply: FastifyReply,
    context: ManagementContext,
    detail: IssuerDetail,
    pasted: string,
    error?: ClaimsgateError,
  ): FastifyReply {
    const title = `Add a key to ${detail.issuer.name}`;
    if (error !== undefined) {
      return sendAdminPage(reply, context, {
        title,
        section: 'issuers',
        status: statusOfError(error.code),
        body: html`${describeError(error)}${addKeyForm(detail, context.csrf, pasted, error.message)}<p>${link(issuerPath(detail.issuer), 'Cancel')}</p>`,
      });
    }
    let body: SafeHtml;
    try {
      if (looksLikeCertificate(pasted)) {
        const found = service.thumbprintsFromText(pasted).certificates;
        const [certificate] = found;
        if (certificate === undefined || found.length > 1)
          throw new ClaimsgateError(
            'CG_ADMIN_INPUT_INVALID',
            `The text holds ${found.length} certificates; paste exactly one.`,
            { detail: { field: 'value', observed: found.length, expected: 1 } },
          );
        body = certificateCheck(detail, context.csrf, pasted, certificate);
      } else {
        body = thumbprintCheck(detail, context.csrf, pasted, inspectThumbprintInput(pasted));
      }
    } catch (caught) {
      if (!isClaimsgateError(caught)) throw caught;
      return sendCheckPage(reply, context, detail, pasted, caught);
    }
    return sendAdminPage(reply, context, {
      title: `Check the key for ${detail.issuer.name}`,
      section: 'issuers',
      body: html`${body}<p>${link(issuerPath(detail.issuer), 'Cancel')}</p>`,
    });
  }

  app.post('/admin/issuers/:name/keys/check', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    return sendCheckPage(reply, context, detail, fieldText(formOf(request), 'value'));
  });

  app.post('/admin/issuers/:name/keys', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const fields = formOf(request);
    const thumbprint = fieldText(fields, 'thumbprint');
    const certificate = fieldText(fields, 'certificate');
    const state = fieldText(fields, 'state') === 'announced' ? 'announced' : 'active';
    const pasted = thumbprint !== '' ? thumbprint : certificate;
    try {
      if (thumbprint !== '' && certificate !== '')
        throw new ClaimsgateError('CG_ADMIN_INPUT_INVALID', 'Give a certificate or a thumbprint, not both.', {
          detail: { field: 'value' },
        });
      if (thumbprint !== '') {
        // SECURITY: nothing is cleaned silently. A value that would change on
        // normalisation goes back to the Check step, where every removed
        // character is shown; only the clean value the admin saw is added.
        const inspection = inspectThumbprintInput(thumbprint);
        if (inspection.removed.length > 0) return sendCheckPage(reply, context, detail, thumbprint);
      }
      const added = await service.addKey(
        detail.issuer.id,
        thumbprint !== '' ? { thumbprint, state } : { certificate, state },
        context.actor,
      );
      const shown = added.key.sha1 ?? added.key.sha256 ?? added.key.id;
      return redirectWithFlash(
        reply,
        context,
        issuerPath(detail.issuer),
        `Added key ${shown} to ${detail.issuer.name} (${added.key.state}).`,
      );
    } catch (error) {
      if (!isClaimsgateError(error) || error.code === 'CG_STORE_NOT_FOUND') throw error;
      return sendCheckPage(reply, context, detail, pasted, error);
    }
  });
}
