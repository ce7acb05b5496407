import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { processMetadataResponse } from '../../src/metadata/process-metadata-response.js';

const FROZEN = new Date('2025-03-01T12:00:00.000Z');
const now = (): Date => new Date(FROZEN);
const URL_ = 'https://idp.example.com/federationmetadata.xml';
const JWKS = '{"keys":[]}';

/** A body stream that hands out `chunks` chunks of `chunkBytes`, counting pulls and noting a cancel. */
function countingStream(chunkBytes: number, chunks: number) {
  const state = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls += 1;
      if (state.pulls > chunks) controller.close();
      else controller.enqueue(new Uint8Array(chunkBytes));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return isClaimsgateError(error) && error.code === code;
  });
  assert.ok(isClaimsgateError(caught));
  assert.equal(caught.detail.url, URL_);
  return caught.detail;
}

describe('processMetadataResponse', () => {
  it('returns the bytes, SHA-256, headers, redirects and the injected time of a 200', async () => {
    const response = new Response(JWKS, {
      status: 200,
      headers: {
        'content-type': 'application/json',
        etag: '"k1"',
        'last-modified': 'Fri, 28 Feb 2025 00:00:00 GMT',
      },
    });
    const result = await processMetadataResponse(response, {
      url: URL_,
      redirects: ['https://a.example/'],
      now,
    });
    assert.deepEqual(result, {
      status: 'ok',
      body: Buffer.from(JWKS),
      url: URL_,
      httpStatus: 200,
      etag: '"k1"',
      lastModified: 'Fri, 28 Feb 2025 00:00:00 GMT',
      contentType: 'application/json',
      sha256: createHash('sha256').update(JWKS).digest('hex'),
      fetchedAt: FROZEN,
      redirects: ['https://a.example/'],
    });
  });

  it('omits validators and content type the server did not send, and accepts an empty body', async () => {
    const result = await processMetadataResponse(new Response(null, { status: 200 }), { url: URL_, now });
    assert.ok(result.status === 'ok');
    assert.equal(result.body.length, 0);
    assert.equal('etag' in result, false);
    assert.equal('lastModified' in result, false);
    assert.equal('contentType' in result, false);
    assert.equal(result.sha256, createHash('sha256').digest('hex'));
  });

  it('reports a 304 to a conditional request as not modified, keeping the validators that were sent', async () => {
    const result = await processMetadataResponse(new Response(null, { status: 304 }), {
      url: URL_,
      etag: '"k1"',
      lastModified: 'Fri, 28 Feb 2025 00:00:00 GMT',
      now,
    });
    assert.deepEqual(result, {
      status: 'not-modified',
      url: URL_,
      httpStatus: 304,
      etag: '"k1"',
      lastModified: 'Fri, 28 Feb 2025 00:00:00 GMT',
      fetchedAt: FROZEN,
      redirects: [],
    });
  });

  it("prefers the 304's own ETag over the one that was sent", async () => {
    const result = await processMetadataResponse(
      new Response(null, { status: 304, headers: { etag: '"k2"' } }),
      {
        url: URL_,
        etag: '"k1"',
        now,
      },
    );
    assert.equal(result.etag, '"k2"');
    assert.equal('lastModified' in result, false);
  });

  it('refuses a 304 when no validator was sent', async () => {
    const detail = await rejectsWithCode(
      processMetadataResponse(new Response(null, { status: 304 }), { url: URL_, now }),
      'CG_META_HTTP_STATUS',
    );
    assert.equal(detail['observed'], 304);
    assert.equal(detail['expected'], 200);
  });

  it('reports any other status with status text and without reading the body', async () => {
    const { stream, state } = countingStream(100, 10);
    const response = new Response(stream, { status: 503, statusText: 'Service Unavailable' });
    const detail = await rejectsWithCode(
      processMetadataResponse(response, { url: URL_, etag: '"k1"', now }),
      'CG_META_HTTP_STATUS',
    );
    assert.equal(detail['observed'], 503);
    assert.deepEqual(detail['expected'], [200, 304]);
    assert.equal(detail['statusText'], 'Service Unavailable');
    assert.equal(state.cancelled, true);
    assert.ok(state.pulls <= 1);
  });

  it('refuses a Content-Length over the limit without reading the body', async () => {
    const { stream, state } = countingStream(100, 10);
    const response = new Response(stream, { status: 200, headers: { 'content-length': '1001' } });
    const detail = await rejectsWithCode(
      processMetadataResponse(response, { url: URL_, maxBytes: 1000, now }),
      'CG_META_TOO_LARGE',
    );
    assert.deepEqual(detail, { url: URL_, limit: 1000, bytesRead: 0, contentLength: 1001 });
    assert.equal(state.cancelled, true);
  });

  it('does not trust a Content-Length under the limit and stops at the limit while streaming', async () => {
    const { stream, state } = countingStream(1000, 1000);
    const response = new Response(stream, { status: 200, headers: { 'content-length': '10' } });
    const detail = await rejectsWithCode(
      processMetadataResponse(response, { url: URL_, maxBytes: 4500, now }),
      'CG_META_TOO_LARGE',
    );
    assert.equal(detail['bytesRead'], 5000);
    assert.equal(state.cancelled, true);
    // The stream may have one chunk queued ahead of the reader, never more.
    assert.ok(state.pulls <= 7, `pulled ${state.pulls} chunks`);
  });

  it('ignores Content-Length for the early refusal when the body is content-encoded', async () => {
    const response = new Response(JWKS, {
      status: 200,
      headers: { 'content-length': '999999', 'content-encoding': 'gzip' },
    });
    const result = await processMetadataResponse(response, { url: URL_, maxBytes: 1000, now });
    assert.equal(result.status, 'ok');
  });

  it('accepts a body of exactly the limit', async () => {
    const { stream } = countingStream(500, 2);
    const result = await processMetadataResponse(new Response(stream, { status: 200 }), {
      url: URL_,
      maxBytes: 1000,
      now,
    });
    assert.ok(result.status === 'ok');
    assert.equal(result.body.length, 1000);
  });

  it('reports a body stream that breaks as a failed fetch with the cause', async () => {
    const failure = new TypeError('terminated');
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(failure);
        else controller.enqueue(new Uint8Array(10));
        sent = true;
      },
    });
    let caught: unknown;
    await assert.rejects(
      processMetadataResponse(new Response(stream), { url: URL_, now }),
      (error: unknown) => {
        caught = error;
        return isClaimsgateError(error, 'CG_META_FETCH_FAILED');
      },
    );
    assert.ok(isClaimsgateError(caught));
    assert.equal(caught.cause, failure);
    assert.deepEqual(caught.detail, { url: URL_, bytesRead: 10 });
  });

  it("rejects with the signal's reason when it aborts during a stalled body", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
      },
    });
    const controller = new AbortController();
    const reason = new Error('deadline');
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(
      processMetadataResponse(new Response(stream), { url: URL_, signal: controller.signal, now }),
      (error: unknown) => error === reason,
    );
  });

  it('rejects a maxBytes that is not a positive integer with a TypeError', async () => {
    await assert.rejects(processMetadataResponse(new Response(JWKS), { url: URL_, maxBytes: 0 }), TypeError);
  });
});
