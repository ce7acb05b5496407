import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ImportPreview, ImportRequest } from '../../management/service.js';
import { isClaimsgateError, type ClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import { link, postForm, textField } from './admin-html.js';
import {
  adminContextOf,
  describeError,
  fieldErrorsOf,
  fieldText,
  formOf,
  issuerPath,
  paramOf,
  redirectWithFlash,
  sendAdminPage,
  statusOfError,
  type ManagementContext,
  type FormFields,
} from './admin-responses.js';
import { renderImportPreview } from './import-preview-view.js';
import { importForm } from './issuer-page.js';

/**
 * What the admin saw in the preview, as the apply form carries it back: the
 * document's SHA-256, and for OpenID Connect the key set's, and for an update
 * the issuer's version. The apply refuses when any of them changed.
 */
function previewedFacts(fields: FormFields): {
  expectedSha256: string;
  expectedKeySetSha256?: string;
  expectedVersion?: number;
} {
  const keySet = fieldText(fields, 'expectedKeySetSha256');
  const version = fieldText(fields, 'expectedVersion');
  return {
    expectedSha256: fieldText(fields, 'expectedSha256'),
    ...(keySet === '' ? {} : { expectedKeySetSha256: keySet }),
    ...(/^\d{1,9}$/.test(version) ? { expectedVersion: Number(version) } : {}),
  };
}

/** The add-an-issuer form: a name and a metadata URL (and the issuer URI where the document names none). */
function newIssuerForm(
  csrf: string,
  values: Readonly<Record<string, string>>,
  errors: Readonly<Record<string, string>>,
): SafeHtml {
  return postForm({
    action: '/admin/issuers/new',
    csrf,
    label: 'Add an issuer from metadata',
    submit: 'Preview',
    body: joinHtml([
      textField({
        form: 'new-issuer',
        name: 'name',
        label: 'Name',
        value: values.name,
        required: true,
        error: errors.name,
        hint: 'Short and unique, such as contoso-aad.',
      }),
      textField({
        form: 'new-issuer',
        name: 'metadataUrl',
        label: 'Metadata URL',
        type: 'url',
        value: values.metadataUrl,
        required: true,
        spellcheck: false,
        error: errors.metadataUrl,
        hint: 'Federation metadata, SAML metadata, an OpenID Connect discovery document, or a JWKS.',
      }),
      textField({
        form: 'new-issuer',
        name: 'issuerUri',
        label: 'Issuer URI (optional)',
        value: values.issuerUri,
        spellcheck: false,
        error: errors.issuerUri,
        hint: 'Needed for a bare JWKS, or to pick one entity of a document that lists several.',
      }),
    ]),
  });
}

const NEW_ISSUER_FIELDS = ['name', 'metadataUrl', 'issuerUri'];

/**
 * Registers **Import from metadata** for an existing issuer
 * (`POST /admin/issuers/:name/import` previews, `…/import/apply` applies)
 * and **Add an issuer** (`GET|POST /admin/issuers/new` previews,
 * `POST /admin/issuers/new/apply` creates). An apply refused because the
 * document changed shows the new diff instead.
 */
export function registerImportPages(app: FastifyInstance, services: GatewayServices): void {
  const preHandler = services.admin.requireAdmin('page');
  const service = services.adminService;

  function sendPreview(
    reply: FastifyReply,
    context: ManagementContext,
    preview: ImportPreview,
    request: ImportRequest,
    applyAction: string,
    cancel: string,
    changedNotice?: string,
  ): FastifyReply {
    return sendAdminPage(reply, context, {
      title:
        preview.mode === 'create'
          ? `Preview: new issuer ${preview.name}`
          : `Preview: import into ${preview.name}`,
      section: 'issuers',
      status: changedNotice === undefined ? 200 : 409,
      flash: changedNotice,
      body: renderImportPreview(preview, context.csrf, applyAction, cancel, request.issuerUri),
    });
  }

  // --- an existing issuer -------------------------------------------------------
  app.post('/admin/issuers/:name/import', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const metadataUrl = fieldText(formOf(request), 'metadataUrl').trim();
    const importRequest: ImportRequest = { metadataUrl, issuer: detail.issuer.id };
    try {
      const preview = await service.previewImport(importRequest);
      return sendPreview(
        reply,
        context,
        preview,
        importRequest,
        issuerPath(detail.issuer, '/import/apply'),
        issuerPath(detail.issuer),
      );
    } catch (error) {
      if (!isClaimsgateError(error) || error.code === 'CG_STORE_NOT_FOUND') throw error;
      return sendImportError(
        reply,
        context,
        `Import into ${detail.issuer.name}`,
        error,
        importForm(detail, context.csrf, metadataUrl, error.message),
        issuerPath(detail.issuer),
      );
    }
  });

  app.post('/admin/issuers/:name/import/apply', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const fields = formOf(request);
    const importRequest: ImportRequest = {
      metadataUrl: fieldText(fields, 'metadataUrl'),
      issuer: detail.issuer.id,
    };
    const applyAction = issuerPath(detail.issuer, '/import/apply');
    try {
      const result = await service.applyImport(
        { ...importRequest, ...previewedFacts(fields) },
        context.actor,
      );
      const refreshed = result.refresh.issuer;
      return redirectWithFlash(
        reply,
        context,
        issuerPath(refreshed.issuer),
        `Imported metadata into ${refreshed.issuer.name}; refresh ${result.refresh.outcome}, ${refreshed.keys.filter((k) => k.usable).length} usable key(s).`,
      );
    } catch (error) {
      if (!isClaimsgateError(error) || error.code === 'CG_STORE_NOT_FOUND') throw error;
      if (error.code === 'CG_STORE_CONFLICT') {
        const preview = await service.previewImport(importRequest);
        return sendPreview(
          reply,
          context,
          preview,
          importRequest,
          applyAction,
          issuerPath(detail.issuer),
          CHANGED_NOTICE,
        );
      }
      return sendImportError(
        reply,
        context,
        `Import into ${detail.issuer.name}`,
        error,
        importForm(detail, context.csrf, importRequest.metadataUrl, error.message),
        issuerPath(detail.issuer),
      );
    }
  });

  // --- a new issuer -------------------------------------------------------------
  app.get('/admin/issuers/new', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    return sendAdminPage(reply, context, {
      title: 'Add an issuer',
      section: 'issuers',
      body: html`<p class="lead">Give the issuer a name and its metadata URL. You see what will be stored before anything is.</p>${newIssuerForm(context.csrf, {}, {})}<p>${link('/admin', 'Cancel')}</p>`,
    });
  });

  function newIssuerRequest(fields: ReturnType<typeof formOf>): ImportRequest {
    const issuerUri = fieldText(fields, 'issuerUri').trim();
    return {
      metadataUrl: fieldText(fields, 'metadataUrl').trim(),
      name: fieldText(fields, 'name').trim(),
      ...(issuerUri === '' ? {} : { issuerUri }),
    };
  }

  function sendNewIssuerError(
    reply: FastifyReply,
    context: ManagementContext,
    importRequest: ImportRequest,
    error: ClaimsgateError,
  ): FastifyReply {
    const values = {
      name: importRequest.name ?? '',
      metadataUrl: importRequest.metadataUrl,
      issuerUri: importRequest.issuerUri ?? '',
    };
    const errors = fieldErrorsOf(error, NEW_ISSUER_FIELDS);
    // An error about the document (fetch, parse, signature) belongs to the URL field.
    const tied = Object.keys(errors).length > 0 ? errors : { metadataUrl: error.message };
    return sendImportError(
      reply,
      context,
      'Add an issuer',
      error,
      newIssuerForm(context.csrf, values, tied),
      '/admin',
    );
  }

  app.post('/admin/issuers/new', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const importRequest = newIssuerRequest(formOf(request));
    try {
      const preview = await service.previewImport(importRequest);
      return sendPreview(reply, context, preview, importRequest, '/admin/issuers/new/apply', '/admin');
    } catch (error) {
      if (!isClaimsgateError(error)) throw error;
      return sendNewIssuerError(reply, context, importRequest, error);
    }
  });

  app.post('/admin/issuers/new/apply', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const fields = formOf(request);
    const importRequest = newIssuerRequest(fields);
    try {
      const result = await service.applyImport(
        { ...importRequest, ...previewedFacts(fields) },
        context.actor,
      );
      const created = result.refresh.issuer;
      return redirectWithFlash(
        reply,
        context,
        issuerPath(created.issuer),
        `Created issuer ${created.issuer.name}; refresh ${result.refresh.outcome}, ${created.keys.filter((k) => k.usable).length} usable key(s).`,
      );
    } catch (error) {
      if (!isClaimsgateError(error)) throw error;
      if (error.code === 'CG_STORE_CONFLICT') {
        const preview = await service.previewImport(importRequest);
        return sendPreview(
          reply,
          context,
          preview,
          importRequest,
          '/admin/issuers/new/apply',
          '/admin',
          CHANGED_NOTICE,
        );
      }
      return sendNewIssuerError(reply, context, importRequest, error);
    }
  });
}

const CHANGED_NOTICE =
  'The metadata changed since your preview, so nothing was applied. These are the differences now; review them and apply again.';

function sendImportError(
  reply: FastifyReply,
  context: ManagementContext,
  title: string,
  error: ClaimsgateError,
  form: SafeHtml,
  cancel: string,
): FastifyReply {
  return sendAdminPage(reply, context, {
    title,
    section: 'issuers',
    status: statusOfError(error.code),
    body: html`${describeError(error)}${form}<p>${link(cancel, 'Cancel')}</p>`,
  });
}
