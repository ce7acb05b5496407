/**
 * Redeeming an OpenID Connect authorization code at the issuer's token
 * endpoint, split as oauth4webapi does: building the request
 * ({@link prepareTokenRequest}) and reading the answer
 * ({@link processTokenResponse}) are pure; {@link redeemAuthorizationCode}
 * does the one network step between them, with a time limit and a size cap.
 */
import { ClaimsgateError, type ErrorDetail } from '../lib/errors.js';

/** One authorization code to redeem. */
export interface CodeRedemption {
  readonly tokenEndpoint: string;
  readonly code: string;
  /** The redirect_uri the authorization request named; it must be sent again (RFC 6749 §4.1.3). */
  readonly redirectUri: string;
  readonly clientId: string;
  /** When set, the client authenticates with HTTP Basic (RFC 6749 §2.3.1). */
  readonly clientSecret?: string | undefined;
  /** The PKCE code_verifier whose S256 challenge went with the authorization request (RFC 7636 §4.5). */
  readonly codeVerifier: string;
}

/** The answer of a token endpoint, as received (the body already read under the size cap). */
export interface TokenEndpointAnswer {
  readonly status: number;
  readonly body: string;
}

/** Options of {@link redeemAuthorizationCode}. */
export interface RedeemOptions {
  readonly fetch: typeof globalThis.fetch;
  /** Time allowed for the whole exchange: connection, headers and body. */
  readonly timeoutMs: number;
  /** The largest answer read; a longer body fails the exchange. */
  readonly maxBytes: number;
}

/** OAuth error codes are printable ASCII without `"` and `\` (RFC 6749 §5.2). */
const OAUTH_ERROR = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/;
const MAX_DESCRIPTION_CHARS = 300;

/** `application/x-www-form-urlencoded` encoding of one value, as HTTP Basic for OAuth requires (RFC 6749 §2.3.1). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function exchangeFailed(message: string, detail: ErrorDetail, cause?: unknown): ClaimsgateError {
  return new ClaimsgateError('CG_TOKEN_CODE_EXCHANGE_FAILED', message, {
    detail,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The OAuth `error` and `error_description` of an answer, made safe for the
 * log: an error that is not an OAuth error code is dropped, a description cut.
 */
export function readOAuthError(fields: Readonly<Record<string, unknown>>): {
  readonly error?: string;
  readonly errorDescription?: string;
} {
  const error = fields['error'];
  const description = fields['error_description'];
  return {
    ...(typeof error === 'string' && OAUTH_ERROR.test(error) ? { error } : {}),
    ...(typeof description === 'string'
      ? { errorDescription: description.slice(0, MAX_DESCRIPTION_CHARS).replace(/[^\x20-\x7E]/g, '?') }
      : {}),
  };
}

/**
 * Builds the token request for an authorization code: a POST of
 * `grant_type=authorization_code`, `code`, `redirect_uri`, `client_id` and
 * `code_verifier`, with the client secret (when configured) in an HTTP Basic
 * `Authorization` header, never in the body. Redirects are not followed, so
 * the code and the secret reach the configured endpoint only. Performs no I/O.
 *
 * @see RFC 6749 §4.1.3 (access token request), §2.3.1 (client password); RFC 7636 §4.5
 */
