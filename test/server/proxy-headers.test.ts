import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session } from '../../src/session/session-cookie.js';
import {
  buildClientResponseHeaders,
  buildUpstreamRequestHeaders,
  encodeClaimsHeader,
  encodeHeaderText,
  gatewayCookieNames,
  isGatewayCookie,
  isIdentityHeaderName,
  removeGatewayCookies,
  setsCookie,
  type UpstreamRequestHeaderOptions,
} from '../../src/server/proxy-headers.js';
import { applyRequestFraming, requestFramingOf } from '../../src/server/proxy-framing.js';
import {
  hasDotSegment,
  isGatewayPath,
  requestPathOf,
  upstreamRequestTarget,
} from '../../src/server/proxy-paths.js';
import { acceptsHtml } from '../../src/server/proxy-refusals.js';

const SESSION: Session = {
  sid: 'c2lk',
  user: 'SIM:alice@contoso.test',
  issuer: 'sim',
  claims: { upn: ['alice@contoso.test'] },
  roles: ['admin'],
  authenticatedAt: new Date('2026-03-02T09:00:00Z'),
  expiresAt: new Date('2026-03-02T17:00:00Z'),
  lastSeenAt: new Date('2026-03-02T09:00:00Z'),
};

const OWN = gatewayCookieNames('claimsgate_session');

const OPTIONS: UpstreamRequestHeaderOptions = {
  identityHeaderPrefix: 'X-Claimsgate-',
  ownCookies: gatewayCookieNames('claimsgate_session'),
  session: SESSION,
  clientAddress: '192.0.2.10',
  trustProxy: false,
  publicUrl: new URL('https://gateway.example.com'),
  upstreamHost: '127.0.0.1:3000',
};

describe('identity headers', () => {
  it('recognises identity header names in any case and with underscores for hyphens', () => {
    for (const name of [
      'x-claimsgate-user',
      'X-CLAIMSGATE-Anything',
      'x_claimsgate_user',
      'X_Claimsgate-Claims',
    ]) {
      assert.equal(isIdentityHeaderName(name, 'X-Claimsgate-'), true, name);
    }
    for (const name of ['x-claimsgateuser', 'claimsgate-user', 'x-other-user']) {
      assert.equal(isIdentityHeaderName(name, 'X-Claimsgate-'), false, name);
    }
  });

  it('keeps visible ASCII as it is and percent-encodes the rest so it decodes back exactly', () => {
    assert.equal(encodeHeaderText('SIM:alice@contoso.test'), 'SIM:alice@contoso.test');
    for (const text of ['100% sure', 'Zoë Ørsted', '東京 🗼', 'line\r\nX-Injected: 1', 'tab\tdel\u007f']) {
      const encoded = encodeHeaderText(text);
      assert.match(encoded, /^[\x21-\x7e]*$/, text);
      assert.equal(decodeURIComponent(encoded), text);
    }
  });

  it('writes a lone surrogate as U+FFFD rather than failing', () => {
    assert.equal(encodeHeaderText('a\ud800b'), 'a%EF%BF%BDb');
  });

  it('writes the claims as ASCII-only JSON that parses back to the same claims', () => {
    const claims = { 'name"x': ['Zoë', '東京 🗼', 'a\nb', '\u007f', '\ud800'] };
    const encoded = encodeClaimsHeader(claims);
    assert.match(encoded, /^[\x20-\x7e]*$/);
    assert.deepEqual(JSON.parse(encoded), claims);
  });
});

