import { METHODS, type IncomingMessage } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClaimsgateError } from '../lib/errors.js';
import type { Session } from '../session/session-cookie.js';
import type { GatewayServices } from './gateway-services.js';
import {
  buildClientResponseHeaders,
  buildUpstreamRequestHeaders,
  gatewayCookieNames,
} from './proxy-headers.js';
import {
  applyRequestFraming,
  requestFramingOf,
  requestInvalid,
  type RequestFraming,
} from './proxy-framing.js';
import { hasDotSegment, isGatewayPath, requestPathOf } from './proxy-paths.js';
import { sendRequestRefused, sendSignInRequired, sendUpstreamFailure } from './proxy-refusals.js';
import { createUpstreamTarget, startDeadline, upstreamFailure, type UpstreamTarget } from './proxy-target.js';
import { createWebSocketProxy } from './proxy-websocket.js';
import { createPeerTrust } from './trusted-proxies.js';

/**
 * Lets Fastify route every method node:http parses (WebDAV's PROPFIND,
 * MKCOL and the like included), so the catch-all can pass them on. CONNECT
 * is not a request for a resource and stays refused.
 */
function supportEveryMethod(app: FastifyInstance): void {
  const supported = new Set(app.supportedMethods);
  for (const method of METHODS) {
    if (method !== 'CONNECT' && !supported.has(method)) app.addHttpMethod(method, { hasBody: true });
  }
}

/**
 * Adds the upstream's Set-Cookie lines (already stripped of the gateway's own
 * names) to the reply; the gateway's own cookies (the session hook's
 * renewal) are queued with `setReplyCookie` and written beside them when the
 * reply is sent.
 */
function appendSetCookies(reply: FastifyReply, lines: string | string[]): void {
  const queued = reply.getHeader('set-cookie');
  const existing = queued === undefined ? [] : Array.isArray(queued) ? queued : [String(queued)];
  reply.header('set-cookie', [...existing, ...(Array.isArray(lines) ? lines : [lines])]);
}

/** Passes the upstream's answer (status 200–599) to the client: status, filtered headers, and the body as a stream. */
function relayResponse(reply: FastifyReply, response: IncomingMessage, ownCookies: readonly string[]): void {
  const headers = buildClientResponseHeaders(response.headers, ownCookies);
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'set-cookie') appendSetCookies(reply, value);
    else reply.header(name, value);
  }
  void reply.code(response.statusCode!).send(response);
}

/** What every proxied request needs, built once. */
interface ProxyContext {
  readonly config: GatewayServices['config'];
  readonly target: UpstreamTarget;
  readonly publicUrl: URL;
  /** Whether a peer address is a proxy the gateway trusts. */
  readonly peerTrusted: (peer: string | undefined) => boolean;
}

/**
 * Passes one request of a signed-in user to the upstream. The body streams
 * through as it arrives (never parsed or buffered), framed as `framing`
 * says (a request without a body is ended at once); the upstream has
 * `gateway.upstreamTimeoutMs` from the last body bytes passed on to start
 * its answer; the answer streams back. A client that goes away takes the
 * upstream request with it.
 */
function forwardRequest(
  proxy: ProxyContext,
  request: FastifyRequest,
  reply: FastifyReply,
  session: Session,
  framing: RequestFraming,
): void {
  const { config, target } = proxy;
  const cookieName = config.session.cookieName;
  const ownCookies = gatewayCookieNames(cookieName);
  // The catch-all's content-type parser hands over the raw body stream; bodyless methods never reach it.
  const source: Readable = request.body instanceof Readable ? request.body : request.raw;
  const headers = buildUpstreamRequestHeaders(request.headers, {
    identityHeaderPrefix: config.gateway.identityHeaderPrefix,
    ownCookies,
    session,
    clientAddress: request.raw.socket?.remoteAddress,
    trustProxy: proxy.peerTrusted(request.raw.socket?.remoteAddress),
    publicUrl: proxy.publicUrl,
    upstreamHost: target.host,
  });
  applyRequestFraming(headers, framing);
  const outgoing = target.request(request.method, request.url, headers);
  let settled = false;
  const deadline = startDeadline(config.gateway.upstreamTimeoutMs, () => fail('timeout'));

  function fail(reason: 'timeout' | Error): void {
    if (settled) return;
    settled = true;
    deadline.clear();
    source.unpipe(outgoing);
    outgoing.destroy();
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    // The rest of an unread body is not drained: the connection closes after the answer.
    if (!source.readableEnded) reply.header('connection', 'close');
    sendUpstreamFailure(request, reply, upstreamFailure(target, reason));
  }

  outgoing.on('error', fail);
  outgoing.on('response', (response) => {
    if (settled) {
      response.destroy();
      return;
    }
    const status = response.statusCode ?? 0;
    // node:http reads any three digits as a status; the client is only ever given a real one.
    if (status < 200 || status > 599) {
      response.destroy();
      fail(new Error(`The upstream answered with status ${status}.`));
      return;
    }
    settled = true;
    deadline.clear();
    relayResponse(reply, response, ownCookies);
  });
  source.on('data', () => deadline.restart());
  source.on('error', (error) => {
    request.log.debug({ err: error }, 'client request body failed');
    outgoing.destroy();
  });
  reply.raw.on('close', () => {
    // The client went away before the upstream answered: stop the upstream request too.
    if (settled) return;
    settled = true;
    deadline.clear();
    outgoing.destroy();
  });
  // SECURITY: with no body nothing is piped, so no stray bytes can follow the request upstream.
  if (framing.kind === 'none') outgoing.end();
  else source.pipe(outgoing);
}

