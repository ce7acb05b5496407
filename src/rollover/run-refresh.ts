import { ClaimsgateError } from '../lib/errors.js';
import { checkMetadataSignature } from '../metadata/check-metadata-signature.js';
import { fetchMetadata } from '../metadata/fetch-metadata.js';
import { checkLinkedUrl } from '../metadata/metadata-url.js';
import { parseMetadata } from '../metadata/parse-metadata.js';
import { DEFAULT_METADATA_MAX_BYTES, type MetadataFetched } from '../metadata/process-metadata-response.js';
import type { IssuerRecord } from '../store/model.js';
import type { Store } from '../store/store.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import { readOidcSnapshot, type OidcSnapshot } from './oidc-snapshot.js';
import {
  planRefresh,
  refuseDocument,
  type DocumentAttempt,
  type ParsedDocument,
  type RefreshAttempt,
  type RefreshError,
  type RefreshPlan,
  type RefreshTrigger,
} from './plan-refresh.js';

/** What one refresh needs besides the issuer. */
export interface RunRefreshContext {
  readonly store: Store;
  readonly fetch: typeof globalThis.fetch | undefined;
  readonly now: () => Date;
  readonly graceSeconds: number;
  readonly probationSeconds: number;
  readonly retryBaseSeconds: number;
  /** This refresh's jitter as a fraction of the interval. */
  readonly intervalJitter: number;
  readonly fetchTimeoutMs: number;
  readonly maxMetadataBytes: number | undefined;
  readonly allowHttp: boolean;
  /** Aborts the fetch when the engine stops; an aborted refresh records nothing and rejects with the reason. */
  readonly signal?: AbortSignal;
}

const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/i;

/**
 * Refreshes one issuer's metadata: fetch (conditional when the
 * last-known-good came from the same URL), parse, check the document's own
 * signature, plan, and apply the plan in one store transaction. Call it
 * while holding the issuer's refresh lock.
 *
 * An OpenID Connect discovery document is followed to the key set its
 * `jwks_uri` names, fetched under the same limits (timeout, size cap,
 * https unless loopback or `allowHttp`, redirects), conditionally when the
 * last-known-good key set came from the same URL. A 304 on the discovery
 * document still asks for the key set: keys roll without the discovery
 * document changing.
 *
 * A failure of the issuer (unreachable, refused document) is not thrown: it
 * is the plan's outcome, recorded with backoff. Only a store failure throws.
 *
 * Returns undefined, applying nothing, when the issuer was changed while the
 * fetch was under way (its version moved on): the plan was made under
 * settings that are not the issuer's any more (SECURITY: an administrator
 * moves an issuer off an endpoint they no longer trust, or sets its
 * discontinuity policy to `hold`; a fetch begun before must not add what
 * that endpoint answered under the old settings, nor put the next refresh
 * off by an interval — security review, round 6). The caller refreshes
 * again from the issuer as it is now.
 *
 * @throws ClaimsgateError `CG_STORE_*` when the store cannot be read or written.
 * @throws `context.signal.reason` when the signal aborts the fetch.
 * @see OpenID Connect Discovery 1.0 §3 (`jwks_uri`)
 */
export async function runRefresh(
  context: RunRefreshContext,
  issuer: IssuerRecord & { readonly metadataUrl: string },
  trigger: RefreshTrigger,
): Promise<RefreshPlan | undefined> {
  const { store } = context;
  const [keys, previousSnapshot, previousState, pendingChange] = await Promise.all([
    store.listKeys(issuer.id),
    store.getMetadataSnapshot(issuer.id),
    store.getRefreshState(issuer.id),
    store.getPendingChange(issuer.id),
  ]);
  // Validators are sent only for the very URL the last-known-good came from,
  // and only while it still yields trusted keys: a 304 must never stand for
  // a document whose keys are gone (deleted by hand, or never stored).
  const conditional =
    previousSnapshot !== undefined &&
    previousSnapshot.url === issuer.metadataUrl &&
    keys.some((key) => key.source === 'metadata' && USABLE_KEY_STATES.has(key.state));
  const stored = conditional ? readOidcSnapshot(previousSnapshot) : undefined;
  // The attempt is dated by its start: a document fetched later than a token
  // arrived shows every key published before it (see the unknown-key hook).
  const startedAt = context.now();
  const attempt = await attemptFetch(context, issuer, conditional ? previousSnapshot : undefined, stored);
  const plan = planRefresh({
    issuer,
    keys,
    previousSnapshot,
    previousState,
    pendingChange,
    attempt,
    now: context.now(),
    startedAt,
    graceSeconds: context.graceSeconds,
    probationSeconds: context.probationSeconds,
    retryBaseSeconds: context.retryBaseSeconds,
    intervalJitter: context.intervalJitter,
    trigger,
  });
  const current = await store.getIssuer(issuer.id);
  if (current?.version !== issuer.version) return undefined;
  await store.applyRefresh(plan.application);
  return plan;
}

/** The cache validators of the copy already held. */
interface Validators {
  readonly etag: string | null;
  readonly lastModified: string | null;
}

