/**
 * A TCP proxy on 127.0.0.1 that a test can cut and restore: the store's
 * outage without stopping the shared PostgreSQL server. Cutting destroys
 * every connection through it and refuses new ones (accepted, then reset
 * at once: the client sees its connection fail, as when the database goes
 * away); restoring lets new connections through again. Resetting destroys
 * the connections of the moment only.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpCut {
  /** The port on 127.0.0.1 to connect to instead of the target's. */
  readonly port: number;
  /** Whether connections are passed through now. */
  readonly open: boolean;
  /** Connections passed through since the start. */
  readonly connections: number;
  /** Destroys every connection and refuses new ones until `restore`. */
  cut(): void;
  /** Destroys every connection now; new ones are let through (a flapping network, a killed backend). */
  reset(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * Starts the proxy to `target` (127.0.0.1 only).
 *
 * @throws Error when the target is not on 127.0.0.1.
 */
export async function startTcpCut(target: { host: string; port: number }): Promise<TcpCut> {
  if (target.host !== '127.0.0.1' && target.host !== 'localhost')
    throw new Error('the proxy only reaches 127.0.0.1');
  let open = true;
  let connections = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    track(client);
    if (!open) {
      client.resetAndDestroy();
      return;
    }
    connections += 1;
    const upstream = createConnection({ host: '127.0.0.1', port: target.port });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    get open() {
      return open;
    },
    get connections() {
      return connections;
    },
    cut() {
      open = false;
      for (const socket of sockets) socket.resetAndDestroy();
    },
    reset() {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    restore() {
      open = true;
    },
    close() {
      open = false;
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function throughCut(url: string, cut: Pick<TcpCut, 'port'>): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(cut.port);
  return parsed.toString();
}
