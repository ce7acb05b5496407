/** The longest return URL kept; a longer one is replaced by `/`. */
const MAX_RETURN_URL_LENGTH = 2048;

/** True for C0 controls, space, DEL and backslash: none belongs in a return URL we send back out. */
function hasUnsafeCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code <= 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}

/**
 * `path` with every character outside ASCII percent-encoded as UTF-8
 * (`/€` → `/%E2%82%AC`), or undefined when it holds a lone surrogate.
 * A Location header carries bytes, not characters: Node refuses one above
 * U+00FF, and bytes U+0080–U+00FF would be read as Latin-1 by browsers.
 */
function encodeNonAscii(path: string): string | undefined {
  try {
    return path.replace(/[\u0080-\uffff]+/g, (run) => encodeURIComponent(run));
  } catch {
    return undefined;
  }
}

/**
 * The return URL to send the user to after sign-in: `value` when it is a
 * path on this site (`/…`, not `//…`) or an absolute http(s) URL whose origin
 * is in `allowedOrigins`; `/` for anything else. Characters outside
 * ASCII in a path are percent-encoded, so the URL always fits in a Location
 * header.
 *
 * SECURITY: prevents open redirects. Protocol-relative URLs (`//evil.com`),
 * other schemes (`javascript:`), backslashes that browsers read as slashes
 * (`/\evil.com`), control characters and whitespace browsers strip
 * (`/\t/evil.com`), and URLs with credentials are all replaced by `/`.
 */
export function safeReturnUrl(value: unknown, allowedOrigins: readonly string[]): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RETURN_URL_LENGTH) return '/';
  if (hasUnsafeCharacter(value)) return '/';
  if (value.startsWith('/')) return value.startsWith('//') ? '/' : (encodeNonAscii(value) ?? '/');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '/';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return '/';
  if (url.username !== '' || url.password !== '') return '/';
  return allowedOrigins.includes(url.origin) ? url.href : '/';
}
