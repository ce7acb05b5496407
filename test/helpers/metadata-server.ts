/**
 * A metadata server on 127.0.0.1 whose behaviour the test controls: it
 * serves a document with an ETag (answering 304 to a matching
 * If-None-Match), or misbehaves in the ways real endpoints do.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ServerMode =
  | { readonly kind: 'document'; readonly body: string }
  /** The connection is closed without an answer. */
  | { readonly kind: 'reset' }
  | { readonly kind: 'status'; readonly status: number }
  /** Headers and the body are held back for `delayMs`. */
  | { readonly kind: 'slow'; readonly delayMs: number; readonly body: string }
  /** Every request is answered with `body` once `gate` resolves (the test decides when). */
  | { readonly kind: 'gated'; readonly gate: Promise<void>; readonly body: string }
  /** Half of `body` is sent under a Content-Length for all of it, then the connection is closed. */
  | { readonly kind: 'truncated'; readonly body: string }
  /** `megabytes` of XML-looking bytes, chunked, without Content-Length. */
  | { readonly kind: 'huge'; readonly megabytes: number };

export interface MetadataServer {
  readonly url: string;
  /** The URL of the webhook receiver on the same server. */
  readonly hookUrl: string;
  /** Metadata requests received so far. */
  readonly requests: () => number;
  /** Requests answered with 304. */
  readonly notModified: () => number;
  /** JSON bodies posted to the webhook receiver that it accepted. */
  readonly hookBodies: unknown[];
  /** How many webhook posts to refuse with 500 before accepting. */
  failHooks(count: number): void;
  setMode(mode: ServerMode): void;
  close(): Promise<void>;
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
}

export async function startMetadataServer(initial: ServerMode, port = 0): Promise<MetadataServer> {
  let mode = initial;
  let requests = 0;
  let notModified = 0;
  let hookFailures = 0;
  const hookBodies: unknown[] = [];
  const sockets = new Set<Socket>();

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.url === '/hook') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (hookFailures > 0) {
          hookFailures -= 1;
          response.writeHead(500).end();
          return;
        }
        hookBodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(204).end();
      });
      return;
    }
    requests += 1;
    const current = mode;
    switch (current.kind) {
      case 'document': {
        const etag = etagOf(current.body);
        if (request.headers['if-none-match'] === etag) {
          notModified += 1;
          response.writeHead(304, { etag }).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/samlmetadata+xml', etag }).end(current.body);
        return;
      }
      case 'reset':
        request.socket.destroy();
        return;
      case 'status':
        response.writeHead(current.status, { 'content-type': 'text/html' }).end('<html>oops</html>');
        return;
      case 'slow': {
        const timer = setTimeout(() => response.writeHead(200).end(current.body), current.delayMs);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      case 'gated': {
        void current.gate.then(() => {
          if (!response.destroyed) response.writeHead(200).end(current.body);
        });
        return;
      }
      case 'truncated': {
        const bytes = Buffer.from(current.body);
        response.writeHead(200, { 'content-length': String(bytes.length) });
        response.write(bytes.subarray(0, bytes.length >> 1), () => request.socket.destroy());
        return;
      }
      case 'huge': {
        response.writeHead(200, { 'content-type': 'application/xml' });
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < current.megabytes) {
            sent += 1;
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
          response.end();
        };
        response.on('close', () => {
          sent = current.megabytes;
        });
        response.write('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">');
        pump();
        return;
      }
    }
  };

  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/federationmetadata.xml`,
    hookUrl: `http://127.0.0.1:${address.port}/hook`,
    requests: () => requests,
    notModified: () => notModified,
    hookBodies,
    failHooks(count) {
      hookFailures = count;
    },
    setMode(next) {
      mode = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
