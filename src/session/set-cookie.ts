/** The attributes claimsgate sets on its cookies. */
export interface CookieAttributes {
  /** Always true: scripts in the page cannot read the cookie. */
  readonly httpOnly: true;
  readonly sameSite: 'Lax';
  /** True behind https: the browser sends the cookie over https only. */
  readonly secure: boolean;
  readonly path: string;
  /** Seconds until the browser drops the cookie; 0 deletes it. */
  readonly maxAge: number;
}

/** A cookie to set, before serialisation. */
export interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: CookieAttributes;
}

// RFC 6265 §4.1.1: cookie-name is an RFC 2616 token; cookie-value is
// cookie-octets (no CTLs, whitespace, DQUOTE, comma, semicolon or backslash).
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
// path-value: any CHAR except CTLs or ";"; we also require an absolute path.
const COOKIE_PATH = /^\/[\x20-\x3A\x3C-\x7E]*$/;

/** Checks a cookie name: an RFC 6265 token. @throws TypeError */
export function checkCookieName(name: unknown): string {
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw new TypeError(`The cookie name ${JSON.stringify(name)} is not an RFC 6265 token.`);
  }
  return name;
}

/** Checks a cookie path: absolute, printable, no semicolon. @throws TypeError */
export function checkCookiePath(path: unknown): string {
  if (typeof path !== 'string' || !COOKIE_PATH.test(path)) {
    throw new TypeError(
      `The cookie path ${JSON.stringify(path)} must start with / and hold no control characters or semicolons.`,
    );
  }
  return path;
}

/**
 * Serialises a cookie as the value of one `Set-Cookie` header:
 * `name=value; Max-Age=…; Path=…; HttpOnly[; Secure]; SameSite=Lax`.
 *
 * @throws TypeError when the name is not a token, the value holds characters
 *   outside cookie-octets, the path is not a clean absolute path, or Max-Age is
 *   not a whole number of seconds, 0 or more.
 * @see RFC 6265 §4.1 (Set-Cookie)
 */
export function serializeSetCookie(cookie: Cookie): string {
  const name = checkCookieName(cookie.name);
  // SECURITY: a semicolon, comma, space or line break in the value would
  // inject attributes or split the header.
  if (typeof cookie.value !== 'string' || !COOKIE_VALUE.test(cookie.value)) {
    throw new TypeError(`The value of cookie ${name} holds characters a cookie value cannot.`);
  }
  const { attributes } = cookie;
  const path = checkCookiePath(attributes.path);
  if (!Number.isSafeInteger(attributes.maxAge) || attributes.maxAge < 0) {
    throw new TypeError(`The Max-Age of cookie ${name} must be a whole number of seconds, 0 or more.`);
  }
  if (attributes.httpOnly !== true || attributes.sameSite !== 'Lax') {
    throw new TypeError(`Cookie ${name} must be HttpOnly and SameSite=Lax.`);
  }
  const parts = [`${name}=${cookie.value}`, `Max-Age=${attributes.maxAge}`, `Path=${path}`, 'HttpOnly'];
  if (attributes.secure) parts.push('Secure');
  parts.push('SameSite=Lax');
  return parts.join('; ');
}
