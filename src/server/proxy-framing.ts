import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { ClaimsgateError } from '../lib/errors.js';

/** Methods whose requests the gateway passes on only without a body (Fastify never reads one for them). */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'TRACE']);

/**
 * How the body of a request passed to the upstream is framed:
 * - `none`: no body; the upstream request is ended at once;
 * - `length`: `Content-Length` bytes, piped through;
 * - `chunked`: the client sent `Transfer-Encoding: chunked` (node:http has
 *   already decoded it); the body is chunked again towards the upstream.
 */
export type RequestFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' };

/** The coded error for a request the gateway refuses to pass on (400). */
export function requestInvalid(message: string, observed: string): ClaimsgateError {
  return new ClaimsgateError('CG_GATEWAY_REQUEST_INVALID', message, { detail: { observed } });
}

/** The values of a header as one comma-separated list, in lower case and trimmed. */
function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
}

/**
 * How the body of the client's request (as node:http parsed its headers)
 * must be framed towards the upstream.
 *
 * SECURITY: node:http's client sends a GET, HEAD, DELETE, OPTIONS or TRACE
 * body without Content-Length or chunked framing unless told; on a shared
 * keep-alive connection the upstream would read that body as a second
 * request with headers the client chose (an identity header included).
 * Every body is therefore framed explicitly, and a body on a method whose
 * body Fastify never reads is refused (RFC 9112 §6, §11.2).
 *
 * @throws ClaimsgateError `CG_GATEWAY_REQUEST_INVALID` for a body on GET,
 *   HEAD or TRACE, or a transfer coding other than `chunked` alone.
 */
export function requestFramingOf(method: string, headers: IncomingHttpHeaders): RequestFraming {
  const codings = listOf(headers['transfer-encoding']);
  const lengthHeader = headers['content-length'];
  const length = lengthHeader === undefined ? 0 : Number(lengthHeader);
  const hasBody = codings.length > 0 || length > 0;
  if (hasBody && BODYLESS_METHODS.has(method)) {
    throw requestInvalid(`A ${method} request must not have a body.`, `${method} with a body`);
  }
  if (codings.length > 0) {
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw requestInvalid(
        'Only the chunked transfer coding is passed on.',
        `Transfer-Encoding: ${codings.join(', ')}`,
      );
    }
    return { kind: 'chunked' };
  }
  // node:http refuses a Content-Length that is not a single non-negative integer before we get here.
  if (Number.isSafeInteger(length) && length > 0) return { kind: 'length', length };
  if (!Number.isSafeInteger(length) || length < 0) {
    throw requestInvalid('The Content-Length is not a length.', `Content-Length: ${String(lengthHeader)}`);
  }
  return { kind: 'none' };
}

/**
 * Sets the framing headers of the upstream request (`headers` is changed):
 * `Content-Length` for a sized body, `Transfer-Encoding: chunked` for a
 * chunked one, neither for none.
 */
export function applyRequestFraming(headers: OutgoingHttpHeaders, framing: RequestFraming): void {
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  if (framing.kind === 'length') headers['content-length'] = String(framing.length);
  else if (framing.kind === 'chunked') headers['transfer-encoding'] = 'chunked';
}
