import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config/load-config.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { pkceChallenge } from '../../src/server/oidc-sign-in.js';
import type { Store } from '../../src/store/store.js';
import {
  bindingCookieOf,
  cookiePair,
  createGatewayFixture,
  postForm,
  PUBLIC_URL,
  setCookieOf,
  signInAtSimulator,
  START,
  type GatewayFixture,
} from './gateway-fixture.js';

const COOKIE = 'claimsgate_session';
const SECOND_TENANT = 'b5d1c0a2-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
/** Registered for the code flow (with a secret) at the first tenant. */
const CODE_CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';
const CODE_SECRET = 'Q8~oidc-client-secret-never-shown';
/** Registered for the id_token flow at the second tenant. */
const IMPLICIT_CLIENT = '0b8a1f5e-2c3d-4e5f-a6b7-c8d9e0f1a2b3';

/** What the gateway sent to the token endpoint. */
interface TokenCall {
  readonly url: string;
  readonly authorization: string | null;
  readonly form: URLSearchParams;
}

/** A fetch that records token requests and can play a token endpoint that is down or failing. */
function createTokenEndpointFetch(): {
  fetch: typeof globalThis.fetch;
  calls: TokenCall[];
  mode: { current: 'pass' | 'down' | 'server-error' };
} {
  const calls: TokenCall[] = [];
  const mode = { current: 'pass' as 'pass' | 'down' | 'server-error' };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    calls.push({
      url: request.url,
      authorization: request.headers.get('authorization'),
      form: new URLSearchParams(await request.clone().text()),
    });
    if (mode.current === 'down') {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      });
    }
    if (mode.current === 'server-error') {
      return Response.json({ error: 'server_error', error_description: 'try later' }, { status: 500 });
    }
    return globalThis.fetch(request);
  };
  return { fetch, calls, mode };
}

/** The identity label of each OIDC issuer: a label belongs to one issuer (the identity is label:name). */
const LABELS: Readonly<Record<string, string>> = {
  'oidc-sim': 'OIDC',
  'oidc-implicit': 'OIDCIMPLICIT',
  'oidc-unregistered': 'OIDCUNREGISTERED',
  'oidc-no-discovery': 'OIDCNODISCOVERY',
};

async function addOidcIssuer(
  store: Store,
  name: string,
  issuerUri: string,
  metadataUrl: string | null,
): Promise<void> {
  const label = LABELS[name]!;
  const issuer = await store.createIssuer(
    { name, issuerUri, protocols: ['oidc'], metadataUrl, label },
    'test',
  );
  await store.createClaimMapping({ issuerId: issuer.id, label, nameClaim: 'preferred_username' }, 'test');
}

