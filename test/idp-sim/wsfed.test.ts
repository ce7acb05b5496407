import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import {
  createTestSimulator,
  fetchMetadataXml,
  NOW,
  pathOf,
  postForm,
  readForm,
  validatorFromMetadata,
  wsFedSignIn,
} from './sim-helpers.js';

const REALM = 'urn:claimsgate:demo';
const REPLY = 'http://127.0.0.1:8787/signin-wsfed';

describe('the IdP simulator WS-Federation sign-in', () => {
  let sim: IdpSimulator;
  before(async () => {
    sim = await createTestSimulator();
  });
  after(() => sim.stop());

  it('shows a user picker that works without JavaScript, one button per test user', async () => {
    const query = new URLSearchParams({ wa: 'wsignin1.0', wtrealm: REALM, wreply: REPLY, wctx: 'rm=0&id=1' });
    const page = await sim.app.inject({ method: 'GET', url: `${pathOf(sim.tenantUrls().wsfed)}?${query}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.ok(!page.body.includes('<script'));
    for (const user of sim.users) assert.ok(page.body.includes(`name="user" value="${user.id}"`));
    assert.deepEqual(readForm(page.body).fields, {
      wa: 'wsignin1.0',
      wtrealm: REALM,
      wreply: REPLY,
      wctx: 'rm=0&id=1',
    });
  });

  it('posts a SAML 2.0 token in an RSTR that validates against the metadata, with wctx echoed', async () => {
    const posted = await wsFedSignIn(sim, {
      wtrealm: REALM,
      wreply: REPLY,
      wctx: 'rm=0&id=passive',
      user: 'admin',
    });
    assert.equal(posted.action, REPLY);
    assert.equal(posted.fields.wa, 'wsignin1.0');
    assert.equal(posted.fields.wctx, 'rm=0&id=passive');
    assert.match(
      posted.fields.wresult!,
      /^<t:RequestSecurityTokenResponse xmlns:t="http:\/\/schemas\.xmlsoap\.org\/ws\/2005\/02\/trust">/,
    );
    const validator = validatorFromMetadata(await fetchMetadataXml(sim), { audiences: REALM });
    const identity = await validator.validate(posted.fields.wresult!);
    assert.equal(identity.kind, 'wsfed-saml20');
    assert.equal(identity.issuer, sim.tenantUrls().entityId);
    assert.deepEqual(identity.audiences, [REALM]);
    assert.equal(identity.notBefore?.toISOString(), NOW.toISOString());
    assert.equal(identity.notOnOrAfter?.getTime(), NOW.getTime() + 3_600_000);
    assert.deepEqual(identity.claims[CLAIM_TYPES.upn], ['admin@contoso.test']);
    assert.deepEqual(identity.claims[CLAIM_TYPES.tenantId], [sim.tenants[0]]);
    assert.deepEqual(identity.claims[CLAIM_TYPES.role], ['Admin']);
    assert.equal(identity.claims[CLAIM_TYPES.groups]?.length, 2);
    assert.equal(identity.signingKey.sha1, sim.keys()[0]!.keys.find((k) => k.state === 'current')!.sha1);
  });

  it('gives an ordinary user no role claim', async () => {
    const posted = await wsFedSignIn(sim, { wtrealm: REALM, wreply: REPLY, user: 'bob' });
    const identity = await validatorFromMetadata(await fetchMetadataXml(sim), { audiences: REALM }).validate(
      posted.fields.wresult!,
    );
    assert.deepEqual(identity.claims[CLAIM_TYPES.name], ['bob@contoso.test']);
    assert.equal(identity.claims[CLAIM_TYPES.role], undefined);
  });

  it('issues a SAML 1.1 token when the request chooses it, and it validates too', async () => {
    const posted = await wsFedSignIn(sim, { wtrealm: REALM, wreply: REPLY, tokenType: 'saml11' });
    const identity = await validatorFromMetadata(await fetchMetadataXml(sim), { audiences: REALM }).validate(
      posted.fields.wresult!,
    );
    assert.equal(identity.kind, 'wsfed-saml11');
    assert.deepEqual(identity.claims[CLAIM_TYPES.emailAddress], ['alice@contoso.test']);
    assert.deepEqual(identity.claims[CLAIM_TYPES.objectId], [sim.users[0]!.objectId]);
  });

  it('issues SAML 1.1 by default when started with saml11', async () => {
    const saml11 = await createTestSimulator({ saml11: true });
    try {
      const posted = await wsFedSignIn(saml11, { wtrealm: REALM, wreply: REPLY });
      const identity = await validatorFromMetadata(await fetchMetadataXml(saml11), {
        audiences: REALM,
      }).validate(posted.fields.wresult!);
      assert.equal(identity.kind, 'wsfed-saml11');
    } finally {
      await saml11.stop();
    }
  });

  it('addresses the token to wtrealm: a relying party with another realm rejects it', async () => {
    const posted = await wsFedSignIn(sim, { wtrealm: REALM, wreply: REPLY });
    const validator = validatorFromMetadata(await fetchMetadataXml(sim), { audiences: 'urn:someone-else' });
    await assert.rejects(validator.validate(posted.fields.wresult!), { code: 'CG_TOKEN_AUDIENCE_MISMATCH' });
  });

  it('posts to wtrealm when it is a URL and no wreply is given', async () => {
    const realmUrl = 'http://127.0.0.1:8787/';
    const posted = await wsFedSignIn(sim, { wtrealm: realmUrl, wreply: '' });
    assert.equal(posted.action, realmUrl);
  });

  it('refuses a sign-in without wtrealm with 400 and a code naming the parameter', async () => {
    const response = await sim.app.inject({
      method: 'GET',
      url: `${pathOf(sim.tenantUrls().wsfed)}?wa=wsignin1.0&wreply=${encodeURIComponent(REPLY)}`,
    });
    assert.equal(response.statusCode, 400);
    const { error } = response.json<{ error: { code: string; parameter: string } }>();
    assert.equal(error.code, 'CG_TOKEN_REQUEST_INVALID');
    assert.equal(error.parameter, 'wtrealm');
  });

  it('shows a browser the refusal as an escaped HTML page', async () => {
    const response = await sim.app.inject({
      method: 'GET',
      url: `${pathOf(sim.tenantUrls().wsfed)}?wa=<script>`,
      headers: { accept: 'text/html' },
    });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_TOKEN_REQUEST_INVALID'));
    assert.ok(!response.body.includes('<script>'));
  });

  it('refuses a wreply that is not an http(s) URL', async () => {
    const query = new URLSearchParams({ wa: 'wsignin1.0', wtrealm: REALM, wreply: 'javascript:alert(1)' });
    const response = await sim.app.inject({
      method: 'GET',
      url: `${pathOf(sim.tenantUrls().wsfed)}?${query}`,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_TOKEN_REQUEST_INVALID');
  });

  it('refuses a repeated parameter instead of picking one copy', async () => {
    const response = await sim.app.inject({
      method: 'GET',
      url: `${pathOf(sim.tenantUrls().wsfed)}?wa=wsignin1.0&wtrealm=a&wtrealm=b&wreply=${encodeURIComponent(REPLY)}`,
    });
    assert.equal(response.statusCode, 400);
  });

  it('refuses an unknown test user', async () => {
    const response = await postForm(sim, sim.tenantUrls().wsfed, {
      wa: 'wsignin1.0',
      wtrealm: REALM,
      wreply: REPLY,
      user: 'mallory',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_TOKEN_REQUEST_INVALID');
  });

  it('escapes every echoed value in the auto-submit form', async () => {
    const wctx = '"><script>alert(1)</script>';
    const posted = await postForm(sim, sim.tenantUrls().wsfed, {
      wa: 'wsignin1.0',
      wtrealm: REALM,
      wreply: REPLY,
      wctx,
      user: 'alice',
    });
    assert.equal(posted.statusCode, 200);
    assert.ok(!posted.body.includes('<script>alert(1)'));
    assert.equal(readForm(posted.body).fields.wctx, wctx);
    assert.ok(posted.body.includes('<button type="submit">Continue</button>'));
  });

  it('shows a signed-out page that leads back to wreply for wsignout1.0', async () => {
    const query = new URLSearchParams({ wa: 'wsignout1.0', wreply: REPLY });
    const response = await sim.app.inject({
      method: 'GET',
      url: `${pathOf(sim.tenantUrls().wsfed)}?${query}`,
    });
    assert.equal(response.statusCode, 200);
    assert.ok(response.body.includes(`<a href="${REPLY}">`));
    assert.ok(response.body.includes(`content="1;url=${REPLY}"`));
  });

  it('answers 404 for a tenant it does not serve', async () => {
    const response = await sim.app.inject({
      method: 'GET',
      url: `/other-tenant/wsfed?wa=wsignin1.0&wtrealm=${REALM}`,
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_TOKEN_REQUEST_TENANT_UNKNOWN');
  });
});
