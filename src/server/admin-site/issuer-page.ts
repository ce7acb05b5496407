import type { FastifyInstance } from 'fastify';
import type {
  IssuerDetail,
  IssuerRemovalView,
  KeyView,
  PendingChangeView,
  PendingKeyView,
} from '../../management/service.js';
import { describeRealmUnlink } from '../../management/views.js';
import { isClaimsgateError } from '../../lib/errors.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import { DISCONTINUITY_REASON_TEXT } from '../../rollover/plan-continuity.js';
import type { GatewayServices } from '../gateway-services.js';
import {
  confirmDeletionBody,
  badge,
  codeOf,
  dataTable,
  describeList,
  detailList,
  hiddenField,
  link,
  postForm,
  section,
  textareaField,
  textField,
  textOf,
  timeOf,
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
} from './admin-responses.js';
import {
  issuerFormValues,
  readIssuerUpdate,
  renderIssuerForm,
  submittedIssuerValues,
  type IssuerFormValues,
} from './issuer-form.js';
import {
  alertList,
  expiryText,
  lastRefreshCell,
  nextRefreshCell,
  sourceBadge,
  stateBadge,
  thumbprintCell,
} from './trust-views.js';

const ISSUER_FORM_FIELDS = [
  'name',
  'description',
  'issuerUri',
  'metadataUrl',
  'loginUrl',
  'label',
  'protocols',
  'useForLogin',
  'refreshIntervalSeconds',
  'allowSha1',
  'requireSignedAssertion',
  'allowedTenants',
  'domains',
  'policyMode',
  'signaturePolicy',
  'pinnedSigners',
  'discontinuityPolicy',
];

const DISCONTINUITY_TEXT: Readonly<Record<IssuerDetail['issuer']['discontinuityPolicy'], string>> = {
  auto: 'auto: held when fetched over plain http, accepted with a critical alert over https',
  hold: 'held until an administrator approves it',
  'accept-with-alert': 'accepted at once with a critical alert',
};

/** The Revoke / Reactivate link of a key row. */
function keyActions(issuer: IssuerDetail, key: KeyView): SafeHtml {
  const base = issuerPath(issuer.issuer, `/keys/${encodeURIComponent(key.id)}`);
  const target = key.sha1 ?? key.sha256 ?? key.kid ?? key.id;
  const hidden = html`<span class="visually-hidden"> key ${target.slice(0, 12)}…</span>`;
  return key.state === 'revoked' || key.state === 'retired' || key.state === 'expired'
    ? html`<a href="${base}/reactivate">Reactivate${hidden}</a>`
    : html`<a href="${base}/revoke">Revoke${hidden}</a>`;
}

/** The keys table of an issuer. */
function keysTable(detail: IssuerDetail): SafeHtml {
  return dataTable<KeyView>({
    caption: `Keys of ${detail.issuer.name} (${detail.keys.length})`,
    empty: 'This issuer has no keys: nobody can sign in with it.',
    rows: detail.keys,
    columns: [
      { header: 'Thumbprint', rowHeader: true, cell: (key) => thumbprintCell(key) },
      {
        header: 'State',
        cell: (key) => html`${stateBadge(key.state)}<br>since ${timeOf(key.stateChangedAt)}`,
      },
      { header: 'Source', cell: (key) => html`${sourceBadge(key.source)}<br>added by ${key.addedBy}` },
      { header: 'Subject', cell: (key) => textOf(key.subject) },
      { header: 'Expires', cell: (key) => html`${timeOf(key.notAfter)}<br>${expiryText(key.daysLeft)}` },
      { header: 'First seen', cell: (key) => timeOf(key.firstSeenAt) },
      { header: 'Last seen in metadata', cell: (key) => timeOf(key.lastSeenInMetadataAt) },
      { header: 'Last used', cell: (key) => timeOf(key.lastUsedAt) },
      { header: 'Actions', cell: (key) => keyActions(detail, key) },
    ],
  });
}

