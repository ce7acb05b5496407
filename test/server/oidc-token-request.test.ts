import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaimsgateError } from '../../src/lib/errors.js';
import {
  prepareTokenRequest,
  processTokenResponse,
  redeemAuthorizationCode,
  type CodeRedemption,
} from '../../src/server/oidc-token-request.js';

const ENDPOINT = 'https://login.test/tenant/oauth2/v2.0/token';
const SECRET = 'client-secret-value-never-logged';
const CODE = 'code-value-never-logged';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

const redemption: CodeRedemption = {
  tokenEndpoint: ENDPOINT,
  code: CODE,
  redirectUri: 'https://gateway.test/signin/oidc',
  clientId: 'client-1',
  clientSecret: SECRET,
  codeVerifier: VERIFIER,
};

function failureOf(action: () => unknown): ClaimsgateError {
  try {
    action();
  } catch (error) {
    if (error instanceof ClaimsgateError) return error;
    throw error;
  }
  assert.fail('expected a ClaimsgateError');
}

async function asyncFailureOf(action: () => Promise<unknown>): Promise<ClaimsgateError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ClaimsgateError) return error;
    throw error;
  }
  assert.fail('expected a ClaimsgateError');
}

/** The error as it would be logged must carry none of the exchange's secrets. */
function assertNoSecrets(error: ClaimsgateError): void {
  const logged = JSON.stringify({ ...error.toJSON(), cause: String(error.cause) });
  for (const secret of [SECRET, CODE, VERIFIER]) assert.ok(!logged.includes(secret), secret);
}

describe('the token request', () => {
  it('POSTs the grant as a form, the secret by HTTP Basic only, and does not follow redirects', async () => {
    const request = prepareTokenRequest(redemption);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, ENDPOINT);
    assert.equal(request.redirect, 'manual');
    assert.match(request.headers.get('content-type')!, /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(await request.text());
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: 'https://gateway.test/signin/oidc',
      client_id: 'client-1',
      code_verifier: VERIFIER,
    });
    assert.equal(
      request.headers.get('authorization'),
      `Basic ${Buffer.from(`client-1:${SECRET}`).toString('base64')}`,
    );
    const publicClient = prepareTokenRequest({ ...redemption, clientSecret: undefined });
    assert.equal(publicClient.headers.get('authorization'), null);
  });

  it('form-encodes the client ID and secret inside HTTP Basic (RFC 6749 §2.3.1)', () => {
    const request = prepareTokenRequest({ ...redemption, clientId: 'a:b', clientSecret: 'p w&d' });
    const decoded = Buffer.from(request.headers.get('authorization')!.slice(6), 'base64').toString('utf8');
    assert.equal(decoded, 'a%3Ab:p+w%26d');
  });
});

describe('reading the token endpoint answer', () => {
  it('gives the id_token of a 200 JSON answer', () => {
    const body = JSON.stringify({ token_type: 'Bearer', id_token: 'h.p.s', access_token: 'a.b.c' });
    assert.equal(processTokenResponse({ status: 200, body }, ENDPOINT), 'h.p.s');
  });

  it('names the endpoint, the status and the OAuth error of an error answer', () => {
    const error = failureOf(() =>
      processTokenResponse(
        {
          status: 400,
          body: JSON.stringify({ error: 'invalid_grant', error_description: 'AADSTS70008: expired' }),
        },
        ENDPOINT,
      ),
    );
    assert.equal(error.code, 'CG_TOKEN_CODE_EXCHANGE_FAILED');
    assert.equal(error.detail.url, ENDPOINT);
    assert.equal(error.detail['status'], 400);
    assert.equal(error.detail['error'], 'invalid_grant');
    assert.equal(error.detail['errorDescription'], 'AADSTS70008: expired');
  });

  it('drops an error that is not an OAuth error code and cuts a long description', () => {
    const error = failureOf(() =>
      processTokenResponse(
        { status: 401, body: JSON.stringify({ error: 'bad"\\value', error_description: 'x'.repeat(5000) }) },
        ENDPOINT,
      ),
    );
    assert.equal(error.detail['error'], undefined);
    assert.equal((error.detail['errorDescription'] as string).length, 300);
    const html = failureOf(() =>
      processTokenResponse({ status: 502, body: '<html>gateway</html>' }, ENDPOINT),
    );
    assert.equal(html.detail['status'], 502);
    assert.equal(html.detail['reason'], 'error answer');
  });

  it('refuses a 200 answer that is not JSON or carries no id_token', () => {
    for (const [body, reason] of [
      ['not json', 'not JSON'],
      ['{"access_token":"a.b.c"}', 'no id_token'],
      ['{"id_token":""}', 'no id_token'],
      ['[1,2]', 'no id_token'],
    ] as const) {
      const error = failureOf(() => processTokenResponse({ status: 200, body }, ENDPOINT));
      assert.equal(error.code, 'CG_TOKEN_CODE_EXCHANGE_FAILED');
      assert.equal(error.detail['reason'], reason, body);
    }
  });
});