/**
 * The framing of a request that may be passed on, or the coded error for
 * one that may not: a target with a dot segment, or a body the gateway
 * cannot frame (see `requestFramingOf`).
 */
function checkRequest(request: FastifyRequest): ClaimsgateError | RequestFraming {
  if (hasDotSegment(request.url)) {
    return requestInvalid('The path must not have "." or ".." segments.', request.url);
  }
  try {
    return requestFramingOf(request.method, request.headers);
  } catch (error) {
    if (error instanceof ClaimsgateError) return error;
    throw error;
  }
}

/**
 * Registers gateway mode when `config.gateway.upstream` is set: every
 * request the gateway does not own is passed to the upstream once the user
 * is signed in, with the identity in `<prefix>User`, `<prefix>Issuer` and
 * `<prefix>Claims` (see `buildUpstreamRequestHeaders`), and WebSocket
 * handshakes likewise (see `createWebSocketProxy`).
 *
 * HTTP: a catch-all route for every method in an encapsulated plugin whose
 * only content-type parser hands the raw body stream over, so bodies stream
 * both ways unparsed (the gateway's own routes keep their parsers). Paths the
 * gateway owns (`isGatewayPath`) get the 404 handler; a signed-out request
 * is redirected to sign-in or refused with 401 (`sendSignInRequired`); a
 * path with a dot segment or a body on GET, HEAD or TRACE is refused with
 * 400 `CG_GATEWAY_REQUEST_INVALID` (`sendRequestRefused`); an
 * upstream that cannot be reached gives 502, one that does not answer in
 * time 504 (`sendUpstreamFailure`). The session hook's renewed cookie is
 * sent with the upstream's answer; the upstream can never set the gateway's
 * cookie. Pooled upstream connections and relayed WebSockets are closed with
 * the server.
 *
 * @throws TypeError when `config.gateway.upstream` is not set.
 */
export function registerUpstreamProxy(app: FastifyInstance, services: GatewayServices): void {
  const upstream = services.config.gateway.upstream;
  if (upstream === undefined) throw new TypeError('registerUpstreamProxy needs config.gateway.upstream.');
  const target = createUpstreamTarget(upstream);
  const proxy: ProxyContext = {
    config: services.config,
    target,
    publicUrl: new URL(services.config.server.publicUrl),
    peerTrusted: createPeerTrust(services.config.server),
  };
  supportEveryMethod(app);

  void app.register((instance, _options, done) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, payload, parsed) => parsed(null, payload));
    instance.all('/*', (request, reply) => {
      const url = request.url;
      if (!url.startsWith('/') || isGatewayPath(requestPathOf(url))) {
        reply.callNotFound();
        return;
      }
      const checked = checkRequest(request);
      if (checked instanceof ClaimsgateError) {
        sendRequestRefused(request, reply, checked);
        return;
      }
      const session = services.sessions.sessionOf(request);
      if (session === undefined) {
        sendSignInRequired(request, reply);
        return;
      }
      forwardRequest(proxy, request, reply, session, checked);
    });
    done();
  });

  const websockets = createWebSocketProxy({ services, target, log: app.log });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
    websockets.handleUpgrade(request, socket, head);
  app.server.on('upgrade', onUpgrade);
  // Relayed WebSockets would hold the server open: they end as soon as it starts closing.
  app.addHook('preClose', (done) => {
    websockets.closeAll();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    app.server.off('upgrade', onUpgrade);
    target.close();
    done();
  });
}