async function attemptFetch(
  context: RunRefreshContext,
  issuer: IssuerRecord & { readonly metadataUrl: string },
  validators: Validators | undefined,
  stored: OidcSnapshot | undefined,
): Promise<RefreshAttempt> {
  const maxBytes = context.maxMetadataBytes ?? DEFAULT_METADATA_MAX_BYTES;
  const fetched = await fetchDocument(context, issuer.metadataUrl, validators);
  if (fetched.status === 'failed') return fetched;
  if (fetched.status === 'not-modified') {
    // The discovery document is unchanged, but its key set may not be.
    if (stored === undefined) return fetched;
    return {
      ...fetched,
      keySet: await attemptKeySet(context, issuer, stored.keySet.url, stored, new URL(fetched.response.url)),
    };
  }
  const parsed = parseFetchedDocument(issuer, fetched.response.body, maxBytes);
  const attempt = { ...fetched, parsed };
  if ('error' in parsed || parsed.metadata.format !== 'oidc-discovery') return attempt;
  // SECURITY: the jwks_uri of a document that may not become trust (another
  // issuer's, a bad signature under a pinned policy) is never requested.
  if (
    refuseDocument(issuer, parsed.metadata, parsed.signature, fetched.response.url, context.now()) !==
    undefined
  ) {
    return attempt;
  }
  const jwksUri = parsed.metadata.endpoints.find((endpoint) => endpoint.kind === 'oidc-jwks')?.url;
  if (jwksUri === undefined) return attempt;
  return {
    ...attempt,
    keySet: await attemptKeySet(context, issuer, jwksUri, stored, new URL(fetched.response.url)),
  };
}

/** Fetches and parses the key set a discovery document names, conditionally when it is the stored one's URL. */
async function attemptKeySet(
  context: RunRefreshContext,
  issuer: Pick<IssuerRecord, 'issuerUri'>,
  url: string,
  stored: OidcSnapshot | undefined,
  discoveryUrl: URL,
): Promise<DocumentAttempt> {
  const maxBytes = context.maxMetadataBytes ?? DEFAULT_METADATA_MAX_BYTES;
  const validators = stored !== undefined && stored.keySet.url === url ? stored.keySet : undefined;
  const fetched = await fetchDocument(context, url, validators, discoveryUrl);
  if (fetched.status !== 'fetched') return fetched;
  return { ...fetched, parsed: parseFetchedDocument(issuer, fetched.response.body, maxBytes) };
}

/** One GET under the refresh's limits: the response, or the failure reduced to its code. */
async function fetchDocument(
  context: RunRefreshContext,
  url: string,
  validators: Validators | undefined,
  linkedFrom?: URL,
): Promise<
  | { readonly status: 'fetched'; readonly response: MetadataFetched }
  | Exclude<DocumentAttempt, { status: 'fetched' }>
> {
  let response;
  try {
    // SECURITY: a jwks_uri is checked like a redirect from its discovery document: a remote
    // document cannot send claimsgate to this machine's own services (SSRF) or down to http.
    if (linkedFrom !== undefined) checkLinkedUrl(url, linkedFrom, context.allowHttp);
    // SECURITY: fetchMetadata checks every URL, a jwks_uri included, against
    // the transport rule (https unless loopback or allowHttp) before any I/O.
    response = await fetchMetadata(url, {
      timeoutMs: context.fetchTimeoutMs,
      maxBytes: context.maxMetadataBytes ?? DEFAULT_METADATA_MAX_BYTES,
      allowHttp: context.allowHttp,
      now: context.now,
      ...(context.fetch === undefined ? {} : { fetch: context.fetch }),
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      ...(validators === undefined || validators.etag === null ? {} : { etag: validators.etag }),
      ...(validators === undefined || validators.lastModified === null
        ? {}
        : { lastModified: validators.lastModified }),
    });
  } catch (error) {
    // Stopping is our decision, not a failure of the issuer: nothing is recorded.
    if (context.signal?.aborted === true) throw error;
    const coded = toRefreshError(error);
    const observed = error instanceof ClaimsgateError ? error.detail.observed : undefined;
    return {
      status: 'failed',
      url,
      error: coded,
      httpStatus: coded.code === 'CG_META_HTTP_STATUS' && typeof observed === 'number' ? observed : null,
    };
  }
  if (response.status === 'not-modified') return { status: 'not-modified', response };
  return { status: 'fetched', response };
}

/**
 * Parses a fetched document for an issuer and checks its own signature;
 * a parse failure is returned as the error, for the plan to record.
 */
export function parseFetchedDocument(
  issuer: Pick<IssuerRecord, 'issuerUri'>,
  body: Uint8Array,
  maxBytes: number = DEFAULT_METADATA_MAX_BYTES,
): ParsedDocument {
  try {
    // The configured entityID selects the entity of an aggregate; a
    // template issuer is compared by the plan instead, since Azure AD's
    // common document spells the placeholder `{tenant}`, not `{tenantid}`.
    const entityId = TENANT_PLACEHOLDER.test(issuer.issuerUri) ? undefined : issuer.issuerUri;
    const parsed = parseMetadata(body, { maxBytes, ...(entityId === undefined ? {} : { entityId }) });
    const signature =
      parsed.xml === undefined
        ? ({ status: 'unsigned' } as const)
        : checkMetadataSignature(parsed.xml.root, parsed.metadata);
    return { metadata: parsed.metadata, signature };
  } catch (error) {
    return { error: toRefreshError(error) };
  }
}

/** A coded error from whatever a fetch or parse threw; anything uncoded counts as a failed fetch. */
function toRefreshError(error: unknown): RefreshError {
  if (error instanceof ClaimsgateError) return { code: error.code, message: error.message };
  return {
    code: 'CG_META_FETCH_FAILED',
    message: `The metadata could not be processed: ${error instanceof Error ? error.message : String(error)}`,
  };
}
