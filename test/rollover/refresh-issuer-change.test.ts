/**
 * An administrator changes an issuer while a refresh of it is under way: moves
 * it to a new metadata URL (its old endpoint is compromised) and asks for a
 * refresh now, or sets its discontinuity policy to `hold` (security review,
 * round 6). The refresh under way applies nothing made under the old settings.
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

describe('an issuer changed while a refresh of it is under way', () => {
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
  it('holds a replacement of every key once the policy says hold, though the fetch began under accept-with-alert', async () => {
    const clock = { now: START };
    const now = (): Date => clock.now;
    const server = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const store = await openStore(join(directory, 'policy.db'), { now });
    const engine = createRolloverEngine({ store, now, random: () => 0.5, logger: () => undefined });
    try {
      const issuer = await store.createIssuer(
        {
          name: 'contoso',
          issuerUri: ISSUER,
          metadataUrl: server.url,
          label: 'SIM',
          discontinuityPolicy: 'accept-with-alert',
        },
        'admin:test',
      );
      await engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
      // The endpoint answers, slowly, with the attacker's key alone.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      server.setMode({ kind: 'gated', gate, body: publishing([attacker]) });
      clock.now = new Date(clock.now.getTime() + 61_000);
      const requests = server.requests();
      const underWay = engine.refreshIssuer('contoso', { reason: 'schedule', force: true });
      await eventually(() => server.requests() > requests);
      // The administrator, warned, holds every replacement for approval from now on.
      await store.updateIssuer(issuer.id, { discontinuityPolicy: 'hold' }, 'admin:test');
      release();
      await underWay;

      const keys = await store.listKeys(issuer.id);
      const x = keys.find((key) => key.sha1 === sha1Of(attacker));
      assert.ok(x === undefined || !['announced', 'active'].includes(x.state), `attacker key ${x?.state}`);
      assert.equal(keys.find((key) => key.sha1 === sha1Of(certA))?.state, 'announced', 'A is still trusted');
      assert.equal((await store.getPendingChange(issuer.id))?.decision, 'pending');
    } finally {
      await engine.stop();
      await store.close();
      await server.close();
    }
  });
});
