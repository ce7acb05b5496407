import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdpSimulator, DEFAULT_TENANT } from '../../src/idp-sim/idp-sim-server.js';
import { checkMetadataSignature } from '../../src/metadata/check-metadata-signature.js';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import { clock, createTestSimulator, readForm } from './sim-helpers.js';

describe('the IdP simulator server', () => {
  it('refuses to bind anything but 127.0.0.1 or ::1', async () => {
    for (const host of ['0.0.0.0', '::', 'localhost', '192.168.1.10']) {
      await assert.rejects(createIdpSimulator({ host, port: 0 }), TypeError, host);
    }
  });

  it('refuses bad options with a TypeError naming them', async () => {
    await assert.rejects(createIdpSimulator({ port: 70000 }), /port/);
    await assert.rejects(createIdpSimulator({ port: 0, tenants: ['a/b'] }), /tenant/);
    await assert.rejects(createIdpSimulator({ port: 0, tenants: ['control'] }), /tenant/);
    await assert.rejects(createIdpSimulator({ port: 0, tenants: ['t', 't'] }), /repeat/);
    await assert.rejects(createIdpSimulator({ port: 0, rolloverEveryMs: 0 }), /rolloverEveryMs/);
    await assert.rejects(createIdpSimulator({ port: 0, issuerBase: 'ftp://x' }), /issuerBase/);
    await assert.rejects(createIdpSimulator({ port: 0, users: [] }), /users/);
  });

  it('serves one fixed tenant by default', async () => {
    const sim = await createTestSimulator();
    assert.deepEqual(sim.tenants, [DEFAULT_TENANT]);
    assert.equal(sim.tenantUrls().entityId, `http://127.0.0.1:8788/${DEFAULT_TENANT}/`);
    await sim.stop();
  });

  it('names its issuers after issuerBase when one is given', async () => {
    const sim = await createTestSimulator({ issuerBase: 'http://localhost:9999/', tenants: ['t1'] });
    assert.equal(sim.tenantUrls().entityId, 'http://localhost:9999/t1/');
    assert.equal(sim.tenantUrls().oidcIssuer, 'http://localhost:9999/t1/v2.0');
    await sim.stop();
  });

  it('listens on 127.0.0.1, names its real port in the metadata, and serves a browser over HTTP', async () => {
    const sim = await createIdpSimulator({ port: 0, now: clock, tenants: ['live-tenant'] });
    const url = await sim.start();
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
      const response = await fetch(sim.tenantUrls().federationMetadata);
      assert.equal(response.status, 200);
      const etag = response.headers.get('etag')!;
      const parsed = parseMetadata(await response.text());
      assert.equal(parsed.metadata.issuer, `${url}/live-tenant/`);
      assert.equal(checkMetadataSignature(parsed.xml!.root, parsed.metadata).status, 'valid');
      const notModified = await fetch(sim.tenantUrls().federationMetadata, {
        headers: { 'if-none-match': etag },
      });
      assert.equal(notModified.status, 304);

      const query = new URLSearchParams({
        wa: 'wsignin1.0',
        wtrealm: 'urn:live',
        wreply: 'http://127.0.0.1:1/rp',
      });
      const page = await fetch(`${sim.tenantUrls().wsfed}?${query}`);
      const picker = readForm(await page.text());
      const posted = await fetch(picker.action, {
        method: 'POST',
        body: new URLSearchParams({ ...picker.fields, user: 'bob' }),
      });
      assert.equal(posted.status, 200);
      assert.ok(readForm(await posted.text()).fields.wresult?.includes('bob@contoso.test'));
      assert.ok((await fetch(`${url}/`)).ok);
    } finally {
      await sim.stop();
    }
    await assert.rejects(fetch(sim.tenantUrls().federationMetadata));
  });
});
