import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestCertificate } from '../../helpers/certificates.js';
import { buildFederationMetadata } from '../../helpers/federation-metadata.js';
import { startMetadataServer, type MetadataServer } from '../../helpers/metadata-server.js';
import { createGatewayFixture, type GatewayFixture } from '../gateway-fixture.js';
import { follow, getPage, signInAdmin, submit, textOf, type Browser } from './admin-site-helpers.js';
import { checkAdminHtml } from './html-checks.js';

/** A SHA-1 thumbprint as the Windows certificate dialog copies it: a U+200E first, spaces between pairs. */
const DIALOG_THUMBPRINT = '\u200e3b 1e 4f 2a 9c 0d 7e 6b 5a 48 39 2c 1d 0e 9f 8a 7b 6c 5d 4e';
const CLEAN_THUMBPRINT = '3B1E4F2A9C0D7E6B5A48392C1D0E9F8A7B6C5D4E';

describe('managing trust on the admin site', () => {
  let fixture: GatewayFixture;
  let admin: Browser;

  before(async () => {
    fixture = await createGatewayFixture();
    admin = await signInAdmin(fixture);
  });
  after(() => fixture.close());

  it('shows a pasted thumbprint’s U+200E as a visible badge on the Check step, and stores only the clean value', async () => {
    const check = await submit(fixture.app, admin, '/admin/issuers/sim/keys/check', {
      value: DIALOG_THUMBPRINT,
    });
    assert.equal(check.statusCode, 200, check.body.slice(0, 800));
    const text = textOf(check.body);
    assert.ok(text.includes(CLEAN_THUMBPRINT), 'the normalised thumbprint');
    assert.match(
      check.body,
      /<span class="badge invisible">U\+200E LEFT-TO-RIGHT MARK<\/span> at position 1/,
    );
    assert.match(text, /U\+0020 SPACE ×19 at positions 4, 7, 10,/);
    assert.match(text, /Characters removed \(20\)/);
    assert.match(text, /1 invisible or unusual character/);
    assert.deepEqual(checkAdminHtml(check.body), []);
    // The Add form carries the clean value only, and nothing is stored before it is submitted.
    assert.ok(check.body.includes(`name="thumbprint" value="${CLEAN_THUMBPRINT}"`));
    assert.ok(!check.body.includes(`value="${DIALOG_THUMBPRINT}"`));
    assert.equal((await fixture.store.listKeys(fixture.issuer.id)).length, 1);

    const added = await submit(fixture.app, admin, '/admin/issuers/sim/keys', {
      thumbprint: CLEAN_THUMBPRINT,
      state: 'active',
    });
    const issuerPage = await follow(fixture.app, added, admin.cookie);
    assert.match(
      issuerPage.body,
      /<div role="status" class="flash"><p>Added key 3B1E4F2A9C0D7E6B5A48392C1D0E9F8A7B6C5D4E to sim \(active\)\.<\/p><\/div>/,
    );
    const stored = (await fixture.store.listKeys(fixture.issuer.id)).find((key) => key.source === 'manual');
    assert.equal(stored?.sha1, CLEAN_THUMBPRINT);
    assert.equal(stored?.state, 'active');
    const audit = await fixture.store.listAudit({ issuerId: fixture.issuer.id });
    assert.ok(audit.some((entry) => entry.action === 'key.added' && entry.actor === 'admin:local:admin'));
  });

  it('sends a thumbprint posted to Add with characters to remove back to the Check step instead of adding it', async () => {
    const before = (await fixture.store.listKeys(fixture.issuer.id)).length;
    const response = await submit(fixture.app, admin, '/admin/issuers/sim/keys', {
      thumbprint: '\u200eAABBCCDDEEFF00112233445566778899AABBCCDD',
    });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /U\+200E LEFT-TO-RIGHT MARK<\/span> at position 1/);
    assert.equal((await fixture.store.listKeys(fixture.issuer.id)).length, before);
  });

  it('names a character that cannot be part of a thumbprint, next to the field', async () => {
    const response = await submit(fixture.app, admin, '/admin/issuers/sim/keys/check', {
      value: '3B1E4F2A9C0D7E6B5A48392C1D0E9F8A7B6C5DXZ',
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /CG_TRUST_THUMBPRINT_INVALID/);
    assert.match(textOf(response.body), /'X' \(not a hexadecimal digit\) at position 39/);
    assert.match(response.body, /aria-describedby="add-key-value-error" aria-invalid="true"/);
    assert.deepEqual(checkAdminHtml(response.body), []);
  });

  it('adds a pasted certificate after showing its subject, validity and thumbprints', async () => {
    const certificate = await createTestCertificate({ commonName: 'manual.contoso.test' });
    const check = await submit(fixture.app, admin, '/admin/issuers/sim/keys/check', {
      value: certificate.pem,
    });
    assert.equal(check.statusCode, 200, check.body.slice(0, 800));
    assert.match(textOf(check.body), /CN=manual\.contoso\.test/);
    const added = await submit(fixture.app, admin, '/admin/issuers/sim/keys', {
      certificate: certificate.pem,
      state: 'announced',
    });
    assert.equal(added.statusCode, 303, added.body.slice(0, 800));
    const keys = await fixture.store.listKeys(fixture.issuer.id);
    const stored = keys.find((key) => key.subject === 'CN=manual.contoso.test');
    assert.equal(stored?.state, 'announced');
    assert.ok(stored?.certificateDer?.equals(certificate.der));
  });

  it('revokes a key with a reason after a confirmation, and reactivates it', async () => {
    const key = (await fixture.store.listKeys(fixture.issuer.id)).find((k) => k.sha1 === CLEAN_THUMBPRINT)!;
    const confirm = await getPage(fixture.app, `/admin/issuers/sim/keys/${key.id}/revoke`, admin.cookie);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /<h1>Revoke a key of sim\?<\/h1>/);
    assert.deepEqual(checkAdminHtml(confirm.body), []);
    assert.equal(
      (await fixture.store.getKey(key.id))?.state,
      'active',
      'the confirmation page changes nothing',
    );

    const noReason = await submit(fixture.app, admin, `/admin/issuers/sim/keys/${key.id}/revoke`, {
      reason: '  ',
    });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /aria-invalid="true"/);
    assert.equal((await fixture.store.getKey(key.id))?.state, 'active');

    const revoked = await submit(fixture.app, admin, `/admin/issuers/sim/keys/${key.id}/revoke`, {
      reason: 'private key leaked',
    });
    const page = await follow(fixture.app, revoked, admin.cookie);
    assert.match(
      textOf(page.body),
      /Revoked key 3B1E4F2A9C0D7E6B5A48392C1D0E9F8A7B6C5D4E of sim; it is now revoked\./,
    );
    assert.equal((await fixture.store.getKey(key.id))?.state, 'revoked');
    const entry = (await fixture.store.listAudit({ issuerId: fixture.issuer.id })).find(
      (e) => e.action === 'key.revoked',
    );
    assert.equal(entry?.actor, 'admin:local:admin');
    assert.match(JSON.stringify(entry), /private key leaked/);

    const reactivated = await submit(fixture.app, admin, `/admin/issuers/sim/keys/${key.id}/reactivate`, {
      reason: 'false alarm',
    });
    assert.equal(reactivated.statusCode, 303);
    assert.equal((await fixture.store.getKey(key.id))?.state, 'active');
  });

  it('refuses to revoke a key through another issuer’s URL', async () => {
    const key = (await fixture.store.listKeys(fixture.issuer.id))[0]!;
    const other = await fixture.store.createIssuer(
      { name: 'other', issuerUri: 'https://other.test/' },
      'test',
    );
    try {
      const response = await submit(fixture.app, admin, `/admin/issuers/other/keys/${key.id}/revoke`, {
        reason: 'x',
      });
      assert.equal(response.statusCode, 404);
      assert.notEqual((await fixture.store.getKey(key.id))?.state, 'revoked');
    } finally {
      await fixture.store.deleteIssuer(other.id, 'test');
    }
  });

  it('refreshes an issuer now and says how it went', async () => {
    const before = await fixture.store.getRefreshState(fixture.issuer.id);
    fixture.advance(60);
    const response = await submit(fixture.app, admin, '/admin/issuers/sim/refresh');
    const page = await follow(fixture.app, response, admin.cookie);
    assert.match(textOf(page.body), /Refreshed sim: (success|not-modified);/);
    const after = await fixture.store.getRefreshState(fixture.issuer.id);
    assert.ok(after!.lastAttemptAt!.getTime() > before!.lastAttemptAt!.getTime());
    const audit = await fixture.store.listAudit({ issuerId: fixture.issuer.id });
    assert.ok(
      audit.some((entry) => entry.actor === 'admin:local:admin' && entry.action.startsWith('issuer.refresh')),
    );
  });

  it('previews an import as a diff, shows the new diff when the document changed, then applies it', async () => {
    const url = fixture.issuer.metadataUrl!;
    const preview = await submit(fixture.app, admin, '/admin/issuers/sim/import', { metadataUrl: url });
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 800));
    assert.deepEqual(checkAdminHtml(preview.body), []);
    assert.match(preview.body, /<caption>Issuer fields: current and proposed<\/caption>/);
    assert.match(preview.body, /<th scope="col">Current<\/th><th scope="col">Proposed<\/th>/);
    assert.match(textOf(preview.body), /Keys: 0 added, 1 unchanged, 0 no longer published/);
    const sha256 = /name="expectedSha256" value="([0-9a-f]{64})"/.exec(preview.body)?.[1];
    assert.ok(sha256 !== undefined);

    // The issuer announces a new key between the preview and the apply.
    await fixture.sim.rollover('announce');
    const keysBefore = (await fixture.store.listKeys(fixture.issuer.id)).length;
    const stale = await submit(fixture.app, admin, '/admin/issuers/sim/import/apply', {
      metadataUrl: url,
      expectedSha256: sha256,
    });
    assert.equal(stale.statusCode, 409);
    assert.match(stale.body, /role="status" class="flash"><p>The metadata changed since your preview/);
    assert.match(textOf(stale.body), /Keys: 1 added, 1 unchanged, 0 no longer published/);
    assert.equal((await fixture.store.listKeys(fixture.issuer.id)).length, keysBefore, 'nothing applied');
    const fresh = /name="expectedSha256" value="([0-9a-f]{64})"/.exec(stale.body)?.[1];
    assert.ok(fresh !== undefined && fresh !== sha256);

    fixture.advance(120);
    const applied = await submit(fixture.app, admin, '/admin/issuers/sim/import/apply', {
      metadataUrl: url,
      expectedSha256: fresh,
    });
    const page = await follow(fixture.app, applied, admin.cookie);
    assert.match(textOf(page.body), /Imported metadata into sim; refresh success/);
    assert.equal((await fixture.store.listKeys(fixture.issuer.id)).length, keysBefore + 1);
  });

  it('shows a metadata URL that cannot be fetched next to the URL field', async () => {
    const response = await submit(fixture.app, admin, '/admin/issuers/sim/import', {
      metadataUrl: `${new URL(fixture.issuer.metadataUrl!).origin}/no-such-document`,
    });
    assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode));
    assert.match(response.body, /CG_META_/);
    assert.match(
      response.body,
      /id="import-metadataUrl" name="metadataUrl" aria-describedby="import-metadataUrl-error" aria-invalid="true"/,
    );
  });
});

