import {
  checkMetadataSignature,
  type MetadataSignaturePolicy,
  type MetadataSignatureReport,
} from '../metadata/check-metadata-signature.js';
import { fetchMetadata } from '../metadata/fetch-metadata.js';
import { checkLinkedUrl } from '../metadata/metadata-url.js';
import type { IssuerMetadata, PublishedKey } from '../metadata/model.js';
import { parseMetadata } from '../metadata/parse-metadata.js';
import { DEFAULT_METADATA_MAX_BYTES, type MetadataFetched } from '../metadata/process-metadata-response.js';
import { ClaimsgateError } from '../lib/errors.js';
import { noSigningKeys, refuseDocument, refuseKeySet } from '../rollover/refuse-document.js';
import type { RefreshAttempt, RefreshError } from '../rollover/refresh-plan-model.js';
import { adminInputError } from './lookups.js';
import { TENANT_PLACEHOLDER } from './import-fields.js';

/** How the admin service fetches documents: the same limits as the rollover engine's refreshes. */
export interface DocumentFetchContext {
  readonly fetch: typeof globalThis.fetch | undefined;
  readonly now: () => Date;
  readonly allowHttp: boolean;
  readonly fetchTimeoutMs: number;
  readonly maxMetadataBytes: number | undefined;
}

/**
 * Fetches a document unconditionally under the engine's limits.
 *
 * @throws ClaimsgateError the fetcher's `CG_META_*` codes.
 */
export async function fetchDocument(context: DocumentFetchContext, url: string): Promise<MetadataFetched> {
  const result = await fetchMetadata(url, {
    timeoutMs: context.fetchTimeoutMs,
    maxBytes: context.maxMetadataBytes ?? DEFAULT_METADATA_MAX_BYTES,
    allowHttp: context.allowHttp,
    now: context.now,
    ...(context.fetch === undefined ? {} : { fetch: context.fetch }),
  });
  if (result.status !== 'ok') throw new TypeError('an unconditional request cannot answer 304');
  return result;
}

/** A metadata document as an import would make it an issuer's trust. */
export interface ImportDocument {
  /** The URL asked for. */
  readonly metadataUrl: string;
  readonly fetchedAt: Date;
  /** SHA-256 of the document bytes, lowercase hex. */
  readonly sha256: string;
  readonly metadata: IssuerMetadata;
  /** Undefined for JSON documents, which cannot carry a signature. */
  readonly signature: MetadataSignatureReport | undefined;
  /** The issuer URI the import stores: the one asked for, else the document's. */
  readonly issuerUri: string;
  /** The signing keys that would be trusted: the document's, or for OIDC discovery those of its key set. */
  readonly signingKeys: readonly PublishedKey[];
  /** For OIDC discovery: the key set's URL and SHA-256. */
  readonly keySet: { readonly url: string; readonly sha256: string } | undefined;
  /**
   * The responses as a refresh would have received them: what the first
   * refresh of a new issuer is planned from (`RolloverEngine.addIssuer`), so
   * that the keys stored are those of the document reviewed.
   */
  readonly attempt: RefreshAttempt;
}

/** What the document is checked against. */
export interface ImportTarget {
  /** The issuer URI to select the entity by and to check the document against; undefined to take the document's. */
  readonly issuerUri: string | undefined;
  /** The policy the issuer is (or will be) refreshed under. */
  readonly signaturePolicy: MetadataSignaturePolicy;
}

function toError(refusal: RefreshError): ClaimsgateError {
  return refusal instanceof ClaimsgateError
    ? refusal
    : new ClaimsgateError('CG_META_FORMAT_UNKNOWN', refusal.message, { detail: { observed: refusal.code } });
}

