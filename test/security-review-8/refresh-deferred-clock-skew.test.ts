/**
 * Security review 8: the refresher's "another instance fetched after the call"
 * rule (issuer-refresher.ts, the `else` branch of `attempt(false)`) compares
 * the other instance's `lastAttemptAt` (its clock) with this call's time (this
 * instance's clock). With this instance's clock a few seconds behind, a fetch
 * made BEFORE the administrator's "Refresh now" is taken as made after it, and
 * the forced refresh fetches nothing: a key the issuer published meanwhile is
 * not learned.
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
let certB: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr8-skew-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

const publishing = (certificates: readonly TestCertificate[]): string =>
  buildFederationMetadata({ entityId: ISSUER, signingCertificates: certificates.map((c) => c.base64) });

describe("security review 8: forced refresh deferred by another instance's clock", () => {
  it('a forced refresh asked for AFTER the document changed still fetches it (fails: deferred)', async () => {
    // Instance "ahead" has a clock 5 s ahead of instance "behind" (ordinary NTP drift).
    const real = { now: START.getTime() };
    const server = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const store = await openStore(join(directory, 'store.db'), { now: () => new Date(real.now) });
    const ahead = createRolloverEngine({
      store,
      now: () => new Date(real.now + 5_000),
      random: () => 0.5,
      logger: () => undefined,
    });
    const behind = createRolloverEngine({
      store,
      now: () => new Date(real.now),
      random: () => 0.5,
      logger: () => undefined,
    });
    try {
      await store.createIssuer({ name: 'contoso', issuerUri: ISSUER, metadataUrl: server.url }, 'admin:test');
      // t = 0: the other instance fetches the old document (certA only).
      assert.equal((await ahead.refreshIssuer('contoso', { force: true })).outcome, 'success');
      // t = 1 s: the issuer publishes certB; the administrator presses "Refresh now" on this instance.
      real.now += 1_000;
      server.setMode({ kind: 'document', body: publishing([certA, certB]) });
      const before = server.requests();
      const result = await behind.refreshIssuer('contoso', { force: true });
      const sha1s = (await store.listKeys()).map((key) => key.sha1);
      assert.equal(result.outcome, 'success', `forced refresh outcome was ${result.outcome}`);
      assert.equal(server.requests(), before + 1, 'the new document was fetched');
      assert.ok(sha1s.includes(parseCertificateDer(certB.der).sha1), 'certB learned');
    } finally {
      await ahead.stop();
      await behind.stop();
      await store.close();
      await server.close();
    }
  });
});
