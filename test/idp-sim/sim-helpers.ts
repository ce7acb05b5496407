import type { LightMyRequestResponse } from 'fastify';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromMetadata } from '../../src/trust/in-memory-trust.js';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import { createTokenValidator, type TokenValidatorOptions } from '../../src/tokens/create-token-validator.js';
import {
  createIdpSimulator,
  type IdpSimulator,
  type IdpSimulatorOptions,
} from '../../src/idp-sim/idp-sim-server.js';

/** The instant every simulator and validator in these tests takes as now. */
export const NOW = new Date('2026-03-02T09:30:00Z');
export const clock = (): Date => NOW;

/** A simulator for in-process tests: port 8788 (never bound), frozen clock. */
export function createTestSimulator(options: Partial<IdpSimulatorOptions> = {}): Promise<IdpSimulator> {
  return createIdpSimulator({ port: 8788, now: clock, ...options });
}

/** The path and query of an absolute URL, for `inject()`. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The first form of a page: its action and its hidden fields, unescaped. */
export function readForm(page: string): { action: string; fields: Record<string, string> } {
  const form = /<form method="post" action="([^"]*)">/.exec(page);
  if (form === null) throw new Error('the page has no POST form');
  const fields: Record<string, string> = {};
  for (const input of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[unescapeHtml(input[1]!)] = unescapeHtml(input[2]!);
  }
  return { action: unescapeHtml(form[1]!), fields };
}

/** POSTs a form body to the simulator in-process. */
export function postForm(
  sim: IdpSimulator,
  url: string,
  fields: Readonly<Record<string, string>>,
): Promise<LightMyRequestResponse> {
  return sim.app.inject({
    method: 'POST',
    url: pathOf(url),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** The tenant's federation metadata as the simulator serves it now. */
export async function fetchMetadataXml(sim: IdpSimulator, tenant?: string): Promise<string> {
  const response = await sim.app.inject({
    method: 'GET',
    url: pathOf(sim.tenantUrls(tenant).federationMetadata),
  });
  if (response.statusCode !== 200) throw new Error(`metadata: HTTP ${response.statusCode}`);
  return response.body;
}

/** A token validator trusting exactly what `metadataXml` publishes. */
export function validatorFromMetadata(
  metadataXml: string,
  options: Omit<TokenValidatorOptions, 'trust'>,
): ReturnType<typeof createTokenValidator> {
  const { issuer, keys } = trustFromMetadata(parseMetadata(metadataXml).metadata);
  return createTokenValidator({
    trust: createTrustSnapshot({ issuers: [issuer], keys }),
    now: clock,
    replayCache: false,
    ...options,
  });
}

/** Signs in through WS-Federation as `user` and returns the posted form (wa, wresult, wctx) and its target. */
export async function wsFedSignIn(
  sim: IdpSimulator,
  options: { wtrealm: string; wreply: string; wctx?: string; user?: string; tokenType?: string },
): Promise<{ action: string; fields: Record<string, string> }> {
  const query = new URLSearchParams({ wa: 'wsignin1.0', wtrealm: options.wtrealm, wreply: options.wreply });
  if (options.wctx !== undefined) query.set('wctx', options.wctx);
  const page = await sim.app.inject({
    method: 'GET',
    url: `${pathOf(sim.tenantUrls().wsfed)}?${query.toString()}`,
  });
  if (page.statusCode !== 200) throw new Error(`sign-in page: HTTP ${page.statusCode} ${page.body}`);
  const picker = readForm(page.body);
  const choice: Record<string, string> = { ...picker.fields, user: options.user ?? 'alice' };
  if (options.tokenType !== undefined) choice.tokenType = options.tokenType;
  const posted = await postForm(sim, picker.action, choice);
  if (posted.statusCode !== 200) throw new Error(`sign-in choice: HTTP ${posted.statusCode} ${posted.body}`);
  return readForm(posted.body);
}
