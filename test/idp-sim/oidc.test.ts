import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import { createTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import { trustFromMetadata } from '../../src/trust/in-memory-trust.js';
import { clock, createTestSimulator, NOW, pathOf, postForm, readForm } from './sim-helpers.js';

const CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const REDIRECT = 'http://127.0.0.1:8787/signin-oidc';

async function jwtValidator(sim: IdpSimulator): Promise<ReturnType<typeof createTokenValidator>> {
  const response = await sim.app.inject({ method: 'GET', url: pathOf(sim.tenantUrls().jwks) });
  const { issuer, keys } = trustFromMetadata(parseMetadata(response.body).metadata, {
    issuer: sim.tenantUrls().oidcIssuer,
  });
  return createTokenValidator({
    trust: createTrustSnapshot({ issuers: [issuer], keys }),
    audiences: CLIENT,
    now: clock,
    replayCache: false,
  });
}

async function authorize(
  sim: IdpSimulator,
  parameters: Record<string, string>,
  user = 'alice',
): Promise<Awaited<ReturnType<typeof postForm>>> {
  const query = new URLSearchParams({
    client_id: CLIENT,
    redirect_uri: REDIRECT,
    scope: 'openid profile email',
    state: 'st-1',
    nonce: 'n-1',
    ...parameters,
  });
  const page = await sim.app.inject({ method: 'GET', url: `${pathOf(sim.tenantUrls().authorize)}?${query}` });
  assert.equal(page.statusCode, 200, page.body);
  const picker = readForm(page.body);
  return postForm(sim, picker.action, { ...picker.fields, user });
}

async function redeem(sim: IdpSimulator, code: string, overrides: Record<string, string> = {}) {
  return postForm(sim, sim.tenantUrls().token, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    client_id: CLIENT,
    ...overrides,
  });
}

describe('the IdP simulator OpenID Connect endpoints', () => {
  let sim: IdpSimulator;
  before(async () => {
    sim = await createTestSimulator();
  });
  after(() => sim.stop());

  it('runs the code flow: a one-time code by redirect, then an id_token that validates with the JWKS', async () => {
    const redirected = await authorize(sim, { response_type: 'code' });
    assert.equal(redirected.statusCode, 302);
    const location = new URL(redirected.headers.location as string);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    assert.equal(location.searchParams.get('state'), 'st-1');
    const code = location.searchParams.get('code')!;
    const tokens = await redeem(sim, code);
    assert.equal(tokens.statusCode, 200, tokens.body);
    assert.equal(tokens.headers['cache-control'], 'no-store');
    const body = tokens.json<{
      id_token: string;
      access_token: string;
      token_type: string;
      expires_in: number;
    }>();
    assert.equal(body.token_type, 'Bearer');
    const validator = await jwtValidator(sim);
    const identity = await validator.validate(body.id_token);
    assert.equal(identity.kind, 'jwt');
    assert.equal(identity.issuer, sim.tenantUrls().oidcIssuer);
    assert.deepEqual(identity.claims.nonce, ['n-1']);
    assert.deepEqual(identity.claims.tid, [sim.tenants[0]]);
    assert.deepEqual(identity.claims.preferred_username, ['alice@contoso.test']);
    assert.equal(identity.issuedAt?.getTime(), NOW.getTime());
    assert.equal(identity.signingKey.kid, sim.keys()[0]!.keys.find((k) => k.state === 'current')!.kid);
    const access = await validator.validate(body.access_token);
    assert.deepEqual(access.audiences, [CLIENT]);
  });

  it('refuses a code the second time it is redeemed', async () => {
    const code = new URL(
      (await authorize(sim, { response_type: 'code' })).headers.location as string,
    ).searchParams.get('code')!;
    assert.equal((await redeem(sim, code)).statusCode, 200);
    const again = await redeem(sim, code);
    assert.equal(again.statusCode, 400);
    assert.deepEqual(
      { error: again.json<{ error: string }>().error, code: again.json<{ code: string }>().code },
      { error: 'invalid_grant', code: 'CG_TOKEN_GRANT_INVALID' },
    );
  });

  it('refuses an unknown code, and a code presented with another redirect_uri', async () => {
    const unknown = await redeem(sim, 'not-a-code');
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json<{ code: string }>().code, 'CG_TOKEN_GRANT_INVALID');
    const code = new URL(
      (await authorize(sim, { response_type: 'code' })).headers.location as string,
    ).searchParams.get('code')!;
    const wrong = await redeem(sim, code, { redirect_uri: 'http://127.0.0.1:8787/elsewhere' });
    assert.equal(wrong.json<{ error: string }>().error, 'invalid_grant');
  });

  it('posts an id_token with form_post that validates with the JWKS', async () => {
    const posted = await authorize(sim, { response_type: 'id_token', response_mode: 'form_post' }, 'admin');
    assert.equal(posted.statusCode, 200);
    const form = readForm(posted.body);
    assert.equal(form.action, REDIRECT);
    assert.equal(form.fields.state, 'st-1');
    const identity = await (await jwtValidator(sim)).validate(form.fields.id_token!);
    assert.deepEqual(identity.claims.roles, ['Admin']);
    assert.deepEqual(identity.claims.nonce, ['n-1']);
  });

  it('posts a code with form_post when asked', async () => {
    const posted = await authorize(sim, { response_type: 'code', response_mode: 'form_post' });
    const form = readForm(posted.body);
    assert.equal((await redeem(sim, form.fields.code!)).statusCode, 200);
  });

  it('refuses bad authorization requests with the parameter named', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ response_type: 'token' }, 'response_type'],
      [{ response_type: 'id_token', response_mode: 'query' }, 'response_mode'],
      [{ response_type: 'code', scope: 'profile' }, 'scope'],
      [{ response_type: 'code', redirect_uri: 'javascript:alert(1)' }, 'redirect_uri'],
    ];
    for (const [parameters, parameter] of cases) {
      const query = new URLSearchParams({
        client_id: CLIENT,
        redirect_uri: REDIRECT,
        scope: 'openid',
        ...parameters,
      });
      const response = await sim.app.inject({
        method: 'GET',
        url: `${pathOf(sim.tenantUrls().authorize)}?${query}`,
      });
      assert.equal(response.statusCode, 400, parameter);
      assert.equal(response.json<{ error: { parameter: string } }>().error.parameter, parameter);
    }
  });

  it('refuses a grant type other than authorization_code in OAuth terms', async () => {
    const response = await postForm(sim, sim.tenantUrls().token, {
      grant_type: 'password',
      client_id: CLIENT,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: string }>().error, 'unsupported_grant_type');
  });
});
