import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatThumbprint } from '../../../src/crypto/thumbprint.js';
import type { KeyRecord } from '../../../src/store/model.js';
import { createTestCertificate } from '../../helpers/certificates.js';
import { createGatewayFixture, PUBLIC_URL, type GatewayFixture } from '../gateway-fixture.js';
import {
  getPage,
  listAdminPageRoutes,
  signInAdmin,
  submit,
  textOf,
  type Browser,
} from './admin-site-helpers.js';
import { checkAdminHtml } from './html-checks.js';

describe('admin site pages', () => {
  let fixture: GatewayFixture;
  let admin: Browser;
  let key: KeyRecord;

  before(async () => {
    fixture = await createGatewayFixture();
    admin = await signInAdmin(fixture);
    const keys = await fixture.store.listKeys(fixture.issuer.id);
    assert.equal(keys.length, 1);
    key = keys[0]!;
  });
  after(() => fixture.close());

  async function page(url: string): Promise<string> {
    const response = await getPage(fixture.app, url, admin.cookie);
    assert.equal(response.statusCode, 200, `GET ${url}: ${response.body.slice(0, 800)}`);
    assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/);
    return response.body;
  }

  it('serves every admin GET page with 200 and well-formed, labelled, single-h1 HTML', async () => {
    const realm = (await fixture.store.listRealms())[0]!;
    const mapping = (await fixture.store.listClaimMappings())[0]!;
    const routes = (await listAdminPageRoutes(fixture.app)).filter((route) => route.method === 'GET');
    assert.ok(routes.length >= 12, `only ${routes.length} GET pages`);
    for (const route of routes) {
      const url = route.path
        .replace(':name', 'sim')
        .replace(':keyId', key.id)
        .replace(':id', route.path.startsWith('/admin/realms') ? realm.id : mapping.id);
      assert.doesNotMatch(url, /:/, `a parameter of ${route.path} is not filled`);
      const html = await page(url);
      assert.deepEqual(checkAdminHtml(html), [], `GET ${url}`);
    }
  });

  it('lists every issuer with its keys, thumbprints, expiry, refresh and alerts on the Issuers page', async () => {
    const html = await page('/admin');
    const text = textOf(html);
    assert.match(html, /<a href="\/admin\/issuers\/sim">sim<\/a>/);
    assert.ok(text.includes(fixture.issuer.issuerUri));
    assert.ok(text.includes(key.sha1!), 'the SHA-1 thumbprint');
    assert.match(
      html,
      /<details><summary>SHA-256<\/summary><code class="mono">[0-9A-F]{64}<\/code><\/details>/,
    );
    assert.ok(text.includes(key.sha256!), 'the SHA-256 thumbprint');
    assert.match(text, new RegExp(`${key.state} metadata`), 'state and source');
    assert.match(text, /Expiry: (in \d+ days|expires today)/);
    assert.match(text, /last seen in metadata 2026-03-02 09:30 UTC/);
    assert.match(text, /success 2026-03-02 09:30 UTC/, 'the last refresh and its outcome');
    assert.match(html, /<th scope="col">Next refresh<\/th>/);
    assert.match(html, /<th scope="col">Alerts<\/th>/);
    assert.match(text, /single/i, 'the issuer with a single key is alerted');
    assert.match(html, /<a href="\/admin" aria-current="page">Issuers<\/a>/);
  });

  it('shows an issuer’s fields, keys, refresh state and forms on its page', async () => {
    const html = await page('/admin/issuers/sim');
    const text = textOf(html);
    assert.match(html, /<h1>Issuer sim<\/h1>/);
    assert.ok(text.includes(fixture.issuer.metadataUrl!));
    assert.ok(text.includes('SIMISSUER'), 'the identity label');
    assert.match(html, /<caption>Keys of sim \(1\)<\/caption>/);
    assert.ok(text.includes(key.subject!));
    assert.match(html, /<form method="post" action="\/admin\/issuers\/sim\/refresh"[^>]*>/);
    assert.match(html, /<form method="post" action="\/admin\/issuers\/sim\/import"[^>]*>/);
    assert.match(html, /<form method="post" action="\/admin\/issuers\/sim\/keys\/check"[^>]*>/);
    assert.ok(html.includes(`href="/admin/issuers/sim/keys/${key.id}/revoke"`));
    assert.match(text, /Last-known-good metadata/);
    assert.match(html, /<caption>Claim mappings of sim<\/caption>/);
  });

  it('lists realms and claim mappings with their add forms', async () => {
    const realms = await page('/admin/realms');
    assert.ok(textOf(realms).includes(PUBLIC_URL));
    assert.match(realms, /<form method="post" action="\/admin\/realms"/);
    const mappings = await page('/admin/mappings');
    assert.ok(textOf(mappings).includes('SIM'));
    assert.ok(textOf(mappings).includes('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'));
    assert.match(mappings, /<form method="post" action="\/admin\/mappings"/);
  });

  it('shows the store, the engine and each issuer’s freshness on the health page', async () => {
    const text = textOf(await page('/admin/health'));
    assert.match(text, /Backend sqlite/);
    assert.match(text, /Reachable yes/);
    assert.match(text, /reloads/);
    assert.match(text, /sim 1 success/);
  });

  it('calculates SHA-1 and SHA-256 thumbprints, plain and with colons, of a pasted certificate', async () => {
    const certificate = await createTestCertificate({ commonName: 'adfs-signing.contoso.test' });
    const { X509Certificate } = await import('node:crypto');
    const x509 = new X509Certificate(certificate.der);
    const sha1 = x509.fingerprint.replace(/:/g, '');
    const sha256 = x509.fingerprint256.replace(/:/g, '');
    const response = await submit(fixture.app, admin, '/admin/thumbprint', { certificate: certificate.pem });
    assert.equal(response.statusCode, 200);
    const text = textOf(response.body);
    assert.ok(text.includes(sha1));
    assert.ok(text.includes(formatThumbprint(sha1, 'colons')));
    assert.ok(text.includes(sha256));
    assert.ok(text.includes(formatThumbprint(sha256, 'colons')));
    assert.match(text, /CN=adfs-signing\.contoso\.test/);
    assert.match(text, /from 2024-01-01 00:00 UTC to 2034-01-01 00:00 UTC/);
    assert.deepEqual(checkAdminHtml(response.body), []);
  });

  it('calculates the thumbprints of every certificate in a metadata document', async () => {
    const response = await submit(fixture.app, admin, '/admin/thumbprint', {
      metadataUrl: fixture.issuer.metadataUrl!,
    });
    assert.equal(response.statusCode, 200, response.body.slice(0, 800));
    const text = textOf(response.body);
    assert.ok(text.includes(key.sha1!));
    assert.match(text, /SecurityTokenServiceType/);
    assert.match(text, /Document SHA-256 [0-9a-f]{64}/i);
  });

  it('shows a refused certificate next to its field, tied with aria-describedby', async () => {
    const response = await submit(fixture.app, admin, '/admin/thumbprint', {
      certificate: 'not a certificate',
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /role="alert"/);
    assert.match(
      response.body,
      /<textarea id="certificate-certificate" name="certificate" aria-describedby="certificate-certificate-hint certificate-certificate-error" aria-invalid="true"/,
    );
    assert.match(response.body, /id="certificate-certificate-error"/);
    assert.deepEqual(checkAdminHtml(response.body), []);
  });

  it('escapes markup in every stored value it shows (XSS)', async () => {
    const attack = '<script>alert("x")</script><img src=x onerror=alert(1)>';
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;';
    await fixture.store.updateIssuer(fixture.issuer.id, { description: attack }, 'test');
    const xss = await fixture.store.createIssuer(
      {
        name: 'x"><b>bold</b>',
        issuerUri: 'https://evil.test/"><script>',
        description: attack,
        label: 'EVIL',
      },
      'test',
    );
    // A claim type a token carried and a mapping that reads another: both are shown on the issuer page.
    await fixture.store.recordTokenClaimTypes(xss.id, [`urn:claim:${attack}`], fixture.now());
    await fixture.store.createClaimMapping(
      { issuerId: xss.id, label: 'EVIL', nameClaim: `urn:name:${attack}`, groupClaim: null },
      'test',
    );
    try {
      const xssPage = `/admin/issuers/${encodeURIComponent(xss.name)}`;
      for (const url of ['/admin', '/admin/issuers/sim', xssPage, `${xssPage}/edit`, '/admin/audit']) {
        const html = await page(url);
        assert.doesNotMatch(html, /<script/i, url);
        assert.doesNotMatch(html, /<img/i, url);
        assert.doesNotMatch(html, /<b>bold/, url);
        assert.deepEqual(checkAdminHtml(html), [], url);
      }
      // Each value is shown, escaped (not dropped).
      const issuers = await page('/admin');
      assert.ok(issuers.includes('>x&quot;&gt;&lt;b&gt;bold&lt;/b&gt;</a>'), 'the name in the issuers list');
      assert.ok(issuers.includes('https://evil.test/&quot;&gt;&lt;script&gt;'), 'the issuer URI in the list');
      assert.ok((await page('/admin/issuers/sim')).includes(escaped), 'the description');
      const issuerPage = await page(xssPage);
      assert.ok(issuerPage.includes('<h1>Issuer x&quot;&gt;&lt;b&gt;bold&lt;/b&gt;</h1>'), 'the name');
      assert.ok(issuerPage.includes(`<dd>${escaped}</dd>`), 'the description');
      assert.ok(issuerPage.includes(`urn:claim:${escaped}`), 'the claim type of the last token');
      assert.ok(issuerPage.includes(`urn:name:${escaped}`), 'the claim a mapping reads');
      const edit = await page(`${xssPage}/edit`);
      assert.ok(edit.includes('name="name" aria-describedby="issuer-name-hint" required value="x&quot;&gt;'));
      assert.ok(edit.includes(`spellcheck="false">\n${escaped}</textarea>`), 'the description field');
    } finally {
      await fixture.store.deleteIssuer(xss.id, 'test');
      await fixture.store.updateIssuer(fixture.issuer.id, { description: '' }, 'test');
    }
  });
});