/**
 * Fetches, parses and checks a metadata document exactly as a refresh of
 * the target issuer would: the document's own signature under the issuer's
 * policy, the entity it describes, its `validUntil`, and at least one
 * signing key; an OpenID Connect discovery document is followed to its key
 * set (only once the discovery document itself passed). Stores nothing.
 *
 * @throws ClaimsgateError the fetcher's and parsers' `CG_META_*` codes;
 *   `CG_META_SIGNATURE_INVALID` / `_MISSING` / `CG_META_SIGNER_NOT_PINNED`,
 *   `CG_META_ENTITY_NOT_FOUND`, `CG_META_EXPIRED`, `CG_META_NO_SIGNING_KEYS`;
 *   `CG_ADMIN_INPUT_INVALID` when the document names no issuer and none was given.
 */
export async function loadImportDocument(
  context: DocumentFetchContext,
  metadataUrl: string,
  target: ImportTarget,
): Promise<ImportDocument> {
  const maxBytes = context.maxMetadataBytes ?? DEFAULT_METADATA_MAX_BYTES;
  const fetched = await fetchDocument(context, metadataUrl);
  // The configured entityID selects the entity of an aggregate, as the refresh does; a template is compared later.
  const entityId =
    target.issuerUri === undefined || TENANT_PLACEHOLDER.test(target.issuerUri)
      ? undefined
      : target.issuerUri;
  const parsed = parseMetadata(fetched.body, { maxBytes, ...(entityId === undefined ? {} : { entityId }) });
  const { metadata } = parsed;
  const signature = parsed.xml === undefined ? undefined : checkMetadataSignature(parsed.xml.root, metadata);
  const issuerUri = target.issuerUri ?? metadata.issuer;
  if (issuerUri === undefined) {
    throw adminInputError(
      'issuerUri',
      `The metadata at ${fetched.url} names no issuer (a bare JWKS): give the issuer URI its tokens carry.`,
      { url: fetched.url },
    );
  }
  const issuer = { issuerUri, signaturePolicy: target.signaturePolicy };
  // SECURITY: the same checks a refresh applies before a document becomes trust, in the same order:
  // the signature under the issuer's policy first, then the entity it names, then validUntil.
  const refusal = refuseDocument(
    issuer,
    metadata,
    signature ?? { status: 'unsigned' },
    fetched.url,
    context.now(),
  );
  if (refusal !== undefined) throw toError(refusal);
  if (metadata.format !== 'oidc-discovery') {
    if (metadata.signingKeys.length === 0) throw noSigningKeys(issuer, fetched.url);
    return {
      metadataUrl,
      fetchedAt: fetched.fetchedAt,
      sha256: parsed.rawSha256,
      metadata,
      signature,
      issuerUri,
      signingKeys: metadata.signingKeys,
      keySet: undefined,
      attempt: {
        status: 'fetched',
        response: fetched,
        parsed: { metadata, signature: signature ?? { status: 'unsigned' } },
      },
    };
  }
  const jwksUri = metadata.endpoints.find((endpoint) => endpoint.kind === 'oidc-jwks')?.url;
  if (jwksUri === undefined)
    throw noSigningKeys(issuer, fetched.url, 'the discovery document has no jwks_uri');
  // SECURITY: fetchMetadata applies the transport rule (https unless loopback or allowHttp) to the jwks_uri too.
  checkLinkedUrl(jwksUri, new URL(fetched.url), context.allowHttp);
  const keySetFetched = await fetchDocument(context, jwksUri);
  const keySet = parseMetadata(keySetFetched.body, { maxBytes });
  const keySetRefusal = refuseKeySet(issuer, keySet.metadata, keySetFetched.url);
  if (keySetRefusal !== undefined) throw toError(keySetRefusal);
  return {
    metadataUrl,
    fetchedAt: fetched.fetchedAt,
    sha256: parsed.rawSha256,
    metadata,
    signature,
    issuerUri,
    signingKeys: keySet.metadata.signingKeys,
    keySet: { url: jwksUri, sha256: keySet.rawSha256 },
    attempt: {
      status: 'fetched',
      response: fetched,
      parsed: { metadata, signature: signature ?? { status: 'unsigned' } },
      keySet: {
        status: 'fetched',
        response: keySetFetched,
        parsed: { metadata: keySet.metadata, signature: { status: 'unsigned' } },
      },
    },
  };
}
