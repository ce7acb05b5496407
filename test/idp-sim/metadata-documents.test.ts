import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import type { IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { checkMetadataSignature } from '../../src/metadata/check-metadata-signature.js';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import { createTestSimulator, fetchMetadataXml, pathOf } from './sim-helpers.js';

describe('the IdP simulator metadata documents', () => {
  let sim: IdpSimulator;
  before(async () => {
    sim = await createTestSimulator({ tenants: ['contoso-test', 'fabrikam-test'] });
    await sim.rollover('announce', 'contoso-test');
  });
  after(() => sim.stop());

  it('publishes WS-Federation metadata that claimsgate parses, with every published key in all three sections', async () => {
    const { metadata } = parseMetadata(await fetchMetadataXml(sim, 'contoso-test'));
    assert.equal(metadata.format, 'wsfed-metadata');
    assert.equal(metadata.issuer, 'http://127.0.0.1:8788/contoso-test/');
    assert.equal(metadata.validUntil, undefined);
    const published = sim.keys().find((t) => t.tenant === 'contoso-test')!.keys;
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.sha1).sort(),
      published.map((key) => key.sha1).sort(),
    );
    assert.deepEqual(new Set(published.map((key) => key.state)), new Set(['current', 'next']));
    for (const key of metadata.signingKeys) {
      assert.deepEqual(key.sections, [
        'fed:SecurityTokenServiceType',
        'fed:ApplicationServiceType',
        'IDPSSODescriptor',
      ]);
    }
    const kinds = metadata.endpoints.map((endpoint) => `${endpoint.kind} ${endpoint.url}`);
    assert.ok(kinds.includes('wsfed-passive http://127.0.0.1:8788/contoso-test/wsfed'), kinds.join('\n'));
    assert.ok(kinds.includes('saml-sso http://127.0.0.1:8788/contoso-test/saml2'), kinds.join('\n'));
  });

  it('signs the metadata with the current key, one of the keys it advertises', async () => {
    const { metadata, xml } = parseMetadata(await fetchMetadataXml(sim, 'contoso-test'));
    const report = checkMetadataSignature(xml!.root, metadata);
    assert.equal(report.status, 'valid');
    assert.ok(report.status === 'valid');
    assert.equal(report.signerIsAdvertisedKey, true);
    assert.equal(report.usesSha1, false);
    const current = sim.keys()[0]!.keys.find((key) => key.state === 'current')!;
    assert.equal(report.signer.sha1, current.sha1);
  });

  it('keeps the tenants apart: each has its own entityID and keys', async () => {
    const contoso = parseMetadata(await fetchMetadataXml(sim, 'contoso-test')).metadata;
    const fabrikam = parseMetadata(await fetchMetadataXml(sim, 'fabrikam-test')).metadata;
    assert.equal(fabrikam.issuer, 'http://127.0.0.1:8788/fabrikam-test/');
    assert.equal(fabrikam.signingKeys.length, 1);
    const contosoKeys = new Set(contoso.signingKeys.map((key) => key.sha1));
    assert.ok(!contosoKeys.has(fabrikam.signingKeys[0]!.sha1));
  });

  it('answers 304 to If-None-Match with the current ETag, and a new ETag once the keys change', async () => {
    const url = pathOf(sim.tenantUrls('fabrikam-test').federationMetadata);
    const first = await sim.app.inject({ method: 'GET', url });
    const etag = first.headers.etag as string;
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    assert.ok(first.headers['last-modified']);
    const again = await sim.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    await sim.rollover('announce', 'fabrikam-test');
    const changed = await sim.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
  });

  it('publishes an OpenID Connect discovery document that claimsgate parses', async () => {
    const response = await sim.app.inject({
      method: 'GET',
      url: pathOf(sim.tenantUrls('contoso-test').openIdConfiguration),
    });
    assert.equal(response.statusCode, 200);
    const { metadata } = parseMetadata(response.body);
    assert.equal(metadata.format, 'oidc-discovery');
    assert.equal(metadata.issuer, 'http://127.0.0.1:8788/contoso-test/v2.0');
    const document = response.json<Record<string, unknown>>();
    assert.equal(document.jwks_uri, 'http://127.0.0.1:8788/contoso-test/discovery/v2.0/keys');
    assert.deepEqual(document.id_token_signing_alg_values_supported, ['RS256']);
  });

  it('publishes a JWKS with kid, x5t (base64url SHA-1 of the certificate), x5c, n and e for every published key', async () => {
    const response = await sim.app.inject({
      method: 'GET',
      url: pathOf(sim.tenantUrls('contoso-test').jwks),
    });
    const jwks = response.json<{ keys: Array<Record<string, unknown>> }>();
    const published = sim.keys().find((t) => t.tenant === 'contoso-test')!.keys;
    assert.equal(jwks.keys.length, published.length);
    for (const jwk of jwks.keys) {
      const key = published.find((candidate) => candidate.kid === jwk.kid)!;
      assert.equal(jwk.kty, 'RSA');
      assert.equal(jwk.use, 'sig');
      assert.equal(jwk.x5t, thumbprintToX5t(key.sha1));
      assert.equal(typeof jwk.n, 'string');
      assert.equal(jwk.e, 'AQAB');
      assert.equal((jwk.x5c as string[]).length, 1);
    }
    const { metadata } = parseMetadata(response.body);
    assert.deepEqual(
      metadata.signingKeys.map((key) => key.sha1).sort(),
      published.map((key) => key.sha1).sort(),
    );
  });

  it('answers 404 with CG_TOKEN_REQUEST_TENANT_UNKNOWN for a tenant it does not serve', async () => {
    const response = await sim.app.inject({
      method: 'GET',
      url: '/no-such-tenant/federationmetadata/2007-06/federationmetadata.xml',
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'CG_TOKEN_REQUEST_TENANT_UNKNOWN');
  });
});
