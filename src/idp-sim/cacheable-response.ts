import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A document served with validators for conditional GET. */
export interface CacheableDocument {
  readonly body: string;
  readonly contentType: string;
  /** When the document's content last changed (the keys' last change). */
  readonly lastModified: Date;
}

/** A strong entity tag of `body`: a quoted, truncated SHA-256. */
export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

function matchesEntityTag(header: string, tag: string): boolean {
  // RFC 9110 §13.1.2: a list of tags, weak comparison, or `*`.
  return header
    .split(',')
    .map((candidate) => candidate.trim().replace(/^W\//, ''))
    .some((candidate) => candidate === '*' || candidate === tag);
}

/**
 * Sends a document with ETag and Last-Modified, or 304 Not Modified when the
 * request's If-None-Match (or, without it, If-Modified-Since) shows the
 * client already has it — what a relying party's metadata refresh relies on.
 *
 * @see RFC 9110 §13.1.2 (If-None-Match), §13.1.3 (If-Modified-Since), §15.4.5 (304)
 */
export function sendCacheable(
  request: FastifyRequest,
  reply: FastifyReply,
  document: CacheableDocument,
): FastifyReply {
  const tag = entityTag(document.body);
  const lastModified = new Date(Math.floor(document.lastModified.getTime() / 1000) * 1000);
  reply
    .header('etag', tag)
    .header('last-modified', lastModified.toUTCString())
    .header('cache-control', 'no-cache');
  const ifNoneMatch = request.headers['if-none-match'];
  const ifModifiedSince = request.headers['if-modified-since'];
  const notModified =
    ifNoneMatch !== undefined
      ? matchesEntityTag(ifNoneMatch, tag)
      : ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= lastModified.getTime();
  if (notModified) return reply.code(304).send();
  return reply.code(200).header('content-type', document.contentType).send(document.body);
}