describe('OpenID Connect sign-in through the gateway', () => {
  let fixture: GatewayFixture;
  /** The gateway with a recording fetch and its configuration from the environment. */
  let app: FastifyInstance;
  /** The binding cookie of the latest sign-in started, as the browser holds it. */
  let binding: string | undefined;
  let tokenEndpoint: ReturnType<typeof createTokenEndpointFetch>;

  before(async () => {
    const clients = {
      'oidc-sim': { clientId: CODE_CLIENT, clientSecret: CODE_SECRET },
      'oidc-implicit': { clientId: IMPLICIT_CLIENT, responseType: 'id_token' },
      'oidc-no-discovery': { clientId: CODE_CLIENT },
    };
    // The fixture's own app gets the registrations as a flag and uses the real global fetch.
    fixture = await createGatewayFixture({ secondTenant: SECOND_TENANT, flags: { 'oidc.clients': clients } });
    const first = fixture.sim.tenantUrls();
    const second = fixture.sim.tenantUrls(SECOND_TENANT);
    await addOidcIssuer(fixture.store, 'oidc-sim', first.oidcIssuer, first.openIdConfiguration);
    await addOidcIssuer(fixture.store, 'oidc-implicit', second.oidcIssuer, second.openIdConfiguration);
    await addOidcIssuer(fixture.store, 'oidc-unregistered', 'https://unregistered.example/v2.0', null);
    await addOidcIssuer(fixture.store, 'oidc-no-discovery', 'https://no-discovery.example/v2.0', null);
    await fixture.engine.refreshIssuer('oidc-sim', { force: true });
    await fixture.engine.refreshIssuer('oidc-implicit', { force: true });
    await fixture.engine.reload();

    // This one reads the registrations from the environment, the secret by reference.
    const { config } = loadConfig({
      env: {
        CLAIMSGATE_OIDC_CLIENTS: JSON.stringify({
          ...clients,
          'oidc-sim': { clientId: CODE_CLIENT, clientSecret: 'env:OIDC_SIM_SECRET' },
        }),
        OIDC_SIM_SECRET: CODE_SECRET,
      },
      flags: { mode: 'development', 'server.port': 8787 },
    });
    tokenEndpoint = createTokenEndpointFetch();
    app = createGatewayServer({
      config,
      store: fixture.store,
      engine: fixture.engine,
      now: () => START,
      fetch: tokenEndpoint.fetch,
    });
  });

  after(async () => {
    await app.close();
    await fixture.close();
  });

  async function startSignIn(gateway: FastifyInstance, issuer: string, returnUrl = '/'): Promise<URL> {
    const query = new URLSearchParams({ returnUrl, whr: issuer });
    const response = await gateway.inject({ method: 'GET', url: `/signin?${query.toString()}` });
    assert.equal(response.statusCode, 302, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    binding = bindingCookieOf(response);
    return new URL(response.headers.location as string);
  }

  /** Posts the identity provider's answer to `/signin/oidc` with a binding cookie, by default the latest one. */
  function postOidc(
    gateway: FastifyInstance,
    fields: Readonly<Record<string, string>>,
    cookie = binding,
  ): Promise<LightMyRequestResponse> {
    return postForm(gateway, '/signin/oidc', fields, cookie);
  }

  /** Starts a sign-in at `issuer` and returns the form the simulator posts back, and the authorization request. */
  async function authorize(
    gateway: FastifyInstance,
    issuer: string,
  ): Promise<{ location: URL; fields: Record<string, string>; cookie: string }> {
    const location = await startSignIn(gateway, issuer);
    const form = await signInAtSimulator(location.href);
    assert.equal(form.action, `${PUBLIC_URL}/signin/oidc`);
    return { location, fields: form.fields, cookie: binding! };
  }

  function assertRefused(response: LightMyRequestResponse, code: string): void {
    assert.equal(response.statusCode, 400, response.body);
    assert.ok(response.body.includes(code), `expected ${code} on the error page`);
    assert.equal(setCookieOf(response, COOKIE), undefined);
    assert.ok(!response.body.includes(CODE_SECRET));
  }

  async function assertSignedInAs(response: LightMyRequestResponse, user: string): Promise<void> {
    assert.equal(response.statusCode, 303, response.body);
    assert.equal(response.headers.location, '/');
    const setCookie = setCookieOf(response, COOKIE);
    assert.ok(setCookie !== undefined);
    const page = await app.inject({ method: 'GET', url: '/', headers: { cookie: cookiePair(setCookie) } });
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes(user), page.body);
  }

  it('redirects to the authorization endpoint with the client, form_post, the scope, a nonce, sealed state and an S256 challenge', async () => {
    const location = await startSignIn(app, 'oidc-sim', '/reports');
    const urls = fixture.sim.tenantUrls();
    assert.equal(`${location.origin}${location.pathname}`, urls.authorize);
    const parameters = location.searchParams;
    assert.equal(parameters.get('client_id'), CODE_CLIENT);
    assert.equal(parameters.get('response_type'), 'code');
    assert.equal(parameters.get('response_mode'), 'form_post');
    assert.equal(parameters.get('redirect_uri'), `${PUBLIC_URL}/signin/oidc`);
    assert.equal(parameters.get('scope'), 'openid profile email');
    assert.match(parameters.get('nonce')!, /^[A-Za-z0-9_-]{22}$/);
    assert.match(parameters.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(parameters.get('code_challenge_method'), 'S256');
    const state = parameters.get('state')!;
    assert.ok(!state.includes('reports'));
    assert.ok(!location.href.includes('code_verifier'));
    const again = await startSignIn(app, 'oidc-sim', '/reports');
    assert.notEqual(again.searchParams.get('nonce'), parameters.get('nonce'));
    assert.notEqual(again.searchParams.get('code_challenge'), parameters.get('code_challenge'));
  });

  it('signs in end to end with the code flow, redeeming the code with the global fetch', async () => {
    const { fields } = await authorize(fixture.app, 'oidc-sim');
    assert.ok(fields.code !== undefined && fields.id_token === undefined);
    const posted = await postOidc(fixture.app, fields);
    assert.equal(posted.statusCode, 303, posted.body);
    const setCookie = setCookieOf(posted, COOKIE);
    assert.ok(setCookie !== undefined);
    const page = await fixture.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: cookiePair(setCookie) },
    });
    assert.ok(page.body.includes('OIDC:alice@contoso.test'));
    assert.ok(page.body.includes('<strong>oidc-sim</strong>'));
  });

  it('sends the token endpoint the code, the redirect URI, the client and the verifier whose S256 hash was the challenge, the secret by HTTP Basic', async () => {
    tokenEndpoint.calls.length = 0;
    const { location, fields } = await authorize(app, 'oidc-sim');
    const posted = await postOidc(app, fields);
    await assertSignedInAs(posted, 'OIDC:alice@contoso.test');
    assert.equal(tokenEndpoint.calls.length, 1);
    const call = tokenEndpoint.calls[0]!;
    assert.equal(call.url, fixture.sim.tenantUrls().token);
    assert.equal(call.form.get('grant_type'), 'authorization_code');
    assert.equal(call.form.get('code'), fields.code);
    assert.equal(call.form.get('redirect_uri'), `${PUBLIC_URL}/signin/oidc`);
    assert.equal(call.form.get('client_id'), CODE_CLIENT);
    const verifier = call.form.get('code_verifier')!;
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(pkceChallenge(verifier), location.searchParams.get('code_challenge'));
    assert.equal(call.form.get('client_secret'), null);
    const authorization = call.authorization ?? '';
    assert.ok(authorization.startsWith('Basic '));
    // RFC 6749 §2.3.1: both halves form-urlencoded, then base64.
    const [user, password] = Buffer.from(authorization.slice(6), 'base64')
      .toString('utf8')
      .split(':')
      .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
    assert.equal(user, CODE_CLIENT);
    assert.equal(password, CODE_SECRET);
  });

  it('signs in end to end with a form_post of an id_token, without a challenge or a token request', async () => {
    tokenEndpoint.calls.length = 0;
    const { location, fields } = await authorize(app, 'oidc-implicit');
    assert.equal(location.searchParams.get('response_type'), 'id_token');
    assert.equal(location.searchParams.get('client_id'), IMPLICIT_CLIENT);
    assert.equal(location.searchParams.get('code_challenge'), null);
    assert.ok(fields.id_token !== undefined);
    const posted = await postOidc(app, fields);
    await assertSignedInAs(posted, 'OIDCIMPLICIT:alice@contoso.test');
    assert.equal(tokenEndpoint.calls.length, 0);
  });

  it('refuses an answer posted without the binding cookie of its sign-in (login CSRF), in both flows', async () => {
    for (const issuer of ['oidc-implicit', 'oidc-sim']) {
      tokenEndpoint.calls.length = 0;
      const { fields, cookie } = await authorize(app, issuer);
      assertRefused(await postOidc(app, fields, ''), 'CG_SESSION_BINDING_MISMATCH');
      // Refused before the code is redeemed, and without burning the state.
      assert.equal(tokenEndpoint.calls.length, 0);
      await assertSignedInAs(await postOidc(app, fields, cookie), `${LABELS[issuer]!}:alice@contoso.test`);
    }
  });

  it("refuses an attacker's answer posted from a victim's browser (another binding cookie)", async () => {
    const attacker = await authorize(app, 'oidc-implicit');
    const victim = await authorize(app, 'oidc-implicit');
    assert.notEqual(victim.cookie, attacker.cookie);
    assertRefused(await postOidc(app, attacker.fields, victim.cookie), 'CG_SESSION_BINDING_MISMATCH');
    await assertSignedInAs(
      await postOidc(app, attacker.fields, attacker.cookie),
      'OIDCIMPLICIT:alice@contoso.test',
    );
  });

  it('refuses state that was already used with CG_TOKEN_REPLAYED', async () => {
    const { fields } = await authorize(app, 'oidc-implicit');
    const first = await postOidc(app, fields);
    assert.equal(first.statusCode, 303, first.body);
    assertRefused(await postOidc(app, fields), 'CG_TOKEN_REPLAYED');
  });

  it('refuses an id_token from another sign-in (another nonce) with CG_TOKEN_NONCE_MISMATCH', async () => {
    const victim = await authorize(app, 'oidc-implicit');
    const attacker = await authorize(app, 'oidc-implicit');
    const injected = await postOidc(
      app,
      { state: victim.fields.state!, id_token: attacker.fields.id_token! },
      victim.cookie,
    );
    assertRefused(injected, 'CG_TOKEN_NONCE_MISMATCH');
  });

  it('refuses a code from another sign-in in the code flow with CG_TOKEN_NONCE_MISMATCH', async () => {
    const victim = await authorize(app, 'oidc-sim');
    const attacker = await authorize(app, 'oidc-sim');
    const injected = await postOidc(
      app,
      { state: victim.fields.state!, code: attacker.fields.code! },
      victim.cookie,
    );
    assertRefused(injected, 'CG_TOKEN_NONCE_MISMATCH');
  });

  it('refuses an id_token posted to a code-flow client without redeeming anything', async () => {
    tokenEndpoint.calls.length = 0;
    const implicit = await authorize(app, 'oidc-implicit');
    const location = await startSignIn(app, 'oidc-sim');
    const response = await postOidc(app, {
      state: location.searchParams.get('state')!,
      id_token: implicit.fields.id_token!,
    });
    assertRefused(response, 'CG_TOKEN_CODE_EXCHANGE_FAILED');
    assert.equal(tokenEndpoint.calls.length, 0);
  });

  it('refuses an error answer of the identity provider with CG_TOKEN_AUTHORIZATION_DENIED and does not show its text', async () => {
    const location = await startSignIn(app, 'oidc-sim');
    const response = await postOidc(app, {
      error: 'access_denied',
      error_description: '<b>AADSTS50105: user-not-assigned-marker</b>',
      state: location.searchParams.get('state')!,
    });
    assertRefused(response, 'CG_TOKEN_AUTHORIZATION_DENIED');
    assert.ok(!response.body.includes('user-not-assigned-marker'));
  });

  it('refuses with CG_TOKEN_CODE_EXCHANGE_FAILED when the token endpoint is down or answers 500', async () => {
    for (const mode of ['down', 'server-error'] as const) {
      tokenEndpoint.mode.current = mode;
      try {
        const { fields } = await authorize(app, 'oidc-sim');
        assertRefused(await postOidc(app, fields), 'CG_TOKEN_CODE_EXCHANGE_FAILED');
      } finally {
        tokenEndpoint.mode.current = 'pass';
      }
    }
  });

  it('refuses a tampered id_token and never shows the token', async () => {
    const { fields } = await authorize(app, 'oidc-implicit');
    const [header, payload, signature] = fields.id_token!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, preferred_username: 'admin@contoso.test' }));
    const tampered = [header, forged.toString('base64url'), signature].join('.');
    const response = await postOidc(app, { ...fields, id_token: tampered });
    assertRefused(response, 'CG_TOKEN_SIGNATURE_INVALID');
    assert.ok(!response.body.includes('contoso.test'));
  });

  it('refuses a forged or missing state with a session code', async () => {
    const { fields } = await authorize(app, 'oidc-implicit');
    const forged = await postOidc(app, { ...fields, state: 'v1.dev.forged' });
    assert.equal(forged.statusCode, 400);
    assert.match(forged.body, /CG_SESSION_(MALFORMED|INVALID|KEY_UNKNOWN)/);
    assertRefused(await postOidc(app, { id_token: fields.id_token! }), 'CG_SESSION_MALFORMED');
  });

  it('refuses to start at an issuer without a client registration, or without a stored discovery document, with CG_CONFIG_SIGN_IN_UNAVAILABLE', async () => {
    for (const issuer of ['oidc-unregistered', 'oidc-no-discovery']) {
      const response = await app.inject({ method: 'GET', url: `/signin?returnUrl=%2F&whr=${issuer}` });
      assert.equal(response.statusCode, 400, issuer);
      assert.ok(response.body.includes('CG_CONFIG_SIGN_IN_UNAVAILABLE'), issuer);
    }
  });
});
