/** The import preview: the side-by-side diff an admin confirms before an import applies. */
import type { ImportFieldDiff, ImportKeyView, ImportPreview } from '../../management/service.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import {
  badge,
  codeOf,
  dataTable,
  detailList,
  hiddenField,
  link,
  postForm,
  section,
  textOf,
  timeOf,
} from './admin-html.js';
import { expiryText, stateBadge, thumbprintCell } from './trust-views.js';

const FIELD_LABELS: Readonly<Record<ImportFieldDiff['field'], string>> = {
  issuerUri: 'Issuer URI',
  loginUrl: 'Sign-in URL',
  protocols: 'Protocols',
  metadataUrl: 'Metadata URL',
};

function fieldValue(value: ImportFieldDiff['current']): SafeHtml {
  if (value === null) return textOf(null);
  return typeof value === 'string' ? codeOf(value) : codeOf(value.join(', '));
}

/** A key of the preview with what the import does to it. */
interface KeyChange {
  readonly key: ImportKeyView;
  readonly change: 'added' | 'unchanged' | 'no longer published';
}

const CHANGE_TONES = { added: 'info', unchanged: 'neutral', 'no longer published': 'warn' } as const;

const SIGNATURE_TEXT: Readonly<Record<ImportPreview['signature']['status'], string>> = {
  valid: 'signed, signature valid',
  invalid: 'signed, signature INVALID',
  unsigned: 'not signed',
  absent: 'not signable (JSON document)',
};

/**
 * The side-by-side diff an import shows before it applies: issuer fields as
 * they are and as they would be, keys added / unchanged / no longer
 * published, the document's signature and SHA-256; then **Apply**, which
 * carries that SHA-256 so a document that changed meanwhile is not applied
 * unseen.
 */
export function renderImportPreview(
  preview: ImportPreview,
  csrf: string,
  applyAction: string,
  cancel: string,
  issuerUri?: string,
): SafeHtml {
  const signature = preview.signature;
  const signatureText = joinHtml([
    badge(
      SIGNATURE_TEXT[signature.status],
      signature.status === 'invalid' ? 'bad' : signature.status === 'valid' ? 'ok' : 'neutral',
    ),
    signature.signerSha1 !== null && html` by ${codeOf(signature.signerSha1)}`,
    signature.signerSubject !== null && html` (${signature.signerSubject})`,
    signature.message !== null && html`<br>${signature.message}`,
    html`<br>Policy: ${signature.policy}`,
  ]);
  const facts = detailList([
    [
      'Change',
      preview.mode === 'create' ? html`create issuer ${preview.name}` : html`update issuer ${preview.name}`,
    ],
    ['Metadata URL', codeOf(preview.metadataUrl)],
    ['Format', html`${preview.format}`],
    ['Fetched', timeOf(preview.fetchedAt)],
    ['Document SHA-256', codeOf(preview.sha256)],
    ['Signature', signatureText],
  ]);
  const warnings =
    preview.warnings.length > 0 &&
    html`<div class="error-summary"><h2>Check before applying</h2><ul>${preview.warnings.map((w) => html`<li>${w}</li>`)}</ul></div>`;
  const fields = dataTable<ImportFieldDiff>({
    caption: 'Issuer fields: current and proposed',
    empty: 'No fields.',
    rows: preview.fields,
    columns: [
      { header: 'Field', rowHeader: true, cell: (f) => html`${FIELD_LABELS[f.field]}` },
      { header: 'Current', cell: (f) => fieldValue(f.current) },
      { header: 'Proposed', cell: (f) => fieldValue(f.proposed) },
      {
        header: 'Difference',
        cell: (f) => (f.changed ? badge('changed', 'warn') : badge('same', 'neutral')),
      },
    ],
  });
  const changes: KeyChange[] = [
    ...preview.keys.add.map((key) => ({ key, change: 'added' as const })),
    ...preview.keys.unchanged.map((key) => ({ key, change: 'unchanged' as const })),
    ...preview.keys.noLongerPublished.map((key) => ({ key, change: 'no longer published' as const })),
  ];
  const keys = dataTable<KeyChange>({
    caption: `Keys: ${preview.keys.add.length} added, ${preview.keys.unchanged.length} unchanged, ${preview.keys.noLongerPublished.length} no longer published`,
    empty: 'The document publishes no signing key.',
    rows: changes,
    columns: [
      { header: 'Thumbprint', rowHeader: true, cell: ({ key }) => thumbprintCell(key) },
      { header: 'Change', cell: ({ change }) => badge(change, CHANGE_TONES[change]) },
      {
        header: 'Stored state',
        cell: ({ key }) => (key.state === null ? textOf(null) : stateBadge(key.state)),
      },
      {
        header: 'State once applied',
        cell: ({ key }) =>
          html`${stateBadge(key.stateAfter)}<br>${key.usableAfter ? 'trusted' : 'never trusted'}`,
      },
      { header: 'Subject', cell: ({ key }) => textOf(key.subject) },
      { header: 'Expires', cell: ({ key }) => html`${timeOf(key.notAfter)}<br>${expiryText(key.daysLeft)}` },
      {
        header: 'Published in',
        cell: ({ key }) => (key.sections.length === 0 ? textOf(null) : html`${key.sections.join('; ')}`),
      },
    ],
  });
  const endpoints =
    preview.endpoints.length > 0 &&
    section(
      'endpoints',
      'Endpoints the document names',
      html`<ul class="plain">${preview.endpoints.map((e) => html`<li>${e.kind}: ${codeOf(e.url)}</li>`)}</ul>`,
    );
  const apply = postForm({
    action: applyAction,
    csrf,
    label: 'Apply the import',
    submit: preview.mode === 'create' ? `Create issuer ${preview.name}` : `Apply to ${preview.name}`,
    body: joinHtml([
      hiddenField('metadataUrl', preview.metadataUrl),
      hiddenField('expectedSha256', preview.sha256),
      preview.keySetSha256 !== null && hiddenField('expectedKeySetSha256', preview.keySetSha256),
      preview.version !== null && hiddenField('expectedVersion', String(preview.version)),
      preview.mode === 'create' && hiddenField('name', preview.name),
      issuerUri !== undefined && issuerUri !== '' && hiddenField('issuerUri', issuerUri),
      preview.mode === 'create'
        ? html`<p>Applying creates the issuer with exactly the keys above, in the states shown, in one step: it is stored with its keys or not at all, and every change is audited. If the document changes before you apply, you are shown the new differences instead.</p>`
        : html`<p>Applying stores the fields above and runs a refresh: the keys come in through the normal refresh path, in the states shown, and every change is audited. If the document changes before you apply, you are shown the new differences instead.</p>`,
    ]),
  });
  return joinHtml(
    [
      facts,
      warnings,
      section('diff-fields', 'Fields', fields),
      section('diff-keys', 'Keys', keys),
      endpoints,
      apply,
      html`<p>${link(cancel, 'Cancel')}</p>`,
    ],
    '\n',
  );
}
