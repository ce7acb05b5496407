import { ClaimsgateError } from '../lib/errors.js';
import { readOidcSnapshot } from '../rollover/oidc-snapshot.js';
import type { Actor, IssuerPatch, IssuerRecord, NewAuditEntry } from '../store/model.js';
import { ISSUER_DEFAULTS } from '../store/validate-input.js';
import type { ManagementContext } from './context.js';
import { viewRefreshResult } from './issuers.js';
import { adminInputError, requireIssuer } from './lookups.js';
import type { ImportApplyRequest, ImportPreview, ImportRequest, ImportResult } from './service.js';
import { loadImportDocument, type ImportDocument } from './import-document.js';
import {
  buildImportPreview,
  NEW_ISSUER_BASELINE,
  proposeImportFields,
  type ImportBaseline,
  type ImportFields,
} from './import-preview.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The issuer an import updates, or undefined for a new one (whose name must be free). */
async function resolveTarget(
  context: ManagementContext,
  request: ImportRequest,
): Promise<{ readonly current: IssuerRecord | undefined; readonly name: string }> {
  if (typeof request.metadataUrl !== 'string' || request.metadataUrl.trim() === '') {
    throw adminInputError('metadataUrl', 'Give the URL of the metadata document to import.');
  }
  if (request.issuer !== undefined) {
    const current = await requireIssuer(context.store, request.issuer);
    if (request.name !== undefined && request.name !== current.name) {
      throw adminInputError(
        'name',
        `An import updates issuer ${current.name}; rename it with an issuer update, not an import.`,
        { observed: request.name, expected: current.name },
      );
    }
    return { current, name: current.name };
  }
  const name = request.name?.trim();
  if (name === undefined || name === '') {
    throw adminInputError('name', 'Give the name of the new issuer, or the existing issuer to update.');
  }
  // Checked before the fetch, so that a confirmed import does not fail on the name.
  if ((await context.store.getIssuer(name)) !== undefined) {
    throw new ClaimsgateError('CG_STORE_DUPLICATE', `An issuer named "${name}" already exists.`, {
      hint: `Choose another name, or import into the existing issuer ${name} (issuer: "${name}").`,
      detail: { entity: 'issuer', field: 'name', observed: name },
    });
  }
  return { current: undefined, name };
}

/**
 * Loads and checks the document for the target, and refuses an issuer URI
 * that another issuer already has (each issuer URI names one issuer).
 */
async function loadFor(
  context: ManagementContext,
  request: ImportRequest,
  current: IssuerRecord | undefined,
): Promise<ImportDocument> {
  const document = await loadImportDocument(context, request.metadataUrl.trim(), {
    issuerUri: request.issuerUri ?? current?.issuerUri,
    signaturePolicy: current?.signaturePolicy ?? ISSUER_DEFAULTS.signaturePolicy,
  });
  const owner = (await context.store.listIssuers()).find(
    (issuer) => issuer.issuerUri === document.issuerUri && issuer.id !== current?.id,
  );
  if (owner !== undefined) {
    throw new ClaimsgateError(
      'CG_STORE_DUPLICATE',
      `Issuer ${owner.name} already has the issuer URI ${document.issuerUri} that this metadata describes.`,
      {
        hint: `Import into the existing issuer instead (issuer: "${owner.name}").`,
        detail: { entity: 'issuer', field: 'issuerUri', observed: document.issuerUri, existing: owner.name },
      },
    );
  }
  return document;
}

/**
 * Fetches and checks the metadata and returns what an import would change.
 *
 * @throws ClaimsgateError see `ManagementService.previewImport`.
 */
export async function previewImport(
  context: ManagementContext,
  request: ImportRequest,
): Promise<ImportPreview> {
  const { current, name } = await resolveTarget(context, request);
  const document = await loadFor(context, request, current);
  const baseline =
    current === undefined ? NEW_ISSUER_BASELINE : await loadImportBaseline(context, current.id);
  return buildImportPreview(document, name, current, baseline, context.now(), context.planSettings);
}

/** What the import's refresh of an existing issuer plans from (see `runRefresh`). */
async function loadImportBaseline(context: ManagementContext, issuerId: string): Promise<ImportBaseline> {
  const { store } = context;
  const [keys, previousSnapshot, previousState, pendingChange] = await Promise.all([
    store.listKeys(issuerId),
    store.getMetadataSnapshot(issuerId),
    store.getRefreshState(issuerId),
    store.getPendingChange(issuerId),
  ]);
  return { keys, previousSnapshot, previousState, pendingChange };
}

function expectedDigest(field: string, value: unknown): string {
  const digest = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!SHA256_HEX.test(digest)) {
    throw adminInputError(field, `${field} must be the 64 hexadecimal digits of the preview's SHA-256.`, {
      observed: value,
    });
  }
  return digest;
}

function staleError(what: string, url: string, expected: string, observed: string): ClaimsgateError {
  return new ClaimsgateError(
    'CG_STORE_CONFLICT',
    `The ${what} at ${url} changed since the preview: it is not the document you reviewed.`,
    {
      hint: 'Preview the import again, review what changed, and apply the new preview.',
      detail: { url, expected, observed },
    },
  );
}

/**
 * Re-fetches the metadata and, when it is the document previewed, creates
 * the issuer with that document's keys in one transaction (nothing is stored
 * when they cannot be: every key expired), or updates the issuer and runs a
 * forced refresh so that the keys come in through the normal refresh path;
 * either way audits the import.
 *
 * @throws ClaimsgateError `CG_STORE_CONFLICT` when the document (or an OIDC
 *   key set) changed since the preview, or the issuer's version did; see
 *   `ManagementService.applyImport`.
 */
