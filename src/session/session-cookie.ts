import { randomBytes, type KeyObject } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';
import { open, seal, type OpenedValue } from './seal.js';
import type { SealingKeyRing } from './sealing-keys.js';
import { checkCookieName, checkCookiePath, type Cookie } from './set-cookie.js';

/** A signed-in user's session, as carried in the session cookie. */
export interface Session {
  /**
   * A random ID for this session (128 bits, base64url), made at sign-in and
   * kept through renewals: what CSRF tokens are bound to.
   */
  readonly sid: string;
  /** The mapped identity, `label:name` (e.g. `K2AAD:bob@contoso.com`). */
  readonly user: string;
  /** The issuer that authenticated the user. */
  readonly issuer: string;
  /** The mapped claims: claim type → values. */
  readonly claims: Readonly<Record<string, readonly string[]>>;
  /**
   * Roles the gateway itself granted (`admin` for a local admin account);
   * never read from a token, so no issuer can assert one.
   */
  readonly roles: readonly string[];
  /** When the identity provider authenticated the user. */
  readonly authenticatedAt: Date;
  /** The absolute end of the session; renewal never goes past it. */
  readonly expiresAt: Date;
  /** The last time the session cookie was sealed (issued or renewed). */
  readonly lastSeenAt: Date;
}

/** What {@link SessionCookies.issue} needs to start a session. */
export interface NewSession {
  readonly user: string;
  readonly issuer: string;
  readonly claims: Readonly<Record<string, readonly string[]>>;
  /** Roles granted by the gateway itself (see {@link Session.roles}); default none. */
  readonly roles?: readonly string[];
  /** Default: now. */
  readonly authenticatedAt?: Date;
  /**
   * An earlier end the identity provider asked for (SAML
   * `SessionNotOnOrAfter`); the session ends at the earlier of this and
   * `authenticatedAt` + the absolute lifetime.
   */
  readonly expiresAt?: Date;
}

/** The result of reading a session cookie. */
export interface SessionRead {
  /** The session, with `lastSeenAt` updated when it was renewed. */
  readonly session: Session;
  /** Present when the cookie should be replaced (sliding renewal or key rotation): set it on the response. */
  readonly renew?: Cookie;
}

export interface SessionCookieOptions {
  readonly ring: SealingKeyRing;
  /** Default `claimsgate_session`. A `__Host-` name requires `secure` and path `/`. */
  readonly cookieName?: string;
  /** The longest a session lives after sign-in, whatever the activity. Default 8 hours. */
  readonly absoluteLifetimeSeconds?: number;
  /** A session unused this long ends. Default 1 hour. */
  readonly idleTimeoutSeconds?: number;
  /** A cookie sealed longer ago than this is re-sealed when read. Default 5 minutes. */
  readonly renewAfterSeconds?: number;
  /** True behind https: the cookie gets `Secure`. */
  readonly secure: boolean;
  /** Default `/`. */
  readonly path?: string;
  readonly now?: () => Date;
}

/** Issues, reads, renews and clears session cookies. */
export interface SessionCookies {
  /**
   * Seals a new session into a cookie.
   * @throws ClaimsgateError CG_SESSION_TOO_LARGE when the claims do not fit in a cookie.
   * @throws TypeError for a malformed session, or one that would already have ended.
   */
  issue(session: NewSession): Cookie;
  /**
   * Opens the session cookie's value, enforces the idle timeout and the
   * absolute lifetime, and renews the cookie when it is due.
   * @throws ClaimsgateError CG_SESSION_MALFORMED, CG_SESSION_KEY_UNKNOWN,
   *   CG_SESSION_INVALID or CG_SESSION_EXPIRED (see `open`).
   */
  read(cookieValue: unknown): SessionRead;
  /** A cookie that deletes the session cookie (empty, Max-Age=0, same attributes). */
  clear(): Cookie;
}

