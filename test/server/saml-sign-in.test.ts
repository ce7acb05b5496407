import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildAuthnRequest, redirectBindingUrl } from '../../src/server/saml-authn-request.js';
import { createTokenValidator } from '../../src/tokens/create-token-validator.js';
import { NS, attribute, firstChildElement, ownText } from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { mintAssertion, wrapInSamlResponse } from '../helpers/independent-signer.js';
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
import type { XmlElement } from '../../src/xml/light-dom.js';

const COOKIE = 'claimsgate_session';
const ACS = `${PUBLIC_URL}/signin/saml2`;
const SECOND_TENANT = 'second-tenant';
/** A manual-only issuer: no metadata, SAML 2.0 first, its login URL the SSO URL. */
const INDIE = 'https://idp.indie.test/';
const INDIE_SSO = 'https://idp.indie.test/sso?tenant=main';

/** The AuthnRequest a sign-in redirect carries, inflated and parsed. */
function authnRequestOf(location: URL): XmlElement {
  const encoded = location.searchParams.get('SAMLRequest');
  assert.ok(encoded !== null, 'the redirect carries a SAMLRequest');
  return parseXml(inflateRawSync(Buffer.from(encoded, 'base64'))).root;
}

function requestIdOf(location: URL): string {
  return attribute(authnRequestOf(location), 'ID')!;
}

function base64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

function assertRefused(response: LightMyRequestResponse, code: string): void {
  assert.equal(response.statusCode, 400, response.body);
  assert.ok(response.body.includes(code), `expected ${code} in the error page`);
  assert.equal(setCookieOf(response, COOKIE), undefined);
}