/** The issuer's fields as a description list. */
function issuerFields(detail: IssuerDetail): SafeHtml {
  const issuer = detail.issuer;
  const policy =
    issuer.signaturePolicy.mode === 'pinned'
      ? html`pinned to ${joinHtml(
          issuer.signaturePolicy.pinnedSigners.map((signer) => codeOf(signer)),
          ', ',
        )}`
      : html`${issuer.signaturePolicy.mode}`;
  return detailList([
    ['Description', textOf(issuer.description)],
    ['Issuer URI', codeOf(issuer.issuerUri)],
    ['Protocols', html`${issuer.protocols.join(', ')}`],
    [
      'Metadata URL',
      issuer.metadataUrl === null ? html`none (keys managed by hand)` : codeOf(issuer.metadataUrl),
    ],
    ['Sign-in URL', codeOf(issuer.loginUrl)],
    ['Identity label', codeOf(issuer.label)],
    ['Listed on the sign-in page', html`${issuer.useForLogin ? 'yes' : 'no'}`],
    ['Refresh interval', html`${issuer.refreshIntervalSeconds} seconds`],
    ['Metadata signature policy', policy],
    ['SHA-1 signatures accepted', html`${issuer.allowSha1 ? 'yes' : 'no'}`],
    [
      'SAML 2.0 assertions',
      html`${
        issuer.requireSignedAssertion
          ? 'must be signed themselves'
          : 'signed themselves or inside a signed Response'
      }`,
    ],
    ['A document replacing every key', html`${DISCONTINUITY_TEXT[issuer.discontinuityPolicy]}`],
    [
      'Allowed tenants',
      issuer.allowedTenants.length === 0 ? textOf(null) : describeList(issuer.allowedTenants),
    ],
    ['E-mail domains', issuer.domains.length === 0 ? textOf(null) : describeList(issuer.domains)],
    ['Created', timeOf(issuer.createdAt)],
    ['Last changed', html`${timeOf(issuer.updatedAt)} (version ${issuer.version})`],
  ]);
}

/** Where refreshing stands, the last-known-good document, and "Refresh now". */
function refreshSection(detail: IssuerDetail, csrf: string): SafeHtml {
  const refresh = detail.refresh;
  const snapshot = detail.snapshot;
  const facts = detailList([
    ['Last refresh', lastRefreshCell(refresh)],
    ['Last error', textOf(refresh.lastErrorMessage)],
    ['Last good refresh', timeOf(refresh.lastSuccessAt)],
    ['Next refresh', nextRefreshCell(refresh)],
    [
      'Last-known-good metadata',
      snapshot === null
        ? textOf(null)
        : html`${codeOf(snapshot.url)}, fetched ${timeOf(snapshot.fetchedAt)}, SHA-256 ${codeOf(snapshot.sha256)}${snapshot.signerSha1 === null ? ', unsigned' : html`, signed by ${codeOf(snapshot.signerSha1)}`}`,
    ],
  ]);
  const button =
    detail.issuer.metadataUrl === null
      ? html`<p>This issuer has no metadata URL, so there is nothing to refresh.</p>`
      : postForm({
          action: issuerPath(detail.issuer, '/refresh'),
          csrf,
          body: html``,
          submit: 'Refresh now',
          label: 'Refresh now',
        });
  return section('refresh', 'Metadata refresh', html`${facts}${button}`);
}

/** The keys of one side of a pending change's diff. */
function pendingKeysTable(caption: string, empty: string, keys: readonly PendingKeyView[]): SafeHtml {
  return dataTable<PendingKeyView>({
    caption,
    empty,
    rows: keys,
    columns: [
      {
        header: 'Thumbprint',
        rowHeader: true,
        cell: (key) =>
          joinHtml(
            [
              key.sha1 !== null && html`SHA-1 ${codeOf(key.sha1)}`,
              key.sha256 !== null && html`SHA-256 ${codeOf(key.sha256)}`,
              key.kid !== null && html`kid ${codeOf(key.kid)}`,
            ].filter((part) => part !== false),
            '<br>',
          ),
      },
      { header: 'Subject', cell: (key) => textOf(key.subject) },
      { header: 'Expires', cell: (key) => timeOf(key.notAfter) },
    ],
  });
}

/**
 * The document a refresh held for lack of key continuity: why, the diff,
 * and Approve / Reject (each posting the SHA-256 shown, so that a newer
 * document is never approved unseen).
 */
