import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { loadConfig } from '../../src/config/load-config.js';
import { createRolloverEngine, type RolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { createSealingKeyRing } from '../../src/session/sealing-keys.js';
import { createSessionCookies, type NewSession, type Session } from '../../src/session/session-cookie.js';
import { serializeSetCookie } from '../../src/session/set-cookie.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

export const PUBLIC_URL = 'http://127.0.0.1:8787';
export const COOKIE = 'claimsgate_session';
export const START = new Date('2026-03-02T09:30:00Z');
/** A fixed sealing key (random-looking, so the configuration check accepts it) shared by gateway and tests. */
const SESSION_KEYS = `proxy-test:${createHash('sha256').update('claimsgate proxy tests').digest('hex')}`;

/** What the echo upstream saw of one HTTP request. */
export interface EchoedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Header names exactly as they came on the wire. */
  readonly rawHeaderNames: readonly string[];
  readonly bodyLength: number;
  readonly bodySha256: string;
  /** The body as UTF-8 when it is at most 64 KiB. */
  readonly body?: string;
}

/** A WebSocket handshake the echo upstream accepted. */
export interface EchoedHandshake {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaderNames: readonly string[];
}

/**
 * A real upstream application on 127.0.0.1:0:
 * - `/slow…` never answers (until closed), nor does a WebSocket handshake there;
 * - `/download?bytes=N` streams N bytes of a known pattern;
 * - `/cookies` answers with Set-Cookie lines (one for the gateway's cookie) and hop-by-hop headers;
 * - `/status/NNN` answers with that status and no body;
 * - WebSocket: `/ws-refused` answers 403 without upgrading, any other path echoes messages
 *   (and closes with 4000 when sent `close please`);
 * - anything else echoes the request as JSON (`EchoedRequest`).
 */
export interface EchoUpstream {
  readonly url: string;
  readonly requests: EchoedRequest[];
  readonly handshakes: EchoedHandshake[];
  close(): Promise<void>;
}

/** The byte at `index` of a `/download` body. */
export function patternByte(index: number): number {
  return (index * 31 + 7) % 251;
}

function rawNames(request: IncomingMessage): string[] {
  return request.rawHeaders.filter((_value, index) => index % 2 === 0);
}

function echo(request: IncomingMessage, response: ServerResponse, requests: EchoedRequest[]): void {
  const hash = createHash('sha256');
  const small: Buffer[] = [];
  let length = 0;
  request.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    length += chunk.length;
    if (length <= 65_536) small.push(chunk);
  });
  request.on('end', () => {
    const echoed: EchoedRequest = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      rawHeaderNames: rawNames(request),
      bodyLength: length,
      bodySha256: hash.digest('hex'),
      ...(length <= 65_536 ? { body: Buffer.concat(small).toString('utf8') } : {}),
    };
    requests.push(echoed);
    const json = JSON.stringify(echoed);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
      'x-upstream': 'echo',
    });
    response.end(json);
  });
}

function download(response: ServerResponse, bytes: number): void {
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  let sent = 0;
  const write = (): void => {
    while (sent < bytes) {
      const size = Math.min(64 * 1024, bytes - sent);
      const chunk = Buffer.alloc(size);
      for (let index = 0; index < size; index += 1) chunk[index] = patternByte(sent + index);
      sent += size;
      if (!response.write(chunk)) {
        response.once('drain', write);
        return;
      }
    }
    response.end();
  };
  write();
}

