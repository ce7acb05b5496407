import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import {
  closedPort,
  COOKIE,
  createProxyGateway,
  PUBLIC_URL,
  startEchoUpstream,
  TEST_SESSION,
  type EchoUpstream,
  type ProxyGateway,
} from './proxy-fixture.js';

/**
 * The gateway's public URL stays http://127.0.0.1:8787, as for a gateway behind a proxy: pages
 * come from that origin, whatever port the tests connect to, so no free port has to be guessed.
 */
const OWN_ORIGIN = new URL(PUBLIC_URL).origin;

/** The outcome of a WebSocket handshake through the gateway. */
interface Handshake {
  readonly status: number;
  readonly response: IncomingMessage;
  /** The open socket, when the handshake succeeded (status 101). */
  readonly socket?: WebSocket;
  /** The refusal's body, when it failed. */
  readonly body?: string;
}

/** Opens `ws://127.0.0.1:<port><path>` and reports how the handshake ended. */
function handshake(port: number, path: string, headers: Record<string, string> = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    let upgrade: IncomingMessage | undefined;
    socket.on('upgrade', (response) => {
      upgrade = response;
    });
    socket.on('open', () => resolve({ status: 101, response: upgrade!, socket }));
    socket.on('unexpected-response', (request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, response, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    socket.on('error', reject);
  });
}

/** The next message the socket receives. */
function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    socket.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary }));
  });
}

/** Resolves with the close code once the socket is closed. */
function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(-1);
    else socket.once('close', (code) => resolve(code));
  });
}

/** The Set-Cookie lines of a response. */
function setCookiesOf(response: IncomingMessage): string[] {
  return response.headers['set-cookie'] ?? [];
}

describe('gateway mode: WebSocket connections', () => {
  let upstream: EchoUpstream;
  let gateway: ProxyGateway;
  let port: number;
  let cookie: string;

  before(async () => {
    upstream = await startEchoUpstream();
    gateway = await createProxyGateway(upstream.url);
    port = await gateway.listen();
    cookie = gateway.signIn();
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('relays a signed-in WebSocket both ways, text and binary', async () => {
    const opened = await handshake(port, '/live/feed?room=7', { cookie, origin: OWN_ORIGIN });
    assert.equal(opened.status, 101);
    const socket = opened.socket!;
    try {
      socket.send('hello through the gateway');
      const text = await nextMessage(socket);
      assert.equal(text.isBinary, false);
      assert.equal(text.data.toString('utf8'), 'hello through the gateway');
      const binary = Buffer.alloc(256 * 1024, 0xa5);
      socket.send(binary);
      const echoed = await nextMessage(socket);
      assert.equal(echoed.isBinary, true);
      assert.ok(echoed.data.equals(binary));
      assert.equal(upstream.handshakes.at(-1)!.url, '/live/feed?room=7');
    } finally {
      socket.close();
      await closed(socket);
    }
  });

  it('passes the identity on and strips spoofed identity headers and the session cookie', async () => {
    const opened = await handshake(port, '/live/identity', {
      cookie: `app=1; ${cookie}; claimsgate_signin=b; __Host-claimsgate_admin_login=t`,
      origin: OWN_ORIGIN,
      'X-Claimsgate-User': 'SIM:mallory',
      'x-CLAIMSGATE-issuer': 'evil',
      X_Claimsgate_Claims: '{"groups":["admins"]}',
      'x-forwarded-host': 'evil.example',
    });
    assert.equal(opened.status, 101);
    opened.socket!.close();
    await closed(opened.socket!);
    const seen = upstream.handshakes.at(-1)!;
    assert.equal(seen.url, '/live/identity');
    assert.equal(seen.headers['x-claimsgate-user'], TEST_SESSION.user);
    assert.equal(seen.headers['x-claimsgate-issuer'], TEST_SESSION.issuer);
    assert.deepEqual(JSON.parse(seen.headers['x-claimsgate-claims'] as string), TEST_SESSION.claims);
    const identityNames = seen.rawHeaderNames.filter((name) =>
      name.toLowerCase().replaceAll('_', '-').startsWith('x-claimsgate-'),
    );
    assert.equal(identityNames.length, 3);
    assert.doesNotMatch(JSON.stringify(seen.headers), /mallory|evil/);
    assert.equal(seen.headers.cookie, 'app=1');
    assert.equal(seen.headers['x-forwarded-host'], '127.0.0.1:8787');
    assert.equal(seen.headers.upgrade, 'websocket');
  });

  it('closes the client’s side when the upstream closes, with the upstream’s close code', async () => {
    const opened = await handshake(port, '/live/close', { cookie, origin: OWN_ORIGIN });
    const socket = opened.socket!;
    const code = closed(socket);
    socket.send('close please');
    assert.equal(await code, 4000);
  });

  it('refuses a signed-out handshake with 401, before the upstream sees it', async () => {
    const before = upstream.handshakes.length;
    const refused = await handshake(port, '/live/feed', { origin: OWN_ORIGIN });
    assert.equal(refused.status, 401);
    assert.equal((JSON.parse(refused.body!) as { code: string }).code, 'CG_GATEWAY_SIGN_IN_REQUIRED');
    const spoofed = await handshake(port, '/live/feed', { 'X-Claimsgate-User': TEST_SESSION.user });
    assert.equal(spoofed.status, 401);
    assert.equal(upstream.handshakes.length, before);
  });

  it('refuses a handshake with a tampered session cookie with 401, and clears the cookie', async () => {
    const value = cookie.slice(COOKIE.length + 1);
    const tampered = `${COOKIE}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const refused = await handshake(port, '/live/feed', { cookie: tampered, origin: OWN_ORIGIN });
    assert.equal(refused.status, 401);
    assert.ok(setCookiesOf(refused.response).some((line) => line.startsWith(`${COOKIE}=; Max-Age=0;`)));
  });

  it('refuses a signed-in handshake from a foreign Origin with 403 (cross-site WebSocket hijacking)', async () => {
    const before = upstream.handshakes.length;
    for (const origin of ['https://evil.example', 'http://127.0.0.1:8788', 'null']) {
      const refused = await handshake(port, '/live/feed', { cookie, origin });
      assert.equal(refused.status, 403, origin);
      assert.equal((JSON.parse(refused.body!) as { code: string }).code, 'CG_GATEWAY_ORIGIN_FORBIDDEN');
    }
    assert.equal(upstream.handshakes.length, before);
  });

  it('accepts a handshake without Origin, which no browser page sends', async () => {
    const opened = await handshake(port, '/live/cli', { cookie });
    assert.equal(opened.status, 101);
    opened.socket!.close();
    await closed(opened.socket!);
  });

  it('answers 404 for the gateway’s own paths and 400 for upgrades other than WebSocket', async () => {
    const before = upstream.handshakes.length;
    for (const path of ['/admin/socket', '/signin', '/healthz']) {
      const refused = await handshake(port, path, { cookie, origin: OWN_ORIGIN });
      assert.equal(refused.status, 404, path);
    }
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(
          `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
        ),
      );
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.equal(upstream.handshakes.length, before);
  });

  it('sends the renewed session cookie with the 101 when the session is due for renewal', async () => {
    gateway.advance(301);
    try {
      const opened = await handshake(port, '/live/renew', { cookie, origin: OWN_ORIGIN });
      assert.equal(opened.status, 101);
      opened.socket!.close();
      await closed(opened.socket!);
      const renewed = setCookiesOf(opened.response).find((line) => line.startsWith(`${COOKIE}=`));
      assert.ok(renewed !== undefined, 'a renewed session cookie');
      assert.notEqual(renewed.split(';')[0], cookie);
      assert.match(renewed, /HttpOnly/);
    } finally {
      gateway.advance(-301);
    }
  });

  it('passes an upstream’s refusal to upgrade on as it is', async () => {
    const refused = await handshake(port, '/ws-refused', { cookie, origin: OWN_ORIGIN });
    assert.equal(refused.status, 403);
    assert.equal(refused.body, 'refused');
  });
});

