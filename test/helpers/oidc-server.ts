/**
 * An OpenID Connect issuer's two documents on 127.0.0.1: the discovery
 * document and the key set it names, each with an ETag (304 to a matching
 * If-None-Match), or a failure status the test chooses.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What one path answers: a JSON document, or an error status. */
export type OidcAnswer = { readonly body: string } | { readonly status: number };

/** How one path was asked. */
export interface PathLog {
  /** Requests received. */
  readonly requests: number;
  /** Requests that carried If-None-Match. */
  readonly conditional: number;
  /** Requests answered 304. */
  readonly notModified: number;
}

export interface OidcServer {
  readonly origin: string;
  /** The discovery document's URL (`…/.well-known/openid-configuration`). */
  readonly discoveryUrl: string;
  /** The key set's URL. */
  readonly jwksUrl: string;
  setDiscovery(answer: OidcAnswer): void;
  setJwks(answer: OidcAnswer): void;
  discoveryLog(): PathLog;
  jwksLog(): PathLog;
  close(): Promise<void>;
}

const DISCOVERY_PATH = '/tenant-1/v2.0/.well-known/openid-configuration';
const JWKS_PATH = '/tenant-1/discovery/v2.0/keys';

export async function startOidcServer(
  discovery: (origin: string, jwksUrl: string) => OidcAnswer,
  jwks: OidcAnswer,
): Promise<OidcServer> {
  const answers = new Map<string, OidcAnswer>();
  const logs = new Map<string, { requests: number; conditional: number; notModified: number }>([
    [DISCOVERY_PATH, { requests: 0, conditional: 0, notModified: 0 }],
    [JWKS_PATH, { requests: 0, conditional: 0, notModified: 0 }],
  ]);
  const sockets = new Set<Socket>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const log = logs.get(request.url ?? '');
    const answer = answers.get(request.url ?? '');
    if (log === undefined || answer === undefined) {
      response.writeHead(404).end();
      return;
    }
    log.requests += 1;
    if ('status' in answer) {
      response.writeHead(answer.status, { 'content-type': 'text/html' }).end('<html>oops</html>');
      return;
    }
    const etag = `"${createHash('sha256').update(answer.body).digest('hex').slice(0, 16)}"`;
    if (request.headers['if-none-match'] !== undefined) log.conditional += 1;
    if (request.headers['if-none-match'] === etag) {
      log.notModified += 1;
      response.writeHead(304, { etag }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', etag }).end(answer.body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const jwksUrl = `${origin}${JWKS_PATH}`;
  answers.set(DISCOVERY_PATH, discovery(origin, jwksUrl));
  answers.set(JWKS_PATH, jwks);
  const snapshot = (path: string): PathLog => ({ ...logs.get(path)! });
  return {
    origin,
    discoveryUrl: `${origin}${DISCOVERY_PATH}`,
    jwksUrl,
    setDiscovery: (answer) => answers.set(DISCOVERY_PATH, answer),
    setJwks: (answer) => answers.set(JWKS_PATH, answer),
    discoveryLog: () => snapshot(DISCOVERY_PATH),
    jwksLog: () => snapshot(JWKS_PATH),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