function pendingChangeSection(detail: IssuerDetail, change: PendingChangeView, csrf: string): SafeHtml {
  const decision =
    change.decision === 'pending'
      ? badge('waiting for approval', 'bad')
      : change.decision === 'rejected'
        ? html`${badge('rejected', 'warn')} by ${change.decidedBy ?? '?'} ${timeOf(change.decidedAt)}`
        : html`${badge('approved', 'info')} by ${change.decidedBy ?? '?'} ${timeOf(change.decidedAt)}`;
  const facts = detailList([
    ['Decision', decision],
    ['Why it is held', html`${DISCONTINUITY_REASON_TEXT[change.reason]}`],
    ['Fetched from', codeOf(change.url)],
    ['Detected', timeOf(change.detectedAt)],
    ['Document SHA-256', codeOf(change.sha256)],
    ['Signed by', change.signerSha1 === null ? html`not validly signed` : codeOf(change.signerSha1)],
  ]);
  const digest = hiddenField('sha256', change.sha256);
  const buttons = joinHtml([
    postForm({
      action: issuerPath(detail.issuer, '/pending-change/approve'),
      csrf,
      body: digest,
      submit: 'Approve this change',
      label: 'Approve the pending change',
    }),
    change.decision !== 'rejected' &&
      postForm({
        action: issuerPath(detail.issuer, '/pending-change/reject'),
        csrf,
        body: digest,
        submit: 'Reject this change',
        kind: 'danger',
        label: 'Reject the pending change',
      }),
  ]);
  return section(
    'pending-change',
    'Pending change',
    joinHtml(
      [
        html`<p class="lead">The metadata now publishes keys that replace this issuer's keys without continuity. Sign-ins keep using the keys trusted now until the change is approved. Approve it only if ${detail.issuer.name} really replaced its keys (an emergency rollover); approving trusts the added keys and retires the removed ones at once.</p>`,
        facts,
        pendingKeysTable('Keys the change adds', 'None.', change.added),
        pendingKeysTable('Keys the change removes', 'None.', change.removed),
        buttons,
      ],
      '\n',
    ),
  );
}

/** Paste a certificate or thumbprint: the first (Check) step of adding a key. */
export function addKeyForm(detail: IssuerDetail, csrf: string, value = '', error?: string): SafeHtml {
  return postForm({
    action: issuerPath(detail.issuer, '/keys/check'),
    csrf,
    label: 'Add a key',
    submit: 'Check',
    body: joinHtml([
      html`<p>Paste a certificate (PEM, or the base64 text of an &lt;X509Certificate&gt; element) or a SHA-1 or SHA-256 thumbprint. The next page shows exactly what will be stored, and every character removed, before anything is added.</p>`,
      textareaField({
        form: 'add-key',
        name: 'value',
        label: 'Certificate or thumbprint',
        value,
        rows: 5,
        required: true,
        error,
      }),
    ]),
  });
}

/** A metadata URL to preview: the first step of "Import from metadata". */
export function importForm(detail: IssuerDetail, csrf: string, url?: string, error?: string): SafeHtml {
  return postForm({
    action: issuerPath(detail.issuer, '/import'),
    csrf,
    label: 'Import from metadata',
    submit: 'Preview changes',
    body: joinHtml([
      html`<p>Fetches the document and shows what would change — fields and keys — before anything is applied.</p>`,
      textField({
        form: 'import',
        name: 'metadataUrl',
        label: 'Metadata URL',
        type: 'url',
        value: url ?? detail.issuer.metadataUrl ?? '',
        required: true,
        spellcheck: false,
        error,
      }),
    ]),
  });
}

/**
 * The claim types of the last accepted token (SECURITY: types only, never
 * values), each marked when a mapping reads it, and the mapped claims the
 * token lacked: what to write or fix a mapping from.
 */
function tokenClaims(detail: IssuerDetail): SafeHtml {
  const seen = detail.lastTokenClaims;
  if (seen === null) return html`<p>No token from this issuer has been accepted yet.</p>`;
  const read = new Map<string, string>();
  for (const mapping of detail.mappings) {
    read.set(mapping.nameClaim, `name claim of ${mapping.label}`);
    if (mapping.groupClaim !== null) read.set(mapping.groupClaim, `group claim of ${mapping.label}`);
  }
  const carried = new Set(seen.claimTypes);
  const lacking = [...read].filter(([type]) => !carried.has(type));
  return joinHtml([
    html`<p>Since ${timeOf(seen.since)}, accepted tokens carry these ${seen.claimTypes.length} claim type(s) (their values are never stored):</p>`,
    html`<ul class="plain">${seen.claimTypes.map((type) => html`<li>${codeOf(type)}${read.has(type) && ` — ${read.get(type)!}`}</li>`)}</ul>`,
    lacking.length > 0 &&
      html`<p><strong>Not in the last token:</strong> ${joinHtml(
        lacking.map(([type, role]) => html`${codeOf(type)} (${role})`),
        ', ',
      )}. Update the mapping to a type the token carries.</p>`,
  ]);
}

