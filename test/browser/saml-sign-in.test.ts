/**
 * SAML 2.0 sign-in in Debian's Chromium: the gateway sends the browser to
 * the IdP simulator with an AuthnRequest by the HTTP-Redirect binding, the
 * simulator's auto-post page returns the Response by the HTTP-POST binding,
 * and the gateway signs the user in — real redirects, forms and cookies.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { DEFAULT_TENANT } from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import { SAML } from '../../src/server/saml-xml.js';
import { attribute, firstChildElement, NS, ownText } from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import {
  describeInBrowser,
  expectSignedInAs,
  findNavigation,
  readClaimsTable,
  recordNavigations,
  screenshot,
  signInAs,
} from '../helpers/browser.js';
import { startLiveGateway, type LiveGateway } from '../helpers/live-gateway.js';
import type { XmlElement } from '../../src/xml/light-dom.js';

const COOKIE = 'claimsgate_session';
/** The simulator's tenant behind the SAML issuer (the `sim` issuer has the first one). */
const SAML_TENANT = 'saml-tenant';
/** Speaks WS-Federation first and SAML 2.0 second, so `protocol=saml2` is what picks SAML. */
const ISSUER = 'saml-sim';
const LABEL = 'SAML';

/** The XML of a base64 SAMLResponse, parsed (as the browser posted it). */
function samlResponseOf(form: URLSearchParams): XmlElement {
  const encoded = form.get('SAMLResponse');
  assert.ok(encoded !== null && encoded !== '', 'the form carries a SAMLResponse');
  return parseXml(Buffer.from(encoded, 'base64')).root;
}

/** The AuthnRequest of an HTTP-Redirect binding URL: base64 of raw DEFLATE (SAML Bindings §3.4.4.1). */
function authnRequestOf(url: URL): XmlElement {
  const encoded = url.searchParams.get('SAMLRequest');
  assert.ok(encoded !== null && encoded !== '', `${url.pathname} carries a SAMLRequest`);
  return parseXml(inflateRawSync(Buffer.from(encoded, 'base64'))).root;
}

