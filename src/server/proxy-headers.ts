import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Session } from '../session/session-cookie.js';
import { SIGN_IN_BINDING_COOKIE } from '../session/sign-in-binding.js';
import { LOGIN_CSRF_COOKIE } from './admin-access/admin-login.js';

/**
 * Headers that describe one connection, not the message; a proxy never
 * passes them on (RFC 9110 §7.6.1), whatever Connection says. Every
 * `Proxy-*` header is dropped as well.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The suffixes of the identity headers the gateway sets: `<prefix>User`, `<prefix>Issuer`, `<prefix>Claims`. */
export const IDENTITY_HEADER_SUFFIXES = { user: 'User', issuer: 'Issuer', claims: 'Claims' } as const;

/** A header's value as one list of strings (absent → empty). */
function valuesOf(value: string | string[] | number | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}

/**
 * Headers Connection may never remove: they frame the message or name its
 * target. SECURITY: `Connection: Content-Length` would otherwise strip the
 * body's length, and the body would reach the upstream unframed on a shared
 * keep-alive connection (request smuggling, RFC 9112 §11.2).
 */
const NEVER_CONNECTION_SCOPED: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'host']);

/** The lower-case header names listed in Connection (RFC 9110 §7.6.1), framing headers excepted. */
function namedByConnection(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const names = new Set<string>();
  for (const value of valuesOf(headers.connection)) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !NEVER_CONNECTION_SCOPED.has(name)) names.add(name);
    }
  }
  return names;
}

/** True for a hop-by-hop header of this message: the fixed set, `Proxy-*`, or one Connection names. */
function isHopByHop(name: string, named: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || named.has(name);
}

/**
 * True when a request header called `name` would be read by the application
 * as one of the identity headers: its name starts with `prefix`, compared
 * without regard to case and with `_` read as `-`.
 *
 * SECURITY: many stacks (CGI, PHP, WSGI, Rails) turn both `-` and `_` into
 * `_`, so `X_Claimsgate_User` reaches them as the gateway's header; both
 * spellings are removed from every incoming request (header spoofing).
 */
export function isIdentityHeaderName(name: string, prefix: string): boolean {
  return name.toLowerCase().replaceAll('_', '-').startsWith(prefix.toLowerCase());
}

/** The name of one `name=value` cookie pair, trimmed as `readRequestCookie` trims it. */
function cookieNameOf(pair: string): string {
  const equals = pair.indexOf('=');
  return (equals === -1 ? pair : pair.slice(0, equals)).trim();
}

/** The names of the gateway's own cookies, without prefix: the session, the sign-in binding and the admin login form's cookie. */
export function gatewayCookieNames(sessionCookieName: string): readonly string[] {
  return [bareCookieName(sessionCookieName), SIGN_IN_BINDING_COOKIE, LOGIN_CSRF_COOKIE];
}

/** A cookie name without its `__Host-` / `__Secure-` prefixes (in any case), lower-cased. */
function bareCookieName(name: string): string {
  let bare = name.toLowerCase();
  while (bare.startsWith('__host-') || bare.startsWith('__secure-')) bare = bare.slice(bare.indexOf('-') + 1);
  return bare;
}

/**
 * True when a cookie called `name` is, or could pass for, one of the
 * gateway's own (`owned`, as from {@link gatewayCookieNames}): compared
 * without regard to case, with or without `__Host-` / `__Secure-` prefixes.
 *
 * SECURITY: wider than the browser's own rule on purpose — the application
 * must neither read a gateway cookie nor plant a look-alike that some
 * cookie parser (case-insensitive ones exist) takes for it.
 */
export function isGatewayCookie(name: string, owned: readonly string[]): boolean {
  const bare = bareCookieName(name);
  return owned.some((own) => bareCookieName(own) === bare);
}

/**
 * True when a Set-Cookie line would make the browser send one of the
 * gateway's cookies (see {@link isGatewayCookie}): its own name is one, or
 * its name is empty and its value reads as `name=…` (or just `name`) of one.
 *
 * SECURITY: browsers store `=claimsgate_session=v` as a nameless cookie and
 * send it back as `claimsgate_session=v` (RFC 6265bis §5.7), so a nameless
 * cookie can plant or shadow the gateway's cookie as well as a named one.
 */
