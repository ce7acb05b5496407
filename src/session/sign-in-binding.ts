import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';
import { serializeOwnCookie, type OwnCookie } from './set-cookie.js';

/** The binding cookie's name over plain http. */
export const SIGN_IN_BINDING_COOKIE = 'claimsgate_signin';

/** The binding cookie's name when cookies are secure (https): the browser keeps it only when set over https. */
export const SECURE_SIGN_IN_BINDING_COOKIE = '__Secure-claimsgate_signin';

/** The binding cookie is sent to the sign-in routes only: `/signin` and its callbacks below it. */
export const SIGN_IN_BINDING_PATH = '/signin';

/** A fresh binding: the value for the browser's cookie and its digest for the sealed sign-in state. */
export interface SignInBinding {
  /** 128 random bits, base64url (22 characters). Goes to the browser only, in the cookie. */
  readonly value: string;
  /** base64url of SHA-256(value). Sealed into the sign-in state. */
  readonly digest: string;
}

/** Whether the binding cookie is set for https (`Secure`, `SameSite=None`) or plain http (`SameSite=Lax`). */
export interface SignInBindingCookieOptions {
  readonly secure: boolean;
}

const BINDING_VALUE = /^[A-Za-z0-9_-]{22}$/;

/** The digest sealed into sign-in state for a binding value: base64url(SHA-256(value)). */
export function signInBindingDigest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/**
 * Makes a new browser binding for one sign-in: a random 128-bit value for a
 * cookie, and its SHA-256 digest to seal into the sign-in state.
 */
export function createSignInBinding(): SignInBinding {
  const value = randomBytes(16).toString('base64url');
  return { value, digest: signInBindingDigest(value) };
}

/** The binding cookie's name: `__Secure-claimsgate_signin` when secure, else `claimsgate_signin`. */
export function signInBindingCookieName(options: SignInBindingCookieOptions): string {
  return options.secure ? SECURE_SIGN_IN_BINDING_COOKIE : SIGN_IN_BINDING_COOKIE;
}

/**
 * The binding cookie to set: `name=value; Max-Age=…; Path=/signin; HttpOnly`
 * and, when secure, `Secure; SameSite=None`, else `SameSite=Lax`. A
 * `maxAgeSeconds` of 0 with an empty value deletes it.
 *
 * SameSite: the identity provider posts the answer back cross-site (SAML
 * POST binding, WS-Federation, OIDC form_post), which a `Lax` cookie does
 * not ride on; `None` is the only value that does, and browsers accept it
 * only with `Secure`. Over plain http (development) the cookie is `Lax`,
 * which works when the identity provider is on the same site (e.g.
 * 127.0.0.1). The cookie holds no secret worth stealing across sites: it only
 * proves that the browser posting the answer started the sign-in.
 *
 * @throws TypeError when the value is not a binding value (22 base64url
 *   characters; empty allowed only to delete) or Max-Age is not a whole number, 0 or more.
 * @see RFC 6265bis §4.1.2.7 (SameSite); OWIN/Katana correlation cookie
 */
export function signInBindingCookie(
  value: string,
  maxAgeSeconds: number,
  options: SignInBindingCookieOptions,
): OwnCookie {
  if (!(BINDING_VALUE.test(value) || (value === '' && maxAgeSeconds === 0))) {
    throw new TypeError('The sign-in binding cookie value must be 22 base64url characters.');
  }
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new TypeError(
      'The Max-Age of the sign-in binding cookie must be a whole number of seconds, 0 or more.',
    );
  }
  return {
    name: signInBindingCookieName(options),
    value,
    attributes: {
      httpOnly: true,
      secure: options.secure,
      sameSite: options.secure ? 'None' : 'Lax',
      path: SIGN_IN_BINDING_PATH,
      maxAge: maxAgeSeconds,
    },
  };
}

/**
 * The binding cookie (`signInBindingCookie`) as one `Set-Cookie` header value.
 *
 * @throws TypeError as `signInBindingCookie`.
 */
export function serializeSignInBindingCookie(
  value: string,
  maxAgeSeconds: number,
  options: SignInBindingCookieOptions,
): string {
  return serializeOwnCookie(signInBindingCookie(value, maxAgeSeconds, options));
}

/**
 * Checks the binding cookie the callback's browser sent against the digest
 * sealed in the sign-in state it posted.
 *
 * SECURITY: sealed, single-use state does not stop login CSRF: an attacker
 * finishes a sign-in as themselves at the identity provider, keeps the posted
 * form and makes a victim's browser post it, signing the victim in as the
 * attacker. The state is bound to the browser that started the sign-in by a
 * random value that only that browser holds (in an HttpOnly cookie); the
 * digests are compared in constant time.
 *
 * @throws ClaimsgateError CG_SESSION_BINDING_MISMATCH when the cookie is
 *   missing, malformed or another sign-in's.
 */
export function checkSignInBinding(cookieValue: string | undefined, sealedDigest: string): void {
  const present = cookieValue !== undefined && BINDING_VALUE.test(cookieValue);
  const observed = Buffer.from(signInBindingDigest(present ? cookieValue : ''), 'utf8');
  const expected = Buffer.from(sealedDigest, 'utf8');
  if (present && observed.length === expected.length && timingSafeEqual(observed, expected)) return;
  throw new ClaimsgateError(
    'CG_SESSION_BINDING_MISMATCH',
    present
      ? 'This sign-in answer belongs to a sign-in started in another browser or tab.'
      : 'This browser holds no sign-in binding cookie, so the sign-in answer cannot be tied to a sign-in it started.',
    {
      detail: {
        observed: present
          ? 'a binding cookie of another sign-in'
          : cookieValue === undefined
            ? 'no binding cookie'
            : 'a malformed binding cookie',
        expected: 'the binding cookie set when this sign-in started',
      },
    },
  );
}