describe('the gateway’s own cookies', () => {
  it('names the session, the sign-in binding and the admin login form’s cookie, without prefixes', () => {
    assert.deepEqual(gatewayCookieNames('__Host-claimsgate_session'), [
      'claimsgate_session',
      'claimsgate_signin',
      'claimsgate_admin_login',
    ]);
  });

  it('takes every prefix and case of an own name for the gateway’s, and nothing else', () => {
    for (const name of [
      'claimsgate_session',
      '__Host-claimsgate_session',
      '__host-CLAIMSGATE_SESSION',
      '__Secure-claimsgate_signin',
      '__SECURE-__Host-claimsgate_signin',
      'Claimsgate_Admin_Login',
      '__Host-claimsgate_admin_login',
    ]) {
      assert.equal(isGatewayCookie(name, OWN), true, name);
    }
    for (const name of ['claimsgate_session2', 'app_claimsgate_session', '_host-claimsgate_session', '']) {
      assert.equal(isGatewayCookie(name, OWN), false, name);
    }
  });

  it('removes every gateway cookie from a Cookie header and keeps the others byte for byte', () => {
    const header =
      'a=1;claimsgate_session=x; __Host-claimsgate_admin_login=t;b="two words" ;  __Secure-claimsgate_signin=s;c=%20';
    assert.equal(removeGatewayCookies(header, OWN), 'a=1;b="two words" ;c=%20');
    assert.equal(removeGatewayCookies('claimsgate_signin=s; app=1', OWN), 'app=1');
    assert.equal(removeGatewayCookies('app=1 ;x=  2', OWN), 'app=1 ;x=  2');
    assert.equal(removeGatewayCookies(' s = x ', ['s']), undefined);
    assert.equal(removeGatewayCookies('CLAIMSGATE_SESSION=1; claimsgate_signin=2', OWN), undefined);
    assert.equal(removeGatewayCookies('session=1; s2=2', ['s']), 'session=1; s2=2');
    assert.equal(removeGatewayCookies(undefined, OWN), undefined);
  });

  it('drops Set-Cookie lines for any of the gateway’s cookies, in any case and prefix', () => {
    const lines = [
      'claimsgate_signin=planted; Path=/signin',
      '__Secure-claimsgate_signin=planted; Secure; Path=/signin',
      '__Host-claimsgate_admin_login=planted; Secure; Path=/',
      'CLAIMSGATE_SESSION=x',
      '__Host-claimsgate_session=x; Secure; Path=/',
      '=__Host-claimsgate_session=x',
      'app=1; Path=/',
    ];
    assert.deepEqual(buildClientResponseHeaders({ 'set-cookie': lines }, OWN)['set-cookie'], [
      'app=1; Path=/',
    ]);
  });
});

describe('buildUpstreamRequestHeaders', () => {
  it('gives each session its own identity headers, the same ones for every request of a session', () => {
    const bob: Session = {
      ...SESSION,
      user: 'SIM:bob ø',
      claims: { upn: ['bob@contoso.test'], role: ['ü'] },
    };
    const first = buildUpstreamRequestHeaders({}, { ...OPTIONS, session: bob });
    const again = buildUpstreamRequestHeaders({}, { ...OPTIONS, session: bob });
    const alice = buildUpstreamRequestHeaders({}, OPTIONS);
    assert.equal(first['X-Claimsgate-User'], 'SIM:bob%20%C3%B8');
    assert.equal(first['X-Claimsgate-Claims'], encodeClaimsHeader(bob.claims));
    assert.deepEqual(again, first);
    assert.equal(alice['X-Claimsgate-User'], 'SIM:alice@contoso.test');
    assert.equal(alice['X-Claimsgate-Claims'], '{"upn":["alice@contoso.test"]}');
    // A copy with other claims (a renewal makes a new session object) gets its own.
    const renewed = buildUpstreamRequestHeaders(
      {},
      { ...OPTIONS, session: { ...bob, claims: { upn: ['x'] } } },
    );
    assert.equal(renewed['X-Claimsgate-Claims'], '{"upn":["x"]}');
  });

  it('replaces the X-Forwarded-For chain without a trusted proxy, and extends it behind one', () => {
    const incoming = { 'x-forwarded-for': '203.0.113.5, 198.51.100.1', 'x-real-ip': '203.0.113.5' };
    const direct = buildUpstreamRequestHeaders(incoming, OPTIONS);
    assert.equal(direct['x-forwarded-for'], '192.0.2.10');
    assert.equal(direct['x-real-ip'], undefined);
    const proxied = buildUpstreamRequestHeaders(incoming, { ...OPTIONS, trustProxy: true });
    assert.equal(proxied['x-forwarded-for'], '203.0.113.5, 198.51.100.1, 192.0.2.10');
    assert.equal(proxied['x-real-ip'], '203.0.113.5');
  });

  it('takes X-Forwarded-Proto and -Host from the public URL and Host from the upstream', () => {
    const headers = buildUpstreamRequestHeaders(
      { host: 'evil.example', 'x-forwarded-proto': 'http', 'x-forwarded-port': '1' },
      OPTIONS,
    );
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-host'], 'gateway.example.com');
    assert.equal(headers['x-forwarded-port'], undefined);
    assert.equal(headers.host, '127.0.0.1:3000');
  });

  it('drops every header named in Connection and any Proxy-* header', () => {
    const headers = buildUpstreamRequestHeaders(
      {
        connection: 'close, X-A,x-b',
        'x-a': '1',
        'x-b': '2',
        'proxy-anything': '3',
        'x-c': '4',
        upgrade: 'h2c',
      },
      OPTIONS,
    );
    assert.deepEqual(
      Object.keys(headers)
        .filter((name) => name.startsWith('x-') || name === 'connection' || name === 'upgrade')
        .filter((name) => !name.startsWith('x-forwarded-'))
        .sort(),
      ['x-c'],
    );
  });

  it('keeps Connection and Upgrade for a WebSocket handshake, and never sends the session roles', () => {
    const headers = buildUpstreamRequestHeaders(
      { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'abc' },
      { ...OPTIONS, upgrade: 'websocket' },
    );
    assert.equal(headers.connection, 'upgrade');
    assert.equal(headers.upgrade, 'websocket');
    assert.equal(headers['sec-websocket-key'], 'abc');
    assert.deepEqual(
      Object.keys(headers).filter((name) => name.toLowerCase().startsWith('x-claimsgate-')),
      ['X-Claimsgate-User', 'X-Claimsgate-Issuer', 'X-Claimsgate-Claims'],
    );
  });
});

