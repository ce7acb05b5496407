/**
 * Adding an issuer from metadata trusts the document that was reviewed, not
 * whatever the endpoint answers next: an endpoint that serves the real
 * document to the preview and an attacker's to a later request gets the
 * real keys stored, or nothing (security review, finding F1).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { runInProcess } from '../helpers/cli.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { adminCaller, callApi } from '../server/admin-api-helpers.js';
import { createGatewayFixture } from '../server/gateway-fixture.js';

const ISSUER = 'https://adfs.contoso.test/adfs/services/trust';
const NOW = new Date('2026-11-29T12:00:00Z');

let real: TestCertificate;
let attacker: TestCertificate;
let directory: string;

before(async () => {
  [real, attacker] = await Promise.all([
    createTestCertificate({ commonName: 'ADFS Signing - adfs.contoso.test' }),
    createTestCertificate({ commonName: 'attacker' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-import-binding-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

function documentOf(cert: TestCertificate): string {
  return buildFederationMetadata({ entityId: ISSUER, signingCertificates: [cert.base64] });
}

/** A metadata endpoint on 127.0.0.1 that answers the first `honest` requests with the real document, then the attacker's. */
async function swappingEndpoint(honest: number): Promise<{ url: string; close(): Promise<void> }> {
  let served = 0;
  const server: Server = createServer((_request, response) => {
    served += 1;
    response.writeHead(200, { 'content-type': 'application/xml' });
    response.end(documentOf(served <= honest ? real : attacker));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/federationmetadata.xml`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const sha1 = (cert: TestCertificate): string => parseCertificateDer(cert.der).sha1;

describe('adding an issuer from metadata stores the keys that were reviewed', () => {
  it('claimsgate issuers add: the keys it showed, whatever the endpoint answers afterwards', async () => {
    const endpoint = await swappingEndpoint(1);
    const db = join(directory, 'cli.db');
    try {
      const add = await runInProcess(
        ['issuers', 'add', 'contoso', '--metadata-url', endpoint.url, '--db', db, '--yes'],
        { now: NOW },
      );
      assert.equal(add.code, 0, add.stderr);
      assert.ok(add.stdout.includes(sha1(real)));
      const keys = await runInProcess(
        ['keys', 'list', '--issuer', 'contoso', '--all', '--json', '--db', db],
        {
          now: NOW,
        },
      );
      const stored = (JSON.parse(keys.stdout) as { sha1: string }[]).map((key) => key.sha1);
      assert.deepEqual(stored, [sha1(real)]);
    } finally {
      await endpoint.close();
    }
  });

  it('the admin API import: the document whose SHA-256 was reviewed, never a later one', async () => {
    // Request 1: the preview; 2: the apply (checked against the reviewed SHA-256); 3 and later: the attacker's.
    const endpoint = await swappingEndpoint(2);
    const fixture = await createGatewayFixture();
    try {
      const admin = await adminCaller(fixture);
      const preview = await callApi(fixture, 'POST', '/admin/api/import/preview', admin, {
        metadataUrl: endpoint.url,
        name: 'contoso',
      });
      assert.equal(preview.statusCode, 200, preview.body);
      const { sha256 } = preview.json<{ sha256: string }>();
      const apply = await callApi(fixture, 'POST', '/admin/api/import/apply', admin, {
        metadataUrl: endpoint.url,
        name: 'contoso',
        expectedSha256: sha256,
      });
      assert.ok(apply.statusCode < 300, apply.body);
      const issuer = await fixture.store.getIssuer('contoso');
      const stored = (await fixture.store.listKeys(issuer!.id)).map((key) => key.sha1);
      assert.deepEqual(stored, [sha1(real)]);
      assert.equal(fixture.engine.snapshot().issuerKeys(ISSUER, 'sha1', sha1(attacker)).length, 0);
    } finally {
      await fixture.close();
      await endpoint.close();
    }
  });
});