/** The session as sealed: short keys, times in epoch milliseconds. */
interface SealedSession {
  readonly sid: string;
  readonly u: string;
  readonly iss: string;
  readonly c: Readonly<Record<string, readonly string[]>>;
  readonly r?: readonly string[];
  readonly auth: number;
  readonly exp: number;
  readonly seen: number;
}

function positiveSeconds(name: string, value: unknown, fallback: number): number {
  const seconds = value ?? fallback;
  if (!Number.isSafeInteger(seconds) || (seconds as number) <= 0) {
    throw new TypeError(`${name} must be a positive whole number of seconds.`);
  }
  return seconds as number;
}

function isClaims(value: unknown): value is Record<string, readonly string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (values) => Array.isArray(values) && values.every((v) => typeof v === 'string'),
  );
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** The session inside an authenticated cookie; a shape we did not write is malformed. */
function readSealedSession(payload: unknown): Session {
  const sealed = payload as Partial<SealedSession> | null;
  if (
    typeof sealed !== 'object' ||
    sealed === null ||
    typeof sealed.sid !== 'string' ||
    typeof sealed.u !== 'string' ||
    typeof sealed.iss !== 'string' ||
    !isClaims(sealed.c) ||
    !(sealed.r === undefined || isStringList(sealed.r)) ||
    !Number.isSafeInteger(sealed.auth) ||
    !Number.isSafeInteger(sealed.exp) ||
    !Number.isSafeInteger(sealed.seen)
  ) {
    throw new ClaimsgateError('CG_SESSION_MALFORMED', 'The session cookie does not hold a session.', {
      detail: { purpose: 'session', reason: 'unexpected session shape' },
    });
  }
  return {
    sid: sealed.sid,
    user: sealed.u,
    issuer: sealed.iss,
    claims: sealed.c,
    roles: sealed.r ?? [],
    authenticatedAt: new Date(sealed.auth!),
    expiresAt: new Date(sealed.exp!),
    lastSeenAt: new Date(sealed.seen!),
  };
}

/**
 * How many opened session cookies {@link createSessionCookies} remembers at
 * most: about 1–2 KiB each for a typical session.
 */
export const OPENED_CACHE_SIZE = 4_096;

/**
 * How many characters of cookies it remembers at most (4 Mi): a cookie of
 * many small claims opens to about six times its length in memory, so one
 * user replaying renewed 4,000-character cookies holds at most about 25 MiB
 * of the cache, not 100.
 */
export const OPENED_CACHE_CHARACTERS = 4 * 1024 * 1024;

/** A cookie that opened: what it opened to, and the key that opened it. */
interface RememberedCookie {
  readonly opened: OpenedValue;
  readonly session: Session;
  readonly key: KeyObject;
}

function expired(reason: 'idle' | 'absolute', at: number, now: number): ClaimsgateError {
  return new ClaimsgateError(
    'CG_SESSION_EXPIRED',
    `The session ended at ${new Date(at).toISOString()} (${reason === 'idle' ? 'idle timeout' : 'absolute lifetime'}).`,
    {
      detail: {
        purpose: 'session',
        reason,
        expiredAt: new Date(at).toISOString(),
        now: new Date(now).toISOString(),
      },
    },
  );
}

/**
 * Builds the session cookie handler. The cookie is sealed (AES-256-GCM) for
 * the `session` purpose; its sealed expiry is the earlier of the idle deadline
 * and the absolute end, so neither can be stretched by replaying an old
 * cookie. Reading renews a cookie sealed more than `renewAfterSeconds` ago, or
 * sealed with a key other than the ring's sealing key, with `lastSeenAt` = now.
 * The effective idle timeout is therefore between `idleTimeoutSeconds -
 * renewAfterSeconds` and `idleTimeoutSeconds` after the last request.
 *
 * @throws TypeError for bad options: non-positive durations, `renewAfterSeconds`
 *   not below `idleTimeoutSeconds`, `idleTimeoutSeconds` above
 *   `absoluteLifetimeSeconds`, a bad cookie name or path, `secure` not a boolean.
 */
