/**
 * Security review 8: SQLite's updateClaimMapping may move a mapping to
 * another issuer (sqlite-claim-mappings.ts: `after.issuerId !== before.issuerId`)
 * but announces only the new issuer (sqlite-store.ts updateClaimMapping;
 * PostgreSQL notifies both). The loader reads the new issuer alone, so the
 * directory the sign-in path reads keeps the mapping under the old issuer
 * too, while saying it is current: sign-ins through the old issuer go on
 * being mapped by a mapping the administrator took away from it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayDirectory } from '../../src/server/gateway-directory.js';
import { openStore } from '../../src/store/open-store.js';

const ACTOR = 'admin:test';
let directory: string;
before(() => {
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr8-mapping-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

describe('security review 8: a claim mapping moved to another issuer (SQLite)', () => {
  it('leaves the old issuer on the sign-in path (fails: still mapped there)', async () => {
    const store = await openStore(join(directory, 'store.db'));
    const engine = createRolloverEngine({ store, logger: () => undefined, changeDebounceMs: 0 });
    try {
      const contoso = await store.createIssuer(
        { name: 'contoso', issuerUri: 'https://contoso.test/' },
        ACTOR,
      );
      const fabrikam = await store.createIssuer(
        { name: 'fabrikam', issuerUri: 'https://fabrikam.test/' },
        ACTOR,
      );
      const mapping = await store.createClaimMapping(
        { issuerId: contoso.id, label: 'STAFF', nameClaim: 'upn' },
        ACTOR,
      );
      await engine.start();
      const gateway = createGatewayDirectory(engine, store);
      assert.equal((await gateway.listClaimMappings(contoso.id)).length, 1);

      await store.updateClaimMapping(mapping.id, { issuerId: fabrikam.id }, ACTOR);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(engine.directory()?.issuersCurrent, true, 'the directory says it is current');
      assert.deepEqual(await store.listClaimMappings(contoso.id), [], 'the store: contoso has no mapping');
      const stale = await gateway.listClaimMappings(contoso.id);
      assert.deepEqual(
        stale.map((m) => m.label),
        [],
        `the sign-in path still maps contoso with ${JSON.stringify(stale.map((m) => m.label))}`,
      );
    } finally {
      await engine.stop();
      await store.close();
    }
  });
});
