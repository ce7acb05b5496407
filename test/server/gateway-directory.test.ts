import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRolloverEngine } from '../../src/rollover/rollover-engine.js';
import { createTrustLoader, type TrustLoader } from '../../src/rollover/trust-loader.js';
import { createGatewayDirectory } from '../../src/server/gateway-directory.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

const ACTOR = 'admin:test';
let directory: string;
let count = 0;

before(() => {
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-directory-'));
});
after(() => rmSync(directory, { recursive: true, force: true }));

/** The store's reads as the directory makes them, counted, and failing on demand (an unreachable store). */
function watchedStore(store: Store) {
  const reads: string[] = [];
  const state: { down: false | 'unreachable' | 'failing' } = { down: false };
  const read =
    <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      reads.push(name);
      if (state.down === 'unreachable')
        return Promise.reject(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'The store cannot be reached.'));
      if (state.down === 'failing')
        return Promise.reject(new ClaimsgateError('CG_STORE_QUERY_FAILED', 'A query failed.'));
      return call(...args);
    };
  return {
    reads,
    state,
    store: {
      getIssuer: read('getIssuer', (idOrName: string) => store.getIssuer(idOrName)),
      listIssuers: read('listIssuers', () => store.listIssuers()),
      listRealms: read('listRealms', () => store.listRealms()),
      listClaimMappings: read('listClaimMappings', (issuerId?: string) => store.listClaimMappings(issuerId)),
      findIssuerByDomain: read('findIssuerByDomain', (domain: string) => store.findIssuerByDomain(domain)),
    },
  };
}

async function setUp() {
  const store = await openStore(join(directory, `directory-${count++}.db`));
  const contoso = await store.createIssuer(
    { name: 'contoso', issuerUri: 'https://contoso.test/', label: 'CONTOSO', domains: ['contoso.com'] },
    ACTOR,
  );
  await store.createClaimMapping({ issuerId: contoso.id, label: 'CONTOSO', nameClaim: 'upn' }, ACTOR);
  await store.createRealm({ realmUri: 'https://app.test', replyUrl: 'https://app.test/signin' }, ACTOR);
  const loader: TrustLoader = createTrustLoader({ store, now: () => new Date(), logger: () => undefined });
  let loaded = false;
  const current = { issuers: true, realms: true };
  const engine = {
    directory: () =>
      loaded
        ? {
            records: loader.records(),
            issuersCurrent: current.issuers,
            realmsCurrent: current.realms,
            allCurrent: current.issuers && current.realms,
          }
        : undefined,
  };
  const watched = watchedStore(store);
  return {
    store,
    contoso,
    watched,
    current,
    directory: createGatewayDirectory(engine, watched.store),
    async load() {
      await loader.reload();
      loaded = true;
    },
  };
}

