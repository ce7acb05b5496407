import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createProxyGateway,
  startEchoUpstream,
  type EchoUpstream,
  type ProxyGateway,
} from './proxy-fixture.js';

/**
 * A complete second request hidden in a body: an upstream that reads the body
 * unframed on its keep-alive connection parses it as a request of its own,
 * with an identity header the attacker chose.
 */
const SMUGGLED = [
  'GET /smuggled HTTP/1.1',
  'Host: upstream',
  'X-Claimsgate-User: SIM:mallory',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

/** `SMUGGLED` as a chunked body. */
const CHUNKED_BODY = `${Buffer.byteLength(SMUGGLED).toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;

/** Writes `bytes` verbatim on a new connection and returns everything the gateway sent until it closed. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** The status code of a raw HTTP/1.1 answer. */
function statusOf(answer: string): number {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(answer);
  assert.ok(match !== null, answer.slice(0, 200));
  return Number(match[1]);
}

describe('gateway mode: request smuggling through bodies the upstream cannot frame', () => {
  let upstream: EchoUpstream;
  let gateway: ProxyGateway;
  let cookie: string;
  let port: number;

  before(async () => {
    upstream = await startEchoUpstream();
    gateway = await createProxyGateway(upstream.url);
    cookie = gateway.signIn();
    port = await gateway.listen();
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  /** The head of a request to the gateway from the signed-in user, without the blank line. */
  function head(method: string, path: string, extra: readonly string[]): string {
    return [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Cookie: ${cookie}`, ...extra].join('\r\n');
  }

  /**
   * Sends the attack, then an ordinary request over the same upstream pool
   * (whose answer would queue behind the smuggled one), and returns the
   * gateway's answer to the attack once the upstream has answered both.
   */
  async function attack(bytes: string): Promise<string> {
    const answer = await rawExchange(port, bytes);
    const followUp = await gateway.app.inject({ method: 'GET', url: '/after', headers: { cookie } });
    assert.equal(followUp.statusCode, 200);
    assert.equal((JSON.parse(followUp.body) as { url: string }).url, '/after');
    return answer;
  }

  function assertNothingSmuggled(): void {
    const urls = upstream.requests.map((request) => request.url);
    assert.ok(!urls.includes('/smuggled'), `the upstream parsed: ${urls.join(' ')}`);
    for (const request of upstream.requests) {
      assert.notEqual(request.headers['x-claimsgate-user'], 'SIM:mallory');
    }
  }

  for (const method of ['GET', 'HEAD']) {
    it(`refuses a ${method} request with a chunked body (400 CG_GATEWAY_REQUEST_INVALID) and passes nothing on`, async () => {
      const before = upstream.requests.length;
      const answer = await attack(
        `${head(method, '/te', ['Transfer-Encoding: chunked', 'Connection: close'])}\r\n\r\n${CHUNKED_BODY}`,
      );
      assert.equal(statusOf(answer), 400);
      if (method === 'GET') assert.match(answer, /"code":"CG_GATEWAY_REQUEST_INVALID"/);
      assert.deepEqual(
        upstream.requests.slice(before).map((request) => request.url),
        ['/after'],
      );
      assertNothingSmuggled();
    });

    it(`refuses a ${method} request with a Content-Length body that Connection names`, async () => {
      const before = upstream.requests.length;
      const answer = await attack(
        `${head(method, '/cl', [
          `Content-Length: ${Buffer.byteLength(SMUGGLED)}`,
          'Connection: close, Content-Length',
        ])}\r\n\r\n${SMUGGLED}`,
      );
      assert.equal(statusOf(answer), 400);
      assert.deepEqual(
        upstream.requests.slice(before).map((request) => request.url),
        ['/after'],
      );
      assertNothingSmuggled();
    });
  }

  for (const method of ['DELETE', 'OPTIONS']) {
    it(`passes a ${method} request's chunked body on as a chunked body, never as a second request`, async () => {
      const answer = await attack(
        `${head(method, `/te-${method}`, ['Transfer-Encoding: chunked', 'Connection: close'])}\r\n\r\n${CHUNKED_BODY}`,
      );
      assert.equal(statusOf(answer), 200);
      const seen = upstream.requests.find((request) => request.url === `/te-${method}`);
      assert.ok(seen !== undefined);
      assert.equal(seen.method, method);
      assert.equal(seen.body, SMUGGLED);
      assert.equal(seen.headers['transfer-encoding'], 'chunked');
      assert.notEqual(seen.headers['x-claimsgate-user'], 'SIM:mallory');
      assertNothingSmuggled();
    });

    it(`keeps the Content-Length of a ${method} request even when Connection names it`, async () => {
      const answer = await attack(
        `${head(method, `/cl-${method}`, [
          `Content-Length: ${Buffer.byteLength(SMUGGLED)}`,
          'Connection: keep-alive, Content-Length, close',
        ])}\r\n\r\n${SMUGGLED}`,
      );
      assert.equal(statusOf(answer), 200);
      const seen = upstream.requests.find((request) => request.url === `/cl-${method}`);
      assert.ok(seen !== undefined);
      assert.equal(seen.body, SMUGGLED);
      assert.equal(seen.headers['content-length'], String(Buffer.byteLength(SMUGGLED)));
      assertNothingSmuggled();
    });
  }

  it('refuses a transfer coding other than chunked alone', async () => {
    const answer = await attack(
      `${head('POST', '/gzip', ['Transfer-Encoding: gzip, chunked', 'Connection: close'])}\r\n\r\n${CHUNKED_BODY}`,
    );
    // node:http itself may refuse it first (400 without a body); either way nothing is passed on.
    assert.equal(statusOf(answer), 400);
    assert.ok(!upstream.requests.some((request) => request.url === '/gzip'));
    assertNothingSmuggled();
  });

  it('passes a GET without a body on, with no body and no framing headers', async () => {
    const answer = await attack(
      `${head('GET', '/plain', ['Content-Length: 0', 'Connection: close'])}\r\n\r\n`,
    );
    assert.equal(statusOf(answer), 200);
    const seen = upstream.requests.find((request) => request.url === '/plain');
    assert.ok(seen !== undefined);
    assert.equal(seen.bodyLength, 0);
    assert.equal(seen.headers['transfer-encoding'], undefined);
  });

  it('passes a POST body on with its Content-Length', async () => {
    const answer = await attack(
      `${head('POST', '/post', ['Content-Length: 5', 'Content-Type: text/plain', 'Connection: close'])}\r\n\r\nhello`,
    );
    assert.equal(statusOf(answer), 200);
    const seen = upstream.requests.find((request) => request.url === '/post');
    assert.ok(seen !== undefined);
    assert.equal(seen.body, 'hello');
    assert.equal(seen.headers['content-length'], '5');
  });
});
