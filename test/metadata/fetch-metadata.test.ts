import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import {
  fetchMetadata,
  METADATA_ACCEPT,
  prepareMetadataRequest,
  type FetchMetadataOptions,
} from '../../src/metadata/fetch-metadata.js';
import { repoRoot } from '../helpers/fixtures.js';

const FROZEN = new Date('2025-03-01T12:00:00.000Z');
const now = (): Date => new Date(FROZEN);
const METADATA =
  '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.test/"/>';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface TestServer {
  readonly origin: string;
  /** Every request the server received, as method and path. */
  readonly requests: IncomingMessage[];
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, requests };
}

/** A fetch that records the URL of every request, then delegates to `inner`. */
function recordingFetch(inner: typeof globalThis.fetch = globalThis.fetch): {
  fetch: typeof globalThis.fetch;
  calls: string[];
} {
  const calls: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    calls.push(input instanceof Request ? input.url : String(input));
    return inner(input, init);
  };
  return { fetch, calls };
}

/** Resolves with the bytes written when the response closes (finished or cut by the client). */
function streamChunks(response: ServerResponse, chunkBytes: number, totalBytes: number): Promise<number> {
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  let written = 0;
  const closed = new Promise<number>((resolve) => response.on('close', () => resolve(written)));
  const pump = (): void => {
    while (written < totalBytes && !response.destroyed) {
      written += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    if (written >= totalBytes) response.end();
  };
  pump();
  return closed;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return isClaimsgateError(error) && error.code === code;
  });
  assert.ok(isClaimsgateError(caught));
  assert.equal(typeof caught.detail.url, 'string');
  return caught.detail;
}

const base: FetchMetadataOptions = { now, timeoutMs: 2_000 };

