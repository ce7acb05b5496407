import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { ERROR_CODES } from '../lib/error-codes.js';
import { ClaimsgateError, isClaimsgateError } from '../lib/errors.js';
import type { Session } from '../session/session-cookie.js';
import { serializeSetCookie } from '../session/set-cookie.js';
import type { GatewayServices } from './gateway-services.js';
import {
  buildClientResponseHeaders,
  buildUpstreamRequestHeaders,
  gatewayCookieNames,
} from './proxy-headers.js';
import { requestInvalid } from './proxy-framing.js';
import { hasDotSegment, isGatewayPath, requestPathOf } from './proxy-paths.js';
import { refusalStatus, signInRequired, writeUpgradeRefusal } from './proxy-refusals.js';
import { startDeadline, upstreamFailure, type UpstreamTarget } from './proxy-target.js';
import { readRequestCookie } from './reply-cookies.js';
import { createPeerTrust } from './trusted-proxies.js';

/** Passes WebSocket handshakes to the upstream and relays the connections. */
export interface WebSocketProxy {
  /** The `upgrade` listener for the gateway's HTTP server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Destroys every connection in progress or relayed, and refuses new ones (the server is closing). */
  closeAll(): void;
}

export interface WebSocketProxyOptions {
  readonly services: GatewayServices;
  readonly target: UpstreamTarget;
  readonly log: FastifyBaseLogger;
}

/** The origin of a URL or Origin header value, or undefined when it is not one (`null`, garbage). */
function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** `headers` with `setCookie` added to its Set-Cookie lines when there is one. */
function withSetCookie(
  headers: Record<string, string | string[]>,
  setCookie: string | undefined,
): Record<string, string | string[]> {
  if (setCookie === undefined) return headers;
  const existing = headers['set-cookie'];
  const lines = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  return { ...headers, 'set-cookie': [...lines, setCookie] };
}

