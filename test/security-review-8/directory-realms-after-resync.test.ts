/**
 * Security review 8: after the PostgreSQL change feed reconnects it emits
 * RESYNC_CHANGE = { kind: 'refresh', issuerId: null } (postgres-change-feed.ts).
 * rollover-engine.ts onStoreChange marks the ISSUERS not current for it, but
 * not the realms: realm changes made by other instances while the feed was
 * down (lost notifications) are not in the records, yet the directory says
 * `realmsCurrent: true` and /signin reads the realm from them — at once, and
 * for as long as the resync's full load fails (the store flapping, which is
 * what dropped the feed), i.e. up to the 5-minute reconcile. A realm narrowed
 * to keep an issuer out (allowedIssuerIds) still offers it on this instance.
 *
 * The feed is simulated over SQLite: the realm's change notice is lost, then
 * the resync notice arrives and the load it starts meets one unreachable read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createGatewayDirectory } from '../../src/server/gateway-directory.js';
import { findGatewayRealm, findOfferedIssuer } from '../../src/server/login-options.js';
import type { StoreChange } from '../../src/store/model.js';
import { openStore } from '../../src/store/open-store.js';
import { RESYNC_CHANGE } from '../../src/store/postgres/postgres-change-feed.js';
import type { Store } from '../../src/store/store.js';

const ACTOR = 'admin:test';
let directory: string;
before(() => {
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr8-resync-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

describe('security review 8: realms after a change-feed resync', () => {
  it('does not call its realms current until they are read again (fails: stale realm offered)', async () => {
    const real = await openStore(join(directory, 'store.db'));
    const listeners = new Set<(change: StoreChange) => void>();
    let feedUp = true;
    let failRealmReads = 0;
    const store = {} as Record<string, unknown>;
    for (
      let level = Object.getPrototypeOf(real) as object;
      level !== Object.prototype;
      level = Object.getPrototypeOf(level) as object
    )
      for (const name of Object.getOwnPropertyNames(level))
        if (
          name !== 'constructor' &&
          typeof (real as unknown as Record<string, unknown>)[name] === 'function' &&
          !(name in store)
        )
          store[name] = (real as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(real);
    for (const name of Object.keys(real)) store[name] ??= (real as unknown as Record<string, unknown>)[name];
    store['backend'] = 'postgres';
    store['onChange'] = (listener: (change: StoreChange) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    store['listRealms'] = () =>
      failRealmReads-- > 0
        ? Promise.reject(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'connection reset'))
        : real.listRealms();
    // The feed: other instances' changes arrive while it is up, are lost while it is down.
    real.onChange((change) => {
      if (feedUp) for (const listener of listeners) listener(change);
    });
    const watched = store as unknown as Store;
    const engine = createRolloverEngine({ store: watched, logger: () => undefined, changeDebounceMs: 0 });
    try {
      const contoso = await real.createIssuer(
        {
          name: 'contoso',
          issuerUri: 'https://contoso.test/',
          protocols: ['wsfed'],
          loginUrl: 'https://contoso.test/wsfed',
        },
        ACTOR,
      );
      const rogue = await real.createIssuer(
        {
          name: 'rogue',
          issuerUri: 'https://rogue.test/',
          protocols: ['wsfed'],
          loginUrl: 'https://rogue.test/wsfed',
        },
        ACTOR,
      );
      const realm = await real.createRealm(
        {
          realmUri: 'https://app.test',
          replyUrl: 'https://app.test/signin',
          allowedIssuerIds: [contoso.id, rogue.id],
        },
        ACTOR,
      );
      await engine.start();
      const gateway = createGatewayDirectory(engine, watched);
      // The feed drops; another instance takes "rogue" off the realm meanwhile.
      feedUp = false;
      await real.updateRealm(realm.id, { allowedIssuerIds: [contoso.id] }, ACTOR);
      feedUp = true;
      failRealmReads = 1;
      for (const listener of listeners) listener(RESYNC_CHANGE);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const fromDirectory = await findGatewayRealm(gateway, 'https://app.test');
      const offered = await findOfferedIssuer(gateway, fromDirectory, 'rogue');
      assert.equal(
        offered,
        undefined,
        `realmsCurrent=${engine.directory()?.realmsCurrent}: /signin?whr=rogue still sends users to ${offered?.issuerUri}`,
      );
    } finally {
      await engine.stop();
      await real.close();
    }
  });
});
