import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load-config.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import {
  batchedLineDestination,
  createEngineLogger,
  createGatewayLogger,
  lineDestination,
  REDACT_PATHS,
  REDACTED,
  redactUrl,
} from '../../src/server/logging.js';
import {
  bindingCookieOf,
  createGatewayFixture,
  postForm,
  setCookieOf,
  signInAtSimulator,
  START,
  type GatewayFixture,
} from './gateway-fixture.js';

type LogLine = Record<string, unknown>;

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(level: 'info' | 'debug' = 'info'): {
  logger: ReturnType<typeof createGatewayLogger>;
  lines: string[];
  parsed: () => LogLine[];
} {
  const lines: string[] = [];
  const logger = createGatewayLogger({ level, destination: lineDestination((line) => lines.push(line)) });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as LogLine) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the gateway logger', () => {
  it('redacts secrets at every depth a request puts them, and keeps error codes and key states readable', () => {
    const { logger, parsed } = capturingLogger();
    logger.warn(
      {
        code: 'CG_TOKEN_EXPIRED',
        state: 'active',
        wresult: 'SECRET-top-wresult',
        body: {
          wresult: 'SECRET-body',
          code: 'SECRET-oauth-code',
          password: 'SECRET-pw',
          state: 'SECRET-st',
        },
        query: { id_token: 'SECRET-idt', SAMLResponse: 'SECRET-saml' },
        upstream: { headers: { cookie: 'SECRET-cookie', authorization: 'Bearer SECRET-auth', host: 'gw' } },
        req: { method: 'POST', url: '/x?code=SECRET-url-code', headers: { cookie: 'SECRET-req-cookie' } },
        headers: { 'set-cookie': 'SECRET-set-cookie', 'x-csrf-token': 'SECRET-csrf' },
        err: new ClaimsgateError('CG_TOKEN_CODE_EXCHANGE_FAILED', 'token endpoint refused', {
          detail: { client_secret: 'SECRET-client', answer: { nested: { access_token: 'SECRET-at' } } },
        }),
      },
      'something happened',
    );
    const [line] = parsed();
    assert.ok(line !== undefined);
    assert.ok(!JSON.stringify(line).includes('SECRET'), JSON.stringify(line));
    assert.equal(line.code, 'CG_TOKEN_EXPIRED');
    assert.equal(line.state, 'active');
    assert.equal((line.body as LogLine).wresult, REDACTED);
    assert.equal((line.body as LogLine).code, REDACTED);
    assert.equal(((line.upstream as LogLine).headers as LogLine).host, 'gw');
    // A request is logged by its method and redacted URL only: never its headers or body.
    assert.deepEqual(line.req, { method: 'POST', url: `/x?code=${REDACTED}` });
    const err = line.err as { code: string; detail: { client_secret: string } };
    assert.equal(err.code, 'CG_TOKEN_CODE_EXCHANGE_FAILED');
    assert.equal(err.detail.client_secret, REDACTED);
    assert.equal(line.level, 'warn');
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
  });

  it("redacts a child logger's bindings and secrets in lists, and leaves the logged objects as they were", () => {
    const { logger, parsed } = capturingLogger();
    const logged = {
      items: [{ password: 'SECRET-in-list', name: 'kept' }],
      params: { token: 'SECRET-param', id: 'kept' },
      nested: { query: { code: 'SECRET-nested-code' } },
      when: new Date('2025-03-01T12:00:00.000Z'),
    };
    logger.child({ cookie: 'SECRET-binding', component: 'test' }).info(logged, 'listed');
    const [line] = parsed();
    assert.ok(line !== undefined);
    assert.ok(!JSON.stringify(line).includes('SECRET'), JSON.stringify(line));
    assert.equal(line.component, 'test');
    assert.deepEqual(line.items, [{ password: REDACTED, name: 'kept' }]);
    assert.deepEqual(line.params, { token: REDACTED, id: 'kept' });
    assert.equal(line.when, '2025-03-01T12:00:00.000Z');
    assert.equal(logged.items[0]!.password, 'SECRET-in-list');
    assert.equal(logged.params.token, 'SECRET-param');
    assert.equal(logged.nested.query.code, 'SECRET-nested-code');
  });

  it('redacts the value at every one of REDACT_PATHS, a wildcard standing for any name', () => {
    for (const path of REDACT_PATHS) {
      const names = [...path.matchAll(/\["([^"]+)"\]|([^.[\]]+)/g)].map(
        (match) => match[1] ?? (match[2] === '*' ? 'any' : match[2]!),
      );
      let logged: Record<string, unknown> = { [names[names.length - 1]!]: 'SECRET-value' };
      for (const name of names.slice(0, -1).reverse()) logged = { [name]: logged };
      const { logger, lines } = capturingLogger();
      logger.info(logged, 'path');
      assert.ok(!lines[0]!.includes('SECRET'), `${path}: ${lines[0]}`);
    }
  });

  it('redacts secret query parameters from URLs, whatever their case or encoding', () => {
    assert.equal(
      redactUrl('/signin/oidc?CODE=abc&state=xyz&%63lient_secret=s&returnUrl=%2Fok&flag'),
      `/signin/oidc?CODE=${REDACTED}&state=${REDACTED}&%63lient_secret=${REDACTED}&returnUrl=%2Fok&flag`,
    );
    assert.equal(
      redactUrl('/saml2/acs?SAMLResponse=PHN&RelayState=r'),
      `/saml2/acs?SAMLResponse=${REDACTED}&RelayState=${REDACTED}`,
    );
    // The address the sign-in page asks for is personal data: only its domain is logged, elsewhere.
    assert.equal(
      redactUrl('/signin?returnUrl=%2F&LOGIN_HINT=bob%40contoso.com&domain_hint=contoso.com'),
      `/signin?returnUrl=%2F&LOGIN_HINT=${REDACTED}&domain_hint=contoso.com`,
    );
    assert.equal(redactUrl('/plain/path'), '/plain/path');
    assert.equal(redactUrl(`/x?a=${'b'.repeat(5000)}`).length, 2049);
  });

  it("writes the rollover engine's entries into the same stream, at their level, with component rollover", () => {
    const { logger, parsed } = capturingLogger();
    createEngineLogger(logger)({
      level: 'warn',
      event: 'refresh.failed',
      issuer: 'contoso',
      consecutiveFailures: 2,
    });
    const [line] = parsed();
    assert.deepEqual(
      {
        level: line?.level,
        msg: line?.msg,
        event: line?.event,
        component: line?.component,
        issuer: line?.issuer,
      },
      {
        level: 'warn',
        msg: 'refresh.failed',
        event: 'refresh.failed',
        component: 'rollover',
        issuer: 'contoso',
      },
    );
  });
});

