import { ClaimsgateError } from '../lib/errors.js';
import {
  enforceMetadataSignaturePolicy,
  type MetadataSignatureReport,
} from '../metadata/check-metadata-signature.js';
import type { IssuerMetadata, PublishedKey } from '../metadata/model.js';
import type { MetadataFetched, MetadataNotModified } from '../metadata/process-metadata-response.js';
import type {
  Actor,
  IssuerRecord,
  KeyRecord,
  MetadataSnapshotRecord,
  NewAuditEntry,
  NewKey,
  RefreshFacts,
  RefreshStateRecord,
} from '../store/model.js';
import type { KeyUpdate, RefreshApplication } from '../store/store.js';
import type { KeyState } from '../tokens/trust-snapshot.js';
import { keyLabel, makeAlert, type Alert } from './alerts.js';

/** Why a refresh ran: for the audit log. */
export interface RefreshTrigger {
  readonly reason: 'start' | 'schedule' | 'unknown-key' | 'manual';
  /** For `unknown-key`: the thumbprints / kid of the token's key. */
  readonly observed?: {
    readonly sha1?: string | undefined;
    readonly sha256?: string | undefined;
    readonly kid?: string | undefined;
  };
}

/** A coded failure: a ClaimsgateError, or anything reduced to its code and message. */
export interface RefreshError {
  readonly code: string;
  readonly message: string;
}

/** A fetched document, parsed, with its signature report — or the error parsing it raised. */
export type ParsedDocument =
  | { readonly metadata: IssuerMetadata; readonly signature: MetadataSignatureReport }
  | { readonly error: RefreshError };

/** What one metadata request produced. */
export type RefreshAttempt =
  | { readonly status: 'fetched'; readonly response: MetadataFetched; readonly parsed: ParsedDocument }
  | { readonly status: 'not-modified'; readonly response: MetadataNotModified }
  | {
      readonly status: 'failed';
      readonly url: string;
      readonly error: RefreshError;
      readonly httpStatus?: number | null;
    };

/** Everything {@link planRefresh} decides from. */
export interface PlanRefreshInput {
  readonly issuer: IssuerRecord;
  /** Every key of the issuer, in any state and from any source. */
  readonly keys: readonly KeyRecord[];
  /** The current last-known-good document, if any. */
  readonly previousSnapshot: MetadataSnapshotRecord | undefined;
  readonly previousState: RefreshStateRecord | undefined;
  readonly attempt: RefreshAttempt;
  readonly now: Date;
  /** How long a key that left the metadata stays trusted (`retiring`); 0 retires it at once. */
  readonly graceSeconds: number;
  /** First retry delay after a failure, doubled per further failure, capped at the interval; default 30 s. */
  readonly retryBaseSeconds?: number;
  /** Jitter of the next scheduled refresh as a fraction of the interval (e.g. −0.1 … 0.1); default 0. */
  readonly intervalJitter?: number;
  readonly trigger?: RefreshTrigger;
  /** Who the audit entries name; default `refresh`. */
  readonly actor?: Actor;
}

/** What a refresh changes, in one transaction, and the alerts it raises. */
export interface RefreshPlan {
  readonly outcome: RefreshFacts['outcome'];
  readonly error: RefreshError | undefined;
  readonly application: RefreshApplication;
  readonly alerts: readonly Alert[];
}

const DEFAULT_RETRY_BASE_SECONDS = 30;
const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/gi;

/**
 * Decides what one metadata refresh does to an issuer's trust. Pure: no
 * I/O, no clock; the store applies the result in one transaction.
 *
 * A fetched document becomes the issuer's trust only when it is usable: it
 * parsed, it names the issuer's configured entityID (templates compare as
 * templates), it is within its `validUntil`, its signature satisfies the
 * issuer's policy, and it publishes at least one signing key. Otherwise the
 * plan records the failure with backoff and leaves every key as it is.
 *
 * On success: new keys are added as `announced`; keys seen again get their
 * `lastSeenInMetadataAt`; keys that left the document become `retiring`
 * (or `retired` at once with a grace of 0); retiring keys past the grace
 * become `retired`; a retiring or retired key that reappears is restored.
 * Revoked and expired keys are never revived by metadata, manual keys are
 * never touched, and a refresh never leaves the issuer without a usable key.
 * A 304 confirms the last-known-good: its keys are seen again and grace
 * periods run on.
 */