describe('the gateway directory', () => {
  it('reads the store until the engine has loaded its records', async () => {
    const bench = await setUp();
    assert.equal((await bench.directory.getIssuer('contoso'))?.id, bench.contoso.id);
    assert.equal((await bench.directory.listRealms()).length, 1);
    assert.deepEqual(bench.watched.reads, ['getIssuer', 'listRealms']);
    await bench.store.close();
  });

  it('answers the sign-in path’s reads from the records, even while the store cannot be reached', async () => {
    const bench = await setUp();
    await bench.load();
    bench.watched.state.down = 'unreachable';
    assert.equal((await bench.directory.getIssuer('contoso'))?.id, bench.contoso.id, 'by name');
    assert.equal((await bench.directory.getIssuer(bench.contoso.id))?.name, 'contoso', 'by ID');
    assert.deepEqual(
      (await bench.directory.listIssuers()).map((issuer) => issuer.name),
      ['contoso'],
    );
    assert.deepEqual(
      (await bench.directory.listRealms()).map((realm) => realm.realmUri),
      ['https://app.test'],
    );
    assert.equal((await bench.directory.listClaimMappings(bench.contoso.id))[0]?.label, 'CONTOSO');
    assert.deepEqual(await bench.directory.labelConflicts(), []);
    assert.equal(
      (await bench.directory.findIssuerByDomain('contoso.com'))?.id,
      bench.contoso.id,
      'by domain',
    );
    assert.deepEqual(bench.watched.reads, [], 'no store read');
    await bench.store.close();
  });

  it('reads the store for what the records do not hold yet: an issuer created a moment ago is usable at once', async () => {
    const bench = await setUp();
    await bench.load();
    const fresh = await bench.store.createIssuer(
      { name: 'fabrikam', issuerUri: 'https://fabrikam.test/', label: 'FAB' },
      ACTOR,
    );
    assert.equal((await bench.directory.getIssuer('fabrikam'))?.id, fresh.id);
    assert.deepEqual(await bench.directory.listClaimMappings(fresh.id), []);
    assert.deepEqual(bench.watched.reads, ['getIssuer', 'listClaimMappings']);
    // A name nobody has is asked of the store, and found by nobody.
    assert.equal(await bench.directory.getIssuer('nobody'), undefined);
    await bench.store.close();
  });

  it('reads the store while a change this process made is not loaded yet, so the next sign-in sees it', async () => {
    const bench = await setUp();
    await bench.load();
    await bench.store.updateIssuer(bench.contoso.id, { useForLogin: false }, ACTOR);
    bench.current.issuers = false;
    assert.equal((await bench.directory.getIssuer('contoso'))?.useForLogin, false);
    assert.equal((await bench.directory.listIssuers())[0]?.useForLogin, false);
    await bench.store.updateRealm(
      (await bench.store.listRealms())[0]!.id,
      { replyUrl: 'https://app.test/other' },
      ACTOR,
    );
    bench.current.realms = false;
    assert.equal((await bench.directory.listRealms())[0]?.replyUrl, 'https://app.test/other');
    assert.deepEqual(bench.watched.reads, ['getIssuer', 'listIssuers', 'listRealms']);
    await bench.store.close();
  });

  it('answers from records not yet current when the store cannot be reached, and passes on any other store error', async () => {
    const bench = await setUp();
    await bench.load();
    // The change feed's connection was lost and restored: the records are marked not current.
    bench.current.issuers = false;
    bench.current.realms = false;
    bench.watched.state.down = 'unreachable';
    assert.equal((await bench.directory.getIssuer('contoso'))?.id, bench.contoso.id);
    assert.equal((await bench.directory.findIssuerByDomain('contoso.com'))?.id, bench.contoso.id);
    assert.deepEqual(
      (await bench.directory.listIssuers()).map((issuer) => issuer.name),
      ['contoso'],
    );
    assert.equal((await bench.directory.listRealms()).length, 1);
    assert.equal((await bench.directory.listClaimMappings(bench.contoso.id)).length, 1);
    assert.deepEqual(await bench.directory.labelConflicts(), []);
    assert.equal(await bench.directory.getIssuer('nobody'), undefined, 'unknown to the records too');
    bench.watched.state.down = 'failing';
    await assert.rejects(bench.directory.getIssuer('contoso'), /A query failed/);
    await bench.store.close();
  });

  it('is the engine’s records while it runs, marked not current from a change this process makes until it is loaded', async () => {
    const store = await openStore(join(directory, `directory-${count++}.db`));
    const issuer = await store.createIssuer({ name: 'contoso', issuerUri: 'https://contoso.test/' }, ACTOR);
    const engine = createRolloverEngine({ store, logger: () => undefined, changeDebounceMs: 10 });
    assert.equal(engine.directory(), undefined, 'not before start');
    await engine.start();
    assert.equal(engine.directory()?.issuersCurrent, true);
    await store.updateIssuer(issuer.id, { description: 'changed' }, ACTOR);
    assert.equal(engine.directory()?.issuersCurrent, false, 'at once, before the load');
    assert.equal(engine.directory()?.realmsCurrent, true, 'an issuer change leaves the realms current');
    const deadline = Date.now() + 5_000;
    while (engine.directory()?.issuersCurrent !== true && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(engine.directory()?.records.issuer(issuer.id)?.description, 'changed');
    await store.createRealm({ realmUri: 'https://app.test', replyUrl: 'https://app.test/signin' }, ACTOR);
    assert.equal(engine.directory()?.realmsCurrent, false);
    await engine.stop();
    assert.equal(engine.directory(), undefined, 'not after stop');
    await store.close();
  });
});
