import { readFileSync } from 'node:fs';
import { ClaimsgateError } from '../lib/errors.js';
import { codedCause, createGuardedFetch, type GuardedFetch } from './guarded-fetch.js';
import { checkMetadataUrl, checkRedirectTarget } from './metadata-url.js';
import {
  checkMaxBytes,
  DEFAULT_METADATA_MAX_BYTES,
  discardBody,
  processMetadataResponse,
  type FetchMetadataResult,
} from './process-metadata-response.js';

/** The Accept header of a metadata request: federation metadata first, then JSON (discovery, JWKS). */
export const METADATA_ACCEPT =
  'application/samlmetadata+xml, application/xml, text/xml, application/json;q=0.9, */*;q=0.1';

const DEFAULT_TIMEOUT_MS = 10_000;
/** The most redirects ever followed, whatever the options say. */
const REDIRECT_LIMIT = 3;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Request headers that carry credentials and are dropped when a redirect leaves the first origin. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** Options of {@link fetchMetadata} and {@link prepareMetadataRequest}. */
export interface FetchMetadataOptions {
  /** Time allowed for the whole operation (every redirect hop, headers and body); default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Stop reading and fail past this many body bytes; default 5 MiB. */
  readonly maxBytes?: number;
  /** Accept plain http for hosts that are not loopback; default false (https only, http for loopback). */
  readonly allowHttp?: boolean;
  /** Redirects to follow, 0 to 3; default 3. */
  readonly maxRedirects?: number;
  /** ETag of the copy already held, sent as If-None-Match. */
  readonly etag?: string;
  /** Last-Modified of the copy already held, sent as If-Modified-Since. */
  readonly lastModified?: string;
  /**
   * The fetch to use; default a guarded fetch (see `createGuardedFetch`) that
   * connects only to public addresses, to loopback when the URL names it,
   * and to `privateHosts`. It is called with a `Request` whose `redirect` is
   * `manual`. A fetch given here is trusted with its own connections.
   */
  readonly fetch?: typeof globalThis.fetch;
  /** For the default fetch: host names, IPs or CIDR ranges that may be at private addresses. Default none. */
  readonly privateHosts?: readonly string[];
  /** Cancels the operation; the promise then rejects with `signal.reason` (not a ClaimsgateError). */
  readonly signal?: AbortSignal;
  /** Extra request headers. Authorization, Cookie and Proxy-Authorization are not sent after a redirect to another origin. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The clock for `fetchedAt`; default the system clock. */
  readonly now?: () => Date;
}

interface ResolvedOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly allowHttp: boolean;
  readonly maxRedirects: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly fetch: typeof globalThis.fetch | undefined;
  readonly privateHosts: readonly string[];
  readonly signal: AbortSignal | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly now: () => Date;
}

/**
 * Fetches an issuer's metadata document (WS-Federation / SAML metadata, OpenID
 * Connect discovery or a JWKS) and returns its bytes with the HTTP facts; it
 * does not parse them. https only unless the host is loopback or `allowHttp`
 * is set; redirects followed by hand, each hop checked again; one timeout
 * for the whole operation; the body read incrementally up to `maxBytes`.
 *
 * A caller's abort (`options.signal`) rejects with the signal's own reason,
 * not with a ClaimsgateError: cancelling is the caller's decision, not a
 * failure of the issuer, and must not count as one (alerts, failure streaks).
 *
 * @throws ClaimsgateError `CG_META_URL_INVALID` (not an absolute http(s) URL, or credentials in it),
 *   `CG_META_URL_INSECURE` (http to a non-loopback host without `allowHttp`; a redirect from https down to
 *   http for a non-loopback host), `CG_META_FETCH_FAILED` (connection refused, reset or truncated),
 *   `CG_META_FETCH_TIMEOUT`, `CG_META_HTTP_STATUS`, `CG_META_TOO_LARGE`, `CG_META_TOO_MANY_REDIRECTS`.
 *   Every detail has `url`.
 * @throws TypeError for a bad option (e.g. `maxRedirects` outside 0–3).
 * @see RFC 9110 §15.4 (redirection), §13.1 (conditional requests)
 */