export async function applyImport(
  context: ManagementContext,
  request: ImportApplyRequest,
  actor: Actor,
): Promise<ImportResult> {
  const expected = expectedDigest('expectedSha256', request.expectedSha256);
  const expectedKeySet =
    request.expectedKeySetSha256 === undefined
      ? undefined
      : expectedDigest('expectedKeySetSha256', request.expectedKeySetSha256);
  const { current, name } = await resolveTarget(context, request);
  const document = await loadFor(context, request, current);
  // SECURITY: the admin must apply what they reviewed: a document (or key set) that changed since is refused.
  if (document.sha256 !== expected)
    throw staleError('metadata', document.metadataUrl, expected, document.sha256);
  if (document.keySet !== undefined) {
    if (expectedKeySet === undefined) {
      throw adminInputError(
        'expectedKeySetSha256',
        "This is an OpenID Connect discovery document: give the preview's keySetSha256 as expectedKeySetSha256.",
      );
    }
    if (document.keySet.sha256 !== expectedKeySet) {
      throw staleError('key set', document.keySet.url, expectedKeySet, document.keySet.sha256);
    }
  }
  if (
    current !== undefined &&
    request.expectedVersion !== undefined &&
    current.version !== request.expectedVersion
  ) {
    throw new ClaimsgateError(
      'CG_STORE_CONFLICT',
      `Issuer ${current.name} is at version ${current.version}, not ${request.expectedVersion}: someone changed it since the preview.`,
      {
        hint: 'Preview the import again.',
        detail: {
          entity: 'issuer',
          id: current.id,
          expected: request.expectedVersion,
          observed: current.version,
        },
      },
    );
  }
  const fields = proposeImportFields(document, current);
  if (current === undefined) return createFromImport(context, document, name, fields, actor);
  const patch: IssuerPatch = {
    ...(fields.issuerUri === current.issuerUri ? {} : { issuerUri: fields.issuerUri }),
    ...(fields.loginUrl === current.loginUrl ? {} : { loginUrl: fields.loginUrl }),
    ...(fields.metadataUrl === current.metadataUrl ? {} : { metadataUrl: fields.metadataUrl }),
    ...(fields.protocols.join(',') === current.protocols.join(',') ? {} : { protocols: fields.protocols }),
  };
  const issuer =
    Object.keys(patch).length === 0
      ? current
      : await context.store.updateIssuer(current.id, patch, actor, current.version);
  await context.store.appendAudit(importAudit(document, issuer, current, actor));
  const result = await context.engine.refreshIssuer(issuer.id, { force: true, reason: 'manual' });
  const warnings: string[] = [];
  if (result.outcome === 'failure' && result.code === 'CG_META_KEYS_DISCONTINUOUS') {
    warnings.push(
      "The document replaces the issuer's keys without continuity, so the refresh holds it for approval; the issuer keeps the keys it had. Review the pending change on the issuer's page (or GET …/pending-change) and approve it.",
    );
  } else if (result.outcome === 'failure') {
    warnings.push(
      `The refresh after the import failed (${result.code ?? 'unknown'}); the issuer keeps the keys it had. Fix the cause and refresh it again.`,
    );
  } else if (result.outcome === 'success' || result.outcome === 'not-modified') {
    const stored = await context.store.getMetadataSnapshot(issuer.id);
    const oidc = readOidcSnapshot(stored);
    const storedSha = oidc === undefined ? stored?.sha256 : oidc.discovery.sha256;
    const storedKeySet = oidc?.keySet.sha256;
    if (storedSha !== expected || (document.keySet !== undefined && storedKeySet !== expectedKeySet)) {
      warnings.push(
        'The metadata changed again between the check and the refresh: the keys stored are those of the newer document. Review them.',
      );
    }
  }
  return { created: false, warnings, refresh: await viewRefreshResult(context, result) };
}

/**
 * Creates the issuer with the keys of the document just checked against the
 * preview, in one store transaction (see `RolloverEngine.addIssuer`): it
 * exists with exactly the keys reviewed, or not at all.
 */
async function createFromImport(
  context: ManagementContext,
  document: ImportDocument,
  name: string,
  fields: ImportFields,
  actor: Actor,
): Promise<ImportResult> {
  const { result } = await context.engine.addIssuer(
    {
      name,
      issuerUri: fields.issuerUri,
      protocols: fields.protocols,
      metadataUrl: fields.metadataUrl,
      loginUrl: fields.loginUrl,
    },
    document.attempt,
    actor,
    (created) => [importAudit(document, created, undefined, actor)],
  );
  return { created: true, warnings: [], refresh: await viewRefreshResult(context, result) };
}

/** The `issuer.imported` entry: which document an admin applied to which issuer. */
function importAudit(
  document: ImportDocument,
  issuer: IssuerRecord,
  current: IssuerRecord | undefined,
  actor: Actor,
): NewAuditEntry {
  return {
    actor,
    action: 'issuer.imported',
    issuerId: issuer.id,
    subject: document.metadataUrl,
    before: current === undefined ? null : { version: current.version },
    after: {
      sha256: document.sha256,
      keySetSha256: document.keySet?.sha256 ?? null,
      created: current === undefined,
      signingKeys: document.signingKeys.map((key) => key.sha1 ?? key.sha256 ?? `kid:${key.kid ?? '?'}`),
    },
    refresh: null,
  };
}
