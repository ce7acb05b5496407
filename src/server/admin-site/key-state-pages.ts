/** Revoke and reactivate a key: a confirmation page with a reason, then the change. */
import type { FastifyInstance } from 'fastify';
import type { IssuerDetail, KeyView } from '../../management/service.js';
import { ClaimsgateError, isClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import { detailList, link, postForm, textareaField, textOf, timeOf } from './admin-html.js';
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
} from './admin-responses.js';
import { expiryText, sourceBadge, stateBadge, thumbprintCell } from './trust-views.js';

/** The key of an issuer, or `CG_STORE_NOT_FOUND` (a key ID of another issuer is not found here either). */
function keyOf(detail: IssuerDetail, keyId: string): KeyView {
  const key = detail.keys.find((candidate) => candidate.id === keyId);
  if (key === undefined)
    throw new ClaimsgateError('CG_STORE_NOT_FOUND', `Issuer ${detail.issuer.name} has no key ${keyId}.`, {
      detail: { observed: keyId },
    });
  return key;
}

/** Revoke or reactivate: a confirmation page with a reason, then the change. */
export function registerKeyStateChange(
  app: FastifyInstance,
  services: GatewayServices,
  action: 'revoke' | 'reactivate',
): void {
  const preHandler = services.admin.requireAdmin('page');
  const service = services.adminService;
  const verb = action === 'revoke' ? 'Revoke' : 'Reactivate';
  const path = `/admin/issuers/:name/keys/:keyId/${action}`;

  function renderConfirm(
    detail: IssuerDetail,
    key: KeyView,
    csrf: string,
    reason: string,
    error?: string,
  ): SafeHtml {
    const usable = detail.keys.filter((candidate) => candidate.usable);
    const lastKey =
      action === 'revoke' &&
      key.usable &&
      usable.length === 1 &&
      html`<p class="field-error">This is the issuer’s only usable key: after revoking it, nobody can sign in with this issuer until a new key is trusted.</p>`;
    const explanation =
      action === 'revoke'
        ? html`<p>A revoked key no longer validates tokens, and no metadata refresh makes it trusted again. Revoke a key whose private key may be compromised.</p>`
        : html`<p>The key becomes active: tokens it signs are accepted again.</p>`;
    return joinHtml(
      [
        explanation,
        detailList([
          ['Issuer', html`${detail.issuer.name}`],
          ['Thumbprint', thumbprintCell(key)],
          ['State', stateBadge(key.state)],
          ['Source', sourceBadge(key.source)],
          ['Subject', textOf(key.subject)],
          ['Expires', html`${timeOf(key.notAfter)} ${expiryText(key.daysLeft)}`],
        ]),
        lastKey,
        postForm({
          action: issuerPath(detail.issuer, `/keys/${encodeURIComponent(key.id)}/${action}`),
          csrf,
          submit: `${verb} key`,
          kind: action === 'revoke' ? 'danger' : 'primary',
          body: textareaField({
            form: action,
            name: 'reason',
            label: 'Reason',
            hint: 'Recorded in the audit log.',
            value: reason,
            rows: 2,
            required: true,
            error,
          }),
        }),
        html`<p>${link(issuerPath(detail.issuer), 'Cancel')}</p>`,
      ],
      '\n',
    );
  }

  app.get(path, { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const key = keyOf(detail, paramOf(request, 'keyId'));
    return sendAdminPage(reply, context, {
      title: `${verb} a key of ${detail.issuer.name}?`,
      section: 'issuers',
      body: renderConfirm(detail, key, context.csrf, ''),
    });
  });

  app.post(path, { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const key = keyOf(detail, paramOf(request, 'keyId'));
    const reason = fieldText(formOf(request), 'reason').trim();
    try {
      if (reason === '')
        throw new ClaimsgateError(
          'CG_ADMIN_INPUT_INVALID',
          'Give a reason: it is recorded in the audit log.',
          {
            detail: { field: 'reason' },
          },
        );
      const changed =
        action === 'revoke'
          ? await service.revokeKey(key.id, reason, context.actor)
          : await service.reactivateKey(key.id, reason, context.actor);
      const shown = changed.sha1 ?? changed.sha256 ?? changed.kid ?? changed.id;
      return redirectWithFlash(
        reply,
        context,
        issuerPath(detail.issuer),
        `${action === 'revoke' ? 'Revoked' : 'Reactivated'} key ${shown} of ${detail.issuer.name}; it is now ${changed.state}.`,
      );
    } catch (error) {
      if (!isClaimsgateError(error) || error.code === 'CG_STORE_NOT_FOUND') throw error;
      return sendAdminPage(reply, context, {
        title: `${verb} a key of ${detail.issuer.name}?`,
        section: 'issuers',
        status: statusOfError(error.code),
        body: html`${describeError(error)}${renderConfirm(detail, key, context.csrf, reason, error.message)}`,
      });
    }
  });
}
