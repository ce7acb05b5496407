/**
 * Sign-ins through a running gateway as a browser makes them: `GET /signin`
 * for the binding cookie and the sealed wctx, then a WS-Federation POST of a
 * token to `/signin/wsfed`. Shared by the scale and cluster benches.
 */
import { randomUUID } from 'node:crypto';
import type { TestCertificate } from '../test/helpers/certificates.js';
import { buildBenchToken } from './make-token.js';

/** Where a sign-in goes: the address the bench reaches and the public URL the gateway answers for. */
export interface SignInTarget {
  readonly url: string;
  readonly publicUrl: string;
}

/** The network error's code (ECONNREFUSED…), or the error's name. */
export function networkFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return cause ?? (error instanceof Error ? error.name : 'error');
}

/** A sign-in started at a gateway (its binding cookie) and the form to post back, or why it could not start. */
export type PreparedSignIn = { readonly cookie: string; readonly body: string } | { readonly failed: string };

/**
 * Starts a sign-in as a browser would (`GET /signin?whr=` for the binding
 * cookie and the sealed wctx) and makes its answer: a token of `tenantId`'s
 * issuer signed by `signer`, for `audience` and this gateway's callback, with
 * an assertion ID of its own (the replay cache would refuse a repeated one),
 * or `presigned`, such a wresult made beforehand.
 */
export async function prepareSignIn(
  target: SignInTarget,
  audience: string,
  issuerName: string,
  tenantId: string,
  signer: TestCertificate,
  presigned?: string,
): Promise<PreparedSignIn> {
  try {
    const start = await fetch(`${target.url}/signin?returnUrl=%2F&whr=${encodeURIComponent(issuerName)}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(20_000),
    });
    const text = await start.text();
    const location = start.headers.get('location');
    const cookie = start.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .find((pair) => pair.includes('signin='));
    if (start.status !== 302 || location === null || cookie === undefined)
      return { failed: /CG_[A-Z0-9_]+/.exec(text)?.[0] ?? `GET /signin ${start.status}` };
    const wctx = new URL(location).searchParams.get('wctx') ?? '';
    const wresult = presigned ?? signedWresult(target, audience, tenantId, signer);
    const body = new URLSearchParams({ wa: 'wsignin1.0', wresult, wctx }).toString();
    return { cookie, body };
  } catch (error) {
    return { failed: networkFailure(error) };
  }
}

/** A wresult for a sign-in at `target`: see {@link prepareSignIn}. */
export function signedWresult(
  target: SignInTarget,
  audience: string,
  tenantId: string,
  signer: TestCertificate,
): string {
  return buildBenchToken(signer, {
    issuedAt: new Date(Math.floor(Date.now() / 1000) * 1000),
    tenantId,
    audience,
    recipient: `${target.publicUrl}/signin/wsfed`,
    assertionId: `_${randomUUID()}`,
  }).wresult;
}

/** Posts a prepared sign-in: `ok` (303 to the return URL) or the refusal's CG_* code, status or network error. */
export async function postSignIn(target: SignInTarget, prepared: PreparedSignIn): Promise<string> {
  if ('failed' in prepared) return prepared.failed;
  try {
    const posted = await fetch(`${target.url}/signin/wsfed`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: prepared.cookie },
      body: prepared.body,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await posted.text();
    if (posted.status === 303) return 'ok';
    return /CG_[A-Z0-9_]+/.exec(text)?.[0] ?? `HTTP ${posted.status}`;
  } catch (error) {
    return networkFailure(error);
  }
}

/** One whole sign-in at a gateway; how it ended (see {@link postSignIn}). */
export async function signIn(
  target: SignInTarget,
  audience: string,
  issuerName: string,
  tenantId: string,
  signer: TestCertificate,
): Promise<string> {
  return postSignIn(target, await prepareSignIn(target, audience, issuerName, tenantId, signer));
}

/** What {@link measureSignIns} counted. */
export interface SignInRate {
  readonly perSecond: number;
  readonly ok: number;
  readonly failedByCode: Record<string, number>;
}

/**
 * Whole sign-ins (GET then POST) through `target`, `concurrency` at a time,
 * for `seconds` or `tokens.length` sign-ins, whichever ends first, each with
 * one of `tokens` (signed beforehand, so that signing takes no CPU from the
 * gateway while it is measured). The rate counts sign-ins that ended `ok`.
 */
export async function measureSignIns(
  target: SignInTarget,
  issuer: { readonly name: string; readonly tenantId: string },
  signer: TestCertificate,
  tokens: readonly string[],
  options: { readonly seconds: number; readonly concurrency: number },
): Promise<SignInRate> {
  const failedByCode: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  const started = performance.now();
  const until = started + options.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (next < tokens.length && performance.now() < until) {
      const token = tokens[next]!;
      next += 1;
      const prepared = await prepareSignIn(target, '', issuer.name, issuer.tenantId, signer, token);
      const outcome = await postSignIn(target, prepared);
      if (outcome === 'ok') ok += 1;
      else failedByCode[outcome] = (failedByCode[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { perSecond: ok / ((performance.now() - started) / 1000), ok, failedByCode };
}