describe('fetchMetadata', () => {
  it('returns the body, its SHA-256, the validators and the content type of a 200', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/samlmetadata+xml',
        etag: '"v1"',
        'last-modified': 'Sat, 01 Mar 2025 10:00:00 GMT',
      });
      response.end(METADATA);
    });
    const result = await fetchMetadata(`${server.origin}/federationmetadata.xml`, base);

    assert.equal(result.status, 'ok');
    assert.ok(result.status === 'ok');
    assert.equal(result.body.toString('utf8'), METADATA);
    assert.equal(result.sha256, createHash('sha256').update(METADATA).digest('hex'));
    assert.equal(result.url, `${server.origin}/federationmetadata.xml`);
    assert.equal(result.httpStatus, 200);
    assert.equal(result.etag, '"v1"');
    assert.equal(result.lastModified, 'Sat, 01 Mar 2025 10:00:00 GMT');
    assert.equal(result.contentType, 'application/samlmetadata+xml');
    assert.deepEqual(result.fetchedAt, FROZEN);
    assert.deepEqual(result.redirects, []);
  });

  it('sends the metadata Accept header and a claimsgate User-Agent carrying the package version', async () => {
    const server = await startServer((_request, response) => response.end(METADATA));
    await fetchMetadata(server.origin, base);
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(server.requests[0]?.headers.accept, METADATA_ACCEPT);
    assert.equal(server.requests[0]?.headers['user-agent'], `claimsgate/${manifest.version}`);
    assert.equal(server.requests[0]?.method, 'GET');
  });

  it('sends If-None-Match and If-Modified-Since and reports a 304 as not modified', async () => {
    const server = await startServer((request, response) => {
      const fresh =
        request.headers['if-none-match'] === '"v1"' &&
        request.headers['if-modified-since'] === 'Sat, 01 Mar 2025 10:00:00 GMT';
      response.writeHead(fresh ? 304 : 200, { etag: '"v1"' });
      response.end(fresh ? undefined : METADATA);
    });
    const result = await fetchMetadata(server.origin, {
      ...base,
      etag: '"v1"',
      lastModified: 'Sat, 01 Mar 2025 10:00:00 GMT',
    });

    assert.equal(result.status, 'not-modified');
    assert.equal(result.httpStatus, 304);
    assert.equal(result.etag, '"v1"');
    assert.equal(result.lastModified, 'Sat, 01 Mar 2025 10:00:00 GMT');
    assert.deepEqual(result.fetchedAt, FROZEN);
    assert.equal(server.requests.length, 1);
  });

  describe('redirects', () => {
    /** A server where /hop/N redirects to /hop/N-1 and /hop/0 serves the document. */
    async function chainServer(): Promise<TestServer> {
      return startServer((request, response) => {
        const hops = Number(/^\/hop\/(\d+)$/.exec(request.url ?? '')?.[1] ?? '0');
        if (hops === 0) {
          response.end(METADATA);
          return;
        }
        // Relative Location: resolved against the URL that answered.
        response.writeHead(302, { location: `${hops - 1}` });
        response.end();
      });
    }

    it('follows one redirect given as a relative Location and records the chain', async () => {
      const server = await chainServer();
      const result = await fetchMetadata(`${server.origin}/hop/1`, base);
      assert.equal(result.status, 'ok');
      assert.equal(result.url, `${server.origin}/hop/0`);
      assert.deepEqual(result.redirects, [`${server.origin}/hop/1`]);
    });

    it('follows three redirects', async () => {
      const server = await chainServer();
      const result = await fetchMetadata(`${server.origin}/hop/3`, base);
      assert.equal(result.status, 'ok');
      assert.equal(result.url, `${server.origin}/hop/0`);
      assert.deepEqual(result.redirects, [
        `${server.origin}/hop/3`,
        `${server.origin}/hop/2`,
        `${server.origin}/hop/1`,
      ]);
    });

    it('refuses a fourth redirect without requesting its target', async () => {
      const server = await chainServer();
      const detail = await rejectsWithCode(
        fetchMetadata(`${server.origin}/hop/4`, base),
        'CG_META_TOO_MANY_REDIRECTS',
      );
      assert.equal(detail['limit'], 3);
      assert.equal(detail['url'], `${server.origin}/hop/1`);
      assert.equal(server.requests.length, 4);
    });

    it('follows no redirect at all with maxRedirects 0', async () => {
      const server = await chainServer();
      await rejectsWithCode(
        fetchMetadata(`${server.origin}/hop/1`, { ...base, maxRedirects: 0 }),
        'CG_META_TOO_MANY_REDIRECTS',
      );
      assert.equal(server.requests.length, 1);
    });

    it('refuses a redirect to plain http on a non-loopback host before any request to it', async () => {
      const server = await startServer((_request, response) => {
        response.writeHead(301, { location: 'http://metadata.example.com/federationmetadata.xml' });
        response.end();
      });
      const recorder = recordingFetch();
      const detail = await rejectsWithCode(
        fetchMetadata(server.origin, { ...base, fetch: recorder.fetch }),
        'CG_META_URL_INSECURE',
      );
      assert.equal(detail['url'], 'http://metadata.example.com/federationmetadata.xml');
      assert.deepEqual(recorder.calls, [`${server.origin}/`]);
    });

    it('refuses a redirect from a remote host to a loopback address (SSRF) before any request to it', async () => {
      const recorder = recordingFetch(() =>
        Promise.resolve(
          new Response(null, { status: 302, headers: { location: 'https://127.0.0.1:6379/md' } }),
        ),
      );
      const detail = await rejectsWithCode(
        fetchMetadata('https://idp.example.com/md', { ...base, fetch: recorder.fetch }),
        'CG_META_URL_INSECURE',
      );
      assert.equal(detail['url'], 'https://127.0.0.1:6379/md');
      assert.deepEqual(recorder.calls, ['https://idp.example.com/md']);
    });

    it('refuses a downgrade from https to http for a remote host even with allowHttp', async () => {
      const recorder = recordingFetch(() =>
        Promise.resolve(
          new Response(null, { status: 302, headers: { location: 'http://idp.example.com/md' } }),
        ),
      );
      const detail = await rejectsWithCode(
        fetchMetadata('https://idp.example.com/md', { ...base, allowHttp: true, fetch: recorder.fetch }),
        'CG_META_URL_INSECURE',
      );
      assert.equal(detail['from'], 'https://idp.example.com/md');
      assert.deepEqual(recorder.calls, ['https://idp.example.com/md']);
    });

    it('reports a redirect status without a Location header as an HTTP status error', async () => {
      const server = await startServer((_request, response) => {
        response.writeHead(307);
        response.end();
      });
      const detail = await rejectsWithCode(fetchMetadata(server.origin, base), 'CG_META_HTTP_STATUS');
      assert.equal(detail['observed'], 307);
    });

    it('does not send Authorization or Cookie to another origin a redirect points at', async () => {
      const target = await startServer((_request, response) => response.end(METADATA));
      const first = await startServer((_request, response) => {
        response.writeHead(302, { location: `${target.origin}/md` });
        response.end();
      });
      const result = await fetchMetadata(first.origin, {
        ...base,
        headers: { authorization: 'Bearer secret', cookie: 'a=b', 'x-tenant': 'contoso' },
      });
      assert.equal(result.status, 'ok');
      assert.equal(first.requests[0]?.headers.authorization, 'Bearer secret');
      assert.equal(target.requests[0]?.headers.authorization, undefined);
      assert.equal(target.requests[0]?.headers.cookie, undefined);
      assert.equal(target.requests[0]?.headers['x-tenant'], 'contoso');
    });
  });

  it('reports a 500 and a 404 with the status, the expected status and the URL, without the body', async () => {
    for (const status of [500, 404]) {
      const server = await startServer((_request, response) => {
        response.writeHead(status, { 'content-type': 'text/html' });
        response.end('<html>secret stack trace</html>');
      });
      const detail = await rejectsWithCode(fetchMetadata(`${server.origin}/md`, base), 'CG_META_HTTP_STATUS');
      assert.equal(detail['observed'], status);
      assert.equal(detail['expected'], 200);
      assert.equal(detail['url'], `${server.origin}/md`);
      assert.equal(typeof detail['statusText'], 'string');
      assert.ok(!JSON.stringify(detail).includes('secret'));
    }
  });

  it('times out when the headers do not arrive in time', async () => {
    const server = await startServer(() => {
      // Never answers.
    });
    const started = Date.now();
    const detail = await rejectsWithCode(
      fetchMetadata(server.origin, { ...base, timeoutMs: 150 }),
      'CG_META_FETCH_TIMEOUT',
    );
    assert.equal(detail['timeoutMs'], 150);
    assert.equal(detail['url'], `${server.origin}/`);
    assert.ok(Date.now() - started < 1_500);
  });

  it('times out when the body stalls half way', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write(Buffer.alloc(500, 0x61));
    });
    const started = Date.now();
    await rejectsWithCode(fetchMetadata(server.origin, { ...base, timeoutMs: 200 }), 'CG_META_FETCH_TIMEOUT');
    assert.ok(Date.now() - started < 1_500);
  });

  it('times out even with a fetch that ignores the abort signal', async () => {
    const never: typeof globalThis.fetch = () => new Promise<Response>(() => undefined);
    await rejectsWithCode(
      fetchMetadata('https://idp.example.com/md', { ...base, timeoutMs: 100, fetch: never }),
      'CG_META_FETCH_TIMEOUT',
    );
  });

  it('refuses a declared Content-Length over maxBytes before reading the body', async () => {
    const total = 50 * 1024 * 1024;
    let sent: Promise<number> | undefined;
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-length': String(total) });
      sent = streamChunks(response, 16 * 1024, total);
    });
    const detail = await rejectsWithCode(
      fetchMetadata(server.origin, { ...base, maxBytes: 64 * 1024 }),
      'CG_META_TOO_LARGE',
    );
    assert.equal(detail['limit'], 64 * 1024);
    assert.equal(detail['contentLength'], total);
    assert.equal(detail['bytesRead'], 0);
    assert.ok((await sent!) < total, 'the server saw the connection closed before it wrote everything');
  });

  it('stops reading a chunked body without Content-Length once it passes maxBytes', async () => {
    const total = 50 * 1024 * 1024;
    const maxBytes = 256 * 1024;
    let sent: Promise<number> | undefined;
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/xml' });
      sent = streamChunks(response, 16 * 1024, total);
    });
    const detail = await rejectsWithCode(
      fetchMetadata(server.origin, { ...base, maxBytes }),
      'CG_META_TOO_LARGE',
    );
    assert.equal(detail['limit'], maxBytes);
    assert.equal(detail['contentLength'], undefined);
    const bytesRead = detail['bytesRead'] as number;
    assert.ok(bytesRead > maxBytes && bytesRead <= maxBytes + 64 * 1024, `read ${bytesRead} bytes`);
    assert.ok((await sent!) < total, 'the server saw the connection closed before it wrote everything');
  });

  it('reports a connection destroyed in the middle of the body as a failed fetch', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write(Buffer.alloc(500, 0x61), () => response.socket?.destroy());
    });
    await rejectsWithCode(fetchMetadata(server.origin, base), 'CG_META_FETCH_FAILED');
  });

  it('reports a refused connection as a failed fetch and keeps the cause', async () => {
    const server = await startServer(() => undefined);
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    let caught: unknown;
    await assert.rejects(fetchMetadata(`${server.origin}/md`, base), (error: unknown) => {
      caught = error;
      return isClaimsgateError(error, 'CG_META_FETCH_FAILED');
    });
    assert.ok(isClaimsgateError(caught));
    assert.equal(caught.detail.url, `${server.origin}/md`);
    assert.ok(caught.cause !== undefined);
  });

  it('refuses plain http to a non-loopback host without any network I/O', async () => {
    const recorder = recordingFetch();
    const detail = await rejectsWithCode(
      fetchMetadata('http://idp.example.com/md', { ...base, fetch: recorder.fetch }),
      'CG_META_URL_INSECURE',
    );
    assert.equal(detail['url'], 'http://idp.example.com/md');
    assert.deepEqual(recorder.calls, []);
  });

  it('fetches plain http from a non-loopback host when allowHttp is set', async () => {
    const recorder = recordingFetch(() => Promise.resolve(new Response(METADATA, { status: 200 })));
    const result = await fetchMetadata('http://idp.internal.example/md', {
      ...base,
      allowHttp: true,
      fetch: recorder.fetch,
    });
    assert.equal(result.status, 'ok');
    assert.deepEqual(recorder.calls, ['http://idp.internal.example/md']);
  });

  it('refuses ftp:, relative and credential-bearing URLs as invalid without any network I/O', async () => {
    const recorder = recordingFetch();
    for (const url of ['ftp://idp.example.com/md.xml', '/federationmetadata.xml', 'idp.example.com/md']) {
      await rejectsWithCode(fetchMetadata(url, { ...base, fetch: recorder.fetch }), 'CG_META_URL_INVALID');
    }
    const detail = await rejectsWithCode(
      fetchMetadata('https://admin:hunter2@idp.example.com/md', { ...base, fetch: recorder.fetch }),
      'CG_META_URL_INVALID',
    );
    assert.ok(!String(detail['url']).includes('hunter2'));
    assert.deepEqual(recorder.calls, []);
  });

  it('rejects maxRedirects outside 0 to 3 and other bad options with a TypeError', async () => {
    const recorder = recordingFetch();
    for (const options of [
      { maxRedirects: 4 },
      { maxRedirects: -1 },
      { maxRedirects: 1.5 },
      { timeoutMs: 0 },
      { maxBytes: -5 },
      { etag: '"v1"\r\nX-Injected: 1' },
    ]) {
      await assert.rejects(
        fetchMetadata('https://idp.example.com/md', { ...options, fetch: recorder.fetch }),
        TypeError,
      );
    }
    assert.deepEqual(recorder.calls, []);
  });

  it("rejects with the caller's own abort reason, not a metadata error", async () => {
    const server = await startServer(() => undefined);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const pending = fetchMetadata(server.origin, { ...base, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(pending, (error: unknown) => error === reason);
  });

  it("leaves nothing attached to the caller's signal once it settles", async () => {
    // The engine passes one signal to every fetch for the life of the process: anything a fetch
    // left on it (a listener, a dependent signal of AbortSignal.any) would pile up per refresh.
    const server = await startServer((_request, response) => response.end(METADATA));
    const failing = await startServer((_request, response) => response.writeHead(500).end());
    const controller = new AbortController();
    for (const origin of [server.origin, failing.origin, server.origin]) {
      await fetchMetadata(origin, { ...base, signal: controller.signal }).catch(() => undefined);
    }
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    // Node keeps AbortSignal.any's dependants in a set under a symbol of the source signal.
    const held = Object.getOwnPropertySymbols(controller.signal)
      .filter((symbol) => String(symbol) === 'Symbol(kDependantSignals)')
      .map((symbol) => (controller.signal as unknown as Record<symbol, Set<unknown>>)[symbol]!.size);
    assert.deepEqual(held, []);
  });

  it('makes no request when the signal is already aborted', async () => {
    const recorder = recordingFetch();
    await assert.rejects(
      fetchMetadata('https://idp.example.com/md', {
        ...base,
        signal: AbortSignal.abort(),
        fetch: recorder.fetch,
      }),
      { name: 'AbortError' },
    );
    assert.deepEqual(recorder.calls, []);
  });
});