/** The issuer page's body. */
function renderIssuerPage(detail: IssuerDetail, csrf: string): SafeHtml {
  const mappings = dataTable({
    caption: `Claim mappings of ${detail.issuer.name}`,
    empty: `No claim mapping: users are named ${detail.issuer.label}:<the token's subject>.`,
    rows: detail.mappings,
    columns: [
      { header: 'Label', rowHeader: true, cell: (m) => html`${m.label}` },
      { header: 'Name claim', cell: (m) => codeOf(m.nameClaim) },
      { header: 'Group claim', cell: (m) => codeOf(m.groupClaim) },
      {
        header: 'Edit',
        cell: (m) => link(`/admin/mappings/${encodeURIComponent(m.id)}/edit`, `Edit ${m.label}`),
      },
    ],
  });
  return joinHtml(
    [
      html`<p class="actions">${link(issuerPath(detail.issuer, '/edit'), 'Edit fields')} ${link(issuerPath(detail.issuer, '/delete'), 'Delete issuer')} ${link(`/admin/audit?issuer=${encodeURIComponent(detail.issuer.name)}`, 'Audit log of this issuer')}</p>`,
      detail.pendingChange !== null && pendingChangeSection(detail, detail.pendingChange, csrf),
      section('alerts', 'Alerts', alertList(detail.alerts)),
      section('fields', 'Fields', issuerFields(detail)),
      section('keys', 'Keys', keysTable(detail)),
      refreshSection(detail, csrf),
      section('add-key', 'Add a key', addKeyForm(detail, csrf)),
      section('import', 'Import from metadata', importForm(detail, csrf)),
      section(
        'mappings',
        'Claim mappings',
        html`${mappings}<p>${link('/admin/mappings', 'Manage claim mappings')}</p>`,
      ),
      section('token-claims', 'Claims of the last accepted token', tokenClaims(detail)),
    ],
    '\n',
  );
}

/**
 * Registers an issuer's page (`GET /admin/issuers/:name`: its pending
 * change, fields, keys, refresh state, alerts, the add-a-key and import
 * forms), **Refresh now** (`POST …/refresh`), **Approve** / **Reject** of a
 * pending change (`POST …/pending-change/approve|reject`, with the SHA-256
 * reviewed), editing (`GET|POST …/edit`) and deletion with a
 * confirmation (`GET|POST …/delete`).
 */
