import { daysUntilExpiry } from '../crypto/certificate.js';
import { ClaimsgateError } from '../lib/errors.js';
import { isErrorCode } from '../lib/error-codes.js';
import type { PublishedKey } from '../metadata/model.js';
import { keyLabel } from '../rollover/alerts.js';
import { matchPublishedKeys } from '../rollover/match-published-keys.js';
import { DISCONTINUITY_REASON_TEXT } from '../rollover/plan-continuity.js';
import { planRefresh, type RefreshPlan } from '../rollover/plan-refresh.js';
import type {
  IssuerRecord,
  KeyRecord,
  MetadataSnapshotRecord,
  NewIssuer,
  NewKey,
  PendingChangeRecord,
  Protocol,
  RefreshStateRecord,
} from '../store/model.js';
import { ISSUER_DEFAULTS, normalizeNewIssuer } from '../store/validate-input.js';
import { USABLE_KEY_STATES, type KeyState } from '../tokens/trust-snapshot.js';
import type { ImportFieldDiff, ImportKeyView, ImportPreview, ImportSignatureView } from './service.js';
import { iso, isoOrNull } from './views.js';
import { inferLoginUrl, inferProtocols, TENANT_PLACEHOLDER } from './import-fields.js';
import type { ImportDocument } from './import-document.js';

/**
 * The engine's settings an import's refresh plans with: a preview given
 * other values than the engine's would show what the refresh does not do
 * (a document continuous under one probation is held under another).
 */
export interface ImportPlanSettings {
  /** How long a key that left the metadata stays trusted (`retiring`). */
  readonly graceSeconds: number;
  /** The key continuity probation (the engine's `continuityProbationSeconds`). */
  readonly probationSeconds: number;
}

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
 * What the store holds of an issuer that the plan of its import's refresh
 * reads: its keys, and for key continuity its last-known-good document (its
 * signer), refresh state and pending change.
 */
export interface ImportBaseline {
  readonly keys: readonly KeyRecord[];
  readonly previousSnapshot: MetadataSnapshotRecord | undefined;
  readonly previousState: RefreshStateRecord | undefined;
  readonly pendingChange: PendingChangeRecord | undefined;
}

/** A new issuer's baseline: nothing yet, so its first document is judged `initial` (applied as it is). */
export const NEW_ISSUER_BASELINE: ImportBaseline = Object.freeze({
  keys: [],
  previousSnapshot: undefined,
  previousState: undefined,
  pendingChange: undefined,
});

/** A plan's refusal as the ClaimsgateError it stands for. */
function refusalOf(error: NonNullable<RefreshPlan['error']>): ClaimsgateError {
  if (error instanceof ClaimsgateError) return error;
  return new ClaimsgateError(isErrorCode(error.code) ? error.code : 'CG_META_FETCH_FAILED', error.message);
}

/**
 * Plans what applying the document would store for the issuer (a
 * provisional record for a new one, with {@link NEW_ISSUER_BASELINE}): the
 * plan of the refresh the import runs, from what the store holds. Pure.
 *
 * @throws ClaimsgateError the plan's refusal, e.g. `CG_META_SIGNING_KEYS_EXPIRED`
 *   when every published key has expired and the issuer has no usable key, or
 *   `CG_META_KEYS_DISCONTINUOUS` when the refresh would hold the document.
 */
export function planImport(
  document: ImportDocument,
  issuer: IssuerRecord,
  baseline: ImportBaseline,
  now: Date,
  settings: ImportPlanSettings,
): RefreshPlan {
  const plan = planRefresh({ issuer, ...baseline, attempt: document.attempt, now, ...settings });
  if (plan.error !== undefined) throw refusalOf(plan.error);
  return plan;
}

/** The plan a preview shows, and the pending change the import's refresh would hold the document as. */
interface PreviewPlan {
  readonly plan: RefreshPlan;
  readonly held: PendingChangeRecord | undefined;
}

/**
 * Plans the import's refresh for a preview. A document the refresh would
 * hold for lack of key continuity is not refused: the preview shows what
 * its approval would store (planned as the refresh plans an approved
 * document), and says that the import holds it until then.
 *
 * @throws ClaimsgateError as {@link planImport}, but for a held document.
 */
function planPreview(
  document: ImportDocument,
  issuer: IssuerRecord,
  baseline: ImportBaseline,
  now: Date,
  settings: ImportPlanSettings,
): PreviewPlan {
  const input = { issuer, ...baseline, attempt: document.attempt, now, ...settings };
  const plan = planRefresh(input);
  if (plan.error === undefined) return { plan, held: undefined };
  // The record the refresh would set, or (this very document is pending or rejected already) the stored one.
  const held = plan.application.pendingChange ?? baseline.pendingChange;
  if (plan.error.code !== 'CG_META_KEYS_DISCONTINUOUS' || held === undefined || held === null)
    throw refusalOf(plan.error);
  const approved = planRefresh({ ...input, pendingChange: { ...held, decision: 'approved' } });
  if (approved.error !== undefined) throw refusalOf(approved.error);
  return { plan: approved, held };
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

function heldWarning(held: PendingChangeRecord | undefined): string[] {
  if (held === undefined) return [];
  const decided = held.decision === 'pending' ? '' : ` (this document was ${held.decision} already)`;
  return [
    `The document replaces the issuer's keys without continuity: ${DISCONTINUITY_REASON_TEXT[held.reason]}. Applying the import holds it as the issuer's pending change${decided} (CG_META_KEYS_DISCONTINUOUS); the issuer keeps its current keys until an administrator approves it. The key states shown are those once it is approved.`,
  ];
}

/**
 * The diff an import would make: issuer fields current vs proposed, keys to
 * add / unchanged / no longer published (matched as the refresh matches
 * them), each with the state the import's refresh would store, the
 * document's SHA-256 and signature. Planned from what the store holds of
 * the issuer (`baseline`; ignored for a new issuer), so a document the
 * import's refresh would hold for lack of key continuity is previewed with a
 * warning saying so, and the states its approval would store. Pure.
 *
 * @throws ClaimsgateError `CG_META_SIGNING_KEYS_EXPIRED` when every published
 *   key has expired and the issuer has (or, new, would have) no usable key.
 */
export function buildImportPreview(
  document: ImportDocument,
  name: string,
  current: IssuerRecord | undefined,
  baseline: ImportBaseline,
  now: Date,
  settings: ImportPlanSettings,
): ImportPreview {
  const fields = proposeImportFields(document, current);
  const { plan, held } = planPreview(
    document,
    current ?? provisionalIssuer({ name, ...fields }, now),
    current === undefined ? NEW_ISSUER_BASELINE : baseline,
    now,
    settings,
  );
  const keys = current === undefined ? [] : baseline.keys;
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
    warnings: [...heldWarning(held), ...warningsOf(document, current, keyViews, now)],
  };
}
