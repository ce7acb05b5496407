/**
 * Security review 9: a refresh that adds no key, moves no key and sets or
 * clears no pending change is committed as bookkeeping (`changesTrust`,
 * refresh-durability.ts): on SQLite with `synchronous = NORMAL`, on
 * PostgreSQL with `synchronous_commit` off, which a power cut (a crash of the
 * database server) may lose. But such a refresh can change what the key
 * continuity check trusts: the last-known-good document's signer. Once an
 * issuer's documents are signed by a key it is trusted with, an unsigned
 * document — or one signed by a key of the sender's choosing — is a
 * downgrade, held for an administrator (judge-continuity.ts), and every
 * trusted key vouches without probation. An issuer that starts signing its
 * metadata with the keys it already has turns that protection on with a
 * refresh that changes no key: lost, the gateway takes the next unsigned
 * document that shares a key (an endpoint hijacked meanwhile, adding its own
 * key) as continuous.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { startMetadataServer } from '../helpers/metadata-server.js';

const ISSUER = 'https://idp.test/tenant-signs/';

let certA: TestCertificate;
let directory: string;

before(async () => {
  certA = await createTestCertificate({ commonName: 'signing A' });
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr9-signer-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

describe('security review 9: the metadata signer is trust, not bookkeeping', () => {
  it('a refresh that makes the issuer a signing one is synced at its commit (fails: synchronous = NORMAL)', async (t) => {
    const unsigned = buildFederationMetadata({ entityId: ISSUER, signingCertificates: [certA.base64] });
    const signed = buildFederationMetadata({
      entityId: ISSUER,
      signingCertificates: [certA.base64],
      signer: { privateKey: certA.privateKey, certificatePem: certA.pem },
    });
    const server = await startMetadataServer({ kind: 'document', body: unsigned });
    const store = await openStore(join(directory, 'store.db'));
    const engine = createRolloverEngine({ store, random: () => 0.5, logger: () => undefined });
    try {
      await store.createIssuer({ name: 'contoso', issuerUri: ISSUER, metadataUrl: server.url }, 'admin:test');
      assert.equal((await engine.refreshIssuer('contoso', { force: true })).outcome, 'success');
      const issuerId = (await store.getIssuer('contoso'))!.id;
      assert.equal((await store.getMetadataSnapshot(issuerId))?.signerSha1, null, 'unsigned at first');

      server.setMode({ kind: 'document', body: signed });
      // Every synchronous level the store's connection is set to while the refresh runs.
      const pragma = t.mock.method(BetterSqlite3.prototype, 'pragma');
      assert.equal((await engine.refreshIssuer('contoso', { force: true })).outcome, 'success');
      const levels = pragma.mock.calls
        .map((call) => String(call.arguments[0]))
        .filter((source) => /^synchronous\s*=/i.test(source));
      pragma.mock.restore();

      const sha1 = parseCertificateDer(certA.der).sha1;
      assert.equal((await store.getMetadataSnapshot(issuerId))?.signerSha1, sha1, 'now a signing issuer');
      assert.equal((await store.listKeys(issuerId)).length, 1, 'no key added');
      assert.deepEqual(levels, [], 'the commit that made the issuer a signing one was synced');
    } finally {
      await engine.stop();
      await store.close();
      await server.close();
    }
  });
});
