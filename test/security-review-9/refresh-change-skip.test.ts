/**
 * Security review 9: the engine skips the change-driven load of a store
 * change of kind `refresh` (a refresh that changed no key) while this process
 * has a refresh of that issuer in flight (rollover-engine.ts `onStoreChange`),
 * leaving it to the refresher's own load of the issuer once done. Such a
 * change can matter: a refresh that holds a document for an administrator (a
 * pending change) changes no key. Two ways it was lost until the reconcile, 5
 * minutes by default, leaving the held document unknown to the in-memory trust
 * (tokens signed by the held key refused as signed by an unknown key rather
 * than one awaiting approval, each asking for another fetch):
 *
 * - the refresher's load has no retry: when it fails (the store unreachable a
 *   moment, the case security review 8 made every change's load retry after a
 *   second for), nothing loads the refresh it skipped;
 * - with PostgreSQL the change may be another instance's: this instance's
 *   refresh has applied its document, let go of the issuer's lock and is
 *   loading the issuer; the other instance takes the lock and commits a refresh
 *   that holds a new document, whose notice arrives while this load, which read
 *   the pending change before that commit, still runs. (The change feed is
 *   simulated over SQLite, as in security review 8: two engines share one
 *   store, as two instances share a database.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { startMetadataServer } from '../helpers/metadata-server.js';

const ISSUER = 'https://idp.test/tenant-held/';

let certA: TestCertificate;
let certB: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr9-held-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

const publishing = (certificate: TestCertificate): string =>
  buildFederationMetadata({ entityId: ISSUER, signingCertificates: [certificate.base64] });

describe("security review 9: a refresh's own load failing", () => {
  it('a held document reaches the in-memory trust within seconds though the first load of it failed (fails: not until the reconcile)', async () => {
    const server = await startMetadataServer({ kind: 'document', body: publishing(certA) });
    const real = await openStore(join(directory, 'store.db'));
    let failing = false;
    let failReads = false;
    let failedReads = 0;
    // The real store, but for the reads of pending changes once the refresh is applied (the
    // refresher's load reads the issuer's pending change): the store unreachable a moment.
    const store = new Proxy(real, {
      get(target, name: keyof Store): unknown {
        if (name === 'applyRefresh' && failing)
          return async (...args: Parameters<Store['applyRefresh']>) => {
            await target.applyRefresh(...args);
            failReads = true;
          };
        if (name === 'getPendingChange' && failReads)
          return () => {
            failedReads += 1;
            return Promise.reject(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'The store is unreachable.'));
          };
        const value: unknown = Reflect.get(target, name);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const engine = createRolloverEngine({
      store,
      random: () => 0.5,
      logger: () => undefined,
      startWaitMs: 10_000,
    });
    try {
      await real.createIssuer(
        { name: 'contoso', issuerUri: ISSUER, metadataUrl: server.url, discontinuityPolicy: 'hold' },
        'admin:test',
      );
      await engine.start();
      assert.ok(engine.snapshot().findIssuer(ISSUER) !== undefined, 'trusted, with certA');
      // The loads that follow the start refresh's change are done.
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The issuer's endpoint now serves certB alone: no continuity, held for an administrator.
      server.setMode({ kind: 'document', body: publishing(certB) });
      failing = true;
      await engine.refreshIssuer('contoso', { force: true }).catch(() => undefined);
      failing = false;
      failReads = false;
      const issuerId = (await real.getIssuer('contoso'))!.id;
      assert.equal((await real.getPendingChange(issuerId))?.decision, 'pending', 'the document is held');
      assert.ok(failedReads > 0, "the refresher's load failed");
      let pending = false;
      for (let waited = 0; waited < 3_000 && !pending; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        pending = engine.snapshot().findIssuer(ISSUER)?.pendingChange !== undefined;
      }
      assert.ok(pending, 'the held document is in the in-memory trust');
    } finally {
      await engine.stop();
      await real.close();
      await server.close();
    }
  });
});

describe("security review 9: another instance's refresh change during this one's refresh", () => {
  it('this instance learns of the document the other held (fails: its notice skipped, not until the reconcile)', async () => {
    const server = await startMetadataServer({ kind: 'document', body: publishing(certA) });
    const real = await openStore(join(directory, 'two-instances.db'));
    // This instance's view of the store: once its refresh is applied, its reads of pending
    // changes (its load of the issuer afterwards reads one) are answered only when `gate` opens.
    let gate: Promise<void> | undefined;
    let applied = false;
    let gateReached = false;
    const store = new Proxy(real, {
      get(target, name: keyof Store): unknown {
        if (name === 'applyRefresh' && gate !== undefined)
          return async (...args: Parameters<Store['applyRefresh']>) => {
            await target.applyRefresh(...args);
            applied = true;
          };
        if (name === 'getPendingChange' && gate !== undefined && applied) {
          const held = gate;
          // Read before the other instance's commit, answered after it.
          return async (issuerId: string) => {
            const read = await target.getPendingChange(issuerId);
            gateReached = true;
            await held;
            return read;
          };
        }
        const value: unknown = Reflect.get(target, name);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const self = createRolloverEngine({
      store,
      random: () => 0.5,
      logger: () => undefined,
      startWaitMs: 10_000,
    });
    const other = createRolloverEngine({ store: real, random: () => 0.5, logger: () => undefined });
    let release = (): void => undefined;
    try {
      await real.createIssuer(
        { name: 'contoso', issuerUri: ISSUER, metadataUrl: server.url, discontinuityPolicy: 'hold' },
        'admin:test',
      );
      await self.start();
      // The loads that follow the start refresh's change are done.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(self.snapshot().findIssuer(ISSUER) !== undefined, 'trusted, with certA');

      // This instance refreshes (the same document); its load of the issuer afterwards is slow.
      gate = new Promise<void>((resolve) => (release = resolve));
      const mine = self.refreshIssuer('contoso', { force: true });
      for (let waited = 0; !gateReached && waited < 5_000; waited += 10)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(gateReached, "this instance's refresh is loading the issuer");
      // Meanwhile the issuer's endpoint serves certB alone, and the other instance refreshes: held.
      server.setMode({ kind: 'document', body: publishing(certB) });
      await other.refreshIssuer('contoso', { force: true });
      const issuerId = (await real.getIssuer('contoso'))!.id;
      assert.equal((await real.getPendingChange(issuerId))?.decision, 'pending', 'the document is held');
      gate = undefined;
      release();
      await mine;

      let pending = false;
      for (let waited = 0; waited < 3_000 && !pending; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        pending = self.snapshot().findIssuer(ISSUER)?.pendingChange !== undefined;
      }
      assert.ok(pending, 'the held document is in this instance’s in-memory trust');
    } finally {
      release();
      await self.stop();
      await other.stop();
      await real.close();
      await server.close();
    }
  });
});