export function planRefresh(input: PlanRefreshInput): RefreshPlan {
  const { attempt } = input;
  if (attempt.status === 'failed') {
    return failurePlan(input, attempt.error, {
      url: attempt.url,
      httpStatus: attempt.httpStatus ?? null,
      etag: null,
      sha256: null,
    });
  }
  if (attempt.status === 'not-modified') {
    const published = new Set(
      input.keys
        .filter((key) => key.source === 'metadata' && (key.state === 'announced' || key.state === 'active'))
        .map((key) => key.id),
    );
    return successPlan(input, {
      facts: {
        url: attempt.response.url,
        httpStatus: 304,
        etag: attempt.response.etag ?? input.previousSnapshot?.etag ?? null,
        sha256: input.previousSnapshot?.sha256 ?? null,
        outcome: 'not-modified',
        code: null,
      },
      seen: new Map([...published].map((id) => [id, undefined])),
      additions: [],
      snapshot: null,
      signerAlert: undefined,
    });
  }

  const { response, parsed } = attempt;
  const facts = { url: response.url, httpStatus: 200, etag: response.etag ?? null, sha256: response.sha256 };
  if ('error' in parsed) return failurePlan(input, parsed.error, facts);
  const refused = checkUsable(input, parsed.metadata, parsed.signature, response.url);
  if (refused !== undefined) return failurePlan(input, refused, facts);

  const { seen, additions } = matchPublishedKeys(input, parsed.metadata.signingKeys);
  const signerSha1 = parsed.signature.status === 'valid' ? parsed.signature.signer.sha1 : null;
  return successPlan(input, {
    facts: { ...facts, outcome: 'success', code: null },
    seen,
    additions,
    snapshot: {
      issuerId: input.issuer.id,
      // The configured URL, not the final one after redirects: the
      // validators are sent again only to the URL they were obtained from.
      url: input.issuer.metadataUrl ?? response.url,
      fetchedAt: response.fetchedAt,
      etag: response.etag ?? null,
      lastModified: response.lastModified ?? null,
      sha256: response.sha256,
      document: response.body,
      signerSha1,
    },
    signerAlert: signerChange(input, signerSha1),
  });
}

/** The reason a parsed document may not become trust, or undefined when it may. */
function checkUsable(
  input: PlanRefreshInput,
  metadata: IssuerMetadata,
  signature: MetadataSignatureReport,
  url: string,
): RefreshError | undefined {
  const { issuer, now } = input;
  try {
    // SECURITY: checked first, so that nothing of a forged document is
    // looked at further, and under the issuer's own policy (pinned signers).
    enforceMetadataSignaturePolicy(signature, issuer.signaturePolicy, { url, issuer: issuer.issuerUri });
  } catch (error) {
    if (error instanceof ClaimsgateError) return error;
    throw error;
  }
  // SECURITY: a document describing another entity (a wrong URL, a hijacked
  // path, an aggregate) must not hand its keys to this issuer. A bare JWKS
  // names no issuer; its URL is the configured trust anchor.
  if (metadata.issuer !== undefined && !sameIssuer(metadata.issuer, issuer.issuerUri)) {
    return new ClaimsgateError(
      'CG_META_ENTITY_NOT_FOUND',
      `The metadata at ${url} describes "${metadata.issuer}", not the configured issuer "${issuer.issuerUri}".`,
      { detail: { url, issuer: issuer.issuerUri, observed: metadata.issuer, expected: issuer.issuerUri } },
    );
  }
  // SECURITY: an old signed document replayed after its validUntil must not
  // bring back keys the issuer has since withdrawn.
  if (metadata.validUntil !== undefined && metadata.validUntil.getTime() <= now.getTime()) {
    return new ClaimsgateError(
      'CG_META_EXPIRED',
      `The metadata at ${url} was valid until ${metadata.validUntil.toISOString()}.`,
      {
        detail: {
          url,
          issuer: issuer.issuerUri,
          observed: metadata.validUntil.toISOString(),
          expected: `after ${now.toISOString()}`,
        },
      },
    );
  }
  if (metadata.signingKeys.length === 0) {
    return new ClaimsgateError(
      'CG_META_NO_SIGNING_KEYS',
      `The metadata at ${url} publishes no signing key for "${issuer.issuerUri}".`,
      { detail: { url, issuer: issuer.issuerUri, observed: 0, expected: 'at least one signing key' } },
    );
  }
  return undefined;
}