export async function fetchMetadata(
  url: string | URL,
  options: FetchMetadataOptions = {},
): Promise<FetchMetadataResult> {
  const resolved = resolveOptions(options);
  const first = checkMetadataUrl(url, resolved.allowHttp);
  resolved.signal?.throwIfAborted();

  let current = first;
  // Without a fetch of the caller's, a guarded one of our own for this call (its pool closed at the end).
  const owned: GuardedFetch | undefined =
    resolved.fetch === undefined ? createGuardedFetch({ privateHosts: resolved.privateHosts }) : undefined;
  const fetchFunction = resolved.fetch ?? owned!.fetch;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(timeoutError(current, resolved.timeoutMs));
  }, resolved.timeoutMs);
  // The caller's signal is forwarded by a listener taken off at the end, not combined with
  // AbortSignal.any: the engine passes its own signal, alive as long as the process, and on
  // node 20 every AbortSignal.any over it left an entry on it that nothing removed — one per
  // fetch, for good (10,000 issuers: 10,000 more per refresh round).
  const forwardAbort = (): void => controller.abort(resolved.signal?.reason);
  resolved.signal?.addEventListener('abort', forwardAbort, { once: true });
  const signal = controller.signal;
  const redirects: string[] = [];
  try {
    for (;;) {
      const sameOrigin = current.origin === first.origin;
      const request = buildRequest(current, resolved, sameOrigin, signal);
      const response = await untilAborted(fetchFunction(request), signal);
      if (!REDIRECT_STATUSES.has(response.status)) {
        return await processMetadataResponse(response, {
          url: current.href,
          redirects,
          maxBytes: resolved.maxBytes,
          signal,
          now: resolved.now,
          ...(resolved.etag === undefined ? {} : { etag: resolved.etag }),
          ...(resolved.lastModified === undefined ? {} : { lastModified: resolved.lastModified }),
        });
      }
      await discardBody(response);
      if (redirects.length >= resolved.maxRedirects) {
        throw new ClaimsgateError(
          'CG_META_TOO_MANY_REDIRECTS',
          `The metadata URL redirected more than ${resolved.maxRedirects} times; the last hop was ${current.href}.`,
          {
            detail: {
              url: current.href,
              limit: resolved.maxRedirects,
              redirects: [...redirects, current.href],
            },
          },
        );
      }
      const location = response.headers.get('location');
      if (location === null) {
        throw new ClaimsgateError(
          'CG_META_HTTP_STATUS',
          `The metadata server at ${current.href} answered ${response.status} without a Location header.`,
          { detail: { url: current.href, observed: response.status, expected: 200, location: null } },
        );
      }
      const next = checkRedirectTarget(location, current, resolved.allowHttp);
      redirects.push(current.href);
      current = next;
    }
  } catch (error) {
    if (error instanceof ClaimsgateError) throw error;
    // SECURITY: an address refused at connect time (SSRF) is reported as such, not as a network failure.
    const refused = codedCause(error);
    if (refused !== undefined) throw refused;
    if (timedOut) throw timeoutError(current, resolved.timeoutMs, error);
    if (resolved.signal?.aborted === true) throw resolved.signal.reason;
    throw new ClaimsgateError(
      'CG_META_FETCH_FAILED',
      `The metadata at ${current.href} could not be fetched.`,
      {
        detail: { url: current.href, redirects },
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
    resolved.signal?.removeEventListener('abort', forwardAbort);
    if (owned !== undefined) await owned.close();
  }
}

/**
 * Checks a metadata URL and builds the request for it: GET, redirects
 * manual, Accept and User-Agent, If-None-Match / If-Modified-Since from
 * `etag` / `lastModified`, and the extra headers. Performs no I/O.
 *
 * @throws ClaimsgateError `CG_META_URL_INVALID`, `CG_META_URL_INSECURE` (see {@link fetchMetadata}).
 * @throws TypeError for a bad option.
 */
export function prepareMetadataRequest(url: string | URL, options: FetchMetadataOptions = {}): Request {
  const resolved = resolveOptions(options);
  return buildRequest(checkMetadataUrl(url, resolved.allowHttp), resolved, true, resolved.signal);
}

function buildRequest(
  url: URL,
  options: ResolvedOptions,
  sameOrigin: boolean,
  signal: AbortSignal | undefined,
): Request {
  const headers = new Headers({ accept: METADATA_ACCEPT, 'user-agent': userAgent() });
  for (const [name, value] of Object.entries(options.headers)) {
    // SECURITY: credentials meant for the configured host must not reach
    // another host that a redirect points at.
    if (!sameOrigin && CREDENTIAL_HEADERS.has(name.toLowerCase())) continue;
    headers.set(name, value);
  }
  if (options.etag !== undefined) headers.set('if-none-match', options.etag);
  if (options.lastModified !== undefined) headers.set('if-modified-since', options.lastModified);
  return new Request(url, { method: 'GET', headers, redirect: 'manual', ...(signal ? { signal } : {}) });
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts, whichever is first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function resolveOptions(options: FetchMetadataOptions): ResolvedOptions {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // setTimeout fires at once for anything above 2^31 − 1 ms.
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > 2 ** 31 - 1
  ) {
    throw new TypeError(
      `timeoutMs must be a positive integer number of milliseconds; got ${String(timeoutMs)}.`,
    );
  }
  const maxRedirects = options.maxRedirects ?? REDIRECT_LIMIT;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0 || maxRedirects > REDIRECT_LIMIT) {
    throw new TypeError(
      `maxRedirects must be an integer from 0 to ${REDIRECT_LIMIT}; got ${String(maxRedirects)}.`,
    );
  }
  const fetchFunction = options.fetch;
  if (fetchFunction !== undefined && typeof fetchFunction !== 'function')
    throw new TypeError('fetch must be a function.');
  const privateHosts = options.privateHosts ?? [];
  if (!Array.isArray(privateHosts) || !privateHosts.every((host) => typeof host === 'string'))
    throw new TypeError('privateHosts must be a list of strings.');
  const now = options.now ?? (() => new Date());
  if (typeof now !== 'function') throw new TypeError('now must be a function returning a Date.');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal.');
  }
  const headers = options.headers ?? {};
  try {
    new Headers(headers);
  } catch (error) {
    throw new TypeError('headers must be valid HTTP header names and values.', { cause: error });
  }
  return {
    timeoutMs,
    maxBytes: checkMaxBytes(options.maxBytes ?? DEFAULT_METADATA_MAX_BYTES),
    allowHttp: checkBoolean(options.allowHttp ?? false, 'allowHttp'),
    maxRedirects,
    etag: checkValidator(options.etag, 'etag'),
    lastModified: checkValidator(options.lastModified, 'lastModified'),
    fetch: fetchFunction,
    privateHosts,
    signal: options.signal,
    headers,
    now,
  };
}