export function createSessionCookies(options: SessionCookieOptions): SessionCookies {
  const { ring, secure } = options;
  if (typeof ring?.purposeKey !== 'function') throw new TypeError('ring must be a sealing key ring.');
  if (typeof secure !== 'boolean') throw new TypeError('secure must be true or false.');
  const name = checkCookieName(options.cookieName ?? 'claimsgate_session');
  const path = checkCookiePath(options.path ?? '/');
  if (name.startsWith('__Host-') && (!secure || path !== '/')) {
    throw new TypeError('A __Host- cookie must be secure with path /.');
  }
  if (name.startsWith('__Secure-') && !secure) throw new TypeError('A __Secure- cookie must be secure.');
  const absoluteMs =
    positiveSeconds('absoluteLifetimeSeconds', options.absoluteLifetimeSeconds, 8 * 3600) * 1000;
  const idleMs = positiveSeconds('idleTimeoutSeconds', options.idleTimeoutSeconds, 3600) * 1000;
  const renewAfterMs = positiveSeconds('renewAfterSeconds', options.renewAfterSeconds, 300) * 1000;
  if (idleMs > absoluteMs) throw new TypeError('idleTimeoutSeconds must not exceed absoluteLifetimeSeconds.');
  if (renewAfterMs >= idleMs) throw new TypeError('renewAfterSeconds must be below idleTimeoutSeconds.');
  const clock = options.now ?? (() => new Date());

  function currentTime(): number {
    const now = clock();
    if (!isValidDate(now)) throw new TypeError('now() must return a valid Date.');
    return now.getTime();
  }

  function cookie(value: string, maxAge: number): Cookie {
    return { name, value, attributes: { httpOnly: true, sameSite: 'Lax', secure, path, maxAge } };
  }

  /** Seals `session` as seen at `now`: the value expires at the idle deadline or the absolute end. */
  function sealSession(session: Session, now: number): Cookie {
    const endsAt = Math.min(now + idleMs, session.expiresAt.getTime());
    const payload: SealedSession = {
      sid: session.sid,
      u: session.user,
      iss: session.issuer,
      c: session.claims,
      ...(session.roles.length === 0 ? {} : { r: session.roles }),
      auth: session.authenticatedAt.getTime(),
      exp: session.expiresAt.getTime(),
      seen: session.lastSeenAt.getTime(),
    };
    const ttlSeconds = (endsAt - now) / 1000;
    const value = seal(ring, 'session', payload, { now: new Date(now), ttlSeconds });
    return cookie(value, Math.ceil(ttlSeconds));
  }

  /**
   * Cookies opened lately, by their exact value, with what they opened to
   * and the key that opened them: a browser sends the same cookie with every
   * request until it is renewed, and decrypting it each time was a sixth of
   * a proxied request's CPU. At most {@link OPENED_CACHE_SIZE}, the least
   * recently used dropped first; only cookies that opened are kept.
   */
  const recent = new Map<string, RememberedCookie>();

  /**
   * `cookieValue` opened (see `open`), from {@link recent} when it opened
   * before. SECURITY: a remembered cookie is used only while the key that
   * opened it is still the ring's key of that ID and its sealed expiry has not
   * passed: the answer is the one `open` would give now.
   */
  function openSession(cookieValue: unknown, now: number): { opened: OpenedValue; session: Session } {
    if (typeof cookieValue === 'string') {
      const known = recent.get(cookieValue);
      if (known !== undefined) {
        forget(cookieValue);
        if (
          ring.purposeKey(known.opened.keyId, 'session') === known.key &&
          now < known.opened.expiresAt.getTime()
        ) {
          remember(cookieValue, known);
          return known;
        }
      }
    }
    const opened = open(ring, 'session', cookieValue, { now: new Date(now) });
    const session = readSealedSession(opened.payload);
    const key = ring.purposeKey(opened.keyId, 'session');
    if (typeof cookieValue === 'string' && key !== undefined) {
      // SECURITY: remembered under a copy of its own. The value is usually cut out of the
      // request's Cookie header, and a V8 substring keeps its whole parent alive: a padded
      // header (16 KiB) per entry otherwise. A value that opened is ASCII, so latin1 copies it exactly.
      const copy = Buffer.from(cookieValue, 'latin1').toString('latin1');
      if (copy === cookieValue) remember(copy, { opened, session, key });
    }
    return { opened, session };
  }

  /** Characters of the cookies in {@link recent}: what bounds its memory when cookies are large. */
  let rememberedLength = 0;

  function forget(cookieValue: string): void {
    if (recent.delete(cookieValue)) rememberedLength -= cookieValue.length;
  }

  /** Adds an entry as the most recently used, dropping the least recently used past either bound. */
  function remember(cookieValue: string, entry: RememberedCookie): void {
    while (
      recent.size > 0 &&
      (recent.size >= OPENED_CACHE_SIZE || rememberedLength + cookieValue.length > OPENED_CACHE_CHARACTERS)
    ) {
      forget(recent.keys().next().value!);
    }
    recent.set(cookieValue, entry);
    rememberedLength += cookieValue.length;
  }

  return {
    issue(input: NewSession): Cookie {
      const now = currentTime();
      if (typeof input?.user !== 'string' || input.user.length === 0) {
        throw new TypeError('session.user must be a non-empty string (label:name).');
      }
      if (typeof input.issuer !== 'string' || input.issuer.length === 0) {
        throw new TypeError('session.issuer must be a non-empty string.');
      }
      if (!isClaims(input.claims))
        throw new TypeError('session.claims must map claim types to lists of strings.');
      if (input.roles !== undefined && !isStringList(input.roles)) {
        throw new TypeError('session.roles must be a list of strings.');
      }
      if (input.authenticatedAt !== undefined && !isValidDate(input.authenticatedAt)) {
        throw new TypeError('session.authenticatedAt must be a valid Date.');
      }
      if (input.expiresAt !== undefined && !isValidDate(input.expiresAt)) {
        throw new TypeError('session.expiresAt must be a valid Date.');
      }
      const authenticatedAt = input.authenticatedAt?.getTime() ?? now;
      const expiresAt = Math.min(authenticatedAt + absoluteMs, input.expiresAt?.getTime() ?? Infinity);
      if (expiresAt <= now) throw new TypeError('The session would already have ended; it was not issued.');
      const session: Session = {
        sid: randomBytes(16).toString('base64url'),
        user: input.user,
        issuer: input.issuer,
        claims: input.claims,
        roles: input.roles ?? [],
        authenticatedAt: new Date(authenticatedAt),
        expiresAt: new Date(expiresAt),
        lastSeenAt: new Date(now),
      };
      return sealSession(session, now);
    },

    read(cookieValue: unknown): SessionRead {
      const now = currentTime();
      const { opened, session } = openSession(cookieValue, now);
      // The sealed expiry already enforces both deadlines; checked again on the
      // session's own fields so the rule does not rest on one computation.
      if (now >= session.expiresAt.getTime()) throw expired('absolute', session.expiresAt.getTime(), now);
      const idleEndsAt = session.lastSeenAt.getTime() + idleMs;
      if (now >= idleEndsAt) throw expired('idle', idleEndsAt, now);

      const due = now - opened.issuedAt.getTime() >= renewAfterMs;
      const rotated = opened.keyId !== ring.sealingKeyId;
      if (!due && !rotated) return { session };
      const renewed: Session = { ...session, lastSeenAt: new Date(now) };
      return { session: renewed, renew: sealSession(renewed, now) };
    },

    clear(): Cookie {
      return cookie('', 0);
    },
  };
}