describe('buildClientResponseHeaders', () => {
  it('drops the gateway cookie’s Set-Cookie lines and hop-by-hop headers', () => {
    const headers = buildClientResponseHeaders(
      {
        'set-cookie': ['claimsgate_session=x; Path=/', 'a=1', 'claimsgate_session_other=2'],
        'transfer-encoding': 'chunked',
        connection: 'x-hop',
        'x-hop': '1',
        'content-type': 'text/plain',
      },
      OWN,
    );
    assert.deepEqual(headers, {
      'set-cookie': ['a=1', 'claimsgate_session_other=2'],
      'content-type': 'text/plain',
    });
  });
});

describe('nameless Set-Cookie lines', () => {
  it('drops a nameless cookie whose value browsers would send as the gateway’s cookie', () => {
    const lines = [
      '=claimsgate_session=forged; Path=/x',
      ' = claimsgate_session =forged; Path=/',
      '=claimsgate_session',
      'claimsgate_session',
      '=other=1; Path=/',
      '=plain',
      'app=1',
    ];
    const headers = buildClientResponseHeaders({ 'set-cookie': lines }, OWN);
    assert.deepEqual(headers['set-cookie'], ['=other=1; Path=/', '=plain', 'app=1']);
  });

  it('tells which Set-Cookie lines reach the browser as a given cookie', () => {
    assert.equal(setsCookie('claimsgate_session=v; Path=/', OWN), true);
    assert.equal(setsCookie('=claimsgate_session=v; Path=/x', OWN), true);
    assert.equal(setsCookie('=claimsgate_session_other=v', OWN), false);
    assert.equal(setsCookie('app=claimsgate_session=v', OWN), false);
  });
});

