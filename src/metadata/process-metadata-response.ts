import { createHash } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';

/** The default size limit of a metadata document: 5 MiB. */
export const DEFAULT_METADATA_MAX_BYTES = 5 * 1024 * 1024;

/** A metadata document that was fetched whole. */
export interface MetadataFetched {
  readonly status: 'ok';
  /** The bytes as received (after any Content-Encoding was decoded); parsing is the caller's next step. */
  readonly body: Buffer;
  /** The URL the document was finally read from, after redirects. */
  readonly url: string;
  readonly httpStatus: 200;
  /** The ETag to send as If-None-Match next time, when the server gave one. */
  readonly etag?: string;
  /** The Last-Modified to send as If-Modified-Since next time, when the server gave one. */
  readonly lastModified?: string;
  readonly contentType?: string;
  /** SHA-256 of `body`, lowercase hex. */
  readonly sha256: string;
  readonly fetchedAt: Date;
  /** Every URL that answered with a redirect, in order, starting with the requested one; empty without redirects. */
  readonly redirects: readonly string[];
}

/** The server confirmed that the copy named by the validators that were sent is still current. */
export interface MetadataNotModified {
  readonly status: 'not-modified';
  readonly url: string;
  readonly httpStatus: 304;
  /** The 304's own ETag, else the one that was sent: the validator to keep. */
  readonly etag?: string;
  /** The 304's own Last-Modified, else the one that was sent. */
  readonly lastModified?: string;
  readonly fetchedAt: Date;
  readonly redirects: readonly string[];
}

/** What fetching a metadata document produced. */
export type FetchMetadataResult = MetadataFetched | MetadataNotModified;

/** What {@link processMetadataResponse} needs to know about the request that produced the response. */
export interface MetadataResponseContext {
  /** The URL the response came from (the final one after redirects); reported in results and errors. */
  readonly url: string;
  /** The redirect chain that led to `url`; default none. */
  readonly redirects?: readonly string[];
  /** Stop reading and fail past this many body bytes; default 5 MiB. */
  readonly maxBytes?: number;
  /** The If-None-Match value sent, if any. A 304 is accepted only when a validator was sent. */
  readonly etag?: string;
  /** The If-Modified-Since value sent, if any. */
  readonly lastModified?: string;
  /** Aborts reading the body; the read then rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** The clock for `fetchedAt`; default the system clock. */
  readonly now?: () => Date;
}

/**
 * Turns an HTTP response for a metadata document into a result: checks the
 * status, reads the body incrementally up to the size limit, and extracts
 * the cache validators. Needs no network: any `Response` will do.
 *
 * @throws ClaimsgateError `CG_META_HTTP_STATUS` for a status other than 200 (or 304 after a conditional request);
 *   `CG_META_TOO_LARGE` when Content-Length or the bytes read exceed `maxBytes`;
 *   `CG_META_FETCH_FAILED` when the body stream breaks (connection reset or truncated).
 * @throws `context.signal.reason` when the signal aborts while the body is read.
 * @see RFC 9110 §13.1.2 (If-None-Match), §13.1.3 (If-Modified-Since), §15.4.5 (304 Not Modified)
 */
