// The other servers `npm run bench -- http` measures, each in a process of
// its own so that its CPU time can be read from /proc:
//   upstream                 a trivial application: 200 and a short body for every request;
//   fastify-proxy <upstream> a bare Node reverse proxy in front of it:
//                            @fastify/http-proxy (reply-from over undici), no logger.
// Each listens on 127.0.0.1 (any port) and prints `listening <url>` once.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const BODY = 'hello from the upstream\n';

async function main(): Promise<void> {
  const [role, upstream] = process.argv.slice(2);
  if (role === 'upstream') {
    const server = createServer((request, response) => {
      request.resume();
      request.once('end', () => {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(BODY) });
        response.end(BODY);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => {
      console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
    return;
  }
  if (role === 'fastify-proxy' && upstream !== undefined) {
    const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
    await app.register(httpProxy, { upstream, http2: false });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    console.log(`listening ${url}`);
    return;
  }
  throw new TypeError('usage: http-peers.ts upstream | fastify-proxy <upstream URL>');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