describe('redeeming an authorization code', () => {
  const options = { timeoutMs: 5_000, maxBytes: 1_024 };

  it('returns the id_token the endpoint answers', async () => {
    const fetch: typeof globalThis.fetch = () => Promise.resolve(Response.json({ id_token: 'h.p.s' }));
    assert.equal(await redeemAuthorizationCode(redemption, { ...options, fetch }), 'h.p.s');
  });

  it('fails with the endpoint and reason, and no secret, when the endpoint cannot be reached', async () => {
    const fetch: typeof globalThis.fetch = () => Promise.reject(new TypeError('fetch failed'));
    const error = await asyncFailureOf(() => redeemAuthorizationCode(redemption, { ...options, fetch }));
    assert.equal(error.code, 'CG_TOKEN_CODE_EXCHANGE_FAILED');
    assert.deepEqual(error.detail, { url: ENDPOINT, reason: 'network error' });
    assertNoSecrets(error);
  });

  it('fails on a redirect instead of sending the code elsewhere', async () => {
    const fetch: typeof globalThis.fetch = () =>
      Promise.resolve(new Response(null, { status: 302, headers: { location: 'https://evil.test/' } }));
    const error = await asyncFailureOf(() => redeemAuthorizationCode(redemption, { ...options, fetch }));
    assert.equal(error.detail['reason'], 'redirect');
    assertNoSecrets(error);
  });

  it('fails on an answer larger than the cap, declared or streamed', async () => {
    const big = JSON.stringify({ id_token: 'x'.repeat(2_000) });
    const declared: typeof globalThis.fetch = () =>
      Promise.resolve(new Response(big, { headers: { 'content-length': String(big.length) } }));
    const streamed: typeof globalThis.fetch = () =>
      Promise.resolve(
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(big));
              controller.close();
            },
          }),
        ),
      );
    for (const fetch of [declared, streamed]) {
      const error = await asyncFailureOf(() => redeemAuthorizationCode(redemption, { ...options, fetch }));
      assert.equal(error.detail['reason'], 'answer too large');
    }
  });

  it('gives up after timeoutMs even when the fetch ignores its signal', async () => {
    const hanging: typeof globalThis.fetch = () => new Promise<Response>(() => undefined);
    const error = await asyncFailureOf(() =>
      redeemAuthorizationCode(redemption, { timeoutMs: 100, maxBytes: 1_024, fetch: hanging }),
    );
    assert.equal(error.code, 'CG_TOKEN_CODE_EXCHANGE_FAILED');
    assert.equal(error.detail['reason'], 'timeout');
    assert.equal(error.detail['timeoutMs'], 100);
    assertNoSecrets(error);
  });

  it('gives up after timeoutMs when the body stalls', async () => {
    const stalled: typeof globalThis.fetch = () =>
      Promise.resolve(new Response(new ReadableStream({ start: () => undefined })));
    const error = await asyncFailureOf(() =>
      redeemAuthorizationCode(redemption, { timeoutMs: 100, maxBytes: 1_024, fetch: stalled }),
    );
    assert.equal(error.detail['reason'], 'timeout');
  });
});