export async function processMetadataResponse(
  response: Response,
  context: MetadataResponseContext,
): Promise<FetchMetadataResult> {
  const { url } = context;
  const maxBytes = checkMaxBytes(context.maxBytes ?? DEFAULT_METADATA_MAX_BYTES);
  const redirects = [...(context.redirects ?? [])];
  const now = context.now ?? (() => new Date());
  const conditional = context.etag !== undefined || context.lastModified !== undefined;
  const etag = header(response, 'etag');
  const lastModified = header(response, 'last-modified');

  if (response.status === 304 && conditional) {
    await discardBody(response);
    const keptEtag = etag ?? context.etag;
    const keptLastModified = lastModified ?? context.lastModified;
    return {
      status: 'not-modified',
      url,
      httpStatus: 304,
      ...(keptEtag === undefined ? {} : { etag: keptEtag }),
      ...(keptLastModified === undefined ? {} : { lastModified: keptLastModified }),
      fetchedAt: now(),
      redirects,
    };
  }
  if (response.status !== 200) {
    // SECURITY: the body of an error page is not read or echoed: it is
    // attacker-controlled text that would otherwise reach logs and admin pages.
    await discardBody(response);
    throw new ClaimsgateError(
      'CG_META_HTTP_STATUS',
      `The metadata server at ${url} answered ${response.status} ${response.statusText}`.trimEnd() +
        `; expected 200${conditional ? ' or 304' : ''}.`,
      {
        detail: {
          url,
          observed: response.status,
          expected: conditional ? [200, 304] : 200,
          statusText: response.statusText,
        },
      },
    );
  }

  const contentLength = declaredLength(response);
  if (contentLength !== undefined && contentLength > maxBytes) {
    await discardBody(response);
    throw tooLarge(url, maxBytes, 0, contentLength);
  }
  const body = await readBodyCapped(response, url, maxBytes, context.signal);
  const contentType = header(response, 'content-type');
  return {
    status: 'ok',
    body,
    url,
    httpStatus: 200,
    ...(etag === undefined ? {} : { etag }),
    ...(lastModified === undefined ? {} : { lastModified }),
    ...(contentType === undefined ? {} : { contentType }),
    sha256: createHash('sha256').update(body).digest('hex'),
    fetchedAt: now(),
    redirects,
  };
}

/** Returns `value` when it is a usable size limit (a positive safe integer); otherwise throws a TypeError. */
export function checkMaxBytes(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`maxBytes must be a positive integer number of bytes; got ${String(value)}.`);
  }
  return value;
}

/** Cancels a body that will not be read, so the connection is released. */
export async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The stream is already broken or closed: nothing is left to release.
  }
}

function header(response: Response, name: string): string | undefined {
  return response.headers.get(name) ?? undefined;
}

/**
 * The Content-Length to trust for an early refusal, or undefined. With a
 * Content-Encoding the header counts encoded bytes, which say nothing firm
 * about the decoded size the limit applies to, so it is ignored then.
 */
function declaredLength(response: Response): number | undefined {
  const encoding = header(response, 'content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const value = header(response, 'content-length');
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * Reads the body chunk by chunk and stops as soon as the total passes the
 * limit. SECURITY: memory stays bounded by the limit plus one chunk whatever
 * the server sends or claims (a lying Content-Length, an endless chunked
 * body, a decompression bomb).
 */
async function readBodyCapped(
  response: Response,
  url: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  // A fetch implementation that ignores the signal for the body would let a
  // stalled server hold the read forever; cancelling the reader ends it.
  const onAbort = (): void => {
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    signal?.throwIfAborted();
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        signal?.throwIfAborted();
        throw new ClaimsgateError(
          'CG_META_FETCH_FAILED',
          `The connection to ${url} broke after ${total} bytes of the metadata body.`,
          { detail: { url, bytesRead: total }, cause: error },
        );
      }
      // A cancel from onAbort ends the stream as if it were complete: a
      // truncated document must not pass for a whole one.
      signal?.throwIfAborted();
      if (next.done) break;
      total += next.value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, maxBytes, total, undefined);
      }
      chunks.push(next.value);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(
  url: string,
  limit: number,
  bytesRead: number,
  contentLength: number | undefined,
): ClaimsgateError {
  const observed =
    contentLength === undefined ? `more than ${limit} bytes` : `a Content-Length of ${contentLength} bytes`;
  return new ClaimsgateError(
    'CG_META_TOO_LARGE',
    `The metadata at ${url} sent ${observed}; the limit is ${limit} bytes. Reading was stopped.`,
    {
      detail: {
        url,
        limit,
        bytesRead,
        ...(contentLength === undefined ? {} : { contentLength }),
      },
    },
  );
}