describe('request logs of the gateway', () => {
  let fixture: GatewayFixture;
  let app: FastifyInstance;
  let capture: ReturnType<typeof capturingLogger>;
  before(async () => {
    fixture = await createGatewayFixture();
    capture = capturingLogger();
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    app = createGatewayServer({
      config,
      store: fixture.store,
      engine: fixture.engine,
      now: () => START,
      logger: capture.logger,
    });
  });
  after(async () => {
    await app.close();
    await fixture.close();
  });

  function linesOf(requestId: string): LogLine[] {
    return capture.parsed().filter((line) => line.reqId === requestId);
  }

  it('writes one line per request with method, route, redacted URL, status and duration, and no secret at all', async () => {
    capture.lines.length = 0;
    const response = await app.inject({
      method: 'POST',
      url: '/signin/wsfed?code=SECRET-query-code&state=SECRET-query-state&keep=visible',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: 'claimsgate_session=SECRET-session-cookie; other=SECRET-other-cookie',
        authorization: 'Bearer SECRET-authorization',
        'x-csrf-token': 'SECRET-csrf',
      },
      payload: new URLSearchParams({
        wresult: 'SECRET-wresult-<t:RequestSecurityTokenResponse/>',
        wctx: 'SECRET-wctx',
        _csrf: 'SECRET-csrf-field',
      }).toString(),
    });
    assert.equal(response.statusCode, 400);
    const requestId = String(response.headers['x-request-id']);
    assert.match(requestId, UUID);
    assert.ok(capture.lines.length >= 2, 'a refusal line and a request line');
    for (const line of capture.lines) assert.ok(!line.includes('SECRET'), line);
    const lines = linesOf(requestId);
    const completed = lines.filter((line) => line.msg === 'request completed');
    assert.equal(completed.length, 1);
    const [request] = completed;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.route, '/signin/wsfed');
    assert.equal(request?.statusCode, 400);
    assert.equal(typeof request?.durationMs, 'number');
    assert.equal(request?.url, `/signin/wsfed?code=${REDACTED}&state=${REDACTED}&keep=visible`);
    const refusal = lines.find((line) => line.msg === 'sign-in refused');
    assert.match(String(refusal?.code), /^CG_SESSION_/);
    // An expected refusal is one short line: what and why, never a stack trace.
    assert.equal(typeof refusal?.reason, 'string');
    assert.equal(refusal?.err, undefined, 'no error object, so no stack');
    const raw = capture.lines.find((line) => line.includes('"sign-in refused"'))!;
    assert.ok(!raw.includes('    at '), raw);
    assert.ok(raw.length < 1500, `the refusal line is ${raw.length} bytes`);
  });

  it('keeps the posted token, its wctx and the session cookie of a real sign-in out of the log', async () => {
    capture.lines.length = 0;
    const start = await app.inject({ method: 'GET', url: '/signin?returnUrl=%2F' });
    const form = await signInAtSimulator(start.headers.location as string, 'alice');
    const binding = bindingCookieOf(start);
    const posted = await postForm(app, '/signin/wsfed', form.fields, binding);
    assert.equal(posted.statusCode, 303);
    const cookie = setCookieOf(posted, 'claimsgate_session')!.split(';')[0]!.split('=')[1]!;
    const wresult = form.fields.wresult!;
    const secrets = [
      cookie.slice(0, 40),
      wresult.slice(wresult.length / 2, wresult.length / 2 + 40),
      form.fields.wctx!.slice(0, 40),
      binding.split('=')[1]!,
    ];
    const everything = capture.lines.join('');
    for (const secret of secrets) assert.ok(!everything.includes(secret), `leaked ${secret}`);
    assert.ok(
      capture.parsed().some((line) => line.msg === 'signed in' && line.user === 'SIM:alice@contoso.test'),
    );
  });

  it('echoes a safe X-Request-ID and logs under it; replaces an unsafe or absent one with a UUID', async () => {
    const safe = await app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { 'x-request-id': 'lb-7f3a.9:2' },
    });
    assert.equal(safe.statusCode, 404);
    assert.equal(safe.headers['x-request-id'], 'lb-7f3a.9:2');
    const [line] = linesOf('lb-7f3a.9:2');
    assert.equal(line?.route, 'unmatched');
    assert.equal(line?.statusCode, 404);
    for (const unsafe of ['has space', '"quoted"', 'a'.repeat(129), '<script>', 'x\u00e9']) {
      const response = await app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': unsafe },
      });
      assert.match(String(response.headers['x-request-id']), UUID, unsafe);
    }
    const first = await app.inject({ method: 'GET', url: '/healthz' });
    const second = await app.inject({ method: 'GET', url: '/healthz' });
    assert.match(String(first.headers['x-request-id']), UUID);
    assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);
  });

  it('logs successful probes at debug only, so an info log is not flooded by them', async () => {
    capture.lines.length = 0;
    const probe = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(probe.statusCode, 200);
    assert.deepEqual(linesOf(String(probe.headers['x-request-id'])), []);
    const debug = capturingLogger('debug');
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    const verbose = createGatewayServer({
      config,
      store: fixture.store,
      engine: fixture.engine,
      logger: debug.logger,
    });
    try {
      await verbose.inject({ method: 'GET', url: '/healthz' });
      const line = debug.parsed().find((entry) => entry.msg === 'request completed');
      assert.equal(line?.level, 'debug');
      assert.equal(line?.route, '/healthz');
    } finally {
      await verbose.close();
    }
  });
});

