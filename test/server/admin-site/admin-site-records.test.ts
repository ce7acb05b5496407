import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGatewayFixture, type GatewayFixture } from '../gateway-fixture.js';
import { follow, getPage, signInAdmin, submit, textOf, type Browser } from './admin-site-helpers.js';
import { checkAdminHtml } from './html-checks.js';

describe('realms, claim mappings, issuer fields and the audit log on the admin site', () => {
  let fixture: GatewayFixture;
  let admin: Browser;

  before(async () => {
    fixture = await createGatewayFixture();
    admin = await signInAdmin(fixture);
  });
  after(() => fixture.close());

  it('adds, edits and deletes a realm', async () => {
    const added = await submit(fixture.app, admin, '/admin/realms', {
      realmUri: 'urn:k2:portal',
      replyUrl: 'https://portal.contoso.test/signin',
      homeRealm: 'sim',
      allowedIssuers: ['sim'],
    });
    const list = await follow(fixture.app, added, admin.cookie);
    assert.match(list.body, /<div role="status" class="flash"><p>Added realm urn:k2:portal\.<\/p><\/div>/);
    const realm = await fixture.store.getRealm('urn:k2:portal');
    assert.equal(realm?.homeRealm, 'sim');
    assert.deepEqual(realm?.allowedIssuerIds, [fixture.issuer.id]);

    const edit = await getPage(fixture.app, `/admin/realms/${realm.id}/edit`, admin.cookie);
    assert.deepEqual(checkAdminHtml(edit.body), []);
    assert.match(edit.body, /value="sim" checked/);
    const saved = await submit(fixture.app, admin, `/admin/realms/${realm.id}/edit`, {
      realmUri: 'urn:k2:portal',
      replyUrl: 'https://portal.contoso.test/signin2',
      homeRealm: '',
    });
    assert.equal(saved.statusCode, 303);
    const changed = await fixture.store.getRealm(realm.id);
    assert.equal(changed?.replyUrl, 'https://portal.contoso.test/signin2');
    assert.equal(changed?.homeRealm, null);
    assert.deepEqual(changed?.allowedIssuerIds, []);

    const deleted = await submit(fixture.app, admin, `/admin/realms/${realm.id}/delete`);
    assert.equal(deleted.statusCode, 303);
    assert.equal(await fixture.store.getRealm(realm.id), undefined);
  });

  it('keeps the typed values and ties the error to its field when a realm is refused', async () => {
    const response = await submit(fixture.app, admin, '/admin/realms', {
      realmUri: 'urn:k2:bad',
      replyUrl: 'javascript:alert(1)',
    });
    assert.equal(response.statusCode, 400);
    assert.match(
      response.body,
      /id="add-realm-replyUrl" name="replyUrl" aria-describedby="add-realm-replyUrl-hint add-realm-replyUrl-error" aria-invalid="true"/,
    );
    assert.ok(response.body.includes('value="urn:k2:bad"'));
    assert.deepEqual(checkAdminHtml(response.body), []);
    assert.equal(await fixture.store.getRealm('urn:k2:bad'), undefined);
  });

  it('adds, edits and deletes a claim mapping', async () => {
    const added = await submit(fixture.app, admin, '/admin/mappings', {
      issuer: 'sim',
      label: 'K2AAD',
      nameClaim: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
      groupClaim: '',
    });
    assert.equal(added.statusCode, 303, added.body.slice(0, 600));
    const mapping = (await fixture.store.listClaimMappings(fixture.issuer.id)).find(
      (m) => m.label === 'K2AAD',
    )!;
    assert.equal(mapping.groupClaim, null);
    const saved = await submit(fixture.app, admin, `/admin/mappings/${mapping.id}/edit`, {
      label: 'K2AAD',
      nameClaim: 'upn',
      groupClaim: 'groups',
    });
    assert.equal(saved.statusCode, 303);
    const changed = (await fixture.store.listClaimMappings(fixture.issuer.id)).find(
      (m) => m.id === mapping.id,
    );
    assert.equal(changed?.nameClaim, 'upn');
    assert.equal(changed?.groupClaim, 'groups');
    const deleted = await submit(fixture.app, admin, `/admin/mappings/${mapping.id}/delete`);
    assert.equal(deleted.statusCode, 303);
    assert.ok(!(await fixture.store.listClaimMappings()).some((m) => m.id === mapping.id));
  });

  it('edits an issuer’s fields, and refuses a stale version without losing the typed values', async () => {
    const edit = await getPage(fixture.app, '/admin/issuers/sim/edit', admin.cookie);
    assert.equal(edit.statusCode, 200);
    assert.deepEqual(checkAdminHtml(edit.body), []);
    const version = /name="version" value="(\d+)"/.exec(edit.body)![1]!;
    const fields = {
      version,
      name: 'sim',
      description: 'Azure AD (simulated)',
      issuerUri: fixture.issuer.issuerUri,
      metadataUrl: fixture.issuer.metadataUrl!,
      loginUrl: fixture.issuer.loginUrl!,
      label: 'SIMISSUER',
      protocols: ['wsfed', 'saml2'],
      useForLogin: 'on',
      refreshIntervalSeconds: '1800',
      allowedTenants: '',
      policyMode: 'self-consistent',
      pinnedSigners: '',
      discontinuityPolicy: 'hold',
    };
    const saved = await submit(fixture.app, admin, '/admin/issuers/sim/edit', fields);
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 800));
    const issuer = await fixture.store.getIssuer('sim');
    assert.equal(issuer?.description, 'Azure AD (simulated)');
    assert.deepEqual(issuer?.protocols, ['wsfed', 'saml2']);
    assert.equal(issuer?.refreshIntervalSeconds, 1800);
    assert.equal(issuer?.allowSha1, false);
    assert.equal(issuer?.discontinuityPolicy, 'hold');
    assert.match(edit.body, /<select [^>]*name="discontinuityPolicy"/);

    const stale = await submit(fixture.app, admin, '/admin/issuers/sim/edit', {
      ...fields,
      description: 'second edit',
    });
    assert.equal(stale.statusCode, 409);
    assert.match(stale.body, /CG_STORE_CONFLICT/);
    assert.ok(stale.body.includes('second edit'));
    assert.equal((await fixture.store.getIssuer('sim'))?.description, 'Azure AD (simulated)');

    const bad = await submit(fixture.app, admin, '/admin/issuers/sim/edit', {
      ...fields,
      version: String(issuer.version),
      refreshIntervalSeconds: 'soon',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(
      bad.body,
      /id="issuer-refreshIntervalSeconds" name="refreshIntervalSeconds" aria-describedby="issuer-refreshIntervalSeconds-error" aria-invalid="true"/,
    );
  });

  it('shows whether SAML assertions must be signed, keeps it when a form does not carry the box, and turns it off only when unchecked', async () => {
    await fixture.store.updateIssuer(fixture.issuer.id, { requireSignedAssertion: true }, 'test');
    const edit = await getPage(fixture.app, '/admin/issuers/sim/edit', admin.cookie);
    // The box is checked, and a hidden field of its name comes first, so an unchecked box still sends something.
    assert.match(
      edit.body,
      /<input type="hidden" name="requireSignedAssertion" value="off"><input type="checkbox" id="issuer-requireSignedAssertion" name="requireSignedAssertion" value="on" checked>/,
    );
    assert.deepEqual(checkAdminHtml(edit.body), []);
    const fields = async (): Promise<Record<string, string | string[]>> => {
      const issuer = (await fixture.store.getIssuer('sim'))!;
      return {
        version: String(issuer.version),
        name: 'sim',
        description: issuer.description,
        issuerUri: issuer.issuerUri,
        metadataUrl: issuer.metadataUrl!,
        loginUrl: issuer.loginUrl!,
        label: issuer.label,
        protocols: [...issuer.protocols],
        useForLogin: 'on',
        refreshIntervalSeconds: String(issuer.refreshIntervalSeconds),
        allowedTenants: '',
        policyMode: 'self-consistent',
        pinnedSigners: '',
      };
    };
    const save = async (extra: Record<string, string | string[]>): Promise<boolean> => {
      const saved = await submit(fixture.app, admin, '/admin/issuers/sim/edit', {
        ...(await fields()),
        ...extra,
      });
      assert.equal(saved.statusCode, 303, saved.body.slice(0, 800));
      return (await fixture.store.getIssuer('sim'))!.requireSignedAssertion;
    };

    // A form without the box (a page from before it existed, a hand-made post) does not weaken the issuer.
    assert.equal(await save({ description: 'saved without the box' }), true);
    assert.equal((await fixture.store.getIssuer('sim'))?.description, 'saved without the box');
    // What a browser sends for the box checked, then unchecked, then checked again.
    assert.equal(await save({ requireSignedAssertion: ['off', 'on'] }), true);
    assert.equal(await save({ requireSignedAssertion: 'off' }), false);
    assert.equal(await save({}), false, 'a form without the box keeps it off too');
    const off = await getPage(fixture.app, '/admin/issuers/sim/edit', admin.cookie);
    assert.match(off.body, /name="requireSignedAssertion" value="on">/, 'shown unchecked');
    assert.equal(await save({ requireSignedAssertion: ['off', 'on'] }), true);
  });

  it('edits an issuer’s e-mail domains, one per line, shows them, and names the issuer holding a taken one next to the field', async () => {
    const other = await fixture.store.createIssuer(
      { name: 'holder', issuerUri: 'https://holder.example.test/', domains: ['taken.example'] },
      'test',
    );
    try {
      const fields = async (domains?: string): Promise<Record<string, string | string[]>> => {
        const issuer = (await fixture.store.getIssuer('sim'))!;
        return {
          version: String(issuer.version),
          name: 'sim',
          description: issuer.description,
          issuerUri: issuer.issuerUri,
          metadataUrl: issuer.metadataUrl!,
          loginUrl: issuer.loginUrl!,
          label: issuer.label,
          protocols: [...issuer.protocols],
          useForLogin: 'on',
          refreshIntervalSeconds: String(issuer.refreshIntervalSeconds),
          allowedTenants: '',
          policyMode: 'self-consistent',
          pinnedSigners: '',
          ...(domains === undefined ? {} : { domains }),
        };
      };
      const edit = await getPage(fixture.app, '/admin/issuers/sim/edit', admin.cookie);
      assert.match(edit.body, /<textarea [^>]*name="domains"/);
      const saved = await submit(
        fixture.app,
        admin,
        '/admin/issuers/sim/edit',
        await fields('Contoso.com\r\n\r\n  bücher.example.  \r\n'),
      );
      assert.equal(saved.statusCode, 303, saved.body.slice(0, 800));
      assert.deepEqual((await fixture.store.getIssuer('sim'))?.domains, [
        'contoso.com',
        'xn--bcher-kva.example',
      ]);
      const page = await getPage(fixture.app, '/admin/issuers/sim', admin.cookie);
      assert.match(textOf(page.body), /E-mail domains\s*contoso\.com/);

      // A form without the field (a page from before it existed) leaves the domains as they are.
      assert.equal(
        (await submit(fixture.app, admin, '/admin/issuers/sim/edit', await fields())).statusCode,
        303,
      );
      assert.deepEqual((await fixture.store.getIssuer('sim'))?.domains, [
        'contoso.com',
        'xn--bcher-kva.example',
      ]);

      const taken = await submit(
        fixture.app,
        admin,
        '/admin/issuers/sim/edit',
        await fields('taken.example'),
      );
      assert.equal(taken.statusCode, 409, taken.body.slice(0, 800));
      assert.match(taken.body, /id="issuer-domains"[^>]*aria-invalid="true"/);
      assert.match(textOf(taken.body), /taken\.example.*already belongs to issuer "holder"/);
      const invalid = await submit(fixture.app, admin, '/admin/issuers/sim/edit', await fields('*.example'));
      assert.equal(invalid.statusCode, 400);
      assert.match(invalid.body, /id="issuer-domains"[^>]*aria-invalid="true"/);

      assert.equal(
        (await submit(fixture.app, admin, '/admin/issuers/sim/edit', await fields(''))).statusCode,
        303,
      );
      assert.deepEqual((await fixture.store.getIssuer('sim'))?.domains, []);
    } finally {
      await fixture.store.deleteIssuer(other.id, 'test');
    }
  });

  it('filters the audit log by issuer, action, actor, dates and text, and pages through it', async () => {
    // The earlier tests wrote admin entries; add enough for two pages.
    for (let index = 0; index < 55; index += 1) {
      await fixture.store.appendAudit({
        actor: 'cli:ops',
        action: 'alert.test',
        issuerId: fixture.issuer.id,
        subject: `subject-${index}`,
        before: null,
        after: { index },
        refresh: null,
      });
    }
    const all = await getPage(fixture.app, '/admin/audit', admin.cookie);
    assert.equal(all.statusCode, 200);
    assert.deepEqual(checkAdminHtml(all.body), []);
    assert.match(all.body, /<form method="get" action="\/admin\/audit"/);
    const next = /<a href="(\/admin\/audit\?after=\d+)">Next page<\/a>/.exec(all.body);
    assert.ok(next !== null, 'a next page link');
    const second = await getPage(fixture.app, next[1]!, admin.cookie);
    assert.equal(second.statusCode, 200);
    assert.match(second.body, /First page/);

    const byActor = await getPage(fixture.app, '/admin/audit?actor=admin%3Alocal%3Aadmin', admin.cookie);
    const actorRows = [...byActor.body.matchAll(/<tr><th scope="row">/g)].length;
    assert.ok(actorRows > 0);
    assert.doesNotMatch(byActor.body, /cli:ops/);

    const byAction = await getPage(fixture.app, '/admin/audit?action=realm.', admin.cookie);
    const actions = [
      ...byAction.body.matchAll(/<\/th><td>[^<]*<\/td><td><code class="ident">([^<]+)<\/code>/g),
    ].map((m) => m[1]);
    assert.ok(actions.length > 0);
    assert.ok(
      actions.every((action) => action!.startsWith('realm.')),
      actions.join(', '),
    );

    const byText = await getPage(fixture.app, '/admin/audit?text=subject-42', admin.cookie);
    assert.match(textOf(byText.body), /subject-42/);
    assert.doesNotMatch(textOf(byText.body), /subject-41/);

    const byIssuer = await getPage(fixture.app, '/admin/audit?issuer=sim&actor=cli%3Aops', admin.cookie);
    assert.match(byIssuer.body, /<option value="sim" selected>/);
    assert.match(textOf(byIssuer.body), /index: 0/);

    const future = await getPage(fixture.app, '/admin/audit?from=2030-01-01', admin.cookie);
    assert.match(future.body, /No entry matches these filters\./);
    const today = await getPage(
      fixture.app,
      '/admin/audit?from=2026-03-02&to=2026-03-02&actor=cli%3Aops',
      admin.cookie,
    );
    assert.match(textOf(today.body), /subject-0/);

    const badDate = await getPage(fixture.app, '/admin/audit?from=yesterday', admin.cookie);
    assert.equal(badDate.statusCode, 400);
    assert.match(
      badDate.body,
      /id="audit-from" name="from" aria-describedby="audit-from-error" aria-invalid="true"/,
    );
    assert.deepEqual(checkAdminHtml(badDate.body), []);
  });

  it('ignores a flash message whose signature does not match the session', async () => {
    const forged = await getPage(
      fixture.app,
      '/admin?flash=Add%20thumbprint%20DEAD%20now&flash_sig=abc',
      admin.cookie,
    );
    assert.equal(forged.statusCode, 200);
    assert.doesNotMatch(forged.body, /DEAD/);
    const other = await signInAdmin(fixture, 'local:other');
    const added = await submit(fixture.app, other, '/admin/mappings', {
      issuer: 'sim',
      label: 'OTHER',
      nameClaim: 'upn',
    });
    const location = added.headers.location as string;
    const shownToOther = await getPage(fixture.app, location, other.cookie);
    assert.match(shownToOther.body, /Added claim mapping OTHER/);
    const shownToAdmin = await getPage(fixture.app, location, admin.cookie);
    assert.doesNotMatch(shownToAdmin.body, /Added claim mapping OTHER/);
  });

  it('deletes an issuer after a confirmation', async () => {
    await fixture.store.createIssuer({ name: 'temporary', issuerUri: 'https://temporary.test/' }, 'test');
    const confirm = await getPage(fixture.app, '/admin/issuers/temporary/delete', admin.cookie);
    assert.equal(confirm.statusCode, 200);
    assert.ok(await fixture.store.getIssuer('temporary'));
    const deleted = await submit(fixture.app, admin, '/admin/issuers/temporary/delete');
    const list = await follow(fixture.app, deleted, admin.cookie);
    assert.match(list.body, /Deleted issuer temporary\./);
    assert.equal(await fixture.store.getIssuer('temporary'), undefined);
  });

  it('says on the confirmation page which realms stop naming the issuer, and refuses while a realm allows it alone', async () => {
    const partner = await fixture.store.createIssuer(
      { name: 'partner', issuerUri: 'https://partner.test/' },
      'test',
    );
    const realm = await fixture.store.createRealm(
      {
        realmUri: 'urn:app:partner',
        replyUrl: 'https://app.example/signin',
        homeRealm: 'partner',
        allowedIssuerIds: [partner.id],
      },
      'test',
    );
    const refused = await getPage(fixture.app, '/admin/issuers/partner/delete', admin.cookie);
    assert.equal(refused.statusCode, 409);
    assert.deepEqual(checkAdminHtml(refused.body), []);
    assert.match(textOf(refused.body), /partner cannot be deleted yet/);
    assert.match(refused.body, new RegExp(`/admin/realms/${realm.id}/edit`));
    assert.doesNotMatch(refused.body, /Delete issuer partner<\/button>/);

    await fixture.store.updateRealm(realm.id, { allowedIssuerIds: [partner.id, fixture.issuer.id] }, 'test');
    const confirm = await getPage(fixture.app, '/admin/issuers/partner/delete', admin.cookie);
    assert.equal(confirm.statusCode, 200);
    assert.deepEqual(checkAdminHtml(confirm.body), []);
    const expected =
      'Realm urn:app:partner: its home realm is cleared, so its users choose their issuer; it no longer allows this issuer (it still allows sim).';
    assert.ok(textOf(confirm.body).includes(expected), textOf(confirm.body));
    const deleted = await submit(fixture.app, admin, '/admin/issuers/partner/delete');
    const list = await follow(fixture.app, deleted, admin.cookie);
    assert.ok(textOf(list.body).includes(`Deleted issuer partner. ${expected}`), textOf(list.body));
    const after = await fixture.store.getRealm(realm.id);
    assert.equal(after?.homeRealm, null);
    assert.deepEqual(after?.allowedIssuerIds, [fixture.issuer.id]);
    await fixture.store.deleteRealm(realm.id, 'test');
  });
});