export function registerIssuerPage(app: FastifyInstance, services: GatewayServices): void {
  const preHandler = services.admin.requireAdmin('page');
  const service = services.adminService;

  app.get('/admin/issuers/:name', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    return sendAdminPage(reply, context, {
      title: `Issuer ${detail.issuer.name}`,
      section: 'issuers',
      flash: flashOf(request, context),
      body: renderIssuerPage(detail, context.csrf),
    });
  });

  app.post('/admin/issuers/:name/refresh', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const outcome = await service.refreshIssuer(paramOf(request, 'name'), context.actor);
    const code = outcome.code === null ? '' : ` (${outcome.code})`;
    const alerts = outcome.alerts.length === 0 ? '' : ` ${outcome.alerts.length} alert(s) raised.`;
    const usable = outcome.issuer.keys.filter((key) => key.usable).length;
    return redirectWithFlash(
      reply,
      context,
      issuerPath(outcome.issuer.issuer),
      `Refreshed ${outcome.issuer.issuer.name}: ${outcome.outcome}${code}; ${usable} usable key(s).${alerts}`,
    );
  });

  for (const decision of ['approve', 'reject'] as const) {
    app.post(`/admin/issuers/:name/pending-change/${decision}`, { preHandler }, async (request, reply) => {
      const context = adminContextOf(request, services);
      const name = paramOf(request, 'name');
      const sha256 = fieldText(formOf(request), 'sha256');
      if (decision === 'reject') {
        const rejected = await service.rejectPendingChange(name, sha256, context.actor);
        const detail = await service.getIssuer(rejected.issuerId);
        return redirectWithFlash(
          reply,
          context,
          issuerPath(detail.issuer),
          `Rejected the pending change of ${detail.issuer.name}: it keeps its keys, and this document raises no new alert.`,
        );
      }
      const outcome = await service.approvePendingChange(name, sha256, context.actor);
      const code = outcome.code === null ? '' : ` (${outcome.code})`;
      const usable = outcome.issuer.keys.filter((key) => key.usable).length;
      return redirectWithFlash(
        reply,
        context,
        issuerPath(outcome.issuer.issuer),
        outcome.outcome === 'success'
          ? `Approved and applied the pending change of ${outcome.issuer.issuer.name}; ${usable} usable key(s).`
          : `Approved the pending change of ${outcome.issuer.issuer.name}, but the refresh that followed ended ${outcome.outcome}${code}: the metadata changed again. Review it below.`,
      );
    });
  }

  function sendEditPage(
    detail: IssuerDetail,
    csrf: string,
    values: IssuerFormValues,
    error?: unknown,
  ): { status: number; body: SafeHtml } {
    let summary = html``;
    let errors: Readonly<Record<string, string>> = {};
    let status = 200;
    if (isClaimsgateError(error)) {
      summary = describeError(error);
      errors = fieldErrorsOf(error, ISSUER_FORM_FIELDS);
      status = statusOfError(error.code);
    }
    const form = renderIssuerForm({ action: issuerPath(detail.issuer, '/edit'), csrf, values, errors });
    return { status, body: html`${summary}${form}<p>${link(issuerPath(detail.issuer), 'Cancel')}</p>` };
  }

  app.get('/admin/issuers/:name/edit', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const page = sendEditPage(detail, context.csrf, issuerFormValues(detail.issuer));
    return sendAdminPage(reply, context, {
      title: `Edit issuer ${detail.issuer.name}`,
      section: 'issuers',
      body: page.body,
    });
  });

  app.post('/admin/issuers/:name/edit', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const values = submittedIssuerValues(formOf(request), detail.issuer);
    try {
      const { update, expectedVersion } = readIssuerUpdate(values);
      const updated = await service.updateIssuer(detail.issuer.id, update, context.actor, expectedVersion);
      return redirectWithFlash(
        reply,
        context,
        issuerPath(updated.issuer),
        `Saved issuer ${updated.issuer.name}.`,
      );
    } catch (error) {
      if (!isClaimsgateError(error) || error.code === 'CG_STORE_NOT_FOUND') throw error;
      const page = sendEditPage(detail, context.csrf, values, error);
      return sendAdminPage(reply, context, {
        title: `Edit issuer ${detail.issuer.name}`,
        section: 'issuers',
        status: page.status,
        body: page.body,
      });
    }
  });

  app.get('/admin/issuers/:name/delete', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const title = `Delete issuer ${detail.issuer.name}?`;
    let removal: IssuerRemovalView;
    try {
      removal = await service.previewIssuerDeletion(detail.issuer.id);
    } catch (error) {
      if (!isClaimsgateError(error, 'CG_STORE_REFERENCED')) throw error;
      return sendAdminPage(reply, context, {
        title,
        section: 'issuers',
        status: statusOfError(error.code),
        body: refusedDeletion(detail, error.detail['realms'], error.detail['realmIds']),
      });
    }
    const body = confirmDeletionBody({
      consequence: joinHtml([
        html`<p>Deleting <strong>${detail.issuer.name}</strong> removes its ${removal.keys} key(s) and ${removal.mappings} claim mapping(s). Users of this issuer can no longer sign in. The audit log keeps its history.</p>`,
        removal.realms.length === 0
          ? html`<p>No realm names this issuer.</p>`
          : html`<p>In the same step, the realms that name it stop naming it:</p><ul>${removal.realms.map((unlink) => html`<li>${describeRealmUnlink(unlink)}</li>`)}</ul>`,
      ]),
      action: issuerPath(detail.issuer, '/delete'),
      csrf: context.csrf,
      submit: `Delete issuer ${detail.issuer.name}`,
      cancelHref: issuerPath(detail.issuer),
    });
    return sendAdminPage(reply, context, { title, section: 'issuers', body });
  });

  app.post('/admin/issuers/:name/delete', { preHandler }, async (request, reply) => {
    const context = adminContextOf(request, services);
    const detail = await service.getIssuer(paramOf(request, 'name'));
    const removal = await service.deleteIssuer(detail.issuer.id, context.actor);
    const realms = removal.realms.map((unlink) => ` ${describeRealmUnlink(unlink)}`).join('');
    return redirectWithFlash(reply, context, '/admin', `Deleted issuer ${detail.issuer.name}.${realms}`);
  });
}

/** Why an issuer cannot be deleted: the realms that allow it alone, each with a link to edit it. */
function refusedDeletion(detail: IssuerDetail, uris: unknown, ids: unknown): SafeHtml {
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  const realmIds = strings(ids);
  const items = strings(uris).map(
    (uri, index) =>
      html`<li>${link(`/admin/realms/${encodeURIComponent(realmIds[index] ?? uri)}/edit`, `Edit realm ${uri}`)}</li>`,
  );
  return joinHtml([
    html`<div class="error-summary" role="alert"><h2>${detail.issuer.name} cannot be deleted yet</h2>`,
    html`<p>It is the only issuer these realms allow. A realm without allowed issuers accepts every issuer, so deleting it would open them to all (CG_STORE_REFERENCED). Allow another issuer on each, or delete the realm, then delete the issuer.</p>`,
    html`<ul>${items}</ul></div>`,
    html`<p>${link(issuerPath(detail.issuer), 'Back to the issuer')}</p>`,
  ]);
}
