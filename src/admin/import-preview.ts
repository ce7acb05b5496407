import { daysUntilExpiry } from '../crypto/certificate.js';
import type { PublishedKey } from '../metadata/model.js';
import { hasExpired } from '../rollover/alerts.js';
import { matchPublishedKeys } from '../rollover/match-published-keys.js';
import type { IssuerRecord, KeyRecord, Protocol } from '../store/model.js';
import { ISSUER_DEFAULTS } from '../store/validate-input.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import type { ImportFieldDiff, ImportKeyView, ImportPreview, ImportSignatureView } from './admin-service.js';
import { iso, isoOrNull } from './admin-views.js';
import { inferLoginUrl, inferProtocols, TENANT_PLACEHOLDER } from './import-fields.js';
import type { ImportDocument } from './import-document.js';

/** The issuer fields an import sets. */
export interface ImportFields {
  readonly issuerUri: string;
  readonly loginUrl: string | null;
  readonly protocols: readonly Protocol[];
  readonly metadataUrl: string;
}

/** The fields an import proposes for an issuer: what the document says, the current login URL when it names none. */
export function proposeImportFields(
  document: ImportDocument,
  current: IssuerRecord | undefined,
): ImportFields {
  return {
    issuerUri: document.issuerUri,
    loginUrl: inferLoginUrl(document.metadata) ?? current?.loginUrl ?? null,
    protocols: inferProtocols(document.metadata),
    metadataUrl: document.metadataUrl,
  };
}

function sameValue(a: string | readonly string[] | null, b: string | readonly string[] | null): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}

function fieldDiffs(current: IssuerRecord | undefined, proposed: ImportFields): ImportFieldDiff[] {
  return (['issuerUri', 'loginUrl', 'protocols', 'metadataUrl'] as const).map((field) => {
    const now = current === undefined ? null : current[field];
    const next = proposed[field];
    return { field, current: now, proposed: next, changed: !sameValue(now, next) };
  });
}

function publishedKeyView(key: PublishedKey, now: Date, stored?: KeyRecord): ImportKeyView {
  const certificate = key.certificate;
  return {
    sha1: key.sha1 ?? null,
    sha256: key.sha256 ?? null,
    kid: key.kid ?? null,
    subject: certificate?.subject ?? null,
    notBefore: isoOrNull(certificate?.notBefore),
    notAfter: isoOrNull(certificate?.notAfter),
    daysLeft: certificate === undefined ? null : daysUntilExpiry(certificate, now),
    sections: [...key.sections],
    keyId: stored?.id ?? null,
    state: stored?.state ?? null,
  };
}

function storedKeyView(key: KeyRecord, now: Date): ImportKeyView {
  return {
    sha1: key.sha1,
    sha256: key.sha256,
    kid: key.kid,
    subject: key.subject,
    notBefore: isoOrNull(key.notBefore),
    notAfter: isoOrNull(key.notAfter),
    daysLeft: key.notAfter === null ? null : daysUntilExpiry({ notAfter: key.notAfter }, now),
    sections: [],
    keyId: key.id,
    state: key.state,
  };
}

/** Whether a stored key carries the published key's thumbprint or kid (a manual or revoked key the refresh leaves alone). */
function holderOf(keys: readonly KeyRecord[], key: PublishedKey): KeyRecord | undefined {
  return keys.find(
    (record) =>
      (record.sha1 !== null && record.sha1 === key.sha1) ||
      (record.sha256 !== null && record.sha256 === key.sha256) ||
      (record.kid !== null && record.kid === key.kid),
  );
}