export function setsCookie(line: string, owned: readonly string[]): boolean {
  const pair = line.split(';')[0] ?? '';
  const cookie = cookieNameOf(pair);
  if (cookie !== '') return isGatewayCookie(cookie, owned);
  return pair.includes('=') && isGatewayCookie(cookieNameOf(pair.slice(pair.indexOf('=') + 1)), owned);
}

/**
 * The Cookie header without the gateway's own cookies (see
 * {@link isGatewayCookie}); undefined when nothing is left. The other
 * cookies are kept byte for byte, in order, with their separators; a header
 * holding none of the gateway's cookies comes back unchanged.
 */
export function removeGatewayCookies(
  header: string | undefined,
  owned: readonly string[],
): string | undefined {
  if (header === undefined) return undefined;
  const pairs = header.split(';');
  const kept = pairs.filter((pair) => !isGatewayCookie(cookieNameOf(pair), owned));
  if (kept.length === pairs.length) return header;
  const joined = kept.join(';').replace(/^[ \t]+/, '');
  return joined.replace(/[ \t;]/g, '') === '' ? undefined : joined;
}

/**
 * Text for a header value that reads back exactly: visible ASCII other than
 * `%` is kept, every other character (space, non-ASCII, controls) becomes the
 * percent-encoded bytes of its UTF-8 form. `decodeURIComponent` gives the
 * original back; a plain ASCII user name is sent as it is.
 *
 * SECURITY: a line break in a user name can never split the header.
 */
