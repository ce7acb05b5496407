import { daysUntilExpiry } from '../crypto/certificate.js';
import { ClaimsgateError } from '../lib/errors.js';
import { isErrorCode } from '../lib/error-codes.js';
import type { PublishedKey } from '../metadata/model.js';
import { keyLabel } from '../rollover/alerts.js';
import { matchPublishedKeys } from '../rollover/match-published-keys.js';
import { planRefresh, type RefreshPlan } from '../rollover/plan-refresh.js';
import type { IssuerRecord, KeyRecord, NewIssuer, NewKey, Protocol } from '../store/model.js';
import { ISSUER_DEFAULTS, normalizeNewIssuer } from '../store/validate-input.js';
import { USABLE_KEY_STATES, type KeyState } from '../tokens/trust-snapshot.js';
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

function publishedKeyView(
  key: PublishedKey,
  now: Date,
  stateAfter: KeyState,
  stored?: KeyRecord,
): ImportKeyView {
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
    stateAfter,
    usableAfter: USABLE_KEY_STATES.has(stateAfter),
  };
}

function storedKeyView(key: KeyRecord, now: Date, stateAfter: KeyState): ImportKeyView {
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
    stateAfter,
    usableAfter: USABLE_KEY_STATES.has(stateAfter),
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

/** The key the plan adds for a published key. */
function additionOf(additions: readonly NewKey[], key: PublishedKey): NewKey | undefined {
  return additions.find(
    (added) =>
      (added.sha256 ?? null) === (key.sha256 ?? null) &&
      (added.sha1 ?? null) === (key.sha1 ?? null) &&
      (added.kid ?? null) === (key.kid ?? null),
  );
}

/**
 * A record standing for an issuer that an import (or `issuers add`) would
 * create: its fields as the store would default them, for planning its first
 * refresh before it exists.
 *
 * @throws ClaimsgateError `CG_STORE_INVALID` for fields the store would refuse.
 */
export function provisionalIssuer(input: NewIssuer, now: Date): IssuerRecord {
  return { id: 'new', ...normalizeNewIssuer(input), createdAt: now, updatedAt: now, version: 0 };
}

/**
 * Plans what applying the document would store for the issuer (a
 * provisional record for a new one): the plan of the refresh the import
 * runs, with the issuer's current keys. Pure.
 *
 * @throws ClaimsgateError the plan's refusal, e.g. `CG_META_SIGNING_KEYS_EXPIRED`
 *   when every published key has expired and the issuer has no usable key.
 */
export function planImport(
  document: ImportDocument,
  issuer: IssuerRecord,
  keys: readonly KeyRecord[],
  now: Date,
  graceSeconds: number,
): RefreshPlan {
  const plan = planRefresh({
    issuer,
    keys,
    previousSnapshot: undefined,
    previousState: undefined,
    attempt: document.attempt,
    now,
    graceSeconds,
  });
  const error = plan.error;
  if (error === undefined) return plan;
  if (error instanceof ClaimsgateError) throw error;
  throw new ClaimsgateError(isErrorCode(error.code) ? error.code : 'CG_META_FETCH_FAILED', error.message);
}

/** The state the plan of a new issuer's first refresh gives each published key, in the order given. */
export function plannedAdditions(plan: RefreshPlan, published: readonly PublishedKey[]): KeyState[] {
  return published.map((key) => additionOf(plan.application.addKeys, key)?.state ?? 'announced');
}

/** The keys the import would store, each with the state the plan gives it, matched as the refresh matches them. */
function keyDiff(
  document: ImportDocument,
  current: IssuerRecord | undefined,
  keys: readonly KeyRecord[],
  plan: RefreshPlan,
  now: Date,
): ImportPreview['keys'] {
  const published = document.signingKeys;
  const { addKeys, updateKeys } = plan.application;
  const stateOf = (added: NewKey | undefined): KeyState => added?.state ?? 'announced';
  if (current === undefined) {
    return {
      add: published.map((key) => publishedKeyView(key, now, stateOf(additionOf(addKeys, key)))),
      unchanged: [],
      noLongerPublished: [],
    };
  }
  const after = new Map<string, KeyState>();
  for (const update of updateKeys) if (update.state !== undefined) after.set(update.keyId, update.state);
  // The refresh's own matcher, so that the preview says exactly what the refresh will do.
  const { seen } = matchPublishedKeys(
    {
      issuer: current,
      keys,
      previousSnapshot: undefined,
      previousState: undefined,
      attempt: document.attempt,
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
    if (stored === undefined) add.push(publishedKeyView(key, now, stateOf(additionOf(addKeys, key))));
    else unchanged.push(publishedKeyView(key, now, after.get(stored.id) ?? stored.state, stored));
  }
  const noLongerPublished = keys
    .filter((key) => key.source === 'metadata' && USABLE_KEY_STATES.has(key.state) && !seen.has(key.id))
    .map((key) => storedKeyView(key, now, after.get(key.id) ?? key.state));
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

function warningsOf(
  document: ImportDocument,
  current: IssuerRecord | undefined,
  keys: ImportPreview['keys'],
  now: Date,
): string[] {
  const warnings: string[] = [];
  const published = [...keys.add, ...keys.unchanged];
  const expired = (key: ImportKeyView): boolean =>
    key.notAfter !== null && Date.parse(key.notAfter) <= now.getTime();
  const neverTrusted = published.filter((key) => expired(key) && !key.usableAfter).length;
  if (neverTrusted > 0) {
    warnings.push(
      `${neverTrusted} of the published certificates ha${neverTrusted === 1 ? 's' : 've'} expired: stored as expired, never trusted.`,
    );
  }
  for (const key of published.filter((candidate) => expired(candidate) && candidate.usableAfter)) {
    warnings.push(
      `Key ${keyLabel(key)} expired ${key.notAfter ?? ''} but stays trusted (${key.stateAfter}) as the issuer's only usable key, with a critical key-expired alert: publish or add a successor.`,
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
 * them), each with the state the import's refresh would store, the
 * document's SHA-256 and signature. Pure.
 *
 * @throws ClaimsgateError `CG_META_SIGNING_KEYS_EXPIRED` when every published
 *   key has expired and the issuer has (or, new, would have) no usable key.
 */
export function buildImportPreview(
  document: ImportDocument,
  name: string,
  current: IssuerRecord | undefined,
  keys: readonly KeyRecord[],
  now: Date,
  graceSeconds: number,
): ImportPreview {
  const fields = proposeImportFields(document, current);
  const plan = planImport(
    document,
    current ?? provisionalIssuer({ name, ...fields }, now),
    current === undefined ? [] : keys,
    now,
    graceSeconds,
  );
  const keyViews = keyDiff(document, current, keys, plan, now);
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
    fields: fieldDiffs(current, fields),
    keys: keyViews,
    endpoints: document.metadata.endpoints.map((endpoint) => ({ ...endpoint })),
    signature: signatureView(document, current),
    warnings: warningsOf(document, current, keyViews, now),
  };
}
