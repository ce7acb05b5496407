import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { cookiePair, createGatewayFixture, setCookieOf, signInThroughGateway } from './gateway-fixture.js';
import {
  closedPort,
  COOKIE,
  createProxyGateway,
  patternByte,
  startEchoUpstream,
  TEST_SESSION,
  type EchoedRequest,
  type EchoUpstream,
  type ProxyGateway,
} from './proxy-fixture.js';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** What the echo upstream saw, from its JSON answer. */
function echoed(response: LightMyRequestResponse): EchoedRequest {
  assert.equal(response.statusCode, 200, response.body.slice(0, 300));
  assert.equal(response.headers['x-upstream'], 'echo');
  return JSON.parse(response.body) as EchoedRequest;
}

/** A body of `length` bytes that is not all one value. */
function bodyOf(length: number): Buffer {
  const body = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) body[index] = (index * 7 + 3) % 256;
  return body;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The Set-Cookie lines of a response. */
function setCookies(response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie'];
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

/** Sends `head` (request line and header lines) on a raw socket and returns the whole answer. */
function rawExchange(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('gateway mode behind listed proxies (server.trustedProxies)', () => {
  let upstream: EchoUpstream;
  let gateway: ProxyGateway;

  before(async () => {
    upstream = await startEchoUpstream();
    gateway = await createProxyGateway(upstream.url, { 'server.trustedProxies': ['10.0.0.1'] });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  async function from(remoteAddress: string): Promise<EchoedRequest> {
    return echoed(
      await gateway.app.inject({
        method: 'GET',
        url: '/forwarded',
        remoteAddress,
        headers: {
          cookie: gateway.signIn(),
          'x-forwarded-for': '198.51.100.7',
          'x-real-ip': '198.51.100.7',
        },
      }),
    );
  }

  it('passes the chain and X-Real-IP on from a listed proxy only, not from any other peer (security review, round 3)', async () => {
    const proxied = await from('10.0.0.1');
    assert.equal(proxied.headers['x-forwarded-for'], '198.51.100.7, 10.0.0.1');
    assert.equal(proxied.headers['x-real-ip'], '198.51.100.7');
    const direct = await from('203.0.113.9');
    assert.equal(direct.headers['x-forwarded-for'], '203.0.113.9');
    assert.equal(direct.headers['x-real-ip'], undefined);
  });
});

describe('gateway mode: HTTP requests passed to the upstream', () => {
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

  function get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return gateway.app.inject({ method: 'GET', url, headers: { cookie, ...headers } });
  }

  describe('what the application receives', () => {
    it('passes a signed-in request on with the user, issuer and claims in identity headers', async () => {
      const seen = echoed(await get('/app/page?x=1&y=%C3%A9'));
      assert.equal(seen.method, 'GET');
      assert.equal(seen.url, '/app/page?x=1&y=%C3%A9');
      assert.equal(seen.headers['x-claimsgate-user'], TEST_SESSION.user);
      assert.equal(seen.headers['x-claimsgate-issuer'], TEST_SESSION.issuer);
      assert.deepEqual(JSON.parse(seen.headers['x-claimsgate-claims'] as string), TEST_SESSION.claims);
      assert.ok(seen.rawHeaderNames.includes('X-Claimsgate-User'));
    });

    it('writes non-ASCII identities so the headers stay ASCII and read back exactly', async () => {
      const session = {
        user: 'SIM:zoë 東京%41',
        issuer: 'https://sts.example/ü',
        claims: { name: ['Zoë Ørsted', '東京 🗼'], 'odd"type': ['line\nbreak', 'tab\there\u007f'] },
      };
      const seen = echoed(await get('/', { cookie: gateway.signIn(session) }));
      for (const suffix of ['user', 'issuer', 'claims']) {
        assert.match(seen.headers[`x-claimsgate-${suffix}`] as string, /^[\x20-\x7e]+$/);
      }
      assert.equal(seen.headers['x-claimsgate-user'], 'SIM:zo%C3%AB%20%E6%9D%B1%E4%BA%AC%2541');
      assert.equal(decodeURIComponent(seen.headers['x-claimsgate-user'] as string), session.user);
      assert.equal(decodeURIComponent(seen.headers['x-claimsgate-issuer'] as string), session.issuer);
      assert.deepEqual(JSON.parse(seen.headers['x-claimsgate-claims'] as string), session.claims);
    });

    it('never passes a client-sent identity header on, whatever its case or spelling', async () => {
      const seen = echoed(
        await get('/profile', {
          'x-claimsgate-user': 'SIM:mallory',
          'X-CLAIMSGATE-ROLES': 'admin',
          'X-Claimsgate-Claims': '{"groups":["admins"]}',
          x_claimsgate_user: 'SIM:mallory',
          'X_Claimsgate-Issuer': 'evil',
        }),
      );
      const identityNames = seen.rawHeaderNames.filter((name) =>
        name.toLowerCase().replaceAll('_', '-').startsWith('x-claimsgate-'),
      );
      assert.deepEqual(identityNames.sort(), [
        'X-Claimsgate-Claims',
        'X-Claimsgate-Issuer',
        'X-Claimsgate-User',
      ]);
      assert.equal(seen.headers['x-claimsgate-user'], TEST_SESSION.user);
      assert.equal(seen.headers['x-claimsgate-issuer'], TEST_SESSION.issuer);
      assert.deepEqual(JSON.parse(seen.headers['x-claimsgate-claims'] as string), TEST_SESSION.claims);
    });

    it('strips spoofed identity headers sent on the wire twice and in mixed case', async () => {
      const answer = await rawExchange(
        port,
        [
          'GET /wire HTTP/1.1',
          'Host: 127.0.0.1',
          `Cookie: ${cookie}`,
          'X-Claimsgate-User: SIM:mallory',
          'x-claimsgate-user: SIM:eve',
          'X_CLAIMSGATE_USER: SIM:trudy',
          'x-ClaimsGate-Issuer: evil',
        ].join('\r\n'),
      );
      assert.match(answer, /^HTTP\/1\.1 200 /);
      const seen = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as EchoedRequest;
      assert.equal(seen.headers['x-claimsgate-user'], TEST_SESSION.user);
      assert.equal(seen.headers['x-claimsgate-issuer'], TEST_SESSION.issuer);
      assert.equal(seen.headers['x_claimsgate_user'], undefined);
      assert.doesNotMatch(JSON.stringify(seen.headers), /mallory|eve|trudy|evil/);
    });

    it('removes hop-by-hop headers, including those Connection names', async () => {
      const seen = echoed(
        await get('/hops', {
          connection: 'keep-alive, X-Remove-Me',
          'x-remove-me': 'connection-scoped',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          trailer: 'x-checksum',
          'proxy-authorization': 'Basic YWxpY2U6c2VjcmV0',
          'proxy-connection': 'keep-alive',
          expect: '100-continue',
          'x-end-to-end': 'kept',
        }),
      );
      for (const name of [
        'x-remove-me',
        'keep-alive',
        'te',
        'trailer',
        'proxy-authorization',
        'proxy-connection',
      ]) {
        assert.equal(seen.headers[name], undefined, name);
      }
      assert.equal(seen.headers.expect, undefined);
      assert.doesNotMatch(String(seen.headers.connection), /x-remove-me/i);
      assert.equal(seen.headers['x-end-to-end'], 'kept');
    });

    it('removes the gateway’s session cookie and keeps the application’s cookies', async () => {
      const mixed = echoed(await get('/cookies-in', { cookie: `theme=dark; ${cookie}; lang=en` }));
      assert.equal(mixed.headers.cookie, 'theme=dark; lang=en');
      const owned = echoed(
        await get('/cookies-in', {
          cookie: `theme=dark;${cookie};claimsgate_signin=b; __Host-claimsgate_admin_login=t;lang="en gb" `,
        }),
      );
      assert.equal(owned.headers.cookie, 'theme=dark;lang="en gb"');
      const alone = echoed(await get('/cookies-in'));
      assert.equal(alone.headers.cookie, undefined);
    });

    it('sets X-Forwarded-For, -Proto and -Host from the peer and the public URL, never from the client', async () => {
      const seen = echoed(
        await get('/forwarded', {
          host: 'evil.example',
          'x-forwarded-host': 'evil.example',
          'x-forwarded-proto': 'https',
          'x-forwarded-for': '203.0.113.66',
          'x-real-ip': '203.0.113.66',
          forwarded: 'for=203.0.113.66;host=evil.example',
        }),
      );
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen.headers['x-forwarded-proto'], 'http');
      assert.equal(seen.headers['x-forwarded-host'], '127.0.0.1:8787');
      assert.equal(seen.headers.host, new URL(upstream.url).host);
      assert.equal(seen.headers.forwarded, undefined);
      assert.equal(seen.headers['x-real-ip'], undefined);
    });
  });

  describe('bodies', () => {
    it('streams a 5 MB request body through intact', async () => {
      const body = bodyOf(5 * 1024 * 1024);
      const seen = echoed(
        await gateway.app.inject({
          method: 'POST',
          url: '/upload',
          headers: { cookie, 'content-type': 'application/octet-stream' },
          payload: body,
        }),
      );
      assert.equal(seen.method, 'POST');
      assert.equal(seen.bodyLength, body.length);
      assert.equal(seen.bodySha256, sha256(body));
    });

    it('passes JSON and form bodies on byte for byte, without parsing them', async () => {
      const json = '{ "a" : 1,\n  "b":[2, 3] }';
      const seenJson = echoed(
        await gateway.app.inject({
          method: 'PUT',
          url: '/api/items/1',
          headers: { cookie, 'content-type': 'application/json' },
          payload: json,
        }),
      );
      assert.equal(seenJson.body, json);
      assert.equal(seenJson.headers['content-type'], 'application/json');
      const form = 'name=a+b&_csrf=x&list=1&list=2';
      const seenForm = echoed(
        await gateway.app.inject({
          method: 'PATCH',
          url: '/form',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form,
        }),
      );
      assert.equal(seenForm.body, form);
    });

    it('passes methods beyond the usual ones on (WebDAV PROPFIND)', async () => {
      const xml = '<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>';
      const seen = echoed(
        await gateway.app.inject({
          // light-my-request 6.6 (kept for Node 20, see "overrides" in package.json)
          // types only the common methods; it sends any method.
          method: 'PROPFIND' as unknown as 'GET',
          url: '/dav/folder/',
          headers: { cookie, 'content-type': 'application/xml', depth: '1' },
          payload: xml,
        }),
      );
      assert.equal(seen.method, 'PROPFIND');
      assert.equal(seen.body, xml);
      assert.equal(seen.headers.depth, '1');
    });

    it('streams a 5 MB answer back intact', async () => {
      const bytes = 5 * 1024 * 1024;
      const response = await get(`/download?bytes=${bytes}`);
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      const received = response.rawPayload;
      assert.equal(received.length, bytes);
      const expected = Buffer.alloc(bytes);
      for (let index = 0; index < bytes; index += 1) expected[index] = patternByte(index);
      assert.ok(received.equals(expected));
    });

    it('passes a 204 answer on without a body', async () => {
      const response = await get('/status/204');
      assert.equal(response.statusCode, 204);
      assert.equal(response.headers['x-upstream'], 'status');
      assert.equal(response.body, '');
    });
  });

  describe('the upstream’s answer headers', () => {
    it('drops hop-by-hop headers and every Set-Cookie for the gateway’s cookies, keeps the rest', async () => {
      const response = await get('/cookies');
      assert.equal(response.statusCode, 200);
      assert.equal(response.body, 'cookies set');
      assert.equal(response.headers['x-app-header'], 'kept');
      assert.equal(response.headers['x-hop-header'], undefined);
      assert.equal(response.headers['keep-alive'], undefined);
      assert.equal(response.headers['proxy-authenticate'], undefined);
      assert.deepEqual(setCookies(response), ['app_pref=dark; Path=/']);
    });

    it('sends the session hook’s renewed cookie along with the upstream’s answer', async () => {
      gateway.advance(301);
      try {
        const response = await get('/cookies');
        assert.equal(response.statusCode, 200);
        const renewed = setCookieOf(response, COOKIE);
        assert.ok(renewed !== undefined, 'a renewed session cookie');
        assert.notEqual(cookiePair(renewed), cookie);
        assert.doesNotMatch(renewed, /planted-by-app/);
        assert.ok(setCookies(response).includes('app_pref=dark; Path=/'));
        // The renewed cookie is a working session.
        const next = echoed(await get('/after-renewal', { cookie: cookiePair(renewed) }));
        assert.equal(next.headers['x-claimsgate-user'], TEST_SESSION.user);
      } finally {
        gateway.advance(-301);
      }
    });
  });

  describe('signed out', () => {
    it('sends a browser asking for a page to sign-in, with the original path and query', async () => {
      const before = upstream.requests.length;
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await gateway.app.inject({
          method,
          url: '/reports/q3?year=2026&next=%2Fa',
          headers: { accept: HTML },
        });
        assert.equal(response.statusCode, 302, method);
        const location = new URL(response.headers.location as string, 'http://gateway');
        assert.equal(location.pathname, '/signin');
        assert.equal(location.searchParams.get('returnUrl'), '/reports/q3?year=2026&next=%2Fa');
        assert.equal(response.headers['cache-control'], 'no-store');
      }
      assert.equal(upstream.requests.length, before);
    });

    it('refuses API calls and other methods with 401 CG_GATEWAY_SIGN_IN_REQUIRED', async () => {
      const before = upstream.requests.length;
      const api = await gateway.app.inject({
        method: 'GET',
        url: '/api/items',
        headers: { accept: 'application/json' },
      });
      assert.equal(api.statusCode, 401);
      assert.equal(api.json<{ code: string }>().code, 'CG_GATEWAY_SIGN_IN_REQUIRED');
      const post = await gateway.app.inject({
        method: 'POST',
        url: '/form',
        headers: { accept: HTML, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      });
      assert.equal(post.statusCode, 401);
      assert.equal(post.json<{ code: string }>().code, 'CG_GATEWAY_SIGN_IN_REQUIRED');
      assert.equal(upstream.requests.length, before);
    });

    it('never passes spoofed identity headers on when signed out', async () => {
      const before = upstream.requests.length;
      const response = await gateway.app.inject({
        method: 'GET',
        url: '/profile',
        headers: { 'x-claimsgate-user': 'SIM:mallory', 'X-Claimsgate-Issuer': 'sim' },
      });
      assert.equal(response.statusCode, 401);
      assert.equal(upstream.requests.length, before);
    });

    it('treats a tampered session cookie as signed out, and clears it', async () => {
      const value = cookie.slice(COOKIE.length + 1);
      const tampered = `${COOKIE}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
      const response = await get('/api/items', { cookie: tampered });
      assert.equal(response.statusCode, 401);
      assert.match(setCookieOf(response, COOKIE)!, /^claimsgate_session=; Max-Age=0;/);
    });
  });

  describe('the gateway’s own paths', () => {
    it('answers its own paths itself or not at all, never from the upstream', async () => {
      const before = upstream.requests.length;
      const paths = [
        '/healthz',
        '/readyz',
        '/metrics',
        '/signin/unknown',
        '/signout',
        '/saml2/unknown',
        '/admin',
        '/admin/unknown',
        '/%61dmin/unknown',
      ];
      for (const path of paths) {
        for (const method of ['GET', 'PUT'] as const) {
          const response = await gateway.app.inject({ method, url: path, headers: { cookie } });
          assert.equal(response.headers['x-upstream'], undefined, `${method} ${path}`);
        }
      }
      const health = await get('/healthz');
      assert.deepEqual(health.json(), { status: 'ok' });
      const unknownMethod = await gateway.app.inject({
        method: 'DELETE',
        url: '/healthz',
        headers: { cookie },
      });
      assert.equal(unknownMethod.statusCode, 404);
      assert.equal(upstream.requests.length, before);
    });

    it('passes / and paths that only resemble the gateway’s to the upstream', async () => {
      for (const path of ['/', '/signing-keys', '/administration', '/Admin/x', '/healthz-app']) {
        assert.equal(echoed(await get(path)).url, path);
      }
    });
  });
});

describe('gateway mode: an upstream that fails', () => {
  let upstream: EchoUpstream;
  let down: ProxyGateway;
  let slow: ProxyGateway;

  before(async () => {
    upstream = await startEchoUpstream();
    down = await createProxyGateway(`http://127.0.0.1:${await closedPort()}`);
    slow = await createProxyGateway(upstream.url, { 'gateway.upstreamTimeoutMs': 100 });
  });
  after(async () => {
    await down.close();
    await slow.close();
    await upstream.close();
  });

  it('answers 502 CG_GATEWAY_UPSTREAM_UNAVAILABLE when the upstream cannot be reached, without its details', async () => {
    const response = await down.app.inject({
      method: 'GET',
      url: '/app',
      headers: { cookie: down.signIn(), accept: 'application/json' },
    });
    assert.equal(response.statusCode, 502);
    const body = response.json<{ code: string; message: string }>();
    assert.equal(body.code, 'CG_GATEWAY_UPSTREAM_UNAVAILABLE');
    assert.doesNotMatch(response.body, /ECONNREFUSED|127\.0\.0\.1/);
  });

  it('answers a browser with an HTML page naming the code', async () => {
    const response = await down.app.inject({
      method: 'GET',
      url: '/app',
      headers: { cookie: down.signIn(), accept: HTML },
    });
    assert.equal(response.statusCode, 502);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /CG_GATEWAY_UPSTREAM_UNAVAILABLE/);
    assert.doesNotMatch(response.body, /ECONNREFUSED|127\.0\.0\.1|<script/i);
  });

  it('answers 502 for a request with a body as well', async () => {
    const response = await down.app.inject({
      method: 'POST',
      url: '/upload',
      headers: { cookie: down.signIn(), 'content-type': 'application/octet-stream' },
      payload: bodyOf(256 * 1024),
    });
    assert.equal(response.statusCode, 502);
    assert.equal(response.json<{ code: string }>().code, 'CG_GATEWAY_UPSTREAM_UNAVAILABLE');
  });

  it('answers 502 when the upstream answers with a status no client should get', async () => {
    const response = await slow.app.inject({
      method: 'GET',
      url: '/status/999',
      headers: { cookie: slow.signIn(), accept: 'application/json' },
    });
    assert.equal(response.statusCode, 502);
    assert.equal(response.json<{ code: string }>().code, 'CG_GATEWAY_UPSTREAM_UNAVAILABLE');
  });

  it('answers 504 CG_GATEWAY_UPSTREAM_TIMEOUT when the upstream does not answer in time', async () => {
    const response = await slow.app.inject({
      method: 'GET',
      url: '/slow/report',
      headers: { cookie: slow.signIn(), accept: 'application/json' },
    });
    assert.equal(response.statusCode, 504);
    assert.equal(response.json<{ code: string }>().code, 'CG_GATEWAY_UPSTREAM_TIMEOUT');
  });
});

describe('gateway mode: an upstream URL with a path', () => {
  it('passes requests on below the upstream’s path, query unchanged', async () => {
    const upstream = await startEchoUpstream();
    const gateway = await createProxyGateway(`${upstream.url}/mounted/app`);
    try {
      const response = await gateway.app.inject({
        method: 'GET',
        url: '/reports?q=a%20b',
        headers: { cookie: gateway.signIn() },
      });
      assert.equal(echoed(response).url, '/mounted/app/reports?q=a%20b');
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });

  it('refuses paths with dot segments (400 CG_GATEWAY_REQUEST_INVALID), plain or percent-encoded', async () => {
    const upstream = await startEchoUpstream();
    const gateway = await createProxyGateway(`${upstream.url}/app`);
    try {
      const port = await gateway.listen();
      const cookie = gateway.signIn();
      for (const path of [
        '/../internal',
        '/x/../../internal',
        '/./internal',
        '/%2e%2e/internal',
        '/%2E%2e%2Finternal',
        '/x%2f..%2f..%2finternal',
        '/x%5c..%5c..%5cinternal',
        '/x\\..\\..\\internal',
      ]) {
        const answer = await rawExchange(
          port,
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}`,
        );
        assert.match(answer, /^HTTP\/1\.1 400 /, path);
        assert.match(answer, /"code":"CG_GATEWAY_REQUEST_INVALID"/, path);
      }
      const fine = await rawExchange(
        port,
        `GET /a..b/.well-known HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}`,
      );
      assert.match(fine, /^HTTP\/1\.1 200 /);
      assert.deepEqual(
        upstream.requests.map((request) => request.url),
        ['/app/a..b/.well-known'],
      );
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });

  it('refuses a WebSocket handshake on a path with a dot segment', async () => {
    const upstream = await startEchoUpstream();
    const gateway = await createProxyGateway(`${upstream.url}/app`);
    try {
      const port = await gateway.listen();
      const answer = await rawExchange(
        port,
        [
          'GET /%2e%2e/internal HTTP/1.1',
          'Host: 127.0.0.1',
          `Cookie: ${gateway.signIn()}`,
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        ].join('\r\n'),
      );
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.match(answer, /"code":"CG_GATEWAY_REQUEST_INVALID"/);
      assert.deepEqual(upstream.handshakes, []);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

describe('gateway mode after a real WS-Federation sign-in', () => {
  let upstream: EchoUpstream;
  let fixture: Awaited<ReturnType<typeof createGatewayFixture>>;

  before(async () => {
    upstream = await startEchoUpstream();
    fixture = await createGatewayFixture({ flags: { 'gateway.upstream': upstream.url } });
  });
  after(async () => {
    await fixture.close();
    await upstream.close();
  });

  it('percent-encodes a return path outside ASCII instead of failing at the redirect', async () => {
    const signedIn = await signInThroughGateway(fixture.app, '/€/東京?q=é');
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, '/%E2%82%AC/%E6%9D%B1%E4%BA%AC?q=%C3%A9');
  });

  it('returns the user to the application path, which then receives the signed-in identity', async () => {
    const signedIn = await signInThroughGateway(fixture.app, '/app/home?tab=2');
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, '/app/home?tab=2');
    const session = cookiePair(setCookieOf(signedIn, COOKIE)!);
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/app/home?tab=2',
      headers: { cookie: `${session}; app=1` },
    });
    const seen = echoed(response);
    assert.equal(seen.headers['x-claimsgate-user'], 'SIM:alice@contoso.test');
    assert.equal(seen.headers['x-claimsgate-issuer'], 'sim');
    const claims = JSON.parse(seen.headers['x-claimsgate-claims'] as string) as Record<string, string[]>;
    assert.ok(Object.values(claims).some((values) => values.includes('alice@contoso.test')));
    assert.equal(seen.headers.cookie, 'app=1');
  });
});