describe('SAML 2.0 sign-in through the gateway', () => {
  let fixture: GatewayFixture;
  let indieKey: TestCertificate;
  /** The binding cookie of the latest sign-in started, as the browser holds it. */
  let binding: string | undefined;

  before(async () => {
    fixture = await createGatewayFixture({ secondTenant: SECOND_TENANT });
    const { store, engine } = fixture;
    await store.updateIssuer(fixture.issuer.id, { protocols: ['saml2', 'wsfed'] }, 'test');
    const sim2 = await store.getIssuer('sim2');
    await store.updateIssuer(sim2!.id, { protocols: ['saml2'] }, 'test');
    indieKey = await createTestCertificate({ commonName: 'indie signing' });
    const indie = await store.createIssuer(
      { name: 'indie', issuerUri: INDIE, protocols: ['saml2'], loginUrl: INDIE_SSO, useForLogin: true },
      'test',
    );
    await store.addKey(
      { issuerId: indie.id, certificateDer: indieKey.der, source: 'manual', state: 'active' },
      'test',
    );
    // Speaks SAML 2.0 only second, so its login URL is a WS-Fed endpoint, and it has no metadata.
    await store.createIssuer(
      {
        name: 'wsfed-first',
        issuerUri: 'https://wsfed-first.test/',
        protocols: ['wsfed', 'saml2'],
        loginUrl: 'https://wsfed-first.test/wsfed',
        useForLogin: true,
      },
      'test',
    );
    await engine.reload();
  });
  after(() => fixture.close());

  async function startSignIn(whr = 'sim', returnUrl = '/', protocol = 'saml2'): Promise<URL> {
    const query = new URLSearchParams({ returnUrl, whr, protocol });
    const response = await fixture.app.inject({ method: 'GET', url: `/signin?${query.toString()}` });
    assert.equal(response.statusCode, 302, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    binding = bindingCookieOf(response);
    return new URL(response.headers.location as string);
  }

  function postAcs(
    fields: Readonly<Record<string, string>>,
    cookie = binding,
  ): Promise<LightMyRequestResponse> {
    return postForm(fixture.app, '/signin/saml2', fields, cookie);
  }

  /** Starts a sign-in at the simulator and returns the form it posts back: SAMLResponse and RelayState. */
  async function responseForm(returnUrl = '/'): Promise<Record<string, string>> {
    const form = await signInAtSimulator((await startSignIn('sim', returnUrl)).href);
    assert.equal(form.action, ACS);
    return form.fields;
  }

  it('sends an unsigned AuthnRequest to the SSO endpoint of the issuer metadata by the Redirect binding', async () => {
    const location = await startSignIn('sim', '/reports');
    const sso = fixture.sim.tenantUrls().saml2;
    // The metadata's endpoint, not the issuer's login URL (its WS-Fed endpoint).
    assert.equal(`${location.origin}${location.pathname}`, sso);
    assert.equal(location.searchParams.get('SigAlg'), null);
    assert.equal(location.searchParams.get('Signature'), null);
    const request = authnRequestOf(location);
    assert.equal(request.namespaceURI, NS.samlp);
    assert.equal(request.localName, 'AuthnRequest');
    assert.match(attribute(request, 'ID')!, /^_[0-9a-f]{32}$/);
    assert.equal(attribute(request, 'Version'), '2.0');
    assert.equal(attribute(request, 'IssueInstant'), '2026-03-02T09:30:00Z');
    assert.equal(attribute(request, 'Destination'), sso);
    assert.equal(attribute(request, 'AssertionConsumerServiceURL'), ACS);
    assert.equal(attribute(request, 'ProtocolBinding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    assert.equal(ownText(firstChildElement(request, NS.saml2, 'Issuer')!), PUBLIC_URL);
    assert.equal(attribute(firstChildElement(request, NS.samlp, 'NameIDPolicy')!, 'AllowCreate'), 'true');
    assert.equal(firstChildElement(request, NS.ds, 'Signature'), undefined);
    const relayState = location.searchParams.get('RelayState');
    assert.ok(relayState !== null && relayState.length > 0);
    assert.ok(!relayState.includes('reports'), 'the RelayState is sealed');
    assert.notEqual(
      requestIdOf(await startSignIn()),
      attribute(request, 'ID'),
      'each request has its own ID',
    );
  });

  it('signs in end to end: a session cookie, a 303 to the return URL, and the mapped user', async () => {
    const fields = await responseForm('/reports');
    const posted = await postAcs(fields);
    assert.equal(posted.statusCode, 303, posted.body);
    assert.equal(posted.headers.location, '/reports');
    const setCookie = setCookieOf(posted, COOKIE);
    assert.ok(setCookie !== undefined);
    assert.match(setCookie, /HttpOnly/);
    const page = await fixture.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: cookiePair(setCookie) },
    });
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('SIM:alice@contoso.test'));
  });

  it('refuses a Response posted without the binding cookie of its sign-in (login CSRF)', async () => {
    const fields = await responseForm();
    assertRefused(await postAcs(fields, ''), 'CG_SESSION_BINDING_MISMATCH');
    // The state was not burnt: the browser that started the sign-in still finishes it.
    assert.equal((await postAcs(fields)).statusCode, 303);
  });

  it("refuses a Response posted with another browser's binding cookie", async () => {
    const attackers = await responseForm();
    const attackerCookie = binding;
    await startSignIn();
    assert.notEqual(binding, attackerCookie);
    assertRefused(await postAcs(attackers), 'CG_SESSION_BINDING_MISMATCH');
    assert.equal((await postAcs(attackers, attackerCookie)).statusCode, 303);
  });

  it('refuses a RelayState that was already used with CG_TOKEN_REPLAYED', async () => {
    const fields = await responseForm();
    assert.equal((await postAcs(fields)).statusCode, 303);
    assertRefused(await postAcs(fields), 'CG_TOKEN_REPLAYED');
  });

  it('refuses sign-in state sealed for another purpose (a WS-Federation wctx) as RelayState', async () => {
    const wsfed = await startSignIn('sim', '/', 'wsfed');
    const wctx = wsfed.searchParams.get('wctx');
    assert.ok(wctx !== null);
    const fields = await responseForm();
    assertRefused(await postAcs({ ...fields, RelayState: wctx }), 'CG_SESSION_INVALID');
  });

  it('refuses a Response to another AuthnRequest with CG_TOKEN_IN_RESPONSE_TO_MISMATCH, and takes it for its own', async () => {
    const answered = await responseForm();
    const answeredCookie = binding;
    const other = await startSignIn();
    const otherRelayState = other.searchParams.get('RelayState')!;
    assertRefused(
      await postAcs({ ...answered, RelayState: otherRelayState }),
      'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    );
    // The same Response with the RelayState of the request it answers is accepted.
    assert.equal((await postAcs(answered, answeredCookie)).statusCode, 303);
  });

  it('refuses an unsolicited Response (no RelayState) with CG_TOKEN_IN_RESPONSE_TO_MISMATCH', async () => {
    const { SAMLResponse } = await responseForm();
    assertRefused(await postAcs({ SAMLResponse: SAMLResponse! }), 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH');
    assertRefused(
      await postAcs({ SAMLResponse: SAMLResponse!, RelayState: '' }),
      'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    );
  });

  it('sends the request to the login URL of an issuer with SAML 2.0 first and no metadata, and refuses an unsolicited assertion re-wrapped in a Response naming the request', async () => {
    const location = await startSignIn('indie');
    assert.equal(`${location.origin}${location.pathname}${location.search.split('&')[0]}`, INDIE_SSO);
    assert.equal(attribute(authnRequestOf(location), 'Destination'), INDIE_SSO);
    const requestId = requestIdOf(location);
    // Signed by the issuer's trusted key; its bearer confirmation answers no request.
    const assertion = mintAssertion({
      version: '2.0',
      certificatePem: indieKey.pem,
      privateKeyPem: indieKey.privateKeyPem,
      issuedAt: START,
      lifetimeSeconds: 300,
      id: '_indie-unsolicited',
      issuer: INDIE,
      audience: PUBLIC_URL,
      recipient: ACS,
      attributes: { upn: 'mallory@indie.test' },
      nameIdentifier: 'mallory@indie.test',
    });
    // The (unsigned) Response claims to answer our request.
    const response = wrapInSamlResponse(assertion, {
      id: '_indie-response',
      issuer: INDIE,
      issuedAt: START,
      destination: ACS,
      inResponseTo: requestId,
    });
    const trusted = createTokenValidator({
      trust: () => fixture.engine.snapshot(),
      audiences: [PUBLIC_URL],
      recipient: ACS,
      destination: ACS,
      now: () => START,
      replayCache: false,
    });
    // Control: the token is valid in every respect but the request it answers.
    assert.equal((await trusted.validate(response)).trustedIssuer, INDIE);
    await assert.rejects(trusted.validate(response, { inResponseTo: requestId }), {
      code: 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    });
    assertRefused(
      await postAcs({
        SAMLResponse: base64(response),
        RelayState: location.searchParams.get('RelayState')!,
      }),
      'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    );
  });

  it('refuses a tampered SAMLResponse and never shows the token', async () => {
    const fields = await responseForm();
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    const tampered = xml.replace('alice@contoso.test', 'admin@contoso.test');
    assert.notEqual(tampered, xml);
    const response = await postAcs({
      ...fields,
      SAMLResponse: base64(tampered),
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /CG_(SIG|TOKEN)_[A-Z_]+/);
    assert.ok(!response.body.includes('contoso.test'));
    assert.equal(setCookieOf(response, COOKIE), undefined);
  });

  it('refuses a SAMLResponse that is not base64, or not XML once decoded, with CG_TOKEN_FORMAT_UNKNOWN', async () => {
    for (const SAMLResponse of ['not base64!', base64('eyJhbGciOiJub25lIn0.e30.'), '']) {
      const fields = await responseForm();
      assertRefused(await postAcs({ ...fields, SAMLResponse }), 'CG_TOKEN_FORMAT_UNKNOWN');
    }
  });

  it('accepts a SAMLResponse whose base64 is wrapped over several lines', async () => {
    const fields = await responseForm();
    const wrapped = fields.SAMLResponse!.replace(/(.{76})/g, '$1\r\n');
    assert.notEqual(wrapped, fields.SAMLResponse);
    const response = await postAcs({ ...fields, SAMLResponse: wrapped });
    assert.equal(response.statusCode, 303, response.body);
  });

  it('refuses a Response from issuer B finishing a sign-in started at issuer A with CG_TOKEN_ISSUER_MISMATCH', async () => {
    const atA = await startSignIn('sim');
    const sso = fixture.sim.tenantUrls(SECOND_TENANT).saml2;
    // Issuer B (also trusted) answers A's request ID.
    const forB = buildAuthnRequest({
      id: requestIdOf(atA),
      issueInstant: START,
      destination: sso,
      assertionConsumerServiceUrl: ACS,
      issuer: PUBLIC_URL,
    });
    const form = await signInAtSimulator(redirectBindingUrl(sso, forB, atA.searchParams.get('RelayState')!));
    assertRefused(await postAcs(form.fields), 'CG_TOKEN_ISSUER_MISMATCH');
  });

  it('sends the user to / after sign-in when the return URL is on another site', async () => {
    for (const returnUrl of ['https://evil.example/steal', '//evil.example/', '/\\evil.example']) {
      const posted = await postAcs(await responseForm(returnUrl));
      assert.equal(posted.statusCode, 303, posted.body);
      assert.equal(posted.headers.location, '/');
    }
  });

  it('refuses an unused SAML 2.0 assertion re-wrapped in a WS-Trust response at /signin/wsfed, with the attacker’s own wctx and binding cookie (cross-protocol replay)', async () => {
    const victim = await responseForm();
    const victimBinding = binding;
    const xml = Buffer.from(victim['SAMLResponse']!, 'base64').toString('utf8');
    const assertion = /<Assertion\b[\s\S]*<\/Assertion>/.exec(xml)?.[0];
    assert.ok(assertion !== undefined, 'the simulator’s Response carries a self-contained Assertion');
    const wresult =
      '<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust">' +
      `<t:RequestedSecurityToken>${assertion}</t:RequestedSecurityToken></t:RequestSecurityTokenResponse>`;
    // The attacker starts a WS-Federation sign-in of their own, for its wctx and binding cookie.
    const location = await startSignIn('sim', '/', 'wsfed');
    const wctx = location.searchParams.get('wctx');
    assert.ok(wctx !== null);
    const posted = await postForm(fixture.app, '/signin/wsfed', { wresult, wctx }, binding);
    assertRefused(posted, 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH');
    // The victim's own sign-in is untouched: the assertion was never recorded as used.
    const answered = await postAcs(victim, victimBinding);
    assert.equal(answered.statusCode, 303, answered.body);
  });

  it('refuses sign-in with an issuer that has no SAML 2.0 endpoint with CG_CONFIG_SIGN_IN_UNAVAILABLE', async () => {
    const response = await fixture.app.inject({
      method: 'GET',
      url: '/signin?whr=wsfed-first&protocol=saml2',
    });
    assert.equal(response.statusCode, 400);
    assert.ok(response.body.includes('CG_CONFIG_SIGN_IN_UNAVAILABLE'));
  });

  it('serves SP metadata: the realm as entity ID, unsigned requests, signed assertions, the POST ACS', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/saml2/metadata' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/samlmetadata\+xml/);
    const { root } = parseXml(response.body);
    assert.equal(root.namespaceURI, NS.md);
    assert.equal(root.localName, 'EntityDescriptor');
    assert.equal(attribute(root, 'entityID'), PUBLIC_URL);
    const sp = firstChildElement(root, NS.md, 'SPSSODescriptor');
    assert.ok(sp !== undefined);
    assert.equal(attribute(sp, 'protocolSupportEnumeration'), NS.samlp);
    assert.equal(attribute(sp, 'AuthnRequestsSigned'), 'false');
    assert.equal(attribute(sp, 'WantAssertionsSigned'), 'true');
    assert.equal(
      ownText(firstChildElement(sp, NS.md, 'NameIDFormat')!),
      'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    );
    const acs = firstChildElement(sp, NS.md, 'AssertionConsumerService');
    assert.ok(acs !== undefined);
    assert.equal(attribute(acs, 'Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    assert.equal(attribute(acs, 'Location'), ACS);
    assert.equal(attribute(acs, 'index'), '0');
    assert.equal(attribute(acs, 'isDefault'), 'true');
  });

  it('says WantAssertionsSigned="false" while any SAML 2.0 issuer accepts a signed Response around an unsigned assertion', async () => {
    const indie = (await fixture.store.getIssuer('indie'))!;
    const want = async (): Promise<string | undefined> => {
      const response = await fixture.app.inject({ method: 'GET', url: '/saml2/metadata' });
      const sp = firstChildElement(parseXml(response.body).root, NS.md, 'SPSSODescriptor')!;
      return attribute(sp, 'WantAssertionsSigned');
    };
    try {
      await fixture.store.updateIssuer(indie.id, { requireSignedAssertion: false }, 'test');
      assert.equal(await want(), 'false');
    } finally {
      await fixture.store.updateIssuer(indie.id, { requireSignedAssertion: true }, 'test');
    }
    assert.equal(await want(), 'true');
  });
});

describe('SAML 2.0 SP metadata without a realm', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture({ realm: false });
  });
  after(() => fixture.close());

  it('answers 500 with the error page, as /signin does', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/saml2/metadata' });
    assert.equal(response.statusCode, 500);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.ok(response.body.includes('CG_STORE_NOT_FOUND'));
  });
});