function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean; got ${typeof value}.`);
  return value;
}

function checkValidator(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  // A header value: visible ASCII and inner spaces, never CR/LF (header injection).
  if (typeof value !== 'string' || !/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value)) {
    throw new TypeError(`${name} must be a non-empty header value of visible ASCII characters.`);
  }
  return value;
}

function timeoutError(url: URL, timeoutMs: number, cause?: unknown): ClaimsgateError {
  return new ClaimsgateError(
    'CG_META_FETCH_TIMEOUT',
    `The metadata at ${url.href} was not received completely within ${timeoutMs} ms.`,
    { detail: { url: url.href, timeoutMs }, ...(cause === undefined ? {} : { cause }) },
  );
}

let cachedUserAgent: string | undefined;

/**
 * `claimsgate/<version>`, the version read once from package.json. This file
 * sits two levels below the package root both as src/metadata/*.ts and as
 * dist/metadata/*.js; a JSON import would pull package.json out of rootDir.
 */
function userAgent(): string {
  if (cachedUserAgent === undefined) {
    let version: unknown;
    try {
      const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === 'claimsgate') version = manifest.version;
    } catch {
      // No readable manifest (an unusual bundling): the product name alone still identifies us.
    }
    cachedUserAgent = typeof version === 'string' ? `claimsgate/${version}` : 'claimsgate';
  }
  return cachedUserAgent;
}