/** Issuer URIs compare exactly, except that `{tenant}` and `{tenantid}` placeholders are one. */
function sameIssuer(published: string, configured: string): boolean {
  return (
    published.replace(TENANT_PLACEHOLDER, '{tenantid}') ===
    configured.replace(TENANT_PLACEHOLDER, '{tenantid}')
  );
}

/** The public members of a JWK that identify its key material. */
function jwkMaterial(jwk: Readonly<Record<string, unknown>> | null | undefined): string | undefined {
  if (jwk === null || jwk === undefined) return undefined;
  return ['kty', 'crv', 'n', 'e', 'x', 'y']
    .map((name) => {
      const value = jwk[name];
      return typeof value === 'string' ? value : '';
    })
    .join('.');
}

/** Whether a stored metadata key is the published key: same certificate, else same JWK material. */
function isSameKey(record: KeyRecord, key: PublishedKey): boolean {
  if (key.certificate !== undefined) return record.sha256 === key.certificate.sha256;
  if (key.jwk !== undefined)
    return record.kid === (key.kid ?? null) && jwkMaterial(record.jwk) === jwkMaterial(key.jwk);
  return (
    (key.sha256 !== undefined && record.sha256 === key.sha256) ||
    (key.sha1 !== undefined && record.sha1 === key.sha1)
  );
}

function matchPublishedKeys(
  input: PlanRefreshInput,
  published: readonly PublishedKey[],
): { seen: Map<string, PublishedKey | undefined>; additions: NewKey[] } {
  const metadataKeys = input.keys.filter((key) => key.source === 'metadata');
  const seen = new Map<string, PublishedKey | undefined>();
  const additions: NewKey[] = [];
  for (const key of published) {
    const record = metadataKeys.find((candidate) => isSameKey(candidate, key));
    if (record !== undefined) {
      seen.set(record.id, key);
      continue;
    }
    // The issuer already holds a key with this thumbprint or kid: a manual
    // key (which keeps vouching for it, untouched), or a revoked one.
    // SECURITY: a key an administrator revoked stays revoked, even when the
    // issuer (or whoever controls its metadata) keeps publishing it.
    if (input.keys.some((candidate) => sharesIdentifier(candidate, key))) continue;
    additions.push(newKeyFrom(input, key));
  }
  return { seen, additions };
}

/** Whether a stored key has the published key's thumbprint or kid (each unique per issuer in the store). */
function sharesIdentifier(record: KeyRecord, key: PublishedKey): boolean {
  return (
    (record.sha1 !== null && record.sha1 === key.sha1) ||
    (record.sha256 !== null && record.sha256 === key.sha256) ||
    (record.kid !== null && record.kid === key.kid)
  );
}

function newKeyFrom(input: PlanRefreshInput, key: PublishedKey): NewKey {
  const certificate = key.certificate;
  // The key's own issuer (Entra ID's JWKS gives one per key) rides in the
  // stored JWK: it restricts which tokens the key may sign.
  const jwk =
    key.jwk === undefined ? null : key.issuer === undefined ? key.jwk : { ...key.jwk, issuer: key.issuer };
  return {
    issuerId: input.issuer.id,
    sha1: key.sha1 ?? null,
    sha256: key.sha256 ?? null,
    kid: key.kid ?? null,
    certificateDer: certificate?.der ?? null,
    jwk,
    subject: certificate?.subject ?? null,
    notBefore: certificate?.notBefore ?? null,
    notAfter: certificate?.notAfter ?? null,
    source: 'metadata',
    state: 'announced',
    lastSeenInMetadataAt: input.now,
  };
}

function signerChange(input: PlanRefreshInput, signerSha1: string | null): Alert | undefined {
  const before = input.previousSnapshot?.signerSha1 ?? null;
  if (before === null || before === signerSha1) return undefined;
  return makeAlert({
    kind: 'signer-changed',
    issuer: input.issuer,
    subject: signerSha1 ?? 'unsigned',
    episode: before,
    message:
      signerSha1 === null
        ? `The metadata of issuer ${input.issuer.name} is no longer signed (it was signed by ${before}).`
        : `The metadata of issuer ${input.issuer.name} is now signed by ${signerSha1} instead of ${before}.`,
    detail: { before, after: signerSha1 },
  });
}

