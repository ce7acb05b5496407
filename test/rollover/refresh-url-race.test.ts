/**
 * An administrator moves an issuer to a new metadata URL (its old endpoint is
 * compromised) while a refresh of the old URL is under way, then asks for a
 * refresh now (security review, round 6).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { startMetadataServer } from '../helpers/metadata-server.js';

const ISSUER = 'https://idp.test/tenant-1/';
const START = new Date('2025-03-01T12:00:00.000Z');

let certA: TestCertificate;
let attacker: TestCertificate;
let directory: string;

before(async () => {
  [certA, attacker] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'attacker X' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-url-race-'));
});

after(() => rmSync(directory, { recursive: true, force: true }));

const sha1Of = (cert: TestCertificate): string => parseCertificateDer(cert.der).sha1;

function publishing(certificates: readonly TestCertificate[]): string {
  return buildFederationMetadata({
    entityId: ISSUER,
    signingCertificates: certificates.map((c) => c.base64),
  });
}

async function eventually(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries += 1) {
    assert.ok(tries < 200, 'the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a refresh asked for after the metadata URL changed', () => {
  it('fetches the new URL, whatever refresh of the old one was under way', async () => {
    const clock = { now: START };
    const now = (): Date => clock.now;
    const old = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const moved = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const store = await openStore(join(directory, 'store.db'), { now });
    const engine = createRolloverEngine({ store, now, random: () => 0.5, logger: () => undefined });
    try {
      const issuer = await store.createIssuer(
        { name: 'contoso', issuerUri: ISSUER, metadataUrl: old.url, label: 'SIM' },
        'admin:test',
      );
      await engine.refreshIssuer('contoso', { reason: 'schedule', force: true });

      // The old endpoint, now the attacker's, holds its answer: A and the attacker's key.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      old.setMode({ kind: 'gated', gate, body: publishing([certA, attacker]) });
      clock.now = new Date(clock.now.getTime() + 61_000);
      const requests = old.requests();
      const underWay = engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
      await eventually(() => old.requests() > requests);
      // The administrator moves the issuer to its new URL and asks for a refresh now.
      await store.updateIssuer(issuer.id, { metadataUrl: moved.url }, 'admin:test');
      const asked = engine.refreshIssuer('contoso', { reason: 'manual', force: true });
      release();
      const [, result] = await Promise.all([underWay, asked]);
      assert.equal(result.outcome, 'success');

      assert.ok(moved.requests() >= 1, 'the refresh asked for after the change fetched the new URL');
      const keys = await store.listKeys(issuer.id);
      assert.equal(
        keys.find((key) => key.sha1 === sha1Of(attacker)),
        undefined,
        'what the old URL answered after the move was not applied',
      );
      assert.equal((await store.getMetadataSnapshot(issuer.id))?.url, moved.url);
    } finally {
      await engine.stop();
      await store.close();
      await old.close();
      await moved.close();
    }
  });
});
