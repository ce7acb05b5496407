import type { MetadataSnapshotRecord } from '../store/model.js';
import { matchPublishedKeys, publishedBefore } from './match-published-keys.js';
import { encodeOidcSnapshot, type OidcSnapshot, type StoredDocument } from './oidc-snapshot.js';
import { heldPlan, planContinuity } from './plan-continuity.js';
import { failedFacts, failurePlan } from './plan-refresh-failure.js';
import { successPlan } from './plan-refresh-success.js';
import type {
  DocumentAttempt,
  FetchFacts,
  PlanRefreshInput,
  RefreshError,
  RefreshPlan,
} from './refresh-plan-model.js';
import { refuseExpiredKeys, refuseKeySet } from './refuse-document.js';

/** The discovery half of an OpenID Connect refresh. */
export interface DiscoveryPart {
  /** The discovery document to store: the one fetched, or the stored one a 304 confirmed. */
  readonly document: StoredDocument;
  readonly facts: FetchFacts;
  /** False for a 304. */
  readonly modified: boolean;
  /** Every URL the discovery request went through (the configured one, redirects, the final one). */
  readonly hops: readonly string[];
}

/**
 * Plans an OpenID Connect refresh from its discovery half and its key set
 * request. The discovery document was checked already (or confirmed by a 304).
 */
export function keySetPlan(
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
  const refused =
    refuseKeySet(input.issuer, parsed.metadata, response.url) ??
    refuseExpiredKeys(input.issuer, input.keys, parsed.metadata.signingKeys, response.url, input.now);
  if (refused !== undefined) return refuse(refused);
  const snapshot = oidcSnapshotRecord(input, discovery.document, {
    // The URL requested (the discovery document's jwks_uri), to which the
    // validators are sent again; not the final one after redirects.
    url: response.redirects[0] ?? response.url,
    etag: response.etag ?? null,
    lastModified: response.lastModified ?? null,
    sha256: response.sha256,
    body: response.body.toString('utf8'),
  });
  // A key set is never signed: its continuity is a shared key (or a first
  // refresh, or an administrator's approval of this discovery + key set pair).
  const continuity = planContinuity(input, {
    signature: { status: 'unsigned' },
    published: parsed.metadata.signingKeys,
    sha256: snapshot.sha256,
    url: response.url,
    fetchedUrls: [...discovery.hops, discovery.facts.url, ...response.redirects, response.url],
  });
  if (continuity.hold) {
    return heldPlan(input, continuity, discovery.facts, {
      ...facts,
      outcome: 'failure',
      code: continuity.error.code,
    });
  }
  const { seen, additions } = matchPublishedKeys(input, parsed.metadata.signingKeys);
  return successPlan(input, {
    facts: { ...discovery.facts, outcome: 'success', code: null },
    keySetFacts: { ...facts, outcome: 'success', code: null },
    seen,
    additions,
    snapshot,
    signerAlert: undefined,
    continuity: continuity.applied,
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