describe('the HTML checker', () => {
  const shell = (body: string): string =>
    `<!doctype html><html lang="en"><body><a href="#main">Skip</a><form method="post" action="/admin/logout"><input type="hidden" name="_csrf" value="t"></form><nav aria-label="Admin"><a href="/admin" aria-current="page">Issuers</a></nav><main id="main"><div role="status"></div>${body}</main></body></html>`;

  it('passes a page that follows every rule', () => {
    assert.deepEqual(
      checkAdminHtml(
        shell(
          '<h1>T</h1><label for="a">A</label><input type="text" id="a" name="a" aria-describedby="a-hint"><span id="a-hint">h</span><table><caption>C</caption><tr><th scope="col">H</th></tr></table>',
        ),
      ),
      [],
    );
  });

  it('reports an unlabelled control, a second h1, an unclosed element, a table without caption and a script', () => {
    const problems = checkAdminHtml(
      shell(
        '<h1>T</h1><h1>U</h1><input type="text" id="b" name="b"><div><table><tr><th>H</th></tr></table><script>x</script><form method="post" action="/x"></form>',
      ),
    );
    const text = problems.join('\n');
    assert.match(text, /2 <h1> elements/);
    assert.match(text, /a control without a <label for>/);
    assert.match(text, /closes <div>|unclosed elements/);
    assert.match(text, /a <table> without a <caption> first/);
    assert.match(text, /a <th> without scope/);
    assert.match(text, /a <script> element/);
    assert.match(text, /a POST form without a _csrf field/);
  });

  it('reports a dangling aria-describedby, a duplicate id and an inline style', () => {
    const problems = checkAdminHtml(
      shell(
        '<h1 style="color:red">T</h1><p id="x"></p><p id="x"></p><label for="c">C</label><select id="c" name="c" aria-describedby="nothing"></select>',
      ),
    ).join('\n');
    assert.match(problems, /aria-describedby="nothing" names no element/);
    assert.match(problems, /id "x" is used 2 times/);
    assert.match(problems, /a style= attribute/);
  });
});
