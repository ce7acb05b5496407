import type { FastifyInstance, FastifyReply } from 'fastify';
import type { IssuerSummary, RealmInput, RealmView } from '../../management/service.js';
import { isClaimsgateError, type ClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { GatewayServices } from '../gateway-services.js';
import {
  confirmDeletionBody,
  checkboxGroup,
  codeOf,
  dataTable,
  link,
  postForm,
  section,
  selectField,
  textField,
  textOf,
} from './admin-html.js';
import {
  adminContextOf,
  describeError,
  fieldErrorsOf,
  fieldText,
  fieldValues,
  flashOf,
  formOf,
  paramOf,
  redirectWithFlash,
  sendAdminPage,
  statusOfError,
  type ManagementContext,
  type FormFields,
} from './admin-responses.js';

const REALM_FIELDS = ['realmUri', 'replyUrl', 'homeRealm', 'allowedIssuers', 'allowedIssuerIds'];

interface RealmValues {
  readonly realmUri: string;
  readonly replyUrl: string;
  readonly homeRealm: string;
  readonly allowedIssuers: readonly string[];
}

function valuesOfRealm(realm: RealmView, issuers: readonly IssuerSummary[]): RealmValues {
  const names = realm.allowedIssuerIds.map(
    (id) => issuers.find((s) => s.issuer.id === id)?.issuer.name ?? id,
  );
  return {
    realmUri: realm.realmUri,
    replyUrl: realm.replyUrl,
    homeRealm: realm.homeRealm ?? '',
    allowedIssuers: names,
  };
}

function submittedRealm(fields: FormFields): RealmValues {
  return {
    realmUri: fieldText(fields, 'realmUri'),
    replyUrl: fieldText(fields, 'replyUrl'),
    homeRealm: fieldText(fields, 'homeRealm'),
    allowedIssuers: fieldValues(fields, 'allowedIssuers'),
  };
}

function realmInput(values: RealmValues): RealmInput {
  return {
    realmUri: values.realmUri,
    replyUrl: values.replyUrl,
    homeRealm: values.homeRealm === '' ? null : values.homeRealm,
    allowedIssuers: values.allowedIssuers,
  };
}

/** The realm form (add or edit). */
function realmForm(options: {
  readonly form: string;
  readonly action: string;
  readonly submit: string;
  readonly csrf: string;
  readonly issuers: readonly IssuerSummary[];
  readonly values: RealmValues;
  readonly errors: Readonly<Record<string, string>>;
}): SafeHtml {
  const { form, values, errors } = options;
  const names = options.issuers.map((s) => s.issuer.name);
  return postForm({
    action: options.action,
    csrf: options.csrf,
    submit: options.submit,
    label: options.submit,
    body: joinHtml([
      textField({
        form,
        name: 'realmUri',
        label: 'Realm URI',
        value: values.realmUri,
        required: true,
        spellcheck: false,
        error: errors.realmUri,
        hint: 'The wtrealm, SAML audience or OpenID Connect client ID tokens are addressed to.',
      }),
      textField({
        form,
        name: 'replyUrl',
        label: 'Reply URL',
        type: 'url',
        value: values.replyUrl,
        required: true,
        spellcheck: false,
        error: errors.replyUrl,
        hint: 'Where the issuer posts the token back.',
      }),
      selectField({
        form,
        name: 'homeRealm',
        label: 'Home realm',
        hint: 'The issuer users are sent to without being asked; none shows the choice of issuers.',
        choices: [
          { value: '', label: 'None: ask the user' },
          ...names.map((name) => ({ value: name, label: name })),
        ],
        value: values.homeRealm,
        error: errors.homeRealm,
      }),
      checkboxGroup({
        form,
        name: 'allowedIssuers',
        legend: 'Allowed issuers',
        hint: 'Leave all unchecked to allow every issuer.',
        choices: names.map((name) => ({ value: name, label: name })),
        checked: new Set(values.allowedIssuers),
        error: errors.allowedIssuers ?? errors.allowedIssuerIds,
      }),
    ]),
  });
}

function realmsTable(realms: readonly RealmView[]): SafeHtml {
  return dataTable<RealmView>({
    caption: `Realms (${realms.length})`,
    empty: 'No realm: no application can receive tokens yet.',
    rows: realms,
    columns: [
      { header: 'Realm URI', rowHeader: true, cell: (r) => codeOf(r.realmUri) },
      { header: 'Reply URL', cell: (r) => codeOf(r.replyUrl) },
      { header: 'Home realm', cell: (r) => textOf(r.homeRealm) },
      {
        header: 'Allowed issuers',
        cell: (r) =>
          html`${r.allowedIssuerNames.length === 0 ? 'every issuer' : r.allowedIssuerNames.join(', ')}`,
      },
      {
        header: 'Actions',
        cell: (r) =>
          html`${link(`/admin/realms/${encodeURIComponent(r.id)}/edit`, `Edit ${r.realmUri}`)}<br>${link(`/admin/realms/${encodeURIComponent(r.id)}/delete`, `Delete ${r.realmUri}`)}`,
      },
    ],
  });
}

const EMPTY_REALM: RealmValues = { realmUri: '', replyUrl: '', homeRealm: '', allowedIssuers: [] };

/**
 * Registers the realm pages: the list with an add form (`GET|POST
 * /admin/realms`), editing (`GET|POST /admin/realms/:id/edit`) and deletion
 * with a confirmation (`GET|POST /admin/realms/:id/delete`).
 */
export function registerRealmPages(app: FastifyInstance, services: GatewayServices): void {
  const preHandler = services.admin.requireAdmin('page');
  const service = services.adminService;

  async function sendList(
    reply: FastifyReply,
    context: ManagementContext,
    options: { flash?: string | undefined; values?: RealmValues; error?: ClaimsgateError },
  ): Promise<FastifyReply> {
    const [realms, issuers] = await Promise.all([service.listRealms(), service.listIssuers()]);
    const error = options.error;
    const form = realmForm({
      form: 'add-realm',
      action: '/admin/realms',
      submit: 'Add realm',
      csrf: context.csrf,
      issuers,
      values: options.values ?? EMPTY_REALM,
      errors: error === undefined ? {} : fieldErrorsOf(error, REALM_FIELDS),
    });
    return sendAdminPage(reply, context, {
      title: 'Realms',
      section: 'realms',
      flash: options.flash,
      status: error === undefined ? 200 : statusOfError(error.code),
      body: joinHtml(
        [
          html`<p class="lead">The applications (relying parties) this gateway signs users in to, and which issuers each accepts.</p>`,
          realmsTable(realms),
          section('add-realm', 'Add a realm', html`${error !== undefined && describeError(error)}${form}`),
        ],
        '\n',
      ),
    });
  }

  app.get('/admin/realms', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    return sendList(reply, context, { flash: flashOf(request, context) });
  });

  app.post('/admin/realms', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const values = submittedRealm(formOf(request));
    try {
      const realm = await service.createRealm(realmInput(values), context.actor);
      return redirectWithFlash(reply, context, '/admin/realms', `Added realm ${realm.realmUri}.`);
    } catch (error) {
      if (!isClaimsgateError(error)) throw error;
      return sendList(reply, context, { values, error });
    }
  });

  async function sendEdit(
    reply: FastifyReply,
    context: ManagementContext,
    realm: RealmView,
    values?: RealmValues,
    error?: ClaimsgateError,
  ): Promise<FastifyReply> {
    const issuers = await service.listIssuers();
    const form = realmForm({
      form: 'edit-realm',
      action: `/admin/realms/${encodeURIComponent(realm.id)}/edit`,
      submit: 'Save realm',
      csrf: context.csrf,
      issuers,
      values: values ?? valuesOfRealm(realm, issuers),
      errors: error === undefined ? {} : fieldErrorsOf(error, REALM_FIELDS),
    });
    return sendAdminPage(reply, context, {
      title: `Edit realm ${realm.realmUri}`,
      section: 'realms',
      status: error === undefined ? 200 : statusOfError(error.code),
      body: html`${error !== undefined && describeError(error)}${form}<p>${link('/admin/realms', 'Cancel')}</p>`,
    });
  }

  app.get('/admin/realms/:id/edit', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    return sendEdit(reply, context, await service.getRealm(paramOf(request, 'id')));
  });

  app.post('/admin/realms/:id/edit', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const realm = await service.getRealm(paramOf(request, 'id'));
    const values = submittedRealm(formOf(request));
    try {
      const saved = await service.updateRealm(realm.id, realmInput(values), context.actor);
      return redirectWithFlash(reply, context, '/admin/realms', `Saved realm ${saved.realmUri}.`);
    } catch (error) {
      if (!isClaimsgateError(error) || error.code === 'CG_STORE_NOT_FOUND') throw error;
      return sendEdit(reply, context, realm, values, error);
    }
  });

  app.get('/admin/realms/:id/delete', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const realm = await service.getRealm(paramOf(request, 'id'));
    return sendAdminPage(reply, context, {
      title: `Delete realm ${realm.realmUri}?`,
      section: 'realms',
      body: confirmDeletionBody({
        consequence: html`<p>Tokens addressed to ${codeOf(realm.realmUri)} will no longer be accepted, and its users cannot sign in.</p>`,
        action: `/admin/realms/${encodeURIComponent(realm.id)}/delete`,
        csrf: context.csrf,
        submit: 'Delete realm',
        cancelHref: '/admin/realms',
      }),
    });
  });

  app.post('/admin/realms/:id/delete', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const realm = await service.getRealm(paramOf(request, 'id'));
    await service.deleteRealm(realm.id, context.actor);
    return redirectWithFlash(reply, context, '/admin/realms', `Deleted realm ${realm.realmUri}.`);
  });
}