describe('prepareMetadataRequest', () => {
  it('builds a manual-redirect GET with the conditional headers and the extra headers', () => {
    const request = prepareMetadataRequest('https://login.example.com/tenant/federationmetadata.xml', {
      etag: 'W/"abc"',
      lastModified: 'Sat, 01 Mar 2025 10:00:00 GMT',
      headers: { 'x-correlation-id': '42' },
    });
    assert.equal(request.method, 'GET');
    assert.equal(request.redirect, 'manual');
    assert.equal(request.url, 'https://login.example.com/tenant/federationmetadata.xml');
    assert.equal(request.headers.get('accept'), METADATA_ACCEPT);
    assert.match(request.headers.get('user-agent') ?? '', /^claimsgate\/\d+\.\d+\.\d+/);
    assert.equal(request.headers.get('if-none-match'), 'W/"abc"');
    assert.equal(request.headers.get('if-modified-since'), 'Sat, 01 Mar 2025 10:00:00 GMT');
    assert.equal(request.headers.get('x-correlation-id'), '42');
  });

  it('sends no conditional headers when no validators are given', () => {
    const request = prepareMetadataRequest('https://login.example.com/md');
    assert.equal(request.headers.get('if-none-match'), null);
    assert.equal(request.headers.get('if-modified-since'), null);
  });

  it('accepts plain http for loopback hosts only', () => {
    for (const url of [
      'http://127.0.0.1:8080/md',
      'http://127.9.8.7/md',
      'http://[::1]/md',
      'http://localhost/md',
    ]) {
      assert.equal(prepareMetadataRequest(url).url, url);
    }
    for (const url of ['http://128.0.0.1/md', 'http://[::2]/md', 'http://localhost.example.com/md']) {
      assert.throws(
        () => prepareMetadataRequest(url),
        (error: unknown) => isClaimsgateError(error, 'CG_META_URL_INSECURE'),
      );
    }
  });
});
