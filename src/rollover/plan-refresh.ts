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
import { USABLE_KEY_STATES, type KeyState } from '../tokens/trust-snapshot.js';
import { hasExpired, keyExpiredAlert, keyLabel, makeAlert, type Alert } from './alerts.js';
import {
  encodeOidcSnapshot,
  readOidcSnapshot,
  type OidcSnapshot,
  type StoredDocument,
} from './oidc-snapshot.js';
import { latestExpiry } from './plan-key-expiry.js';

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

/** What one document request produced. */
export type DocumentAttempt =
  | { readonly status: 'fetched'; readonly response: MetadataFetched; readonly parsed: ParsedDocument }
  | { readonly status: 'not-modified'; readonly response: MetadataNotModified }
  | {
      readonly status: 'failed';
      readonly url: string;
      readonly error: RefreshError;
      readonly httpStatus?: number | null;
    };

/**
 * What one metadata refresh's requests produced: the configured document,
 * and for an OpenID Connect discovery document the key set its `jwks_uri`
 * names (ignored on a failed attempt).
 */
export type RefreshAttempt = DocumentAttempt & {
  /**
   * The key set request: made for a discovery document that passed its
   * checks, and for a 304 on the discovery document of an OpenID Connect
   * last-known-good (keys roll without the discovery document changing).
   */
  readonly keySet?: DocumentAttempt;
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
 * An OpenID Connect discovery document publishes no keys itself: its keys
 * are those of the key set at its `jwks_uri` (`attempt.keySet`), and the two
 * become trust together (stored as one {@link OidcSnapshot}). A key set that
 * cannot be fetched, does not parse, is not a JWKS or has no signing key
 * fails the refresh with its code.
 *
 * On success: new keys are added as `announced`; keys seen again get their
 * `lastSeenInMetadataAt`; keys that left the document become `retiring`
 * (or `retired` at once with a grace of 0); retiring keys past the grace
 * become `retired`; a retiring or retired key that reappears is restored;
 * a key whose certificate has expired becomes `expired` (audited by
 * `rollover`), a newly published one is added as `expired`. Revoked and
 * expired keys are never revived by metadata, manual keys are never
 * touched, and a refresh never leaves the issuer without a usable key.
 * A 304 confirms the last-known-good: its keys are seen again and grace
 * periods and expiries run on.
 */
export function planRefresh(input: PlanRefreshInput): RefreshPlan {
  const { attempt } = input;
  if (attempt.status === 'failed') return failurePlan(input, attempt.error, failedFacts(attempt));
  if (attempt.status === 'not-modified') {
    const stored = readOidcSnapshot(input.previousSnapshot);
    if (attempt.keySet !== undefined && stored !== undefined) {
      const { response } = attempt;
      return keySetPlan(
        input,
        {
          document: {
            ...stored.discovery,
            etag: response.etag ?? stored.discovery.etag,
            lastModified: response.lastModified ?? stored.discovery.lastModified,
          },
          facts: {
            url: response.url,
            httpStatus: 304,
            etag: response.etag ?? stored.discovery.etag,
            sha256: stored.discovery.sha256,
          },
          modified: false,
        },
        attempt.keySet,
        stored,
      );
    }
    return successPlan(input, {
      facts: {
        url: attempt.response.url,
        httpStatus: 304,
        etag: attempt.response.etag ?? input.previousSnapshot?.etag ?? null,
        sha256: input.previousSnapshot?.sha256 ?? null,
        outcome: 'not-modified',
        code: null,
      },
      seen: publishedBefore(input),
      additions: [],
      snapshot: null,
      signerAlert: undefined,
    });
  }

  const { response, parsed } = attempt;
  const facts = { url: response.url, httpStatus: 200, etag: response.etag ?? null, sha256: response.sha256 };
  if ('error' in parsed) return failurePlan(input, parsed.error, facts);
  const refused = refuseDocument(input.issuer, parsed.metadata, parsed.signature, response.url, input.now);
  if (refused !== undefined) return failurePlan(input, refused, facts);
  if (parsed.metadata.format === 'oidc-discovery') {
    if (attempt.keySet === undefined) {
      return failurePlan(
        input,
        noSigningKeys(input.issuer, response.url, 'its jwks_uri was not fetched'),
        facts,
      );
    }
    return keySetPlan(
      input,
      {
        document: {
          url: input.issuer.metadataUrl ?? response.url,
          etag: response.etag ?? null,
          lastModified: response.lastModified ?? null,
          sha256: response.sha256,
          body: response.body.toString('utf8'),
        },
        facts,
        modified: true,
      },
      attempt.keySet,
      readOidcSnapshot(input.previousSnapshot),
    );
  }
  if (parsed.metadata.signingKeys.length === 0) {
    return failurePlan(input, noSigningKeys(input.issuer, response.url), facts);
  }

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

/** The facts of one request, before the refresh's outcome is known. */
type FetchFacts = Pick<RefreshFacts, 'url' | 'httpStatus' | 'etag' | 'sha256'>;

/** The discovery half of an OpenID Connect refresh. */
interface DiscoveryPart {
  /** The discovery document to store: the one fetched, or the stored one a 304 confirmed. */
  readonly document: StoredDocument;
  readonly facts: FetchFacts;
  /** False for a 304. */
  readonly modified: boolean;
}

function failedFacts(attempt: Extract<DocumentAttempt, { status: 'failed' }>): FetchFacts {
  return { url: attempt.url, httpStatus: attempt.httpStatus ?? null, etag: null, sha256: null };
}

/** Metadata keys the last-known-good publishes, as a 304 confirms them: announced and active ones. */
function publishedBefore(input: PlanRefreshInput): Map<string, PublishedKey | undefined> {
  return new Map(
    input.keys
      .filter((key) => key.source === 'metadata' && (key.state === 'announced' || key.state === 'active'))
      .map((key) => [key.id, undefined]),
  );
}

/**
 * Plans an OpenID Connect refresh from its discovery half and its key set
 * request. The discovery document was checked already (or confirmed by a 304).
 */
function keySetPlan(
  input: PlanRefreshInput,
  discovery: DiscoveryPart,
  keySet: DocumentAttempt,
  stored: OidcSnapshot | undefined,
): RefreshPlan {
  if (keySet.status === 'failed') {
    const error = keySet.error;
    return failurePlan(input, error, discovery.facts, {
      ...failedFacts(keySet),
      outcome: 'failure',
      code: error.code,
    });
  }
  if (keySet.status === 'not-modified') {
    // The key set is the stored one: its keys are seen again, as on a 304
    // for any document; a changed discovery document is stored beside it.
    const { response } = keySet;
    const keySetDocument =
      stored === undefined
        ? undefined
        : {
            ...stored.keySet,
            etag: response.etag ?? stored.keySet.etag,
            lastModified: response.lastModified ?? stored.keySet.lastModified,
          };
    const outcome = discovery.modified ? 'success' : 'not-modified';
    return successPlan(input, {
      facts: { ...discovery.facts, outcome, code: null },
      keySetFacts: {
        url: response.url,
        httpStatus: 304,
        etag: keySetDocument?.etag ?? null,
        sha256: keySetDocument?.sha256 ?? null,
        outcome: 'not-modified',
        code: null,
      },
      seen: publishedBefore(input),
      additions: [],
      snapshot:
        discovery.modified && keySetDocument !== undefined
          ? oidcSnapshotRecord(input, discovery.document, keySetDocument)
          : null,
      signerAlert: undefined,
    });
  }

  const { response, parsed } = keySet;
  const facts: FetchFacts = {
    url: response.url,
    httpStatus: 200,
    etag: response.etag ?? null,
    sha256: response.sha256,
  };
  const refuse = (error: RefreshError): RefreshPlan =>
    failurePlan(input, error, discovery.facts, { ...facts, outcome: 'failure', code: error.code });
  if ('error' in parsed) return refuse(parsed.error);
  const refused = refuseKeySet(input.issuer, parsed.metadata, response.url);
  if (refused !== undefined) return refuse(refused);
  const { seen, additions } = matchPublishedKeys(input, parsed.metadata.signingKeys);
  return successPlan(input, {
    facts: { ...discovery.facts, outcome: 'success', code: null },
    keySetFacts: { ...facts, outcome: 'success', code: null },
    seen,
    additions,
    snapshot: oidcSnapshotRecord(input, discovery.document, {
      // The URL requested (the discovery document's jwks_uri), to which the
      // validators are sent again; not the final one after redirects.
      url: response.redirects[0] ?? response.url,
      etag: response.etag ?? null,
      lastModified: response.lastModified ?? null,
      sha256: response.sha256,
      body: response.body.toString('utf8'),
    }),
    signerAlert: undefined,
  });
}

function oidcSnapshotRecord(
  input: PlanRefreshInput,
  discovery: StoredDocument,
  keySet: StoredDocument,
): MetadataSnapshotRecord {
  const { document, sha256 } = encodeOidcSnapshot({ discovery, keySet });
  return {
    issuerId: input.issuer.id,
    url: discovery.url,
    fetchedAt: input.now,
    etag: discovery.etag,
    lastModified: discovery.lastModified,
    sha256,
    document,
    signerSha1: null,
  };
}

/** The reason a key set may not become trust, or undefined when it may. */
function refuseKeySet(
  issuer: Pick<IssuerRecord, 'issuerUri'>,
  metadata: IssuerMetadata,
  url: string,
): RefreshError | undefined {
  // SECURITY: the jwks_uri must name a key set; another discovery document
  // there would otherwise send the refresh on to URLs of its choosing.
  if (metadata.format !== 'jwks') {
    return new ClaimsgateError(
      'CG_META_FORMAT_UNKNOWN',
      `The jwks_uri ${url} of "${issuer.issuerUri}" answered with ${metadata.format} metadata, not a JWKS.`,
      { detail: { url, issuer: issuer.issuerUri, observed: metadata.format, expected: 'jwks' } },
    );
  }
  if (metadata.signingKeys.length === 0) return noSigningKeys(issuer, url);
  return undefined;
}

function noSigningKeys(issuer: Pick<IssuerRecord, 'issuerUri'>, url: string, why?: string): ClaimsgateError {
  return new ClaimsgateError(
    'CG_META_NO_SIGNING_KEYS',
    `The metadata at ${url} publishes no signing key for "${issuer.issuerUri}"${why === undefined ? '' : ` (${why})`}.`,
    { detail: { url, issuer: issuer.issuerUri, observed: 0, expected: 'at least one signing key' } },
  );
}

/**
 * The reason a parsed document may not become trust, whatever keys it
 * publishes (its signature under the issuer's policy, the issuer it names,
 * its `validUntil`), or undefined when it may. The refresh asks it before
 * following a discovery document's `jwks_uri`.
 */
export function refuseDocument(
  issuer: Pick<IssuerRecord, 'issuerUri' | 'signaturePolicy'>,
  metadata: IssuerMetadata,
  signature: MetadataSignatureReport,
  url: string,
  now: Date,
): RefreshError | undefined {
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
  // names no issuer; its URL is the configured trust anchor. A discovery
  // document for another issuer must not even have its jwks_uri fetched.
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
  const notAfter = certificate?.notAfter ?? null;
  return {
    issuerId: input.issuer.id,
    sha1: key.sha1 ?? null,
    sha256: key.sha256 ?? null,
    kid: key.kid ?? null,
    certificateDer: certificate?.der ?? null,
    jwk,
    subject: certificate?.subject ?? null,
    notBefore: certificate?.notBefore ?? null,
    notAfter,
    source: 'metadata',
    // A certificate published after its expiry is recorded, never trusted
    // (unless it is all the issuer has: see successPlan).
    state: hasExpired({ notAfter }, input.now.getTime()) ? 'expired' : 'announced',
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
  /** For an OpenID Connect issuer: the facts of the key set request. */
  readonly keySetFacts?: RefreshFacts;
  /** Metadata keys the document publishes, by store ID. */
  readonly seen: ReadonlyMap<string, PublishedKey | undefined>;
  readonly additions: readonly NewKey[];
  readonly snapshot: MetadataSnapshotRecord | null;
  readonly signerAlert: Alert | undefined;
}

/** Who expires keys in the audit log: the passing of time, not the document. */
const EXPIRY_ACTOR = 'rollover';

function successPlan(input: PlanRefreshInput, parts: SuccessParts): RefreshPlan {
  const { issuer, now } = input;
  const at = now.getTime();
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
  // A certificate past its notAfter no longer vouches for tokens, whatever
  // the metadata says; the state it would otherwise have had is kept aside
  // for the never-zero-keys guard below.
  const unexpired = new Map<string, KeyState>();
  for (const key of input.keys) {
    const state = next.get(key.id) ?? key.state;
    if (key.source !== 'metadata' || !USABLE_KEY_STATES.has(state) || !hasExpired(key, at)) continue;
    unexpired.set(key.id, state);
    next.set(key.id, 'expired');
  }
  const additions = [...parts.additions];

  const alerts: Alert[] = [];
  const trusted = (key: KeyRecord): boolean =>
    USABLE_KEY_STATES.has(next.get(key.id) ?? key.state) && !hasExpired(key, at);
  if (!input.keys.some(trusted) && !additions.some((key) => key.state !== 'expired')) {
    // SECURITY (availability): never drop an issuer to zero keys; the
    // newest key the metadata last published stays trusted and the operator
    // is told, rather than every sign-in failing.
    const kept = newestOf(input.keys.filter((key) => next.get(key.id) === 'retired' && !hasExpired(key, at)));
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
    } else if (!input.keys.some((key) => USABLE_KEY_STATES.has(next.get(key.id) ?? key.state))) {
      // Only expired certificates are left: the one that expired last stays
      // in the state it would have had, and the critical alert says so.
      const lastExisting = latestExpiry(input.keys.filter((key) => unexpired.has(key.id)));
      const lastAdded = latestExpiry(additions.filter((key) => key.state === 'expired'));
      const time = (key: { readonly notAfter?: Date | null }): number => key.notAfter?.getTime() ?? -Infinity;
      if (lastAdded !== undefined && (lastExisting === undefined || time(lastAdded) > time(lastExisting))) {
        additions[additions.indexOf(lastAdded)] = { ...lastAdded, state: 'announced' };
        alerts.push(keyExpiredAlert(issuer, lastAdded, 'kept'));
      } else if (lastExisting !== undefined) {
        const state = unexpired.get(lastExisting.id)!;
        if (state === lastExisting.state) next.delete(lastExisting.id);
        else next.set(lastExisting.id, state);
        alerts.push(keyExpiredAlert(issuer, lastExisting, 'kept'));
      }
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
    if (state === 'expired') {
      audit.push({
        actor: EXPIRY_ACTOR,
        action: 'key.expired',
        issuerId: issuer.id,
        subject: keyLabel(key),
        before: { state: key.state },
        after: { state, notAfter: key.notAfter?.toISOString() ?? null },
        refresh: null,
      });
      alerts.push(keyExpiredAlert(issuer, key, 'expired'));
      continue;
    }
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
  for (const key of additions) {
    const label = keyLabel(key);
    const state = key.state ?? 'announced';
    audit.push({
      actor,
      action: 'key.added',
      issuerId: issuer.id,
      subject: label,
      before: null,
      after: {
        state,
        source: 'metadata',
        subject: key.subject,
        notBefore: key.notBefore?.toISOString() ?? null,
        notAfter: key.notAfter?.toISOString() ?? null,
      },
      refresh: null,
    });
    if (state === 'expired') continue;
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
    audit.unshift(refreshAudit(input, 'metadata.updated', parts.facts, parts.keySetFacts));
  }
  if ((input.previousState?.consecutiveFailures ?? 0) > 0) {
    audit.push(refreshAudit(input, 'refresh.recovered', parts.facts, parts.keySetFacts));
  }
  const interval = issuer.refreshIntervalSeconds * (1 + (input.intervalJitter ?? 0));
  return {
    outcome: parts.facts.outcome,
    error: undefined,
    application: {
      issuerId: issuer.id,
      addKeys: additions,
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

/**
 * The `after` of a refresh entry: its trigger and, for an OpenID Connect
 * issuer, `keySet`, the facts of the key set request (the entry's `refresh`
 * describes the discovery document request).
 */
function refreshAfter(
  input: PlanRefreshInput,
  keySetFacts: RefreshFacts | undefined,
  extra: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> | null {
  const after = {
    ...extra,
    ...(input.trigger === undefined ? {} : { trigger: input.trigger }),
    ...(keySetFacts === undefined ? {} : { keySet: keySetFacts }),
  };
  return Object.keys(after).length === 0 ? null : after;
}

function refreshAudit(
  input: PlanRefreshInput,
  action: string,
  facts: RefreshFacts,
  keySetFacts: RefreshFacts | undefined,
): NewAuditEntry {
  return {
    actor: input.actor ?? 'refresh',
    action,
    issuerId: input.issuer.id,
    subject: facts.url,
    before: null,
    after: refreshAfter(input, keySetFacts),
    refresh: facts,
  };
}

function failurePlan(
  input: PlanRefreshInput,
  error: RefreshError,
  partial: FetchFacts,
  keySetFacts?: RefreshFacts,
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
          after: refreshAfter(input, keySetFacts, {
            code: error.code,
            message: error.message,
            consecutiveFailures: failures,
          }),
          refresh: facts,
        },
      ],
    },
    alerts: [],
  };
}