describe('the batched line destination of serve', () => {
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('writes the lines of one turn of the event loop together, once the turn ends', async () => {
    const writes: string[] = [];
    const destination = batchedLineDestination((text) => writes.push(text));
    destination.write('{"a":1}\n');
    destination.write('{"b":2}\n');
    assert.deepEqual(writes, []);
    await nextTurn();
    assert.deepEqual(writes, ['{"a":1}\n{"b":2}\n']);
    destination.write('{"c":3}\n');
    await nextTurn();
    assert.deepEqual(writes, ['{"a":1}\n{"b":2}\n', '{"c":3}\n']);
  });

  it('writes at once when 64 KiB wait, and on flush, and never an empty write', async () => {
    const writes: string[] = [];
    const destination = batchedLineDestination((text) => writes.push(text));
    const line = `${'x'.repeat(1023)}\n`;
    for (let index = 0; index < 64; index += 1) destination.write(line);
    assert.equal(writes.length, 1);
    assert.equal(writes[0]!.length, 64 * 1024);
    destination.write('{"last":true}\n');
    destination.flush();
    assert.deepEqual(writes.slice(1), ['{"last":true}\n']);
    destination.flush();
    await nextTurn();
    assert.equal(writes.length, 2);
  });

  it('carries a logger: every line arrives, in order', async () => {
    const writes: string[] = [];
    const logger = createGatewayLogger({
      level: 'info',
      destination: batchedLineDestination((text) => writes.push(text)),
    });
    for (let index = 0; index < 100; index += 1) logger.info({ index }, 'line');
    await nextTurn();
    const lines = writes.join('').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { index: number }).index),
      Array.from({ length: 100 }, (_, index) => index),
    );
  });
});