describe('request body framing', () => {
  it('frames a body by its Content-Length or as chunked, and no body as none', () => {
    assert.deepEqual(requestFramingOf('POST', { 'content-length': '5' }), { kind: 'length', length: 5 });
    assert.deepEqual(requestFramingOf('DELETE', { 'transfer-encoding': 'chunked' }), { kind: 'chunked' });
    assert.deepEqual(requestFramingOf('OPTIONS', { 'transfer-encoding': 'Chunked' }), { kind: 'chunked' });
    assert.deepEqual(requestFramingOf('GET', {}), { kind: 'none' });
    assert.deepEqual(requestFramingOf('GET', { 'content-length': '0' }), { kind: 'none' });
    assert.deepEqual(requestFramingOf('POST', {}), { kind: 'none' });
  });

  it('refuses a body on GET, HEAD and TRACE, and codings other than chunked alone', () => {
    for (const method of ['GET', 'HEAD', 'TRACE']) {
      for (const headers of [{ 'transfer-encoding': 'chunked' }, { 'content-length': '1' }]) {
        assert.throws(() => requestFramingOf(method, headers), { code: 'CG_GATEWAY_REQUEST_INVALID' });
      }
    }
    for (const coding of ['gzip, chunked', 'chunked, chunked', 'identity']) {
      assert.throws(() => requestFramingOf('POST', { 'transfer-encoding': coding }), {
        code: 'CG_GATEWAY_REQUEST_INVALID',
      });
    }
  });

  it('sets exactly one framing header on the upstream request', () => {
    const sized: Record<string, string> = { 'content-length': '9', 'transfer-encoding': 'chunked' };
    applyRequestFraming(sized, { kind: 'length', length: 5 });
    assert.deepEqual(sized, { 'content-length': '5' });
    const chunked: Record<string, string> = { 'content-length': '9' };
    applyRequestFraming(chunked, { kind: 'chunked' });
    assert.deepEqual(chunked, { 'transfer-encoding': 'chunked' });
    const none: Record<string, string> = { 'content-length': '0', accept: '*/*' };
    applyRequestFraming(none, { kind: 'none' });
    assert.deepEqual(none, { accept: '*/*' });
  });

  it('never lets Connection remove Content-Length, Transfer-Encoding or Host', () => {
    const headers = buildUpstreamRequestHeaders(
      { connection: 'keep-alive, Content-Length, Transfer-Encoding, Host', 'content-length': '5', host: 'x' },
      OPTIONS,
    );
    assert.equal(headers['content-length'], '5');
    assert.equal(headers.host, OPTIONS.upstreamHost);
    const answer = buildClientResponseHeaders({ connection: 'content-length', 'content-length': '7' }, OWN);
    assert.equal(answer['content-length'], '7');
  });
});

describe('gateway paths and upstream targets', () => {
  it('owns /signin, /saml2 and /admin with everything below them, and a few exact paths', () => {
    for (const path of ['/signin', '/signin/wsfed', '/saml2/acs', '/admin', '/admin/api/x', '/signout']) {
      assert.equal(isGatewayPath(path), true, path);
    }
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal(isGatewayPath(path), true, path);
    for (const path of [
      '/',
      '/signing',
      '/signout/x',
      '/administration',
      '/Admin',
      '/metrics2',
      '/app/admin',
    ]) {
      assert.equal(isGatewayPath(path), false, path);
    }
  });

  it('reads the path of a request target percent-decoded, without the query', () => {
    assert.equal(requestPathOf('/%61dmin/x?y=/admin'), '/admin/x');
    assert.equal(requestPathOf('/a%ZZ?x'), '/a%ZZ');
  });

  it('finds dot segments, also percent-encoded or behind backslashes', () => {
    for (const url of [
      '/..',
      '/../internal',
      '/a/./b',
      '/a/..',
      '/%2e%2e/internal',
      '/%2E./internal',
      '/.%2e/internal',
      '/a%2f..%2finternal',
      '/a%2F%2E%2E%5Cinternal',
      '/a\\..\\internal',
      '/a/%2e?x=1',
    ]) {
      assert.equal(hasDotSegment(url), true, url);
    }
    for (const url of [
      '/',
      '/a/b',
      '/.well-known/x',
      '/a..b/...',
      '/a?x=/../y',
      '/a/%2e%2e%2e',
      '/file.txt',
    ]) {
      assert.equal(hasDotSegment(url), false, url);
    }
    assert.throws(() => upstreamRequestTarget('/app', '/../internal'), TypeError);
  });

  it('puts the upstream URL’s path in front of the request target', () => {
    assert.equal(upstreamRequestTarget('/', '/a?b=1'), '/a?b=1');
    assert.equal(upstreamRequestTarget('/base/', '/a?b=1'), '/base/a?b=1');
    assert.equal(upstreamRequestTarget('/base', '/'), '/base/');
    assert.throws(() => upstreamRequestTarget('/', 'http://evil.example/'), TypeError);
  });

  it('tells a browser navigation by its Accept header', () => {
    assert.equal(acceptsHtml('text/html,application/xhtml+xml,*/*;q=0.8'), true);
    assert.equal(acceptsHtml('application/json, text/html;q=0.1'), true);
    assert.equal(acceptsHtml('*/*'), false);
    assert.equal(acceptsHtml('text/htmlx'), false);
    assert.equal(acceptsHtml(undefined), false);
  });
});
