/**
 * Which request paths belong to the gateway itself in gateway mode, and where
 * a proxied request goes on the upstream.
 */

/** Paths the gateway owns exactly (never proxied). */
const OWNED_EXACT: ReadonlySet<string> = new Set(['/signout', '/healthz', '/readyz', '/metrics']);

/** Path segments the gateway owns with everything below them: `/signin`, `/signin/…`. */
const OWNED_TREES: readonly string[] = ['/signin', '/saml2', '/admin'];

/** The path of a request target (`/a/b?x=1` → `/a/b`), percent-decoded where it decodes. */
export function requestPathOf(requestUrl: string): string {
  const query = requestUrl.search(/[?#]/);
  const path = query === -1 ? requestUrl : requestUrl.slice(0, query);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * True when `path` (already without its query) is one of the gateway's own:
 * `/signin`, `/saml2` and `/admin` with everything below them, and
 * `/signout`, `/healthz`, `/readyz`, `/metrics`. Matching is by whole path
 * segment, so an application's `/signing-keys` or `/administration` is
 * proxied. Paths are compared percent-decoded, as the router matches them.
 */
export function isGatewayPath(path: string): boolean {
  if (OWNED_EXACT.has(path)) return true;
  return OWNED_TREES.some((tree) => path === tree || path.startsWith(`${tree}/`));
}

/**
 * True when the path of `requestUrl` (the query aside) has a `.` or `..`
 * segment, also when its dots or separators are percent-encoded (`%2e`,
 * `%2f`, `%5c`, any case) and with `\` read as `/`.
 *
 * SECURITY: the upstream (or a proxy before it) resolves dot segments, so
 * with `gateway.upstream` at `http://h/app` the target `/app/../internal`
 * would reach outside the application's path (path traversal, RFC 3986
 * §5.2.4); such requests are refused, never normalised.
 */
export function hasDotSegment(requestUrl: string): boolean {
  const query = requestUrl.search(/[?#]/);
  const path = query === -1 ? requestUrl : requestUrl.slice(0, query);
  const decoded = path.replace(/%2e/gi, '.').replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  return decoded.split(/[/\\]/).some((segment) => segment === '.' || segment === '..');
}

/**
 * The request target to send to the upstream: the upstream URL's own path
 * (when it has one) followed by the client's path and query, unchanged.
 *
 * @throws TypeError when `requestUrl` is not in origin form (`/…`): absolute
 *   or asterisk-form targets are never forwarded; and when it has a dot
 *   segment (see {@link hasDotSegment}: callers refuse those first).
 */
export function upstreamRequestTarget(upstreamBasePath: string, requestUrl: string): string {
  if (!requestUrl.startsWith('/')) throw new TypeError('Only origin-form request targets are proxied.');
  if (hasDotSegment(requestUrl)) throw new TypeError('Request targets with dot segments are never proxied.');
  const base = upstreamBasePath.replace(/\/+$/, '');
  return `${base}${requestUrl}`;
}
