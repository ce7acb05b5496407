/**
 * Security review 8: SQLite's deleteIssuer unlinks the realms naming the
 * issuer (home realm cleared, allowed issuers shrunk) in its transaction but
 * announces only `{ kind: 'issuer' }` (sqlite-store.ts deleteIssuer; the
 * PostgreSQL store also notifies a realm change). The engine's directory
 * counts realms current (rollover-engine.ts onStoreChange), so the sign-in
 * path keeps the old realm: its home realm still names the removed issuer by
 * name, and an issuer created later with that name (another tenant) becomes
 * the realm's home realm on /signin, where the store says users must choose.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayDirectory } from '../../src/server/gateway-directory.js';
import { findGatewayRealm, findOfferedIssuer } from '../../src/server/login-options.js';
import { openStore } from '../../src/store/open-store.js';

const ACTOR = 'admin:test';
let directory: string;
before(() => {
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr8-realm-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

describe('security review 8: the directory after an issuer removal (SQLite)', () => {
  it('a removed home realm issuer is not the home realm of /signin any more (fails: stale realm)', async () => {
    const store = await openStore(join(directory, 'store.db'));
    const engine = createRolloverEngine({ store, logger: () => undefined, changeDebounceMs: 0 });
    try {
      const contoso = await store.createIssuer(
        {
          name: 'contoso',
          issuerUri: 'https://contoso.test/',
          protocols: ['wsfed'],
          loginUrl: 'https://contoso.test/wsfed',
        },
        ACTOR,
      );
      await store.createIssuer(
        {
          name: 'fabrikam',
          issuerUri: 'https://fabrikam.test/',
          protocols: ['wsfed'],
          loginUrl: 'https://fabrikam.test/wsfed',
        },
        ACTOR,
      );
      await store.createRealm(
        { realmUri: 'https://app.test', replyUrl: 'https://app.test/signin', homeRealm: 'contoso' },
        ACTOR,
      );
      await engine.start();
      const gateway = createGatewayDirectory(engine, store);
      assert.equal((await findGatewayRealm(gateway, 'https://app.test')).homeRealm, 'contoso');

      await store.deleteIssuer(contoso.id, ACTOR);
      // Another tenant is added later under the freed name.
      await store.createIssuer(
        {
          name: 'contoso',
          issuerUri: 'https://evil.test/',
          protocols: ['wsfed'],
          loginUrl: 'https://evil.test/wsfed',
        },
        ACTOR,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(engine.directory()?.realmsCurrent, true, 'the directory says its realms are current');

      const fromStore = await findGatewayRealm(store, 'https://app.test');
      const fromDirectory = await findGatewayRealm(gateway, 'https://app.test');
      assert.equal(fromStore.homeRealm, null, 'the store cleared the home realm');
      const sentTo =
        fromDirectory.homeRealm === null
          ? undefined
          : await findOfferedIssuer(gateway, fromDirectory, fromDirectory.homeRealm);
      assert.equal(
        fromDirectory.homeRealm,
        null,
        `the sign-in path still has home realm "${fromDirectory.homeRealm}" → every user sent to ${sentTo?.issuerUri}`,
      );
    } finally {
      await engine.stop();
      await store.close();
    }
  });
});