interface SuccessParts {
  readonly facts: RefreshFacts;
  /** Metadata keys the document publishes, by store ID. */
  readonly seen: ReadonlyMap<string, PublishedKey | undefined>;
  readonly additions: readonly NewKey[];
  readonly snapshot: MetadataSnapshotRecord | null;
  readonly signerAlert: Alert | undefined;
}

function successPlan(input: PlanRefreshInput, parts: SuccessParts): RefreshPlan {
  const { issuer, now } = input;
  const actor = input.actor ?? 'refresh';
  const graceMs = input.graceSeconds * 1000;
  const next = new Map<string, KeyState>();
  for (const key of input.keys) {
    if (key.source !== 'metadata') continue;
    const published = parts.seen.has(key.id);
    if (published) {
      if (key.state === 'retiring' || key.state === 'retired') {
        next.set(key.id, key.lastUsedAt === null ? 'announced' : 'active');
      }
    } else if (key.state === 'announced' || key.state === 'active') {
      next.set(key.id, graceMs === 0 ? 'retired' : 'retiring');
    } else if (key.state === 'retiring' && now.getTime() - key.stateChangedAt.getTime() >= graceMs) {
      next.set(key.id, 'retired');
    }
  }

  const alerts: Alert[] = [];
  const usable = (key: KeyRecord): boolean => {
    const state = next.get(key.id) ?? key.state;
    return state === 'announced' || state === 'active' || state === 'retiring';
  };
  if (parts.additions.length === 0 && !input.keys.some(usable)) {
    // SECURITY (availability): never drop an issuer to zero keys; the
    // newest key the metadata last published stays trusted and the operator
    // is told, rather than every sign-in failing.
    const kept = newestOf(input.keys.filter((key) => next.get(key.id) === 'retired'));
    if (kept !== undefined) {
      if (kept.state === 'retiring') next.delete(kept.id);
      else next.set(kept.id, 'retiring');
      alerts.push(
        makeAlert({
          kind: 'last-key-kept',
          issuer,
          keyId: kept.id,
          subject: keyLabel(kept),
          episode: (parts.snapshot?.sha256 ?? input.previousSnapshot?.sha256 ?? '') + kept.state,
          message: `Issuer ${issuer.name} would have been left without a trusted key; key ${keyLabel(kept)} stays trusted (retiring) until the metadata publishes a usable one.`,
          detail: { state: kept.state },
        }),
      );
    }
  }

  const updateKeys: KeyUpdate[] = [];
  const audit: NewAuditEntry[] = [];
  for (const key of input.keys) {
    if (key.source !== 'metadata') continue;
    const state = next.get(key.id);
    const seen = parts.seen.has(key.id);
    if (state === undefined && !seen) continue;
    updateKeys.push({
      keyId: key.id,
      ...(state === undefined ? {} : { state }),
      ...(seen ? { lastSeenInMetadataAt: now } : {}),
    });
    if (state === undefined) continue;
    const action = seen ? 'key.restored' : state === 'retired' ? 'key.retired' : 'key.retiring';
    audit.push({
      actor,
      action,
      issuerId: issuer.id,
      subject: keyLabel(key),
      before: { state: key.state },
      after: { state },
      refresh: null,
    });
    if (action !== 'key.restored') {
      alerts.push(
        makeAlert({
          kind: state === 'retired' ? 'key-retired' : 'key-retiring',
          issuer,
          keyId: key.id,
          subject: keyLabel(key),
          episode: now.toISOString(),
          message:
            state === 'retired'
              ? `Key ${keyLabel(key)} of issuer ${issuer.name} is retired: it no longer validates tokens.`
              : `Key ${keyLabel(key)} of issuer ${issuer.name} left the metadata; it stays trusted for ${input.graceSeconds} s.`,
          detail: { before: key.state, after: state },
        }),
      );
    }
  }
  for (const key of parts.additions) {
    const label = keyLabel(key);
    audit.push({
      actor,
      action: 'key.added',
      issuerId: issuer.id,
      subject: label,
      before: null,
      after: {
        state: 'announced',
        source: 'metadata',
        subject: key.subject,
        notBefore: key.notBefore?.toISOString() ?? null,
        notAfter: key.notAfter?.toISOString() ?? null,
      },
      refresh: null,
    });
    alerts.push(
      makeAlert({
        kind: 'key-added',
        issuer,
        subject: label,
        message: `Issuer ${issuer.name} published a new key ${label}; it is trusted from now on.`,
        detail: { subject: key.subject, notAfter: key.notAfter?.toISOString() ?? null },
      }),
    );
  }
  if (parts.signerAlert !== undefined) alerts.push(parts.signerAlert);

  const documentChanged = parts.snapshot !== null && parts.snapshot.sha256 !== input.previousSnapshot?.sha256;
  if (documentChanged) {
    audit.unshift(refreshAudit(input, 'metadata.updated', parts.facts));
  }
  if ((input.previousState?.consecutiveFailures ?? 0) > 0) {
    audit.push(refreshAudit(input, 'refresh.recovered', parts.facts));
  }
  const interval = issuer.refreshIntervalSeconds * (1 + (input.intervalJitter ?? 0));
  return {
    outcome: parts.facts.outcome,
    error: undefined,
    application: {
      issuerId: issuer.id,
      addKeys: parts.additions,
      updateKeys,
      snapshot: parts.snapshot,
      refreshState: {
        issuerId: issuer.id,
        lastAttemptAt: now,
        lastSuccessAt: now,
        lastOutcome: parts.facts.outcome,
        lastErrorCode: null,
        lastErrorMessage: null,
        consecutiveFailures: 0,
        nextAttemptAt: new Date(now.getTime() + Math.round(interval * 1000)),
      },
      audit,
    },
    alerts,
  };
}

