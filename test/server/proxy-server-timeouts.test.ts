import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createProxyGateway, type ProxyGateway } from './proxy-fixture.js';

/** The request timeout the gateway under test is configured with. */
const REQUEST_TIMEOUT_MS = 300;
/** Chunks of the slow download, one per tick, spanning several request timeouts. */
const SLOW_CHUNKS = 12;
const SLOW_TICK_MS = 100;

/** Writes `bytes` and nothing more; resolves with everything received once the gateway closes the socket. */
function sendAndWaitForClose(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** An upstream whose `/slow-download` answers at once and then sends one chunk per tick. */
async function startSlowUpstream(): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      response.write(`chunk ${sent}\n`);
      if (sent === SLOW_CHUNKS) {
        clearInterval(timer);
        response.end();
      }
    }, SLOW_TICK_MS);
    response.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('server timeouts', () => {
  let upstream: { url: string; server: Server };
  let gateway: ProxyGateway;
  let port: number;
  let cookie: string;

  before(async () => {
    upstream = await startSlowUpstream();
    gateway = await createProxyGateway(upstream.url, { 'server.requestTimeoutMs': REQUEST_TIMEOUT_MS });
    cookie = gateway.signIn();
    port = await gateway.listen();
  });
  after(async () => {
    await gateway.close();
    upstream.server.closeAllConnections();
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
  });

  it(
    'answers 408 and closes the connection when a body never arrives in full',
    { timeout: 20_000 },
    async () => {
      const answer = await sendAndWaitForClose(
        port,
        [
          'POST /signin/saml2 HTTP/1.1',
          'Host: 127.0.0.1',
          'Content-Type: application/x-www-form-urlencoded',
          'Content-Length: 1000',
          '',
          'SAML',
        ].join('\r\n'),
      );
      assert.match(answer, /^HTTP\/1\.1 408 /);
    },
  );

  it('closes a connection whose headers never end', { timeout: 20_000 }, async () => {
    const answer = await sendAndWaitForClose(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1');
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  it(
    'never cuts a proxied answer that takes longer than the request timeout',
    { timeout: 20_000 },
    async () => {
      const answer = await sendAndWaitForClose(
        port,
        `GET /slow-download HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(answer, /^HTTP\/1\.1 200 /);
      for (let index = 1; index <= SLOW_CHUNKS; index += 1)
        assert.ok(answer.includes(`chunk ${index}\n`), `chunk ${index}`);
    },
  );
});