/** Starts the echo upstream on 127.0.0.1:0. */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  const requests: EchoedRequest[] = [];
  const handshakes: EchoedHandshake[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://upstream');
    if (url.pathname.startsWith('/slow')) return; // never answers
    if (url.pathname === '/download') return download(response, Number(url.searchParams.get('bytes')));
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status !== null) {
      response.writeHead(Number(status[1]), { 'x-upstream': 'status' });
      response.end();
      return;
    }
    if (url.pathname === '/cookies') {
      response.writeHead(200, {
        'content-type': 'text/plain',
        'set-cookie': [
          `${COOKIE}=planted-by-app; Path=/`,
          'app_pref=dark; Path=/',
          ` ${COOKIE} =again; Path=/`,
          'claimsgate_signin=planted; Path=/signin',
          '__Secure-claimsgate_signin=planted; Secure; Path=/signin',
          '__Host-Claimsgate_Admin_Login=planted; Secure; Path=/',
          `__Host-${COOKIE}=planted; Secure; Path=/`,
        ],
        connection: 'x-hop-header',
        'x-hop-header': 'connection-scoped',
        'keep-alive': 'timeout=5',
        'proxy-authenticate': 'Basic',
        'x-app-header': 'kept',
      });
      response.end('cookies set');
      return;
    }
    echo(request, response, requests);
  });
  const held = new Set<Duplex>();
  const sockets = new WebSocketServer({ noServer: true });
  sockets.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      if (!isBinary && Buffer.isBuffer(data) && data.toString('utf8') === 'close please')
        socket.close(4000, 'asked to');
      else socket.send(data, { binary: isBinary });
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((request.url ?? '').startsWith('/slow')) {
      held.add(socket); // never answers the handshake
      return;
    }
    if ((request.url ?? '').startsWith('/ws-refused')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nrefused');
      return;
    }
    handshakes.push({ url: request.url ?? '', headers: request.headers, rawHeaderNames: rawNames(request) });
    sockets.handleUpgrade(request, socket, head, (client) => sockets.emit('connection', client, request));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handshakes,
    async close(): Promise<void> {
      for (const client of sockets.clients) client.terminate();
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A gateway in gateway mode on a temporary store, with a way to issue its session cookies. */
export interface ProxyGateway {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The session a `name=value` cookie pair carries (it must open). */
  sessionOf(pair: string): Session;
  /** Seals a session as the gateway would at sign-in; returns the `name=value` pair to send. */
  signIn(session?: Partial<NewSession>): string;
  /** Moves the shared clock forward. */
  advance(seconds: number): void;
  /** Listens on 127.0.0.1:0 and returns the port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** The session the tests sign in with unless they give another. */
export const TEST_SESSION: NewSession = {
  user: 'SIM:alice@contoso.com',
  issuer: 'sim',
  claims: { upn: ['alice@contoso.com'], groups: ['staff', 'admins'] },
};

/**
 * Builds a gateway whose upstream is `upstream`, with fixed session keys and
 * a frozen clock. `flags` are further settings by dotted path.
 */
export async function createProxyGateway(
  upstream: string,
  flags: Readonly<Record<string, unknown>> = {},
): Promise<ProxyGateway> {
  let current = START.getTime();
  const now = (): Date => new Date(current);
  const directory = mkdtempSync(join(tmpdir(), 'claimsgate-proxy-'));
  const store: Store = await openStore(join(directory, 'store.db'), { now });
  const engine: RolloverEngine = createRolloverEngine({ store, now });
  const { config } = loadConfig({
    env: {},
    flags: {
      mode: 'development',
      'server.port': 8787,
      'session.keys': SESSION_KEYS,
      'gateway.upstream': upstream,
      ...flags,
    },
  });
  const app = createGatewayServer({ config, store, engine, now });
  const cookies = createSessionCookies({
    ring: createSealingKeyRing(config.session.keys),
    cookieName: config.session.cookieName,
    absoluteLifetimeSeconds: config.session.absoluteLifetimeSeconds,
    idleTimeoutSeconds: config.session.idleTimeoutSeconds,
    renewAfterSeconds: config.session.renewAfterSeconds,
    secure: config.session.secureCookies,
    now,
  });
  return {
    app,
    store,
    sessionOf: (pair) => cookies.read(pair.slice(pair.indexOf('=') + 1)).session,
    signIn(session: Partial<NewSession> = {}): string {
      return serializeSetCookie(cookies.issue({ ...TEST_SESSION, ...session })).split(';')[0]!;
    },
    advance(seconds: number): void {
      current += seconds * 1000;
    },
    async listen(): Promise<number> {
      await app.listen({ host: '127.0.0.1', port: 0 });
      return (app.server.address() as AddressInfo).port;
    },
    async close(): Promise<void> {
      await app.close();
      await engine.stop();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
