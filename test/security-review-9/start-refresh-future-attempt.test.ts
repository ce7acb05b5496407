/**
 * Security review 9: a start refresh skips an issuer whose refresh state shows
 * a fetch "attempted after the engine started" (issuer-refresher.ts `notDue`,
 * `attemptedSince`). It compares the stored `lastAttemptAt` — stamped by
 * whichever clock made that attempt — with this engine's start, read on this
 * clock. A state stamped by a clock that was ahead (the previous run's before
 * NTP stepped it back, or another instance's) is taken as a fetch made since
 * the start: the start refresh fetches nothing, and the scheduled refresh is
 * due only at that clock's `nextAttemptAt`. Before the change, the start
 * refresh fetched every issuer and so put the state back on this clock.
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

const ISSUER = 'https://idp.test/tenant-9/';
const START = new Date('2025-06-01T08:00:00.000Z');

let certA: TestCertificate;
let certB: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr9-start-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

const publishing = (certificates: readonly TestCertificate[]): string =>
  buildFederationMetadata({ entityId: ISSUER, signingCertificates: certificates.map((c) => c.base64) });

describe('security review 9: start refresh and a refresh state stamped by a clock ahead', () => {
  it('the start refresh still fetches an issuer whose last attempt is dated after this clock (fails: skipped)', async () => {
    const real = { now: START.getTime() };
    const server = await startMetadataServer({ kind: 'document', body: publishing([certA]) });
    const store = await openStore(join(directory, 'store.db'), { now: () => new Date(real.now) });
    // The previous run: its clock an hour ahead (corrected by NTP since).
    const previous = createRolloverEngine({
      store,
      now: () => new Date(real.now + 3_600_000),
      random: () => 0.5,
      logger: () => undefined,
    });
    const restarted = createRolloverEngine({
      store,
      now: () => new Date(real.now),
      random: () => 0.5,
      logger: () => undefined,
      startWaitMs: 10_000,
    });
    try {
      await store.createIssuer({ name: 'contoso', issuerUri: ISSUER, metadataUrl: server.url }, 'admin:test');
      assert.equal((await previous.refreshIssuer('contoso', { force: true })).outcome, 'success');
      await previous.stop();
      // The gateway was down a while; the issuer rolled over to certB meanwhile.
      real.now += 60_000;
      server.setMode({ kind: 'document', body: publishing([certA, certB]) });
      const fetchedBefore = server.requests();
      await restarted.start();
      const sha1s = (await store.listKeys()).map((key) => key.sha1);
      assert.equal(server.requests(), fetchedBefore + 1, 'the start refresh fetched the issuer');
      assert.ok(sha1s.includes(parseCertificateDer(certB.der).sha1), 'certB learned at start');
    } finally {
      await previous.stop();
      await restarted.stop();
      await store.close();
      await server.close();
    }
  });
});