/** An HTTP/1.1 response head: status line and header lines, ending with the blank line. */
function responseHead(status: number, headers: Readonly<Record<string, string | string[]>>): string {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Builds the WebSocket side of gateway mode. A handshake (`Upgrade:
 * websocket`) for a path the gateway owns gets 404; one whose Origin is not
 * allowed gets 403; one without a valid session cookie 401. Otherwise the
 * request head goes to the upstream (ws → http, wss → https) with the same
 * header rules as HTTP requests, the upstream's 101 is passed back (with the
 * renewed session cookie when one is due, and never a Set-Cookie for the
 * gateway's cookie), and bytes are piped both ways until either side closes
 * or fails, when both are destroyed. The upstream has
 * `gateway.upstreamTimeoutMs` to connect and answer the handshake (504
 * after, 502 when it cannot be reached). Any other Upgrade gets 400.
 */
export function createWebSocketProxy(options: WebSocketProxyOptions): WebSocketProxy {
  const { services, target, log } = options;
  const { config, cookies, revocations } = services;
  const cookieName = config.session.cookieName;
  const ownCookies = gatewayCookieNames(cookieName);
  const publicUrl = new URL(config.server.publicUrl);
  const peerTrusted = createPeerTrust(config.server);
  const allowedOrigins: ReadonlySet<string> = new Set([
    publicUrl.origin,
    ...config.gateway.allowedReturnOrigins,
  ]);
  const open = new Set<Duplex>();
  let closing = false;

  function track(socket: Duplex): void {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  }

  function refuse(socket: Duplex, error: ClaimsgateError, setCookies: readonly string[] = []): void {
    log.info({ code: error.code, detail: error.detail }, 'WebSocket handshake refused');
    writeUpgradeRefusal(socket, refusalStatus(error), error, setCookies);
  }

  /**
   * The session of the handshake, or the refusal (with a cookie that clears
   * a bad or revoked one), or `unavailable` while the revocation list has
   * never been read (it is read again meanwhile).
   */
  function sessionOf(
    request: IncomingMessage,
  ): { session: Session; renew?: string } | { refusal: string[] } | { unavailable: true } {
    const value = readRequestCookie(request.headers.cookie, cookieName);
    if (value === undefined || value === '') return { refusal: [] };
    try {
      const read = cookies.read(value);
      // SECURITY: fail closed — a session is not trusted before the revocation list is known.
      if (!revocations.loaded) {
        revocations.reload().catch((error: unknown) => {
          log.warn({ err: error }, 'session revocations could not be read');
        });
        return { unavailable: true };
      }
      if (revocations.isRevoked(read.session)) {
        log.debug({ user: read.session.user }, 'revoked session refused on a WebSocket handshake');
        return { refusal: [serializeSetCookie(cookies.clear())] };
      }
      return read.renew === undefined
        ? { session: read.session }
        : { session: read.session, renew: serializeSetCookie(read.renew) };
    } catch (error) {
      if (!isClaimsgateError(error)) throw error;
      // SECURITY: a cookie that does not open is never partly trusted; the client is signed out.
      log.debug(
        { code: error.code, detail: error.detail },
        'session cookie refused on a WebSocket handshake',
      );
      return { refusal: [serializeSetCookie(cookies.clear())] };
    }
  }

  function relay(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    session: Session,
    renew: string | undefined,
  ): void {
    const headers = buildUpstreamRequestHeaders(request.headers, {
      identityHeaderPrefix: config.gateway.identityHeaderPrefix,
      ownCookies,
      session,
      clientAddress: request.socket.remoteAddress,
      trustProxy: peerTrusted(request.socket.remoteAddress),
      publicUrl,
      upstreamHost: target.host,
      upgrade: 'websocket',
    });
    const outgoing = target.request(request.method ?? 'GET', request.url ?? '/', headers, { upgrade: true });
    let answered = false;
    const deadline = startDeadline(config.gateway.upstreamTimeoutMs, () => fail('timeout'));

    function fail(reason: 'timeout' | Error): void {
      // Once the upstream answered, its connection's own listeners deal with failures.
      if (answered) return;
      answered = true;
      deadline.clear();
      outgoing.destroy();
      const error = upstreamFailure(target, reason);
      log.warn({ err: error, code: error.code, detail: error.detail }, 'upstream WebSocket handshake failed');
      writeUpgradeRefusal(socket, refusalStatus(error), error);
    }

    socket.once('close', () => {
      deadline.clear();
      if (!answered) {
        answered = true;
        outgoing.destroy();
      }
    });
    outgoing.on('error', fail);

    outgoing.on('upgrade', (response: IncomingMessage, upstreamSocket: Duplex, upstreamHead: Buffer) => {
      deadline.clear();
      track(upstreamSocket);
      upstreamSocket.on('error', (error) => {
        log.debug({ err: error }, 'upstream WebSocket connection failed');
        upstreamSocket.destroy();
      });
      if (answered || socket.destroyed) {
        upstreamSocket.destroy();
        return;
      }
      answered = true;
      const passed = buildClientResponseHeaders(response.headers, ownCookies);
      passed.connection = 'Upgrade';
      passed.upgrade = response.headers.upgrade ?? 'websocket';
      socket.write(responseHead(101, withSetCookie(passed, renew)));
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      socket.once('close', () => upstreamSocket.destroy());
      upstreamSocket.once('close', () => socket.destroy());
      socket.pipe(upstreamSocket);
      upstreamSocket.pipe(socket);
    });

    // The upstream refused to upgrade (an ordinary answer): pass it on, then close.
    outgoing.on('response', (response: IncomingMessage) => {
      deadline.clear();
      if (answered || socket.destroyed) {
        response.destroy();
        return;
      }
      answered = true;
      const passed = buildClientResponseHeaders(response.headers, ownCookies);
      passed.connection = 'close';
      socket.write(responseHead(response.statusCode ?? 502, withSetCookie(passed, renew)));
      response.on('error', () => socket.destroy());
      response.pipe(socket);
    });
    outgoing.end();
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The server is closing: a new relay would hold it open.
    if (closing) {
      socket.destroy();
      return;
    }
    track(socket);
    socket.on('error', (error) => {
      log.debug({ err: error }, 'client WebSocket connection failed');
      socket.destroy();
    });
    try {
      checkAndRelay(request, socket, head);
    } catch (error) {
      // A listener of the server must not throw: a bug answers 500 and is logged, the process lives on.
      log.error({ err: error }, 'WebSocket handshake failed');
      writeUpgradeRefusal(socket, 500);
    }
  }

  function checkAndRelay(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = request.url ?? '';
    if ((request.headers.upgrade ?? '').toLowerCase() !== 'websocket' || !url.startsWith('/')) {
      writeUpgradeRefusal(socket, 400);
      return;
    }
    if (isGatewayPath(requestPathOf(url))) {
      writeUpgradeRefusal(socket, 404);
      return;
    }
    // SECURITY: a dot segment could reach outside the upstream URL's path (see hasDotSegment).
    if (hasDotSegment(url)) {
      writeUpgradeRefusal(socket, 400, requestInvalid('The path must not have "." or ".." segments.', url));
      return;
    }
    // SECURITY: browsers send cookies on cross-site WebSocket handshakes; only the
    // Origin tells a page of ours from a hostile one (cross-site WebSocket hijacking).
    // A handshake without Origin does not come from a browser page, so no cookie was lent to it.
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const normalized = originOf(origin);
      if (normalized === undefined || !allowedOrigins.has(normalized)) {
        refuse(
          socket,
          new ClaimsgateError(
            'CG_GATEWAY_ORIGIN_FORBIDDEN',
            'WebSocket connections from this origin are refused.',
            {
              detail: { observed: origin, expected: [...allowedOrigins] },
            },
          ),
        );
        return;
      }
    }
    const read = sessionOf(request);
    if ('unavailable' in read) {
      // The registry's words only: the store's own message names the database.
      const error = new ClaimsgateError('CG_STORE_UNAVAILABLE', ERROR_CODES.CG_STORE_UNAVAILABLE.meaning);
      writeUpgradeRefusal(socket, 503, error);
      return;
    }
    if ('refusal' in read) {
      refuse(socket, signInRequired(), read.refusal);
      return;
    }
    relay(request, socket, head, read.session, read.renew);
  }

  return {
    handleUpgrade,
    closeAll(): void {
      closing = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}
