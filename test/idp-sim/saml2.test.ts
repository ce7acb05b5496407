import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import {
  createTestSimulator,
  fetchMetadataXml,
  pathOf,
  postForm,
  readForm,
  validatorFromMetadata,
} from './sim-helpers.js';

const SP = 'https://app.contoso.test/saml';
const ACS = 'http://127.0.0.1:8787/saml/acs';

function authnRequest(options: { id?: string; acs?: string; issuer?: string; extra?: string } = {}): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
    ` ID="${options.id ?? '_req-4711'}" Version="2.0" IssueInstant="2026-03-02T09:29:58Z"` +
    ` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"` +
    (options.acs === '' ? '' : ` AssertionConsumerServiceURL="${options.acs ?? ACS}"`) +
    `>${options.issuer === '' ? '' : `<saml:Issuer>${options.issuer ?? SP}</saml:Issuer>`}${options.extra ?? ''}</samlp:AuthnRequest>`
  );
}

function redirectUrl(sim: IdpSimulator, xml: string | Buffer, relayState?: string): string {
  const query = new URLSearchParams({ SAMLRequest: deflateRawSync(xml).toString('base64') });
  if (relayState !== undefined) query.set('RelayState', relayState);
  return `${pathOf(sim.tenantUrls().saml2)}?${query}`;
}

describe('the IdP simulator SAML 2.0 single sign-on', () => {
  let sim: IdpSimulator;
  before(async () => {
    sim = await createTestSimulator();
  });
  after(() => sim.stop());

  it('answers a deflated AuthnRequest with a Response that validates with recipient, destination and InResponseTo', async () => {
    const page = await sim.app.inject({ method: 'GET', url: redirectUrl(sim, authnRequest(), 'state-42') });
    assert.equal(page.statusCode, 200, page.body);
    const picker = readForm(page.body);
    const posted = await postForm(sim, picker.action, { ...picker.fields, user: 'alice' });
    assert.equal(posted.statusCode, 200, posted.body);
    const form = readForm(posted.body);
    assert.equal(form.action, ACS);
    assert.equal(form.fields.RelayState, 'state-42');
    const response = Buffer.from(form.fields.SAMLResponse!, 'base64').toString('utf8');
    const validator = validatorFromMetadata(await fetchMetadataXml(sim), {
      audiences: SP,
      recipient: ACS,
      destination: ACS,
    });
    const identity = await validator.validate(response, { inResponseTo: '_req-4711' });
    assert.equal(identity.kind, 'saml20-response');
    assert.equal(identity.inResponseTo, '_req-4711');
    assert.deepEqual(identity.audiences, [SP]);
    assert.deepEqual(identity.claims[CLAIM_TYPES.upn], ['alice@contoso.test']);
  });

  it('produces a Response that a relying party waiting for another request rejects', async () => {
    const page = await sim.app.inject({
      method: 'GET',
      url: redirectUrl(sim, authnRequest({ id: '_req-1' })),
    });
    const picker = readForm(page.body);
    const form = readForm((await postForm(sim, picker.action, { ...picker.fields, user: 'bob' })).body);
    const response = Buffer.from(form.fields.SAMLResponse!, 'base64').toString('utf8');
    const validator = validatorFromMetadata(await fetchMetadataXml(sim), { audiences: SP, recipient: ACS });
    await assert.rejects(validator.validate(response, { inResponseTo: '_req-2' }), {
      code: 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    });
  });

  it('accepts an AuthnRequest by the POST binding', async () => {
    const page = await postForm(sim, sim.tenantUrls().saml2, {
      SAMLRequest: Buffer.from(authnRequest()).toString('base64'),
    });
    assert.equal(page.statusCode, 200);
    assert.equal(readForm(page.body).fields.binding, 'post');
  });

  it('refuses an AuthnRequest that inflates past 64 KB before parsing it', async () => {
    const padding = `<saml:Extensions>${'A'.repeat(70 * 1024)}</saml:Extensions>`;
    const response = await sim.app.inject({
      method: 'GET',
      url: redirectUrl(sim, authnRequest({ extra: padding })),
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_XML_TOO_LARGE');
  });

  it('refuses a SAMLRequest that is not raw DEFLATE', async () => {
    // Fixed bytes, not random ones: random bytes are now and then a valid
    // DEFLATE stream (CI met one). 0xff opens a block of the reserved type 3.
    const query = new URLSearchParams({ SAMLRequest: Buffer.alloc(64, 0xff).toString('base64') });
    const response = await sim.app.inject({
      method: 'GET',
      url: `${pathOf(sim.tenantUrls().saml2)}?${query}`,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_TOKEN_REQUEST_INVALID');
  });

  it('refuses a SAMLRequest that inflates to something that is not XML', async () => {
    const query = new URLSearchParams({
      SAMLRequest: deflateRawSync(Buffer.from('\u0000\u0001 not an AuthnRequest')).toString('base64'),
    });
    const response = await sim.app.inject({
      method: 'GET',
      url: `${pathOf(sim.tenantUrls().saml2)}?${query}`,
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_XML_MALFORMED');
  });

  it('refuses an AuthnRequest with a DTD through the hardened parser', async () => {
    const xml = `<!DOCTYPE x [<!ENTITY e "e">]>${authnRequest()}`;
    const response = await sim.app.inject({ method: 'GET', url: redirectUrl(sim, xml) });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_XML_DTD_FORBIDDEN');
  });

  it('refuses an AuthnRequest without an ACS URL or an Issuer, naming SAMLRequest', async () => {
    for (const xml of [
      authnRequest({ acs: '' }),
      authnRequest({ issuer: '' }),
      authnRequest({ acs: 'javascript:x' }),
    ]) {
      const response = await sim.app.inject({ method: 'GET', url: redirectUrl(sim, xml) });
      assert.equal(response.statusCode, 400);
      const { error } = response.json<{ error: { code: string; parameter: string } }>();
      assert.equal(error.code, 'CG_TOKEN_REQUEST_INVALID');
    }
  });

  it('refuses a request without SAMLRequest', async () => {
    const response = await sim.app.inject({ method: 'GET', url: pathOf(sim.tenantUrls().saml2) });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { parameter: string } }>().error.parameter, 'SAMLRequest');
  });
});