/** The key most recently published: latest seen in metadata, then latest expiry, then latest added. */
function newestOf(keys: readonly KeyRecord[]): KeyRecord | undefined {
  const time = (date: Date | null): number => date?.getTime() ?? -Infinity;
  return [...keys].sort(
    (a, b) =>
      time(b.lastSeenInMetadataAt) - time(a.lastSeenInMetadataAt) ||
      time(b.notAfter) - time(a.notAfter) ||
      time(b.firstSeenAt) - time(a.firstSeenAt),
  )[0];
}

function refreshAudit(input: PlanRefreshInput, action: string, facts: RefreshFacts): NewAuditEntry {
  return {
    actor: input.actor ?? 'refresh',
    action,
    issuerId: input.issuer.id,
    subject: facts.url,
    before: null,
    after: input.trigger === undefined ? null : { trigger: input.trigger },
    refresh: facts,
  };
}

function failurePlan(
  input: PlanRefreshInput,
  error: RefreshError,
  partial: Pick<RefreshFacts, 'url' | 'httpStatus' | 'etag' | 'sha256'>,
): RefreshPlan {
  const { issuer, now } = input;
  const failures = (input.previousState?.consecutiveFailures ?? 0) + 1;
  const base = input.retryBaseSeconds ?? DEFAULT_RETRY_BASE_SECONDS;
  // Exponential backoff, capped at the refresh interval: a long outage is
  // retried no more often than healthy metadata is refreshed.
  const delaySeconds = Math.min(issuer.refreshIntervalSeconds, base * 2 ** Math.min(failures - 1, 30));
  const facts: RefreshFacts = { ...partial, outcome: 'failure', code: error.code };
  return {
    outcome: 'failure',
    error,
    application: {
      issuerId: issuer.id,
      addKeys: [],
      updateKeys: [],
      snapshot: null,
      refreshState: {
        issuerId: issuer.id,
        lastAttemptAt: now,
        lastSuccessAt: input.previousState?.lastSuccessAt ?? null,
        lastOutcome: 'failure',
        lastErrorCode: error.code,
        lastErrorMessage: error.message,
        consecutiveFailures: failures,
        nextAttemptAt: new Date(now.getTime() + delaySeconds * 1000),
      },
      audit: [
        {
          actor: input.actor ?? 'refresh',
          action: 'refresh.failed',
          issuerId: issuer.id,
          subject: facts.url,
          before: null,
          after: {
            code: error.code,
            message: error.message,
            consecutiveFailures: failures,
            ...(input.trigger === undefined ? {} : { trigger: input.trigger }),
          },
          refresh: facts,
        },
      ],
    },
    alerts: [],
  };
}
