import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Session } from '../session/session-cookie.js';

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

/**
 * True when a Set-Cookie line would make the browser send a cookie called
 * `name`: its own name is `name`, or its name is empty and its value reads
 * as `name=…` (or just `name`).
 *
 * SECURITY: browsers store `=claimsgate_session=v` as a nameless cookie and
 * send it back as `claimsgate_session=v` (RFC 6265bis §5.7), so a nameless
 * cookie can plant or shadow the gateway's cookie as well as a named one.
 */
export function setsCookie(line: string, name: string): boolean {
  const pair = line.split(';')[0] ?? '';
  const cookie = cookieNameOf(pair);
  if (cookie === name) return true;
  return cookie === '' && pair.includes('=') && cookieNameOf(pair.slice(pair.indexOf('=') + 1)) === name;
}

/**
 * The Cookie header without every cookie called `name`, other cookies kept in
 * order; undefined when nothing is left.
 */
export function removeCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const kept = header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && cookieNameOf(pair) !== name);
  return kept.length === 0 ? undefined : kept.join('; ');
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

/** What the gateway adds to a request it passes to the upstream. */
export interface UpstreamRequestHeaderOptions {
  /** `config.gateway.identityHeaderPrefix`. */
  readonly identityHeaderPrefix: string;
  /** The gateway's session cookie name: removed from the Cookie header. */
  readonly cookieName: string;
  /** The signed-in user's session: the identity headers. */
  readonly session: Session;
  /** The address of the peer connected to the gateway. */
  readonly clientAddress: string | undefined;
  /**
   * `config.server.trustProxy`: the gateway sits behind a proxy it trusts,
   * so an incoming X-Forwarded-For chain is kept and extended; otherwise it
   * is replaced by the peer address.
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
 * gateway's session cookie. Set: Host (the upstream's), `<prefix>User`,
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
  // SECURITY: the application must never see the gateway's session cookie (it could replay it).
  const cookie = removeCookie(valuesOf(incoming.cookie).join('; ') || undefined, options.cookieName);
  if (cookie !== undefined) outgoing.cookie = cookie;

  const chain = options.trustProxy ? valuesOf(incoming['x-forwarded-for']).join(', ') : '';
  const address = options.clientAddress ?? 'unknown';
  outgoing['x-forwarded-for'] = chain === '' ? address : `${chain}, ${address}`;
  outgoing['x-forwarded-proto'] = options.publicUrl.protocol.slice(0, -1);
  outgoing['x-forwarded-host'] = options.publicUrl.host;
  outgoing.host = options.upstreamHost;
  outgoing[`${prefix}${IDENTITY_HEADER_SUFFIXES.user}`] = encodeHeaderText(session.user);
  outgoing[`${prefix}${IDENTITY_HEADER_SUFFIXES.issuer}`] = encodeHeaderText(session.issuer);
  outgoing[`${prefix}${IDENTITY_HEADER_SUFFIXES.claims}`] = encodeClaimsHeader(session.claims);
  if (options.upgrade !== undefined) {
    outgoing.connection = 'upgrade';
    outgoing.upgrade = options.upgrade;
  }
  return outgoing;
}

/**
 * The headers of the upstream's answer to pass to the client: hop-by-hop
 * headers (as for requests) removed, and every Set-Cookie for the gateway's
 * own cookie dropped, nameless ones that browsers would send as it included
 * (see {@link setsCookie}).
 *
 * SECURITY: the application cannot set, replace or clear the gateway's
 * session cookie (session fixation through the application).
 */
export function buildClientResponseHeaders(
  incoming: IncomingHttpHeaders,
  cookieName: string,
): Record<string, string | string[]> {
  const named = namedByConnection(incoming);
  const outgoing: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || isHopByHop(name, named)) continue;
    if (name === 'set-cookie') {
      const kept = valuesOf(value).filter((line) => !setsCookie(line, cookieName));
      if (kept.length > 0) outgoing[name] = kept;
      continue;
    }
    outgoing[name] = value;
  }
  return outgoing;
}