describe('gateway mode: WebSocket connections to an upstream that fails, and at shutdown', () => {
  let upstream: EchoUpstream;

  before(async () => {
    upstream = await startEchoUpstream();
  });
  after(() => upstream.close());

  it('answers 502 when the upstream cannot be reached', async () => {
    const down = await createProxyGateway(`http://127.0.0.1:${await closedPort()}`);
    try {
      const port = await down.listen();
      const refused = await handshake(port, '/live', { cookie: down.signIn(), origin: OWN_ORIGIN });
      assert.equal(refused.status, 502);
      assert.equal((JSON.parse(refused.body!) as { code: string }).code, 'CG_GATEWAY_UPSTREAM_UNAVAILABLE');
      assert.doesNotMatch(refused.body!, /ECONNREFUSED|127\.0\.0\.1/);
    } finally {
      await down.close();
    }
  });

  it('answers 504 when the upstream does not answer the handshake in time', async () => {
    const slow = await createProxyGateway(upstream.url, { 'gateway.upstreamTimeoutMs': 100 });
    try {
      const port = await slow.listen();
      const refused = await handshake(port, '/slow/live', { cookie: slow.signIn(), origin: OWN_ORIGIN });
      assert.equal(refused.status, 504);
      assert.equal((JSON.parse(refused.body!) as { code: string }).code, 'CG_GATEWAY_UPSTREAM_TIMEOUT');
    } finally {
      await slow.close();
    }
  });

  it('closes relayed WebSockets when the gateway closes, so closing does not hang', async () => {
    const gateway = await createProxyGateway(upstream.url);
    const port = await gateway.listen();
    const opened = await handshake(port, '/live/long', { cookie: gateway.signIn(), origin: OWN_ORIGIN });
    assert.equal(opened.status, 101);
    const socketClosed = closed(opened.socket!);
    await gateway.close();
    assert.equal(await socketClosed, 1006);
  });
});