export function prepareTokenRequest(redemption: CodeRedemption, signal?: AbortSignal): Request {
  const headers = new Headers({
    'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
    accept: 'application/json',
  });
  if (redemption.clientSecret !== undefined) {
    const credentials = `${formEncode(redemption.clientId)}:${formEncode(redemption.clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  }
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: redemption.code,
    redirect_uri: redemption.redirectUri,
    client_id: redemption.clientId,
    code_verifier: redemption.codeVerifier,
  });
  return new Request(redemption.tokenEndpoint, {
    method: 'POST',
    headers,
    body: body.toString(),
    redirect: 'manual',
    ...(signal === undefined ? {} : { signal }),
  });
}

/**
 * Reads a token endpoint's answer: a 200 with a JSON object carrying an
 * `id_token` string gives that id_token (not yet validated); anything else
 * is a failure naming the endpoint, the HTTP status and the OAuth error.
 * Pure. The answer's tokens never go into the error.
 *
 * @throws ClaimsgateError CG_TOKEN_CODE_EXCHANGE_FAILED.
 * @see RFC 6749 §5.1 (successful response), §5.2 (error response); OpenID Connect Core 1.0 §3.1.3.3
 */
export function processTokenResponse(answer: TokenEndpointAnswer, tokenEndpoint: string): string {
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  const fields =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  if (answer.status !== 200) {
    const oauth = readOAuthError(fields);
    throw exchangeFailed(
      `The token endpoint ${tokenEndpoint} answered ${answer.status}${oauth.error === undefined ? '' : ` (${oauth.error})`}.`,
      { url: tokenEndpoint, reason: 'error answer', status: answer.status, ...oauth },
    );
  }
  if (json === undefined) {
    throw exchangeFailed(`The token endpoint ${tokenEndpoint} answered 200 with a body that is not JSON.`, {
      url: tokenEndpoint,
      reason: 'not JSON',
      status: 200,
    });
  }
  const idToken = fields['id_token'];
  if (typeof idToken !== 'string' || idToken === '') {
    throw exchangeFailed(`The token endpoint ${tokenEndpoint} answered without an id_token.`, {
      url: tokenEndpoint,
      reason: 'no id_token',
      status: 200,
      expected: 'an id_token (is openid in the scope?)',
    });
  }
  return idToken;
}

/** The body as UTF-8 text, reading no more than `maxBytes`. */
async function readBodyCapped(
  response: Response,
  maxBytes: number,
  url: string,
  signal: AbortSignal,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, maxBytes);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  // A fetch that ignores the signal for the body would let a stalled endpoint
  // hold the sign-in forever; cancelling the reader ends the read.
  const onAbort = (): void => {
    reader.cancel().catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const next = await reader.read();
      signal.throwIfAborted();
      if (next.done) break;
      total += next.value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, maxBytes);
      }
      chunks.push(next.value);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(url: string, maxBytes: number): ClaimsgateError {
  return exchangeFailed(`The token endpoint ${url} answered with more than ${maxBytes} bytes.`, {
    url,
    reason: 'answer too large',
    expected: `<= ${maxBytes} bytes`,
  });
}

/** Settles like `promise`, or rejects as soon as `signal` aborts (a fetch that ignores its signal cannot hang the sign-in). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Redeems an authorization code at the token endpoint and returns the
 * id_token of the answer, not yet validated. The whole exchange has
 * `timeoutMs`; the answer is read up to `maxBytes`; a redirect is a failure.
 *
 * @throws ClaimsgateError CG_TOKEN_CODE_EXCHANGE_FAILED for a network
 *   failure, a timeout, a redirect, an error answer (with the OAuth error), a
 *   body too large or not JSON, or no id_token. The detail has `url` and
 *   `reason`; never the code, the verifier or the secret.
 * @see RFC 6749 §4.1.3–4.1.4; RFC 7636 §4.5
 */
export async function redeemAuthorizationCode(
  redemption: CodeRedemption,
  options: RedeemOptions,
): Promise<string> {
  const url = redemption.tokenEndpoint;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    const response = await untilAborted(
      options.fetch(prepareTokenRequest(redemption, controller.signal)),
      controller.signal,
    );
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw exchangeFailed(`The token endpoint ${url} answered with a redirect (${response.status}).`, {
        url,
        reason: 'redirect',
        status: response.status,
        expected: 'a 200 answer from the endpoint itself',
      });
    }
    const body = await readBodyCapped(response, options.maxBytes, url, controller.signal);
    return processTokenResponse({ status: response.status, body }, url);
  } catch (error) {
    if (error instanceof ClaimsgateError) throw error;
    if (timedOut) {
      throw exchangeFailed(
        `The token endpoint ${url} did not answer within ${options.timeoutMs} ms.`,
        { url, reason: 'timeout', timeoutMs: options.timeoutMs },
        error,
      );
    }
    throw exchangeFailed(
      `The token endpoint ${url} could not be reached.`,
      { url, reason: 'network error' },
      error,
    );
  } finally {
    clearTimeout(timer);
  }
}
