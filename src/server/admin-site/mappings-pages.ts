import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ClaimMappingView, IssuerSummary } from '../../management/service.js';
import { isClaimsgateError, type ClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import {
  confirmDeletionBody,
  codeOf,
  dataTable,
  link,
  postForm,
  section,
  selectField,
  textField,
} from './admin-html.js';
import {
  adminContextOf,
  describeError,
  fieldErrorsOf,
  fieldText,
  flashOf,
  formOf,
  issuerPath,
  paramOf,
  redirectWithFlash,
  sendAdminPage,
  statusOfError,
  type ManagementContext,
  type FormFields,
} from './admin-responses.js';

const MAPPING_FIELDS = ['issuer', 'issuerId', 'label', 'nameClaim', 'groupClaim'];

interface MappingValues {
  readonly issuer: string;
  readonly label: string;
  readonly nameClaim: string;
  readonly groupClaim: string;
}

function submittedMapping(fields: FormFields): MappingValues {
  return {
    issuer: fieldText(fields, 'issuer'),
    label: fieldText(fields, 'label'),
    nameClaim: fieldText(fields, 'nameClaim'),
    groupClaim: fieldText(fields, 'groupClaim'),
  };
}

/** The mapping form; the issuer is chosen when adding and fixed when editing. */
function mappingForm(options: {
  readonly form: string;
  readonly action: string;
  readonly submit: string;
  readonly csrf: string;
  /** The issuers to choose from; undefined when editing (a mapping keeps its issuer). */
  readonly issuers: readonly IssuerSummary[] | undefined;
  readonly values: MappingValues;
  readonly errors: Readonly<Record<string, string>>;
}): SafeHtml {
  const { form, values, errors } = options;
  const issuerField =
    options.issuers !== undefined &&
    selectField({
      form,
      name: 'issuer',
      label: 'Issuer',
      required: true,
      choices: options.issuers.map((s) => ({ value: s.issuer.name, label: s.issuer.name })),
      value: values.issuer,
      error: errors.issuer ?? errors.issuerId,
    });
  return postForm({
    action: options.action,
    csrf: options.csrf,
    submit: options.submit,
    label: options.submit,
    body: joinHtml([
      issuerField,
      textField({
        form,
        name: 'label',
        label: 'Identity label',
        value: values.label,
        required: true,
        error: errors.label,
        hint: 'The prefix of mapped identities: K2AAD in K2AAD:bob@contoso.com.',
      }),
      textField({
        form,
        name: 'nameClaim',
        label: 'Name claim type',
        value: values.nameClaim,
        required: true,
        spellcheck: false,
        error: errors.nameClaim,
        hint: 'The claim whose value names the user, such as http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn.',
      }),
      textField({
        form,
        name: 'groupClaim',
        label: 'Group claim type (optional)',
        value: values.groupClaim,
        spellcheck: false,
        error: errors.groupClaim,
      }),
    ]),
  });
}

function mappingsTable(mappings: readonly ClaimMappingView[]): SafeHtml {
  return dataTable<ClaimMappingView>({
    caption: `Claim mappings (${mappings.length})`,
    empty: 'No claim mapping yet.',
    rows: mappings,
    columns: [
      { header: 'Label', rowHeader: true, cell: (m) => html`${m.label}` },
      {
        header: 'Issuer',
        cell: (m) => link(issuerPath({ id: m.issuerId, name: m.issuerName }), m.issuerName),
      },
      { header: 'Name claim', cell: (m) => codeOf(m.nameClaim) },
      { header: 'Group claim', cell: (m) => codeOf(m.groupClaim) },
      {
        header: 'Actions',
        cell: (m) =>
          html`${link(`/admin/mappings/${encodeURIComponent(m.id)}/edit`, `Edit ${m.label}`)}<br>${link(`/admin/mappings/${encodeURIComponent(m.id)}/delete`, `Delete ${m.label}`)}`,
      },
    ],
  });
}

const EMPTY_MAPPING: MappingValues = { issuer: '', label: '', nameClaim: '', groupClaim: '' };

/**
 * Registers the claim mapping pages: the list with an add form (`GET|POST
 * /admin/mappings`), editing (`GET|POST /admin/mappings/:id/edit`) and
 * deletion with a confirmation (`GET|POST /admin/mappings/:id/delete`).
 */
export function registerMappingPages(app: FastifyInstance, services: GatewayServices): void {
  const preHandler = services.admin.requireAdmin('page');
  const service = services.adminService;

  async function sendList(
    reply: FastifyReply,
    context: ManagementContext,
    options: { flash?: string | undefined; values?: MappingValues; error?: ClaimsgateError },
  ): Promise<FastifyReply> {
    const [mappings, issuers] = await Promise.all([service.listClaimMappings(), service.listIssuers()]);
    const error = options.error;
    const form =
      issuers.length === 0
        ? html`<p>Add an issuer first: a mapping belongs to one.</p>`
        : mappingForm({
            form: 'add-mapping',
            action: '/admin/mappings',
            submit: 'Add mapping',
            csrf: context.csrf,
            issuers,
            values: options.values ?? EMPTY_MAPPING,
            errors: error === undefined ? {} : fieldErrorsOf(error, MAPPING_FIELDS),
          });
    return sendAdminPage(reply, context, {
      title: 'Claim mappings',
      section: 'mappings',
      flash: options.flash,
      status: error === undefined ? 200 : statusOfError(error.code),
      body: joinHtml(
        [
          html`<p class="lead">How each issuer’s claims become an identity: <code>label:value of the name claim</code>.</p>`,
          mappingsTable(mappings),
          section(
            'add-mapping',
            'Add a claim mapping',
            html`${error !== undefined && describeError(error)}${form}`,
          ),
        ],
        '\n',
      ),
    });
  }

  app.get('/admin/mappings', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    return sendList(reply, context, { flash: flashOf(request, context) });
  });

  app.post('/admin/mappings', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const values = submittedMapping(formOf(request));
    try {
      const mapping = await service.createClaimMapping(
        {
          issuer: values.issuer,
          label: values.label,
          nameClaim: values.nameClaim,
          groupClaim: values.groupClaim.trim() === '' ? null : values.groupClaim,
        },
        context.actor,
      );
      return redirectWithFlash(
        reply,
        context,
        '/admin/mappings',
        `Added claim mapping ${mapping.label} for ${mapping.issuerName}.`,
      );
    } catch (error) {
      if (!isClaimsgateError(error)) throw error;
      return sendList(reply, context, { values, error });
    }
  });

  function sendEdit(
    reply: FastifyReply,
    context: ManagementContext,
    mapping: ClaimMappingView,
    values?: MappingValues,
    error?: ClaimsgateError,
  ): FastifyReply {
    const form = mappingForm({
      form: 'edit-mapping',
      action: `/admin/mappings/${encodeURIComponent(mapping.id)}/edit`,
      submit: 'Save mapping',
      csrf: context.csrf,
      issuers: undefined,
      values: values ?? {
        issuer: mapping.issuerName,
        label: mapping.label,
        nameClaim: mapping.nameClaim,
        groupClaim: mapping.groupClaim ?? '',
      },
      errors: error === undefined ? {} : fieldErrorsOf(error, MAPPING_FIELDS),
    });
    return sendAdminPage(reply, context, {
      title: `Edit claim mapping ${mapping.label}`,
      section: 'mappings',
      status: error === undefined ? 200 : statusOfError(error.code),
      body: html`<p>Issuer: ${link(issuerPath({ id: mapping.issuerId, name: mapping.issuerName }), mapping.issuerName)}</p>${error !== undefined && describeError(error)}${form}<p>${link('/admin/mappings', 'Cancel')}</p>`,
    });
  }

  app.get('/admin/mappings/:id/edit', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    return sendEdit(reply, context, await service.getClaimMapping(paramOf(request, 'id')));
  });

  app.post('/admin/mappings/:id/edit', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const mapping = await service.getClaimMapping(paramOf(request, 'id'));
    const values = { ...submittedMapping(formOf(request)), issuer: mapping.issuerName };
    try {
      const saved = await service.updateClaimMapping(
        mapping.id,
        {
          label: values.label,
          nameClaim: values.nameClaim,
          groupClaim: values.groupClaim.trim() === '' ? null : values.groupClaim,
        },
        context.actor,
      );
      return redirectWithFlash(reply, context, '/admin/mappings', `Saved claim mapping ${saved.label}.`);
    } catch (error) {
      if (!isClaimsgateError(error) || error.code === 'CG_STORE_NOT_FOUND') throw error;
      return sendEdit(reply, context, mapping, values, error);
    }
  });

  app.get('/admin/mappings/:id/delete', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const mapping = await service.getClaimMapping(paramOf(request, 'id'));
    return sendAdminPage(reply, context, {
      title: `Delete claim mapping ${mapping.label}?`,
      section: 'mappings',
      body: confirmDeletionBody({
        consequence: html`<p>Users of ${mapping.issuerName} are no longer given a <code>${mapping.label}:…</code> identity by this mapping.</p>`,
        action: `/admin/mappings/${encodeURIComponent(mapping.id)}/delete`,
        csrf: context.csrf,
        submit: 'Delete mapping',
        cancelHref: '/admin/mappings',
      }),
    });
  });

  app.post('/admin/mappings/:id/delete', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const mapping = await service.getClaimMapping(paramOf(request, 'id'));
    await service.deleteClaimMapping(mapping.id, context.actor);
    return redirectWithFlash(reply, context, '/admin/mappings', `Deleted claim mapping ${mapping.label}.`);
  });
}
