import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import { adminCaller, callApi } from './admin-api-helpers.js';
import { getPage, signInAdmin, textOf } from './admin-site/admin-site-helpers.js';
import {
  cookiePair,
  createGatewayFixture,
  setCookieOf,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';

const RENAMED = 'http://schemas.example.test/claims/renamed-upn';

describe('sign-in with a claim mapping that no longer matches the tokens', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  it('signs in by the subject, warns once with the claim types the token carried, and shows them to the admin', async () => {
    const [mapping] = await fixture.store.listClaimMappings(fixture.issuer.id);
    assert.ok(mapping);
    await fixture.store.updateClaimMapping(mapping.id, { nameClaim: RENAMED }, 'admin:test');

    for (let signIn = 0; signIn < 2; signIn += 1) {
      const posted = await signInThroughGateway(fixture.app, '/', 'alice', 'sim');
      assert.equal(posted.statusCode, 303, posted.body);
      const page = await fixture.app.inject({
        method: 'GET',
        url: '/',
        headers: { cookie: cookiePair(setCookieOf(posted, 'claimsgate_session')!) },
      });
      // The name fell back to the token's subject, under the issuer's own label.
      assert.match(page.body, /SIMISSUER:/);
      assert.doesNotMatch(page.body, /SIM:alice@contoso\.test/);
    }

    const alerts = (await fixture.store.listAudit({ issuerId: fixture.issuer.id })).filter(
      (entry) => entry.action === 'alert.claim-missing',
    );
    assert.equal(alerts.length, 1, 'once per episode');
    const after = alerts[0]!.after as {
      severity: string;
      detail: { claimType: string; claimTypes: string[] };
    };
    assert.equal(after.severity, 'warning');
    assert.equal(after.detail.claimType, RENAMED);
    assert.ok(after.detail.claimTypes.includes(CLAIM_TYPES.upn));
    // SECURITY: types only.
    assert.doesNotMatch(JSON.stringify(alerts), /alice@contoso\.test/);

    const admin = await adminCaller(fixture);
    const detail = await callApi(fixture, 'GET', '/admin/api/issuers/sim', admin);
    assert.equal(detail.statusCode, 200);
    const claims = detail.json<{ lastTokenClaims: { claimTypes: string[]; since: string } | null }>()
      .lastTokenClaims;
    assert.ok(claims !== null);
    assert.ok(claims.claimTypes.includes(CLAIM_TYPES.upn));
    assert.ok(claims.claimTypes.includes(CLAIM_TYPES.groups));
    assert.doesNotMatch(detail.body, /alice@contoso\.test/);

    const browser = await signInAdmin(fixture);
    const issuerPage = await getPage(fixture.app, '/admin/issuers/sim', browser.cookie);
    const text = textOf(issuerPage.body);
    assert.ok(text.includes(CLAIM_TYPES.upn), text);
    assert.match(
      text,
      /Not in the last token: http:\/\/schemas\.example\.test\/claims\/renamed-upn \(name claim of SIM\)/,
    );
  });
});
