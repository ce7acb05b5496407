/**
 * Security review 9: the engine skips the change-driven load of a store
 * change of kind `refresh` whenever this process has a refresh of that issuer
 * in flight (rollover-engine.ts `onStoreChange`), taking it for the change its
 * own refresh made. With PostgreSQL the change may be another instance's: this
 * instance's refresh has applied its document and let go of the issuer's lock,
 * and is loading the issuer again; the other instance takes the lock, fetches
 * and commits a refresh that holds a new document for an administrator (a
 * pending change, no key changed: kind `refresh`), and its notice arrives while
 * this instance's load, which read the pending change before that commit, is
 * still running. The notice is skipped, and this instance does not know of the
 * held document until the reconcile, 5 minutes by default.
 *
 * The change feed is simulated over SQLite, as in security review 8: two
 * engines share one store, as two instances share a database.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { buildFederationMetadata } from '../helpers/federation-metadata.js';
import { startMetadataServer } from '../helpers/metadata-server.js';

const ISSUER = 'https://idp.test/tenant-two/';

let certA: TestCertificate;
let certB: TestCertificate;
let directory: string;

before(async () => {
  [certA, certB] = await Promise.all([
    createTestCertificate({ commonName: 'signing A' }),
    createTestCertificate({ commonName: 'signing B' }),
  ]);
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr9-two-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

const publishing = (certificate: TestCertificate): string =>
  buildFederationMetadata({ entityId: ISSUER, signingCertificates: [certificate.base64] });

describe("security review 9: another instance's refresh change during this one's refresh", () => {
  it('this instance learns of the document the other held (fails: its notice skipped, not until the reconcile)', async () => {
    const server = await startMetadataServer({ kind: 'document', body: publishing(certA) });
    const real = await openStore(join(directory, 'store.db'));
    // This instance's view of the store: its reads of claim mappings wait while `gate` is set.
    let gate: Promise<void> | undefined;
    let gateReached = false;
    const store = new Proxy(real, {
      get(target, name: keyof Store): unknown {
        if (name === 'listClaimMappings' && gate !== undefined) {
          const held = gate;
          return async (issuerId?: string) => {
            gateReached = true;
            await held;
            return target.listClaimMappings(issuerId);
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