describeInBrowser('SAML 2.0 sign-in in a browser', (suite) => {
  let gateway: LiveGateway;
  let sso: string;
  let acs: string;
  let startUrl: string;

  before(async () => {
    gateway = await startLiveGateway({
      simulator: { tenants: [DEFAULT_TENANT, SAML_TENANT] },
      issuers: (sim) => {
        const urls = sim.tenantUrls(SAML_TENANT);
        return [
          {
            name: ISSUER,
            issuerUri: urls.entityId,
            // WS-Federation metadata whose IDPSSODescriptor lists the SAML endpoints.
            metadataUrl: urls.federationMetadata,
            protocols: ['wsfed', 'saml2'],
            label: 'SAMLSIM',
            refreshIntervalSeconds: 3_600,
            mapping: { label: LABEL, nameClaim: CLAIM_TYPES.upn, groupClaim: CLAIM_TYPES.groups },
          },
        ];
      },
    });
    sso = gateway.sim.tenantUrls(SAML_TENANT).saml2;
    acs = `${gateway.gatewayUrl}/signin/saml2`;
    startUrl = `${gateway.gatewayUrl}/signin?${new URLSearchParams({ whr: ISSUER, protocol: 'saml2', returnUrl: '/' }).toString()}`;
    // The engine refreshed the issuer at start: its keys and metadata (the SSO endpoint) are stored.
    const issuer = await gateway.store.getIssuer(ISSUER);
    assert.ok(issuer !== undefined);
    assert.ok((await gateway.store.listKeys(issuer.id)).length > 0, `${ISSUER} has no keys after the start`);
  });
  after(() => gateway?.close());

  suite.it(
    'signs alice in by an AuthnRequest on the Redirect binding and a Response posted back to /signin/saml2',
    async (page) => {
      const navigations = recordNavigations(page);
      const { picker, landed } = await signInAs(page, startUrl, 'alice');

      // HTTP-Redirect binding: the gateway answered /signin with a redirect to
      // the metadata's SSO endpoint, the AuthnRequest deflated in the query.
      assert.equal(`${picker.origin}${picker.pathname}`, sso);
      const toIdp = findNavigation(navigations, 'GET', sso);
      assert.equal(toIdp.redirectedFrom?.href, startUrl);
      assert.equal((await toIdp.request.redirectedFrom()?.response())?.status(), 302);
      assert.equal(toIdp.url.searchParams.get('Signature'), null, 'the request is unsigned');
      const relayState = toIdp.url.searchParams.get('RelayState');
      assert.ok(relayState !== null && relayState !== '', 'the redirect carries a RelayState');
      const authnRequest = authnRequestOf(toIdp.url);
      assert.equal(authnRequest.namespaceURI, NS.samlp);
      assert.equal(authnRequest.localName, 'AuthnRequest');
      assert.equal(attribute(authnRequest, 'Destination'), sso);
      assert.equal(attribute(authnRequest, 'AssertionConsumerServiceURL'), acs);
      assert.equal(attribute(authnRequest, 'ProtocolBinding'), SAML.httpPost);
      assert.equal(ownText(firstChildElement(authnRequest, NS.saml2, 'Issuer')!), gateway.gatewayUrl);
      const requestId = attribute(authnRequest, 'ID');
      assert.match(requestId ?? '', /^_[0-9a-f]{32}$/);

      // HTTP-POST binding: the simulator's page posted the Response, answering
      // that request, and the RelayState unchanged, to the ACS.
      const posted = findNavigation(navigations, 'POST', acs);
      assert.deepEqual([...posted.form.keys()].sort(), ['RelayState', 'SAMLResponse']);
      assert.equal(posted.form.get('RelayState'), relayState);
      const response = samlResponseOf(posted.form);
      assert.equal(response.namespaceURI, NS.samlp);
      assert.equal(response.localName, 'Response');
      assert.equal(attribute(response, 'InResponseTo'), requestId);
      assert.equal(attribute(response, 'Destination'), acs);
      assert.equal(
        ownText(firstChildElement(response, NS.saml2, 'Issuer')!),
        gateway.sim.tenantUrls(SAML_TENANT).entityId,
      );
      assert.equal((await posted.request.response())?.status(), 303);
      assert.equal(findNavigation(navigations, 'GET', `${gateway.gatewayUrl}/`).redirectedFrom?.href, acs);
      assert.equal(landed.href, `${gateway.gatewayUrl}/`);

      await expectSignedInAs(page, `${LABEL}:alice@contoso.test`);
      assert.equal(await page.locator('main strong').nth(1).innerText(), ISSUER);
      const claims = await readClaimsTable(page);
      assert.deepEqual(claims[CLAIM_TYPES.upn], ['alice@contoso.test']);
      assert.deepEqual(claims[CLAIM_TYPES.tenantId], [SAML_TENANT]);
      assert.equal(claims[CLAIM_TYPES.groups]?.length, 1);
      const cookies = await page.context().cookies(gateway.gatewayUrl);
      assert.ok(cookies.some((cookie) => cookie.name === COOKIE && cookie.httpOnly));
      await screenshot(page, 'saml-sample-page');
    },
  );

  suite.it(
    'refuses the same SAMLResponse posted a second time from the simulator’s page: its binding cookie is gone (CG_SESSION_BINDING_MISMATCH)',
    async (page) => {
      // Chromium's Back button from the sample page skips the auto-post page
      // (its script submits the form before the page has loaded, so the POST
      // replaces that history entry) and lands on the picker. A browser that keeps the page re-posts the
      // form from it: that is reproduced here by showing the browser the very
      // page the simulator served, byte for byte, at its own URL again.
      const autoPost = await captureAutoPostPage(page, sso);
      const navigations = recordNavigations(page);
      await signInAs(page, startUrl, 'alice');
      await expectSignedInAs(page, `${LABEL}:alice@contoso.test`);
      const first = findNavigation(navigations, 'POST', acs);
      const served = autoPost.page();
      assert.ok(
        served.body.includes(first.form.get('RelayState')!),
        'the captured page is the one that posted',
      );

      await page.unrouteAll({ behavior: 'wait' });
      const again = `${sso}?shown-again`;
      await page.route(
        (url) => url.href === again,
        (route) => route.fulfill({ status: 200, headers: served.headers, body: served.body }),
      );
      await Promise.all([
        page.waitForURL(acs, { waitUntil: 'load' }),
        page.goto(again, { waitUntil: 'commit' }),
      ]);

      const replays = navigations.filter(
        (navigation) => navigation.method === 'POST' && navigation.url.href === acs,
      );
      assert.equal(replays.length, 2, 'the browser posted to the ACS twice');
      assert.equal(
        replays[1]!.form.toString(),
        first.form.toString(),
        'the same SAMLResponse and RelayState',
      );
      const refused = await replays[1]!.request.response();
      assert.ok(refused !== null, 'the replayed POST was answered');
      assert.equal(refused.status(), 400);
      assert.equal(await refused.headerValue('set-cookie'), null, 'no session cookie for a replay');
      const text = await page.locator('main').innerText();
      assert.match(text, /Sign-in failed/);
      // The first sign-in cleared the binding cookie, so the re-post is refused
      // before its (already burnt) state is looked up; the replay cache's own
      // refusal (CG_TOKEN_REPLAYED) is covered in test/server/saml-sign-in.test.ts.
      assert.match(text, /Error code: CG_SESSION_BINDING_MISMATCH/);
      assert.ok(!text.includes('contoso.test'), 'the error page echoes nothing of the token');

      // The refused replay changed no session: alice's, from the first post, stands.
      await page.goto(`${gateway.gatewayUrl}/`);
      await expectSignedInAs(page, `${LABEL}:alice@contoso.test`);
    },
  );
});

/** The simulator's answer to the user's choice: the page that auto-posts the Response. */
interface CapturedPage {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/**
 * Lets the POST of the user's choice to the simulator's SSO endpoint through
 * unchanged while keeping a copy of the page it answers (the auto-post
 * form, with its script and its Content-Security-Policy). `page()` returns
 * the copy once there is one.
 */
async function captureAutoPostPage(page: Page, sso: string): Promise<{ page(): CapturedPage }> {
  let captured: CapturedPage | undefined;
  await page.route(
    (url) => url.href === sso,
    async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      // Playwright frames the body it fulfills with itself: the original framing headers go.
      const headers = Object.fromEntries(
        Object.entries(response.headers()).filter(
          ([name]) => name !== 'content-length' && name !== 'transfer-encoding',
        ),
      );
      captured = { body: await response.text(), headers };
      return route.fulfill({ response, body: captured.body });
    },
  );
  return {
    page() {
      assert.ok(captured !== undefined, `the simulator's auto-post page at ${sso} was not seen`);
      return captured;
    },
  };
}
