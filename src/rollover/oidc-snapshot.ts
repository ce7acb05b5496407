import { createHash } from 'node:crypto';
import type { MetadataSnapshotRecord } from '../store/model.js';

/** The `format` member that marks a last-known-good document as an OpenID Connect pair. */
export const OIDC_SNAPSHOT_FORMAT = 'claimsgate.oidc-discovery+jwks/1';

/** One document of the pair, as fetched, with the validators for its next conditional GET. */
export interface StoredDocument {
  /** The URL it was requested from (the configured URL, or the discovery document's `jwks_uri`). */
  readonly url: string;
  readonly etag: string | null;
  readonly lastModified: string | null;
  /** SHA-256 of the bytes received, lowercase hex. */
  readonly sha256: string;
  /** The bytes received, as UTF-8 text (both documents are JSON, which is UTF-8). */
  readonly body: string;
}

/**
 * The last-known-good of an OpenID Connect issuer: its discovery document
 * and the key set its `jwks_uri` names. Stored as one JSON document in the
 * issuer's metadata snapshot, since trust comes from the two together.
 */
export interface OidcSnapshot {
  readonly discovery: StoredDocument;
  readonly keySet: StoredDocument;
}

/**
 * Encodes the pair for the store. `sha256` identifies the pair's content
 * (both URLs and both documents' digests), not the encoding: a new ETag for
 * the same bytes is not a new document.
 */
export function encodeOidcSnapshot(snapshot: OidcSnapshot): { document: Buffer; sha256: string } {
  const part = (document: StoredDocument) => ({
    url: document.url,
    etag: document.etag,
    lastModified: document.lastModified,
    sha256: document.sha256,
    body: document.body,
  });
  const document = Buffer.from(
    JSON.stringify({
      format: OIDC_SNAPSHOT_FORMAT,
      discovery: part(snapshot.discovery),
      keySet: part(snapshot.keySet),
    }),
  );
  const identity = [
    snapshot.discovery.url,
    snapshot.discovery.sha256,
    snapshot.keySet.url,
    snapshot.keySet.sha256,
  ];
  return { document, sha256: createHash('sha256').update(JSON.stringify(identity)).digest('hex') };
}

/** The pair in a stored snapshot, or undefined when the snapshot holds another kind of document. */
export function readOidcSnapshot(snapshot: MetadataSnapshotRecord | undefined): OidcSnapshot | undefined {
  // A JSON object starts with `{`; XML metadata and a bare JWKS are never taken for a pair.
  if (snapshot === undefined || snapshot.document[0] !== 0x7b) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(snapshot.document.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(json) || json['format'] !== OIDC_SNAPSHOT_FORMAT) return undefined;
  const discovery = storedDocument(json['discovery']);
  const keySet = storedDocument(json['keySet']);
  return discovery === undefined || keySet === undefined ? undefined : { discovery, keySet };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function storedDocument(value: unknown): StoredDocument | undefined {
  if (!isRecord(value)) return undefined;
  const { url, etag, lastModified, sha256, body } = value;
  const optional = (member: unknown): member is string | null =>
    member === null || typeof member === 'string';
  if (typeof url !== 'string' || typeof sha256 !== 'string' || typeof body !== 'string') return undefined;
  if (!optional(etag) || !optional(lastModified)) return undefined;
  return { url, etag, lastModified, sha256, body };
}
