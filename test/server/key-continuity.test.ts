/**
 * Key continuity through the gateway: a document that replaces every key of
 * the simulator (an emergency switch and the retirement of the old key, both
 * before claimsgate looked) is held over loopback http; the sign-in is
 * refused with CG_TRUST_KEY_PENDING_APPROVAL until an administrator reviews
 * and approves the change through the admin API or the admin site.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { adminCaller, callApi } from './admin-api-helpers.js';
import { checkAdminHtml } from './admin-site/html-checks.js';
import {
  createGatewayFixture,
  postForm,
  signInThroughGateway,
  type GatewayFixture,
} from './gateway-fixture.js';

interface PendingJson {
  sha256: string;
  reason: string;
  decision: string;
  added: Array<{ sha1: string | null }>;
  removed: Array<{ sha1: string | null }>;
}

let fixture: GatewayFixture;

beforeEach(async () => {
  fixture = await createGatewayFixture();
});
afterEach(() => fixture.close());

/** The simulator switches to a key nobody has seen and retires the old one before claimsgate refreshes. */
async function replaceEveryKey(): Promise<string> {
  await fixture.sim.rollover('switch');
  await fixture.sim.rollover('retire');
  fixture.advance(61);
  const keys = await fetch(new URL('/control/keys', fixture.sim.tenantUrls().entityId).href);
  const report = (await keys.json()) as { tenants: Array<{ keys: Array<{ state: string; sha1: string }> }> };
  return report.tenants[0]!.keys.find((key) => key.state === 'current')!.sha1;
}

