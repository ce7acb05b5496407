/**
 * Security review 9: the engine now skips the change-driven load of a store
 * change of kind `refresh` while this process refreshes that issuer
 * (rollover-engine.ts `onStoreChange`): the refresher loads the issuer itself
 * once done. But the refresher's load has no retry. When it fails (the store
 * unreachable a moment, the very case security review 8 made the change-driven
 * load retry after a second for), the refresh is committed and nothing loads
 * it: a document held for an administrator (a pending change, which a refresh
 * that changes no key records) stays unknown to the in-memory trust until the
 * reconcile, 5 minutes by default. Tokens signed by the held key are refused
 * as signed by an unknown key rather than by a key awaiting approval, and each
 * one asks for another fetch.
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
    let failMappingsReads = false;
    let failedReads = 0;
    // The real store, but for the reads of claim mappings while the refresh runs: the store unreachable a moment.
    const store = new Proxy(real, {
      get(target, name: keyof Store): unknown {
        if (name === 'listClaimMappings' && failMappingsReads)
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
      failMappingsReads = true;
      await engine.refreshIssuer('contoso', { force: true }).catch(() => undefined);
      failMappingsReads = false;
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