describe('adding an issuer from its metadata on the admin site', () => {
  let fixture: GatewayFixture;
  let admin: Browser;
  let metadata: MetadataServer;

  before(async () => {
    fixture = await createGatewayFixture();
    admin = await signInAdmin(fixture);
    const certificate = await createTestCertificate({ commonName: 'sts.contoso.test' });
    metadata = await startMetadataServer({
      kind: 'document',
      body: buildFederationMetadata({
        entityId: 'https://sts.contoso.test/adfs/services/trust',
        signingCertificates: [certificate.base64],
        passiveEndpoint: 'https://sts.contoso.test/adfs/ls/',
      }),
    });
  });
  after(async () => {
    await metadata.close();
    await fixture.close();
  });

  it('previews the new issuer with its keys, then creates it', async () => {
    const form = await getPage(fixture.app, '/admin/issuers/new', admin.cookie);
    assert.equal(form.statusCode, 200);
    assert.deepEqual(checkAdminHtml(form.body), []);

    const preview = await submit(fixture.app, admin, '/admin/issuers/new', {
      name: 'contoso',
      metadataUrl: metadata.url,
    });
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 1000));
    assert.deepEqual(checkAdminHtml(preview.body), []);
    const text = textOf(preview.body);
    assert.match(text, /create issuer contoso/);
    assert.ok(text.includes('https://sts.contoso.test/adfs/services/trust'));
    assert.match(text, /Keys: 1 added, 0 unchanged, 0 no longer published/);
    assert.equal(await fixture.store.getIssuer('contoso'), undefined, 'the preview stores nothing');

    const sha256 = /name="expectedSha256" value="([0-9a-f]{64})"/.exec(preview.body)![1]!;
    const created = await submit(fixture.app, admin, '/admin/issuers/new/apply', {
      name: 'contoso',
      metadataUrl: metadata.url,
      expectedSha256: sha256,
    });
    assert.equal(created.statusCode, 303, created.body.slice(0, 1000));
    assert.match(created.headers.location as string, /^\/admin\/issuers\/contoso\?/);
    const issuer = await fixture.store.getIssuer('contoso');
    assert.equal(issuer?.issuerUri, 'https://sts.contoso.test/adfs/services/trust');
    assert.equal((await fixture.store.listKeys(issuer.id)).length, 1);
  });

  it('creates an OpenID Connect issuer from its discovery URL: the apply form carries the key set it previewed', async () => {
    const discovery = fixture.sim.tenantUrls().openIdConfiguration;
    const preview = await submit(fixture.app, admin, '/admin/issuers/new', {
      name: 'sim-oidc',
      metadataUrl: discovery,
    });
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 1000));
    const hidden = (name: string): string | undefined =>
      new RegExp(`name="${name}" value="([^"]*)"`).exec(preview.body)?.[1];
    assert.match(hidden('expectedKeySetSha256') ?? '', /^[0-9a-f]{64}$/);
    const created = await submit(fixture.app, admin, '/admin/issuers/new/apply', {
      name: 'sim-oidc',
      metadataUrl: discovery,
      expectedSha256: hidden('expectedSha256')!,
      expectedKeySetSha256: hidden('expectedKeySetSha256')!,
    });
    assert.equal(created.statusCode, 303, created.body.slice(0, 1000));
    const issuer = await fixture.store.getIssuer('sim-oidc');
    assert.deepEqual(issuer?.protocols, ['oidc']);
    assert.ok((await fixture.store.listKeys(issuer.id)).length >= 1);
  });

  it('escapes the markup a hostile document carries in its entity ID, endpoint and certificate subject (XSS)', async () => {
    const attack = '<script>alert("x")</script>';
    // Written into the XML escaped, so the parsed document carries the markup itself.
    const inXml = (text: string): string =>
      text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    // The common name is in RFC 4514 syntax, where a quote is escaped.
    const certificate = await createTestCertificate({ commonName: attack.replace(/"/g, '\\"') });
    const hostile = await startMetadataServer({
      kind: 'document',
      body: buildFederationMetadata({
        entityId: inXml(`https://sts.evil.test/${attack}`),
        signingCertificates: [certificate.base64],
        passiveEndpoint: inXml(`https://sts.evil.test/ls/?a="><img src=x onerror=alert(1)>`),
      }),
    });
    try {
      const preview = await submit(fixture.app, admin, '/admin/issuers/new', {
        name: 'evil',
        metadataUrl: hostile.url,
      });
      assert.equal(preview.statusCode, 200, preview.body.slice(0, 1000));
      assert.doesNotMatch(preview.body, /<script/i);
      assert.doesNotMatch(preview.body, /<img/i);
      assert.deepEqual(checkAdminHtml(preview.body), []);
      const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
      assert.ok(preview.body.includes(`https://sts.evil.test/${escaped}`), 'the entity ID, escaped');
      // Node writes the subject with its special characters backslash-escaped, then the page escapes it.
      assert.ok(
        preview.body.includes('CN=\\&lt;script\\&gt;alert(\\&quot;x\\&quot;)\\&lt;/script\\&gt;'),
        'the certificate subject, escaped',
      );
      assert.ok(
        preview.body.includes('https://sts.evil.test/ls/?a=&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'),
        'the endpoint, escaped',
      );
    } finally {
      await hostile.close();
    }
  });

  it('keeps what was typed and ties the error to its field when the name is taken', async () => {
    const response = await submit(fixture.app, admin, '/admin/issuers/new', {
      name: 'sim',
      metadataUrl: metadata.url,
    });
    assert.equal(response.statusCode, 409);
    assert.match(response.body, /CG_STORE_DUPLICATE/);
    assert.ok(response.body.includes(`value="${metadata.url}"`));
    assert.deepEqual(checkAdminHtml(response.body), []);
  });
});
