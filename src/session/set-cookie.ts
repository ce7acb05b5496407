import { fastifyCookie, type SerializeOptions } from '@fastify/cookie';

/** SameSite as claimsgate's cookies use it. */
export type SameSite = 'Lax' | 'Strict' | 'None';

/**
 * The attributes any cookie of claimsgate's carries: HttpOnly always, a
 * path, a Max-Age, Secure behind https, and a SameSite. `None` needs
 * `Secure` (browsers refuse it otherwise).
 */
export interface OwnCookieAttributes {
  /** Always true: scripts in the page cannot read the cookie. */
  readonly httpOnly: true;
  readonly sameSite: SameSite;
  /** True behind https: the browser sends the cookie over https only. */
  readonly secure: boolean;
  readonly path: string;
  /** Seconds until the browser drops the cookie; 0 deletes it. */
  readonly maxAge: number;
}

/** Any cookie of claimsgate's, before serialisation: the session, the sign-in binding, the admin login token. */
export interface OwnCookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: OwnCookieAttributes;
}

/** The attributes of session cookies: SameSite=Lax. */
export interface CookieAttributes extends OwnCookieAttributes {
  readonly sameSite: 'Lax';
}

/** A session cookie to set, before serialisation. */
export interface Cookie extends OwnCookie {
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

const SAME_SITE: Readonly<Record<SameSite, 'lax' | 'strict' | 'none'>> = {
  Lax: 'lax',
  Strict: 'strict',
  None: 'none',
};

/**
 * A cookie checked and turned into what `@fastify/cookie` takes (its
 * `reply.setCookie(name, value, options)`, or `serialize` with the same
 * arguments), so that every Set-Cookie line of claimsgate's is written by
 * one serialiser: `name=value; Max-Age=…; Path=…; HttpOnly[; Secure];
 * SameSite=…`. The value goes out as it is (it is checked, not encoded).
 *
 * @throws TypeError when the name is not a token, the value holds characters
 *   outside cookie-octets, the path is not a clean absolute path, Max-Age is
 *   not a whole number of seconds, 0 or more, the cookie is not HttpOnly, or
 *   it is SameSite=None without Secure.
 * @see RFC 6265 §4.1 (Set-Cookie); RFC 6265bis §4.1.2.7 (SameSite)
 */
export function cookieParts(cookie: OwnCookie): {
  readonly name: string;
  readonly value: string;
  readonly options: SerializeOptions;
} {
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
  const sameSite = Object.hasOwn(SAME_SITE, attributes.sameSite) ? SAME_SITE[attributes.sameSite] : undefined;
  if (attributes.httpOnly !== true || sameSite === undefined) {
    throw new TypeError(`Cookie ${name} must be HttpOnly with SameSite Lax, Strict or None.`);
  }
  if (sameSite === 'none' && attributes.secure !== true) {
    throw new TypeError(`Cookie ${name} is SameSite=None, which browsers take only with Secure.`);
  }
  return {
    name,
    value: cookie.value,
    options: {
      maxAge: attributes.maxAge,
      path,
      httpOnly: true,
      secure: attributes.secure === true,
      sameSite,
      // Checked above; the value goes out byte for byte (sealed values are base64url already).
      encode: (value: string) => value,
    },
  };
}

/**
 * Serialises any cookie of claimsgate's as the value of one `Set-Cookie`
 * header (see `cookieParts`), for answers that are no Fastify reply (a
 * refused WebSocket upgrade).
 *
 * @throws TypeError as `cookieParts`.
 */
export function serializeOwnCookie(cookie: OwnCookie): string {
  const { name, value, options } = cookieParts(cookie);
  return fastifyCookie.serialize(name, value, options);
}

/**
 * Serialises a session cookie as the value of one `Set-Cookie` header:
 * `name=value; Max-Age=…; Path=…; HttpOnly[; Secure]; SameSite=Lax`.
 *
 * @throws TypeError as `cookieParts`, and for a cookie that is not SameSite=Lax.
 * @see RFC 6265 §4.1 (Set-Cookie)
 */
export function serializeSetCookie(cookie: Cookie): string {
  if (cookie.attributes.sameSite !== 'Lax') {
    throw new TypeError(`Cookie ${String(cookie.name)} must be HttpOnly and SameSite=Lax.`);
  }
  return serializeOwnCookie(cookie);
}