export function encodeHeaderText(text: string): string {
  return text.replace(/[^\x21-\x24\x26-\x7e]+/g, (run) =>
    Array.from(
      Buffer.from(run, 'utf8'),
      (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  );
}

/**
 * The session's claims as JSON in ASCII only: every character outside
 * printable ASCII is written as a `\uXXXX` escape, so the header is valid
 * and `JSON.parse` gives back the exact claims.
 */
export function encodeClaimsHeader(claims: Readonly<Record<string, readonly string[]>>): string {
  return JSON.stringify(claims).replace(
    /[^\x20-\x7e]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The identity headers' values of a session, encoded once per session object (see {@link identityValuesOf}). */
const encodedIdentities = new WeakMap<Session, { user: string; issuer: string; claims: string }>();

/**
 * The values of the identity headers for `session`. The session cookie
 * handler hands out the same session object for every request with the
 * same cookie, so they are encoded once per cookie, not per request; a
 * session is never changed after it is made (a renewal makes a new one).
 */
function identityValuesOf(session: Session): { user: string; issuer: string; claims: string } {
  let values = encodedIdentities.get(session);
  if (values === undefined) {
    values = {
      user: encodeHeaderText(session.user),
      issuer: encodeHeaderText(session.issuer),
      claims: encodeClaimsHeader(session.claims),
    };
    encodedIdentities.set(session, values);
  }
  return values;
}

/** What the gateway adds to a request it passes to the upstream. */
export interface UpstreamRequestHeaderOptions {
  /** `config.gateway.identityHeaderPrefix`. */
  readonly identityHeaderPrefix: string;
  /** The gateway's own cookie names ({@link gatewayCookieNames}): removed from the Cookie header. */
  readonly ownCookies: readonly string[];
  /** The signed-in user's session: the identity headers. */
  readonly session: Session;
  /** The address of the peer connected to the gateway. */
  readonly clientAddress: string | undefined;
  /**
   * Whether the peer is a proxy the gateway trusts (`server.trustProxy`, or
   * the peer listed in `server.trustedProxies`): then an incoming
   * X-Forwarded-For chain is kept and extended and X-Real-IP passes;
   * otherwise the chain is replaced by the peer address and X-Real-IP dropped.
   */
  readonly trustProxy: boolean;
  /** The gateway's public URL: X-Forwarded-Proto and X-Forwarded-Host. */
  readonly publicUrl: URL;
  /** The Host header the upstream gets (its own host and port). */
  readonly upstreamHost: string;
  /** For a protocol upgrade: the value of Upgrade to keep (`websocket`). */
  readonly upgrade?: string;
}

/**
 * The headers of the request passed to the upstream, built from the
 * client's. Removed: hop-by-hop headers (Connection and those it names,
 * Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, `Proxy-*`), every
 * header that reads as an identity header, Expect (answered by the gateway),
 * Forwarded and `X-Forwarded-*` (X-Forwarded-For kept when the proxy in
 * front is trusted), X-Real-IP unless the proxy in front is trusted, and the
 * gateway's own cookies (session, sign-in binding, admin login form). Set: Host (the upstream's), `<prefix>User`,
 * `<prefix>Issuer` (percent-encoded outside visible ASCII, see
 * {@link encodeHeaderText}), `<prefix>Claims` (ASCII-only JSON),
 * X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host (from the public
 * URL, never from the client's Host), and for an upgrade Connection and
 * Upgrade again.
 */
export function buildUpstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  options: UpstreamRequestHeaderOptions,
): OutgoingHttpHeaders {
  const { identityHeaderPrefix: prefix, session } = options;
  const named = namedByConnection(incoming);
  const outgoing: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    // SECURITY: only the gateway speaks for the user; a client-sent identity header never passes.
    if (isIdentityHeaderName(name, prefix)) continue;
    if (isHopByHop(name, named)) continue;
    if (name === 'host' || name === 'expect' || name === 'cookie' || name === 'forwarded') continue;
    if (name.startsWith('x-forwarded-')) continue;
    // SECURITY: without a trusted proxy in front, a client-sent X-Real-IP is a lie about its address.
    if (name === 'x-real-ip' && !options.trustProxy) continue;
    outgoing[name] = value;
  }
  // SECURITY: the application must never see the gateway's cookies (it could replay the session).
  const cookie = removeGatewayCookies(valuesOf(incoming.cookie).join('; ') || undefined, options.ownCookies);
  if (cookie !== undefined) outgoing.cookie = cookie;

  const chain = options.trustProxy ? valuesOf(incoming['x-forwarded-for']).join(', ') : '';
  const address = options.clientAddress ?? 'unknown';
  outgoing['x-forwarded-for'] = chain === '' ? address : `${chain}, ${address}`;
  outgoing['x-forwarded-proto'] = options.publicUrl.protocol.slice(0, -1);
  outgoing['x-forwarded-host'] = options.publicUrl.host;
  outgoing.host = options.upstreamHost;
  const identity = identityValuesOf(session);
  outgoing[`${prefix}${IDENTITY_HEADER_SUFFIXES.user}`] = identity.user;
  outgoing[`${prefix}${IDENTITY_HEADER_SUFFIXES.issuer}`] = identity.issuer;
  outgoing[`${prefix}${IDENTITY_HEADER_SUFFIXES.claims}`] = identity.claims;
  if (options.upgrade !== undefined) {
    outgoing.connection = 'upgrade';
    outgoing.upgrade = options.upgrade;
  }
  return outgoing;
}

/**
 * The headers of the upstream's answer to pass to the client: hop-by-hop
 * headers (as for requests) removed, and every Set-Cookie for one of the
 * gateway's own cookies (`ownCookies`, see {@link gatewayCookieNames})
 * dropped, prefixed, other-case and nameless look-alikes included (see
 * {@link setsCookie}).
 *
 * SECURITY: the application cannot set, replace or clear the gateway's
 * cookies (session fixation, or a planted sign-in binding, through the
 * application).
 */
export function buildClientResponseHeaders(
  incoming: IncomingHttpHeaders,
  ownCookies: readonly string[],
): Record<string, string | string[]> {
  const named = namedByConnection(incoming);
  const outgoing: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || isHopByHop(name, named)) continue;
    if (name === 'set-cookie') {
      const kept = valuesOf(value).filter((line) => !setsCookie(line, ownCookies));
      if (kept.length > 0) outgoing[name] = kept;
      continue;
    }
    outgoing[name] = value;
  }
  return outgoing;
}
