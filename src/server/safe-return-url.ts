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
 * The return URL to send the user to after sign-in: `value` when it is a
 * path on this site (`/…`, not `//…`) or an absolute http(s) URL whose origin
 * is in `allowedOrigins`; `/` for anything else.
 *
 * SECURITY: prevents open redirects. Protocol-relative URLs (`//evil.com`),
 * other schemes (`javascript:`), backslashes that browsers read as slashes
 * (`/\evil.com`), control characters and whitespace browsers strip
 * (`/\t/evil.com`), and URLs with credentials are all replaced by `/`.
 */
export function safeReturnUrl(value: unknown, allowedOrigins: readonly string[]): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RETURN_URL_LENGTH) return '/';
  if (hasUnsafeCharacter(value)) return '/';
  if (value.startsWith('/')) return value.startsWith('//') ? '/' : value;
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
