import { ClaimsgateError } from '../lib/errors.js';
import { isLoopbackName } from './address-policy.js';

/**
 * Parses and checks the URL of a metadata document against the transport
 * rule: https, or http when the host is loopback or `allowHttp` is set.
 *
 * @throws ClaimsgateError `CG_META_URL_INVALID`, `CG_META_URL_INSECURE`.
 */
export function checkMetadataUrl(input: string | URL, allowHttp = false): URL {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new TypeError(`The metadata URL must be a string or a URL; got ${typeof input}.`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    throw invalidUrl(shorten(String(input)), 'not an absolute URL', error);
  }
  return checkTransport(url, allowHttp);
}

/**
 * True when the URL's host is this machine by its spelling: `localhost` (and
 * `*.localhost`, with or without the final dot), a loopback or unspecified
 * address (127.0.0.0/8, 0.0.0.0/8 — connecting to it reaches local
 * listeners — `[::1]`, `[::]`), in every form an IPv6 address can embed one
 * (IPv4-mapped, IPv4-compatible, SIIT, NAT64, 6to4). One rule with the
 * connect-time address check (`isLoopbackName`), so that no spelling is
 * loopback to one and remote to the other. Names that merely resolve to a
 * loopback address are not detected here; the connect-time check refuses
 * them.
 */
export function isLoopbackUrl(url: URL): boolean {
  return isLoopbackName(url.hostname);
}

function checkTransport(url: URL, allowHttp: boolean): URL {
  checkShape(url);
  // SECURITY: metadata decides which keys are trusted; over plain http anyone
  // on the path could substitute their own signing certificate.
  if (url.protocol === 'http:' && !allowHttp && !isLoopbackUrl(url)) {
    throw new ClaimsgateError(
      'CG_META_URL_INSECURE',
      `The metadata URL ${url.href} is plain http to a host that is not loopback; expected https.`,
      { detail: { url: url.href, observed: 'http:', expected: 'https:' } },
    );
  }
  return url;
}

function checkShape(url: URL): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidUrl(url.href, `the scheme ${url.protocol} is not http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    // SECURITY: credentials in a URL end up in logs, audit records and the
    // admin UI; the detail carries the URL with them removed.
    const redacted = new URL(url.href);
    redacted.username = '';
    redacted.password = '';
    throw invalidUrl(redacted.href, 'the URL carries a user name or password');
  }
}

/**
 * Resolves a redirect's Location against the URL that answered with it and
 * checks the target like the first URL, refusing a downgrade from https to
 * http for a host that is not loopback even when `allowHttp` is set.
 *
 * @throws ClaimsgateError `CG_META_URL_INVALID`, `CG_META_URL_INSECURE`.
 * @see RFC 9110 §10.2.2 (Location, relative references)
 */
export function checkRedirectTarget(location: string, current: URL, allowHttp: boolean): URL {
  return checkLinkedUrl(location, current, allowHttp, 'redirected');
}

/**
 * Checks a URL one document names for the next fetch (an OpenID Connect
 * discovery document's `jwks_uri`) like a redirect: no downgrade to http of
 * a remote host, and no remote document pointing at this machine (SSRF).
 *
 * @throws ClaimsgateError `CG_META_URL_INVALID`, `CG_META_URL_INSECURE`.
 */
export function checkLinkedUrl(
  location: string,
  current: URL,
  allowHttp: boolean,
  how: 'redirected' | 'links' = 'links',
): URL {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch (error) {
    throw invalidUrl(current.href, `the redirect Location ${shorten(location)} is not a URL`, error);
  }
  checkShape(next);
  // SECURITY: a downgrade from https to http to a remote host is refused even
  // with allowHttp: the issuer chose https, and a hop in clear text would let
  // anyone on the path answer with their own keys.
  if (current.protocol === 'https:' && next.protocol === 'http:' && !isLoopbackUrl(next)) {
    throw new ClaimsgateError(
      'CG_META_URL_INSECURE',
      `The metadata at ${current.href} ${how} from https down to http (${next.href}).`,
      { detail: { url: next.href, from: current.href, observed: 'http:', expected: 'https:' } },
    );
  }
  // SECURITY: a remote server must not be able to point claimsgate at this
  // machine's own services (SSRF): a redirect from a remote host to a
  // loopback one is refused.
  if (!isLoopbackUrl(current) && isLoopbackUrl(next)) {
    throw new ClaimsgateError(
      'CG_META_URL_INSECURE',
      `The metadata at ${current.href} ${how} to a loopback address (${next.href}).`,
      {
        detail: {
          url: next.href,
          from: current.href,
          observed: 'a loopback host',
          expected: 'a remote host',
        },
      },
    );
  }
  return checkTransport(next, allowHttp);
}

function invalidUrl(url: string, reason: string, cause?: unknown): ClaimsgateError {
  return new ClaimsgateError('CG_META_URL_INVALID', `The metadata URL ${url} is refused: ${reason}.`, {
    detail: { url, observed: reason, expected: 'an absolute https:// URL' },
    ...(cause === undefined ? {} : { cause }),
  });
}

function shorten(text: string): string {
  return text.length > 2048 ? `${text.slice(0, 2048)}…` : text;
}