function keyDiff(
  document: ImportDocument,
  current: IssuerRecord | undefined,
  keys: readonly KeyRecord[],
  now: Date,
): ImportPreview['keys'] {
  const published = document.signingKeys;
  if (current === undefined) {
    return { add: published.map((key) => publishedKeyView(key, now)), unchanged: [], noLongerPublished: [] };
  }
  // The refresh's own matcher, so that the preview says exactly what the refresh will do.
  // It reads only the issuer, its keys and the clock; the attempt is not looked at.
  const { seen } = matchPublishedKeys(
    {
      issuer: current,
      keys,
      previousSnapshot: undefined,
      previousState: undefined,
      attempt: {
        status: 'failed',
        url: document.metadataUrl,
        error: { code: 'CG_META_FETCH_FAILED', message: '' },
      },
      now,
      graceSeconds: 0,
    },
    published,
  );
  const byId = new Map(keys.map((key) => [key.id, key]));
  const seenBy = new Map<PublishedKey, KeyRecord>();
  for (const [id, key] of seen) if (key !== undefined) seenBy.set(key, byId.get(id)!);
  const add: ImportKeyView[] = [];
  const unchanged: ImportKeyView[] = [];
  for (const key of published) {
    const stored = seenBy.get(key) ?? holderOf(keys, key);
    if (stored === undefined) add.push(publishedKeyView(key, now));
    else unchanged.push(publishedKeyView(key, now, stored));
  }
  const noLongerPublished = keys
    .filter((key) => key.source === 'metadata' && USABLE_KEY_STATES.has(key.state) && !seen.has(key.id))
    .map((key) => storedKeyView(key, now));
  return { add, unchanged, noLongerPublished };
}

function signatureView(document: ImportDocument, current: IssuerRecord | undefined): ImportSignatureView {
  const policy = (current?.signaturePolicy ?? ISSUER_DEFAULTS.signaturePolicy).mode;
  const report = document.signature;
  const empty = {
    signerSha1: null,
    signerSubject: null,
    signatureAlgorithm: null,
    reason: null,
    message: null,
  };
  if (report === undefined) return { status: 'absent', ...empty, policy };
  switch (report.status) {
    case 'unsigned':
      return { status: 'unsigned', ...empty, policy };
    case 'valid':
      return {
        ...empty,
        status: 'valid',
        signerSha1: report.signer.sha1,
        signerSubject: report.signer.subject,
        signatureAlgorithm: report.signatureAlgorithm,
        policy,
      };
    case 'invalid':
      return {
        ...empty,
        status: 'invalid',
        signerSha1: report.signer?.sha1 ?? null,
        signerSubject: report.signer?.subject ?? null,
        reason: report.reason,
        message: report.message,
        policy,
      };
  }
}

function warningsOf(document: ImportDocument, current: IssuerRecord | undefined, now: Date): string[] {
  const warnings: string[] = [];
  const expired = document.signingKeys.filter(
    (key) => key.certificate !== undefined && hasExpired(key.certificate, now.getTime()),
  ).length;
  if (expired > 0) {
    warnings.push(
      `${expired} of the published certificates ha${expired === 1 ? 's' : 've'} expired: stored as expired, never trusted.`,
    );
  }
  if (TENANT_PLACEHOLDER.test(document.issuerUri) && (current?.allowedTenants.length ?? 0) === 0) {
    warnings.push(
      `The issuer URI ${document.issuerUri} is a multi-tenant template: no tenant is accepted until allowedTenants lists it.`,
    );
  }
  const signature = document.signature;
  if (signature?.status === 'valid' && signature.usesSha1) {
    warnings.push('The document is signed with SHA-1.');
  }
  if (signature?.status === 'invalid') {
    warnings.push(
      `The document's signature does not verify (${signature.reason}); the policy "off" lets it through.`,
    );
  }
  const skipped = document.metadata.skippedKeys?.length ?? 0;
  if (skipped > 0) {
    warnings.push(
      `${skipped} key${skipped === 1 ? ' is' : 's are'} published but not usable for signatures and left out.`,
    );
  }
  return warnings;
}

/**
 * The diff an import would make: issuer fields current vs proposed, keys to
 * add / unchanged / no longer published (matched as the refresh matches
 * them), the document's SHA-256 and signature. Pure.
 */
export function buildImportPreview(
  document: ImportDocument,
  name: string,
  current: IssuerRecord | undefined,
  keys: readonly KeyRecord[],
  now: Date,
): ImportPreview {
  return {
    metadataUrl: document.metadataUrl,
    sha256: document.sha256,
    keySetUrl: document.keySet?.url ?? null,
    keySetSha256: document.keySet?.sha256 ?? null,
    version: current?.version ?? null,
    format: document.metadata.format,
    fetchedAt: iso(document.fetchedAt),
    mode: current === undefined ? 'create' : 'update',
    issuerId: current?.id ?? null,
    name,
    fields: fieldDiffs(current, proposeImportFields(document, current)),
    keys: keyDiff(document, current, keys, now),
    endpoints: document.metadata.endpoints.map((endpoint) => ({ ...endpoint })),
    signature: signatureView(document, current),
    warnings: warningsOf(document, current, now),
  };
}