describe('a held change of keys, seen through the gateway', () => {
  it('refuses the sign-in with CG_TRUST_KEY_PENDING_APPROVAL until an administrator approves the change', async () => {
    assert.equal((await signInThroughGateway(fixture.app)).statusCode, 303);
    const newKey = await replaceEveryKey();

    const refused = await signInThroughGateway(fixture.app);
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /CG_TRUST_KEY_PENDING_APPROVAL/);

    const admin = await adminCaller(fixture);
    const listed = await callApi(fixture, 'GET', '/admin/api/issuers', admin);
    assert.equal(
      listed.json<Array<{ pendingChange: { decision: string } | null }>>()[0]?.pendingChange?.decision,
      'pending',
    );
    const read = await callApi(fixture, 'GET', '/admin/api/issuers/sim/pending-change', admin);
    assert.equal(read.statusCode, 200, read.body);
    const pending = read.json<PendingJson>();
    assert.equal(pending.reason, 'unknown-signer-replacement');
    assert.deepEqual(
      pending.added.map((key) => key.sha1),
      [newKey],
    );
    assert.equal(pending.removed.length, 1);

    // An approval must name the document reviewed, and carry the session's CSRF token.
    const stale = await callApi(fixture, 'POST', '/admin/api/issuers/sim/pending-change/approve', admin, {
      sha256: 'ab'.repeat(32),
    });
    assert.equal(stale.statusCode, 409);
    assert.equal(stale.json<{ code: string }>().code, 'CG_STORE_CONFLICT');
    const forged = await callApi(
      fixture,
      'POST',
      '/admin/api/issuers/sim/pending-change/approve',
      { cookie: admin.cookie },
      { sha256: pending.sha256 },
    );
    assert.equal(forged.statusCode, 403);
    const malformed = await callApi(fixture, 'POST', '/admin/api/issuers/sim/pending-change/approve', admin, {
      sha256: 'not a digest',
    });
    assert.equal(malformed.statusCode, 400);

    const approved = await callApi(fixture, 'POST', '/admin/api/issuers/sim/pending-change/approve', admin, {
      sha256: pending.sha256,
    });
    assert.equal(approved.statusCode, 200, approved.body);
    const outcome = approved.json<{ outcome: string; issuer: { pendingChange: unknown } }>();
    assert.equal(outcome.outcome, 'success');
    assert.equal(outcome.issuer.pendingChange, null);
    assert.equal((await signInThroughGateway(fixture.app)).statusCode, 303);
    assert.equal(
      (await callApi(fixture, 'GET', '/admin/api/issuers/sim/pending-change', admin)).statusCode,
      404,
    );
  });

  it('shows the pending change on the admin site, flags it on the issuers list, and rejects it from the site', async () => {
    await replaceEveryKey();
    await fixture.engine.refreshIssuer('sim', { force: true });
    const admin = await adminCaller(fixture);
    const list = await fixture.app.inject({
      method: 'GET',
      url: '/admin',
      headers: { cookie: admin.cookie },
    });
    assert.match(list.body, /Pending change: review it/);
    const page = await fixture.app.inject({
      method: 'GET',
      url: '/admin/issuers/sim',
      headers: { cookie: admin.cookie },
    });
    assert.equal(page.statusCode, 200);
    assert.deepEqual(checkAdminHtml(page.body), []);
    assert.deepEqual(checkAdminHtml(list.body), []);
    assert.match(page.body, /id="pending-change"/);
    assert.match(page.body, /Keys the change adds/);
    const pending = (await fixture.store.getPendingChange(fixture.issuer.id))!;
    assert.ok(page.body.includes(pending.sha256));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    assert.match(page.body, /action="\/admin\/issuers\/sim\/pending-change\/reject"/);

    // Without the CSRF token: refused, nothing decided.
    const forged = await postForm(
      fixture.app,
      '/admin/issuers/sim/pending-change/reject',
      { sha256: pending.sha256 },
      admin.cookie,
    );
    assert.equal(forged.statusCode, 403);
    const stale = await postForm(
      fixture.app,
      '/admin/issuers/sim/pending-change/reject',
      { _csrf: csrf, sha256: 'cd'.repeat(32) },
      admin.cookie,
    );
    assert.equal(stale.statusCode, 409);
    assert.match(stale.body, /CG_STORE_CONFLICT/);
    assert.equal((await fixture.store.getPendingChange(fixture.issuer.id))?.decision, 'pending');

    const rejected = await postForm(
      fixture.app,
      '/admin/issuers/sim/pending-change/reject',
      { _csrf: csrf, sha256: pending.sha256 },
      admin.cookie,
    );
    assert.equal(rejected.statusCode, 303, rejected.body);
    assert.equal((await fixture.store.getPendingChange(fixture.issuer.id))?.decision, 'rejected');
    const audit = await fixture.store.listAudit({ issuerId: fixture.issuer.id });
    assert.deepEqual(
      audit.filter((entry) => entry.action === 'change.rejected').map((entry) => entry.actor),
      ['admin:local:admin'],
    );

    // Approving from the site afterwards still applies the reviewed document.
    const approved = await postForm(
      fixture.app,
      '/admin/issuers/sim/pending-change/approve',
      { _csrf: csrf, sha256: pending.sha256 },
      admin.cookie,
    );
    assert.equal(approved.statusCode, 303, approved.body);
    assert.equal(await fixture.store.getPendingChange(fixture.issuer.id), undefined);
    assert.equal((await signInThroughGateway(fixture.app)).statusCode, 303);
  });

  it('tells the admin to approve when an import’s refresh holds the document it applied', async () => {
    await replaceEveryKey();
    const admin = await adminCaller(fixture);
    const body = { metadataUrl: fixture.issuer.metadataUrl, issuer: 'sim' };
    const preview = await callApi(fixture, 'POST', '/admin/api/import/preview', admin, body);
    assert.equal(preview.statusCode, 200, preview.body);
    // The preview is planned as the import's refresh plans it: it says the document will be held,
    // and shows what its approval would store (the new key trusted, the replaced one retired at once).
    const shown = preview.json<{
      warnings: string[];
      keys: {
        add: Array<{ stateAfter: string; usableAfter: boolean }>;
        noLongerPublished: Array<{ stateAfter: string; usableAfter: boolean }>;
      };
    }>();
    assert.ok(
      shown.warnings.some((warning) => warning.includes('CG_META_KEYS_DISCONTINUOUS')),
      shown.warnings.join('\n'),
    );
    assert.deepEqual(
      shown.keys.add.map((key) => [key.stateAfter, key.usableAfter]),
      [['announced', true]],
    );
    assert.deepEqual(
      shown.keys.noLongerPublished.map((key) => [key.stateAfter, key.usableAfter]),
      [['retired', false]],
    );
    assert.equal(
      await fixture.store.getPendingChange(fixture.issuer.id),
      undefined,
      'a preview holds nothing',
    );
    const applied = await callApi(fixture, 'POST', '/admin/api/import/apply', admin, {
      ...body,
      expectedSha256: preview.json<{ sha256: string }>().sha256,
    });
    assert.equal(applied.statusCode, 200, applied.body);
    const result = applied.json<{ warnings: string[]; refresh: { code: string | null } }>();
    assert.equal(result.refresh.code, 'CG_META_KEYS_DISCONTINUOUS');
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0]!, /pending change/);
    assert.equal((await fixture.store.getPendingChange(fixture.issuer.id))?.decision, 'pending');
  });
});
