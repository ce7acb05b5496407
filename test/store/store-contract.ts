import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import type {
  KeyRecord,
  MetadataSnapshotRecord,
  NewIssuer,
  PendingChangeRecord,
  RefreshStateRecord,
  StoreChange,
} from '../../src/store/model.js';
import type { RefreshApplication, Store } from '../../src/store/store.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';

/**
 * What the contract hands a backend's `open`: the clock the store must use,
 * and the name of the database to open. Each test gets a fresh name (a new
 * file, a new schema); calling `open` again with the same name must open the
 * same database again (the close + reopen test does).
 */
export interface StoreContractContext {
  readonly now: () => Date;
  /** Lowercase letters, digits and underscores, at most 40 characters: usable as a file or schema name. */
  readonly database: string;
}

const START = new Date('2026-03-01T09:00:00.000Z');
const ACTOR = 'admin:alice';

/** A clock that stands still until a test moves it. */
class TestClock {
  #at = START.getTime();
  readonly now = (): Date => new Date(this.#at);
  advance(ms: number): Date {
    this.#at += ms;
    return this.now();
  }
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex').toUpperCase();
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isClaimsgateError(error), `expected a ClaimsgateError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.detail['field'], field);
    return true;
  });
}

function issuerInput(suffix: string, extra: Partial<NewIssuer> = {}): NewIssuer {
  return { name: `contoso-${suffix}`, issuerUri: `https://sts.example.test/${suffix}/`, ...extra };
}

function snapshotOf(issuerId: string, at: Date, body: string): MetadataSnapshotRecord {
  const document = Buffer.from(`<EntityDescriptor>${body}</EntityDescriptor>`);
  return {
    issuerId,
    url: 'https://sts.example.test/federationmetadata.xml',
    fetchedAt: at,
    etag: `"${body}"`,
    lastModified: null,
    sha256: createHash('sha256').update(document).digest('hex'),
    document,
    signerSha1: null,
  };
}

function refreshStateOf(
  issuerId: string,
  at: Date,
  outcome: RefreshStateRecord['lastOutcome'],
): RefreshStateRecord {
  return {
    issuerId,
    lastAttemptAt: at,
    lastSuccessAt: outcome === 'failure' ? null : at,
    lastOutcome: outcome,
    lastErrorCode: outcome === 'failure' ? 'CG_META_FETCH_FAILED' : null,
    lastErrorMessage: outcome === 'failure' ? 'connection refused' : null,
    consecutiveFailures: outcome === 'failure' ? 1 : 0,
    nextAttemptAt: new Date(at.getTime() + 3_600_000),
  };
}

function pendingChangeOf(issuerId: string, at: Date, body: string): PendingChangeRecord {
  return {
    issuerId,
    detectedAt: at,
    url: 'http://127.0.0.1:8788/federationmetadata.xml',
    sha256: createHash('sha256').update(body).digest('hex'),
    signerSha1: null,
    reason: 'unsigned-replacement',
    keys: [
      {
        sha1: 'AB'.repeat(20),
        sha256: 'CD'.repeat(32),
        kid: null,
        subject: 'CN=attacker',
        notBefore: new Date('2026-01-01T00:00:00.000Z'),
        notAfter: new Date('2027-01-01T00:00:00.000Z'),
      },
      { sha1: null, sha256: null, kid: 'k1', subject: null, notBefore: null, notAfter: null },
    ],
    decision: 'pending',
    decidedBy: null,
    decidedAt: null,
  };
}

function byId<T extends { readonly id: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The behaviour every {@link Store} backend must have, as one suite. Run it
 * from a backend's test file:
 *
 * ```ts
 * runStoreContract('SQLite', ({ now, database }) => openSqliteStore(join(dir, `${database}.db`), { now }), cleanup);
 * ```
 *
 * @param open opens the database named by `context.database` with the
 *   context's clock: a new name gives an empty store, a name seen before the
 *   database written under it.
 * @param cleanup runs once after the whole suite (drop schemas, remove files).
 */
export function runStoreContract(
  name: string,
  open: (context: StoreContractContext) => Promise<Store>,
  cleanup?: () => Promise<void>,
): void {
  const run = `${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
  let counter = 0;
  let certificates: Promise<TestCertificate[]> | undefined;

  /** Two EC certificates, made once per suite. */
  function testCertificates(): Promise<TestCertificate[]> {
    certificates ??= Promise.all([
      createTestCertificate({ keyType: 'ec', commonName: 'contract-signing-1' }),
      createTestCertificate({ keyType: 'ec', commonName: 'contract-signing-2' }),
    ]);
    return certificates;
  }

  interface Fixture {
    readonly store: Store;
    readonly clock: TestClock;
    readonly context: StoreContractContext;
  }

  async function withStore(test: (fixture: Fixture) => Promise<void>): Promise<void> {
    counter += 1;
    const clock = new TestClock();
    const context: StoreContractContext = { now: clock.now, database: `cg_${run}_${counter}` };
    const store = await open(context);
    try {
      await test({ store, clock, context });
    } finally {
      await store.close();
    }
  }

  describe(`store contract: ${name}`, () => {
    after(async () => {
      await cleanup?.();
    });

    describe('issuers', () => {
      it('creates an issuer with defaults, version 1 and an issuer.created audit entry', () =>
        withStore(async ({ store }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          assert.equal(issuer.name, 'contoso-a');
          assert.equal(issuer.issuerUri, 'https://sts.example.test/a/');
          assert.equal(issuer.description, '');
          assert.deepEqual(issuer.protocols, ['wsfed']);
          assert.equal(issuer.metadataUrl, null);
          assert.equal(issuer.loginUrl, null);
          assert.equal(issuer.useForLogin, true);
          assert.equal(issuer.label, 'contoso-a');
          assert.equal(issuer.refreshIntervalSeconds, 3600);
          assert.deepEqual(issuer.signaturePolicy, { mode: 'self-consistent' });
          assert.equal(issuer.allowSha1, false);
          assert.deepEqual(issuer.allowedTenants, []);
          assert.deepEqual(issuer.createdAt, START);
          assert.deepEqual(issuer.updatedAt, START);
          assert.equal(issuer.version, 1);
          assert.match(issuer.id, /^[0-9a-f-]{36}$/);

          const audit = await store.listAudit();
          assert.equal(audit.length, 1);
          const [entry] = audit;
          assert.equal(entry?.action, 'issuer.created');
          assert.equal(entry?.actor, ACTOR);
          assert.equal(entry?.issuerId, issuer.id);
          assert.equal(entry?.subject, 'contoso-a');
          assert.equal(entry?.before, null);
          assert.equal((entry?.after as { name: string }).name, 'contoso-a');
          assert.deepEqual(entry?.at, START);
        }));

      it('finds an issuer by ID and by name, and lists issuers by name', () =>
        withStore(async ({ store }) => {
          const b = await store.createIssuer(issuerInput('b'), ACTOR);
          const a = await store.createIssuer(
            issuerInput('a', {
              protocols: ['saml2', 'oidc'],
              metadataUrl: 'https://sts.example.test/a/metadata.xml',
              signaturePolicy: { mode: 'pinned', pinnedSigners: ['aa'.repeat(20)] },
              allowedTenants: ['tenant-1'],
              label: 'K2AAD',
              useForLogin: false,
              allowSha1: true,
              refreshIntervalSeconds: 600,
            }),
            ACTOR,
          );
          assert.deepEqual(await store.getIssuer(a.id), a);
          assert.deepEqual(await store.getIssuer('contoso-a'), a);
          assert.equal(await store.getIssuer('contoso-z'), undefined);
          assert.deepEqual(
            (await store.listIssuers()).map((issuer) => issuer.id),
            [a.id, b.id],
          );
          assert.deepEqual(a.signaturePolicy, { mode: 'pinned', pinnedSigners: ['AA'.repeat(20)] });
          assert.deepEqual(a.protocols, ['saml2', 'oidc']);
        }));

      it('refuses a duplicate name or issuer URI with CG_STORE_DUPLICATE naming the field, writing nothing', () =>
        withStore(async ({ store }) => {
          await store.createIssuer(issuerInput('a'), ACTOR);
          await rejectsWith(
            store.createIssuer({ name: 'contoso-a', issuerUri: 'https://other.test/' }, ACTOR),
            'CG_STORE_DUPLICATE',
            'name',
          );
          await rejectsWith(
            store.createIssuer({ name: 'other', issuerUri: 'https://sts.example.test/a/' }, ACTOR),
            'CG_STORE_DUPLICATE',
            'issuerUri',
          );
          assert.equal((await store.listIssuers()).length, 1);
          assert.equal((await store.listAudit()).length, 1);
        }));

      it('refuses invalid issuer input with CG_STORE_INVALID naming the field', () =>
        withStore(async ({ store }) => {
          const cases: [Partial<NewIssuer>, string][] = [
            [{ name: '  ' }, 'name'],
            [{ issuerUri: '' }, 'issuerUri'],
            [{ refreshIntervalSeconds: 0 }, 'refreshIntervalSeconds'],
            [{ refreshIntervalSeconds: -60 }, 'refreshIntervalSeconds'],
            [{ refreshIntervalSeconds: 1.5 }, 'refreshIntervalSeconds'],
            [{ protocols: ['ws-trust' as never] }, 'protocols'],
            [{ protocols: [] }, 'protocols'],
            [{ metadataUrl: 'ftp://sts.example.test/metadata.xml' }, 'metadataUrl'],
            [{ metadataUrl: 'file:///etc/passwd' }, 'metadataUrl'],
            [{ metadataUrl: 'not a url' }, 'metadataUrl'],
            [{ signaturePolicy: { mode: 'pinned', pinnedSigners: [] } }, 'signaturePolicy.pinnedSigners'],
          ];
          for (const [patch, field] of cases)
            await rejectsWith(store.createIssuer(issuerInput('x', patch), ACTOR), 'CG_STORE_INVALID', field);
          await rejectsWith(store.createIssuer(issuerInput('x'), ''), 'CG_STORE_INVALID', 'actor');
          assert.deepEqual(await store.listIssuers(), []);
          assert.deepEqual(await store.listAudit(), []);
        }));

      it('updates an issuer, increments its version and audits before and after', () =>
        withStore(async ({ store, clock }) => {
          const created = await store.createIssuer(issuerInput('a'), ACTOR);
          const later = clock.advance(60_000);
          const updated = await store.updateIssuer(
            created.id,
            {
              description: 'Contoso tenant',
              refreshIntervalSeconds: 900,
              metadataUrl: 'https://sts.example.test/m',
            },
            'cli:bob',
            1,
          );
          assert.equal(updated.version, 2);
          assert.equal(updated.description, 'Contoso tenant');
          assert.equal(updated.refreshIntervalSeconds, 900);
          assert.equal(updated.metadataUrl, 'https://sts.example.test/m');
          assert.deepEqual(updated.createdAt, START);
          assert.deepEqual(updated.updatedAt, later);
          assert.deepEqual(await store.getIssuer(created.id), updated);

          const entry = (await store.listAudit()).at(-1);
          assert.equal(entry?.action, 'issuer.updated');
          assert.equal(entry?.actor, 'cli:bob');
          assert.equal((entry?.before as { refreshIntervalSeconds: number }).refreshIntervalSeconds, 3600);
          assert.equal((entry?.after as { refreshIntervalSeconds: number }).refreshIntervalSeconds, 900);
          assert.equal((entry?.after as { version: number }).version, 2);

          const cleared = await store.updateIssuer(created.id, { metadataUrl: null }, ACTOR);
          assert.equal(cleared.metadataUrl, null);
          assert.equal(cleared.version, 3);
        }));

      it("lists every issuer's refresh state in one read, the same records as one by one", () =>
        withStore(async ({ store, clock }) => {
          assert.deepEqual(await store.listRefreshStates(), []);
          const issuers = [];
          for (const name of ['b', 'a', 'c']) {
            issuers.push(
              await store.createIssuer(
                issuerInput(name, { metadataUrl: `https://sts.example.test/${name}/metadata.xml` }),
                ACTOR,
              ),
            );
          }
          for (const [index, issuer] of issuers.slice(0, 2).entries()) {
            await store.applyRefresh({
              issuerId: issuer.id,
              addKeys: [],
              updateKeys: [],
              snapshot: null,
              refreshState: refreshStateOf(issuer.id, clock.now(), index === 0 ? 'success' : 'failure'),
              audit: [],
            });
          }
          const listed = await store.listRefreshStates();
          const oneByOne = [];
          for (const issuer of issuers) {
            const state = await store.getRefreshState(issuer.id);
            if (state !== undefined) oneByOne.push(state);
          }
          assert.ok(listed.length >= 2, 'the refreshed issuers have a state');
          const byId = (states: readonly { issuerId: string }[]) =>
            [...states].sort((x, y) => (x.issuerId < y.issuerId ? -1 : 1));
          assert.deepEqual(byId(listed), byId(oneByOne));
        }));

      it('moves the stored next refresh in the same update when the refresh interval or metadata URL changes', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(
            issuerInput('a', { metadataUrl: 'https://sts.example.test/a/metadata.xml' }),
            ACTOR,
          );
          const refreshedAt = clock.now();
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: null,
            refreshState: refreshStateOf(issuer.id, refreshedAt, 'success'),
            audit: [],
          });
          assert.deepEqual(
            (await store.getRefreshState(issuer.id))?.nextAttemptAt,
            new Date(refreshedAt.getTime() + 3_600_000),
          );
          clock.advance(30_000);
          await store.updateIssuer(issuer.id, { refreshIntervalSeconds: 300 }, ACTOR);
          // Due one new interval after the last attempt, not an hour after it.
          assert.deepEqual(
            (await store.getRefreshState(issuer.id))?.nextAttemptAt,
            new Date(refreshedAt.getTime() + 300_000),
          );
          await store.updateIssuer(issuer.id, { refreshIntervalSeconds: 7200 }, ACTOR);
          assert.deepEqual(
            (await store.getRefreshState(issuer.id))?.nextAttemptAt,
            new Date(refreshedAt.getTime() + 7_200_000),
          );
          // An interval whose due time has already passed is due now.
          const later = clock.advance(600_000);
          await store.updateIssuer(issuer.id, { refreshIntervalSeconds: 60 }, ACTOR);
          assert.deepEqual((await store.getRefreshState(issuer.id))?.nextAttemptAt, later);
          // Another setting leaves the schedule alone; a new metadata URL is fetched at once.
          const next = clock.advance(5_000);
          await store.updateIssuer(issuer.id, { description: 'renamed tenant' }, ACTOR);
          assert.deepEqual((await store.getRefreshState(issuer.id))?.nextAttemptAt, later);
          await store.updateIssuer(issuer.id, { metadataUrl: 'https://sts.example.test/a/v2.xml' }, ACTOR);
          assert.deepEqual((await store.getRefreshState(issuer.id))?.nextAttemptAt, next);
          const state = await store.getRefreshState(issuer.id);
          assert.equal(state?.consecutiveFailures, 0);
          assert.deepEqual(state?.lastAttemptAt, refreshedAt);
        }));

      it('refuses an update made against a stale version with CG_STORE_CONFLICT and changes nothing', () =>
        withStore(async ({ store }) => {
          const created = await store.createIssuer(issuerInput('a'), ACTOR);
          await store.updateIssuer(created.id, { description: 'first' }, ACTOR, 1);
          await rejectsWith(
            store.updateIssuer(created.id, { description: 'second' }, ACTOR, 1),
            'CG_STORE_CONFLICT',
          );
          const current = await store.getIssuer(created.id);
          assert.equal(current?.description, 'first');
          assert.equal(current?.version, 2);
          assert.equal((await store.listAudit()).length, 2);
        }));

      it('refuses updates of unknown issuers, duplicate names and invalid values', () =>
        withStore(async ({ store }) => {
          const a = await store.createIssuer(issuerInput('a'), ACTOR);
          await store.createIssuer(issuerInput('b'), ACTOR);
          await rejectsWith(
            store.updateIssuer('00000000-0000-4000-8000-000000000000', { description: 'x' }, ACTOR),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(
            store.updateIssuer(a.id, { name: 'contoso-b' }, ACTOR),
            'CG_STORE_DUPLICATE',
            'name',
          );
          await rejectsWith(
            store.updateIssuer(a.id, { refreshIntervalSeconds: -1 }, ACTOR),
            'CG_STORE_INVALID',
            'refreshIntervalSeconds',
          );
          assert.deepEqual(await store.getIssuer(a.id), a);
        }));

      it('deletes an issuer with its keys, mappings, snapshot, refresh state, pending change and claim types, keeping its audit history', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const other = await store.createIssuer(issuerInput('b'), ACTOR);
          await store.addKey({ issuerId: issuer.id, sha1: hex(20), source: 'manual' }, ACTOR);
          const kept = await store.addKey({ issuerId: other.id, sha1: hex(20), source: 'manual' }, ACTOR);
          await store.createClaimMapping({ issuerId: issuer.id, label: 'K2AAD', nameClaim: 'upn' }, ACTOR);
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: snapshotOf(issuer.id, clock.now(), 'one'),
            refreshState: refreshStateOf(issuer.id, clock.now(), 'success'),
            audit: [],
            pendingChange: pendingChangeOf(issuer.id, clock.now(), 'held'),
          });
          await store.recordTokenClaimTypes(issuer.id, ['upn'], clock.now());
          await store.recordTokenClaimTypes(other.id, ['upn'], clock.now());
          const history = await store.listAudit({ issuerId: issuer.id });

          await store.deleteIssuer(issuer.id, ACTOR);

          assert.equal(await store.getIssuer(issuer.id), undefined);
          assert.deepEqual(await store.listKeys(issuer.id), []);
          assert.deepEqual(await store.listKeys(), [kept]);
          assert.deepEqual(await store.listClaimMappings(issuer.id), []);
          assert.equal(await store.getMetadataSnapshot(issuer.id), undefined);
          assert.equal(await store.getRefreshState(issuer.id), undefined);
          assert.deepEqual(await store.listPendingChanges(), []);
          assert.equal(await store.getTokenClaimTypes(issuer.id), undefined);
          assert.deepEqual((await store.getTokenClaimTypes(other.id))?.claimTypes, ['upn']);
          const after = await store.listAudit({ issuerId: issuer.id });
          assert.deepEqual(after.slice(0, history.length), history);
          const deleted = after.at(-1);
          assert.equal(deleted?.action, 'issuer.deleted');
          assert.equal(deleted?.after, null);
          assert.equal((deleted?.before as { name: string }).name, 'contoso-a');
          await rejectsWith(store.deleteIssuer(issuer.id, ACTOR), 'CG_STORE_NOT_FOUND');
        }));
      it('takes a removed issuer out of the realms that name it, in the same transaction, audited', () =>
        withStore(async ({ store }) => {
          const gone = await store.createIssuer(issuerInput('a'), ACTOR);
          const kept = await store.createIssuer(issuerInput('b'), ACTOR);
          const both = await store.createRealm(
            {
              realmUri: 'urn:app:both',
              replyUrl: 'https://app.example/both',
              homeRealm: gone.name,
              allowedIssuerIds: [gone.id, kept.id],
            },
            ACTOR,
          );
          const other = await store.createRealm(
            { realmUri: 'urn:app:other', replyUrl: 'https://app.example/other', allowedIssuerIds: [kept.id] },
            ACTOR,
          );
          const byId = await store.createRealm(
            { realmUri: 'urn:app:home', replyUrl: 'https://app.example/home', homeRealm: gone.id },
            ACTOR,
          );
          const removal = await store.deleteIssuer(gone.id, 'cli:bob');
          assert.deepEqual(removal.realms, [
            {
              realmId: both.id,
              realmUri: 'urn:app:both',
              homeRealmCleared: true,
              allowedIssuerRemoved: true,
            },
            {
              realmId: byId.id,
              realmUri: 'urn:app:home',
              homeRealmCleared: true,
              allowedIssuerRemoved: false,
            },
          ]);
          const after = await store.getRealm(both.id);
          assert.equal(after?.homeRealm, null);
          assert.deepEqual(after?.allowedIssuerIds, [kept.id]);
          assert.equal((await store.getRealm(byId.id))?.homeRealm, null);
          assert.deepEqual(await store.getRealm(other.id), other);
          const entries = (await store.listAudit()).slice(-3);
          assert.deepEqual(
            entries.map((entry) => [entry.action, entry.actor, entry.subject]),
            [
              ['realm.updated', 'cli:bob', 'urn:app:both'],
              ['realm.updated', 'cli:bob', 'urn:app:home'],
              ['issuer.deleted', 'cli:bob', 'contoso-a'],
            ],
          );
          assert.equal((entries[0]?.before as { homeRealm: string }).homeRealm, gone.name);
        }));

      it('refuses to remove the only issuer a realm allows with CG_STORE_REFERENCED naming it, removing nothing', () =>
        withStore(async ({ store }) => {
          const only = await store.createIssuer(issuerInput('a'), ACTOR);
          const realm = await store.createRealm(
            {
              realmUri: 'urn:app:only',
              replyUrl: 'https://app.example/only',
              homeRealm: only.name,
              allowedIssuerIds: [only.id],
            },
            ACTOR,
          );
          const audit = await store.listAudit();
          await assert.rejects(store.deleteIssuer(only.id, ACTOR), (error: unknown) => {
            assert.ok(isClaimsgateError(error, 'CG_STORE_REFERENCED'));
            assert.deepEqual(error.detail['realms'], ['urn:app:only']);
            return true;
          });
          assert.deepEqual(await store.getIssuer(only.id), only);
          assert.deepEqual(await store.getRealm(realm.id), realm);
          assert.deepEqual(await store.listAudit(), audit);
        }));
    });

    describe('keys', () => {
      it('adds a key from a certificate, taking its thumbprints, subject and validity, with a key.added entry', () =>
        withStore(async ({ store }) => {
          const [certificate] = await testCertificates();
          assert.ok(certificate);
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const key = await store.addKey(
            { issuerId: issuer.id, certificateDer: certificate.der, source: 'manual' },
            ACTOR,
          );
          const sha1 = createHash('sha1').update(certificate.der).digest('hex').toUpperCase();
          assert.equal(key.sha1, sha1);
          assert.equal(key.sha256, createHash('sha256').update(certificate.der).digest('hex').toUpperCase());
          assert.deepEqual(key.certificateDer, certificate.der);
          assert.match(key.subject ?? '', /contract-signing-1/);
          assert.ok(key.notAfter instanceof Date);
          assert.equal(key.state, 'active');
          assert.equal(key.source, 'manual');
          assert.equal(key.addedBy, ACTOR);
          assert.deepEqual(key.firstSeenAt, START);
          assert.deepEqual(key.stateChangedAt, START);
          assert.equal(key.lastUsedAt, null);
          assert.deepEqual(await store.getKey(key.id), key);
          assert.deepEqual(await store.listKeys(issuer.id), [key]);

          const entry = (await store.listAudit()).at(-1);
          assert.equal(entry?.action, 'key.added');
          assert.equal(entry?.issuerId, issuer.id);
          assert.equal(entry?.subject, sha1);
          assert.equal((entry?.after as { sha1: string }).sha1, sha1);
        }));

      it('normalises a pasted thumbprint and stores a JWK key by kid', () =>
        withStore(async ({ store }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const plain = hex(20);
          const pasted = `\u200e${plain.toLowerCase().match(/../g)?.join(':')}`;
          const key = await store.addKey({ issuerId: issuer.id, sha1: pasted, source: 'manual' }, ACTOR);
          assert.equal(key.sha1, plain);
          assert.equal(key.certificateDer, null);
          const jwk = { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'key-1' };
          const jwkKey = await store.addKey(
            { issuerId: issuer.id, kid: 'key-1', jwk, source: 'metadata', state: 'announced' },
            'refresh',
          );
          assert.deepEqual(jwkKey.jwk, jwk);
          assert.equal(jwkKey.state, 'announced');
          assert.equal(jwkKey.sha1, null);
        }));

      it('refuses a duplicate thumbprint or kid within one issuer but not across issuers', () =>
        withStore(async ({ store }) => {
          const a = await store.createIssuer(issuerInput('a'), ACTOR);
          const b = await store.createIssuer(issuerInput('b'), ACTOR);
          const sha1 = hex(20);
          const sha256 = hex(32);
          await store.addKey({ issuerId: a.id, sha1, source: 'manual' }, ACTOR);
          await store.addKey({ issuerId: a.id, sha256, source: 'manual' }, ACTOR);
          await store.addKey({ issuerId: a.id, kid: 'k1', source: 'metadata' }, ACTOR);
          await rejectsWith(
            store.addKey({ issuerId: a.id, sha1, source: 'manual' }, ACTOR),
            'CG_STORE_DUPLICATE',
            'sha1',
          );
          await rejectsWith(
            store.addKey({ issuerId: a.id, sha256, source: 'manual' }, ACTOR),
            'CG_STORE_DUPLICATE',
            'sha256',
          );
          await rejectsWith(
            store.addKey({ issuerId: a.id, kid: 'k1', source: 'metadata' }, ACTOR),
            'CG_STORE_DUPLICATE',
            'kid',
          );
          await store.addKey({ issuerId: b.id, sha1, source: 'manual' }, ACTOR);
          assert.equal((await store.listKeys(a.id)).length, 3);
          assert.equal((await store.listKeys()).length, 4);
        }));

      it('refuses a key for an unknown issuer and a key with nothing to match', () =>
        withStore(async ({ store }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          await rejectsWith(
            store.addKey(
              { issuerId: '00000000-0000-4000-8000-000000000000', sha1: hex(20), source: 'manual' },
              ACTOR,
            ),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(
            store.addKey({ issuerId: issuer.id, source: 'manual' }, ACTOR),
            'CG_STORE_INVALID',
          );
          await rejectsWith(
            store.addKey({ issuerId: issuer.id, sha1: hex(19), source: 'manual' }, ACTOR),
            'CG_STORE_INVALID',
            'sha1',
          );
          await rejectsWith(
            store.addKey({ issuerId: issuer.id, sha1: 'not hex at all', source: 'manual' }, ACTOR),
            'CG_STORE_INVALID',
            'sha1',
          );
          await rejectsWith(
            store.addKey(
              { issuerId: issuer.id, certificateDer: Buffer.from('junk'), source: 'manual' },
              ACTOR,
            ),
            'CG_STORE_INVALID',
            'certificateDer',
          );
          assert.deepEqual(await store.listKeys(), []);
        }));

      it('changes a key state with an audit entry naming the new state and the reason', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const key = await store.addKey({ issuerId: issuer.id, sha1: hex(20), source: 'manual' }, ACTOR);
          const later = clock.advance(1000);
          const revoked = await store.setKeyState(key.id, 'revoked', ACTOR, 'key compromised');
          assert.equal(revoked.state, 'revoked');
          assert.deepEqual(revoked.stateChangedAt, later);
          const entry = (await store.listAudit()).at(-1);
          assert.equal(entry?.action, 'key.revoked');
          assert.equal(entry?.subject, key.sha1);
          assert.deepEqual(entry?.before, { state: 'active' });
          assert.deepEqual(entry?.after, { state: 'revoked', reason: 'key compromised' });
          await rejectsWith(store.setKeyState(key.id, 'gone' as never, ACTOR), 'CG_STORE_INVALID', 'state');
          await rejectsWith(
            store.setKeyState('00000000-0000-4000-8000-000000000000', 'retired', ACTOR),
            'CG_STORE_NOT_FOUND',
          );
        }));

      it('records a key use cheaply and activates an announced key on its first use', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const active = await store.addKey({ issuerId: issuer.id, sha1: hex(20), source: 'manual' }, ACTOR);
          const announced = await store.addKey(
            { issuerId: issuer.id, sha1: hex(20), source: 'metadata', state: 'announced' },
            'refresh',
          );
          const changes: StoreChange[] = [];
          store.onChange((change) => changes.push(change));
          const auditBefore = (await store.listAudit()).length;

          const used = clock.advance(5000);
          await store.recordKeyUse(active.id, used);
          const touched = await store.getKey(active.id);
          assert.deepEqual(touched?.lastUsedAt, used);
          assert.equal(touched?.state, 'active');
          assert.equal((await store.listAudit()).length, auditBefore);
          assert.deepEqual(changes, []);

          await store.recordKeyUse(active.id, START);
          assert.deepEqual((await store.getKey(active.id))?.lastUsedAt, used, 'lastUsedAt never moves back');

          await store.recordKeyUse(announced.id, used);
          const activated = await store.getKey(announced.id);
          assert.equal(activated?.state, 'active');
          assert.deepEqual(activated?.stateChangedAt, used);
          assert.deepEqual(activated?.lastUsedAt, used);
          const entry = (await store.listAudit()).at(-1);
          assert.equal(entry?.action, 'key.activated');
          assert.equal(entry?.subject, announced.sha1);
          assert.deepEqual(changes, [{ kind: 'key', issuerId: issuer.id }]);

          await rejectsWith(
            store.recordKeyUse('00000000-0000-4000-8000-000000000000', used),
            'CG_STORE_NOT_FOUND',
          );
        }));
    });

    describe('realms and claim mappings', () => {
      it('creates, finds, updates and deletes a realm, auditing each change', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const realm = await store.createRealm(
            { realmUri: 'urn:app:payroll', replyUrl: 'https://payroll.example.test/signin' },
            ACTOR,
          );
          assert.equal(realm.homeRealm, null);
          assert.deepEqual(realm.allowedIssuerIds, []);
          assert.deepEqual(await store.getRealm(realm.id), realm);
          assert.deepEqual(await store.getRealm('urn:app:payroll'), realm);
          assert.deepEqual(await store.listRealms(), [realm]);

          const later = clock.advance(1000);
          const updated = await store.updateRealm(
            realm.id,
            { homeRealm: 'contoso-a', allowedIssuerIds: [issuer.id] },
            ACTOR,
          );
          assert.equal(updated.homeRealm, 'contoso-a');
          assert.deepEqual(updated.allowedIssuerIds, [issuer.id]);
          assert.deepEqual(updated.updatedAt, later);

          await store.deleteRealm(realm.id, ACTOR);
          assert.equal(await store.getRealm(realm.id), undefined);
          const actions = (await store.listAudit()).map((entry) => entry.action);
          assert.deepEqual(actions, ['issuer.created', 'realm.created', 'realm.updated', 'realm.deleted']);
          const deleted = (await store.listAudit()).at(-1);
          assert.equal(deleted?.subject, 'urn:app:payroll');
          assert.equal((deleted?.before as { homeRealm: string }).homeRealm, 'contoso-a');
        }));

      it('gives a label to one issuer only, whatever its case, through issuer labels and mapping labels alike', () =>
        withStore(async ({ store }) => {
          const real = await store.createIssuer(issuerInput('real', { label: 'SIM' }), ACTOR);
          // The issuer may reuse its own label in its mappings.
          await store.createClaimMapping({ issuerId: real.id, label: 'sim', nameClaim: 'upn' }, ACTOR);
          const before = await store.listAudit();
          const refused = async (promise: Promise<unknown>): Promise<void> => {
            await assert.rejects(promise, (error: unknown) => {
              assert.ok(isClaimsgateError(error, 'CG_STORE_DUPLICATE'), String(error));
              assert.equal(error.detail['field'], 'label');
              assert.equal(error.detail['existing'], 'contoso-real');
              return true;
            });
          };
          await refused(store.createIssuer(issuerInput('partner', { label: 'Sim' }), ACTOR));
          // Nor whatever its width: applications that compare user names in NFKC (PRECIS) read
          // fullwidth ＳＩＭ:alice as SIM:alice.
          await refused(store.createIssuer(issuerInput('partner', { label: '\uFF33\uFF29\uFF2D' }), ACTOR));
          const partner = await store.createIssuer(issuerInput('partner', { label: 'PARTNER' }), ACTOR);
          const audited = await store.listAudit();
          await refused(store.updateIssuer(partner.id, { label: 'sIM' }, ACTOR));
          await refused(
            store.createClaimMapping({ issuerId: partner.id, label: 'SIM', nameClaim: 'upn' }, ACTOR),
          );
          const mapping = await store.createClaimMapping(
            { issuerId: partner.id, label: 'PARTNER', nameClaim: 'upn' },
            ACTOR,
          );
          await refused(store.updateClaimMapping(mapping.id, { label: 'sim' }, ACTOR));
          await refused(store.updateClaimMapping(mapping.id, { label: '\uFF53\uFF49\uFF4D' }, ACTOR));
          // A name is no label: an issuer named like another's label still needs its own label.
          await refused(store.createIssuer({ name: 'SIM', issuerUri: 'https://sim.example.test/' }, ACTOR));
          assert.equal((await store.getIssuer(partner.id))?.label, 'PARTNER');
          assert.deepEqual(
            (await store.listClaimMappings(partner.id)).map((entry) => entry.label),
            ['PARTNER'],
          );
          assert.equal((await store.listAudit()).length, audited.length + 1);
          assert.ok(before.length < audited.length);
          // Changing another field of an issuer leaves its label alone.
          await store.updateIssuer(real.id, { description: 'the real one' }, ACTOR);
        }));

      it('refuses a label with a colon, which would make label:name ambiguous', () =>
        withStore(async ({ store }) => {
          await rejectsWith(
            store.createIssuer(issuerInput('a', { label: 'A:B' }), ACTOR),
            'CG_STORE_INVALID',
            'label',
          );
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          await rejectsWith(
            store.updateIssuer(issuer.id, { label: 'A:' }, ACTOR),
            'CG_STORE_INVALID',
            'label',
          );
          await rejectsWith(
            store.createClaimMapping({ issuerId: issuer.id, label: 'x:y', nameClaim: 'upn' }, ACTOR),
            'CG_STORE_INVALID',
            'label',
          );
        }));

      it('refuses names holding invisible format characters (bidi controls, zero-width), whoever writes them', () =>
        withStore(async ({ store }) => {
          const sneaky = ['contoso\u202Egpj', 'con\u200Btoso', '\u2066contoso\u2069', 'contoso\uFEFF'];
          for (const name of sneaky) {
            await rejectsWith(
              store.createIssuer(issuerInput('a', { name }), ACTOR),
              'CG_STORE_INVALID',
              'name',
            );
            await rejectsWith(
              store.createIssuer(issuerInput('a', { label: name }), ACTOR),
              'CG_STORE_INVALID',
              'label',
            );
          }
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          await rejectsWith(
            store.updateIssuer(issuer.id, { name: 'a\u202E' }, ACTOR),
            'CG_STORE_INVALID',
            'name',
          );
          await rejectsWith(
            store.createClaimMapping({ issuerId: issuer.id, label: 'P\u200DQ', nameClaim: 'upn' }, ACTOR),
            'CG_STORE_INVALID',
            'label',
          );
          await rejectsWith(
            store.createRealm({ realmUri: 'urn:app\u2067', replyUrl: 'https://app.example.test/' }, ACTOR),
            'CG_STORE_INVALID',
            'realmUri',
          );
          await rejectsWith(
            store.createRealm(
              { realmUri: 'urn:app', replyUrl: 'https://app.example.test/', homeRealm: 'a\u200B' },
              ACTOR,
            ),
            'CG_STORE_INVALID',
            'homeRealm',
          );
          assert.deepEqual(
            (await store.listIssuers()).map((entry) => entry.name),
            [issuer.name],
          );
          assert.deepEqual(await store.listRealms(), []);
        }));

      it('refuses duplicate realm URIs, bad reply URLs, unknown allowed issuers and unknown realms', () =>
        withStore(async ({ store }) => {
          const realm = await store.createRealm(
            { realmUri: 'urn:app:a', replyUrl: 'https://a.example.test/' },
            ACTOR,
          );
          await rejectsWith(
            store.createRealm({ realmUri: 'urn:app:a', replyUrl: 'https://b.example.test/' }, ACTOR),
            'CG_STORE_DUPLICATE',
            'realmUri',
          );
          await rejectsWith(
            store.createRealm({ realmUri: 'urn:app:b', replyUrl: 'javascript:alert(1)' }, ACTOR),
            'CG_STORE_INVALID',
            'replyUrl',
          );
          await rejectsWith(
            store.createRealm(
              {
                realmUri: 'urn:app:b',
                replyUrl: 'https://b.example.test/',
                allowedIssuerIds: ['no-such-issuer'],
              },
              ACTOR,
            ),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(
            store.updateRealm('no-such-realm', { homeRealm: 'x' }, ACTOR),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(store.deleteRealm('no-such-realm', ACTOR), 'CG_STORE_NOT_FOUND');
          assert.deepEqual(await store.listRealms(), [realm]);
        }));

      it('creates, updates and deletes claim mappings per issuer, auditing each change', () =>
        withStore(async ({ store }) => {
          const a = await store.createIssuer(issuerInput('a'), ACTOR);
          const b = await store.createIssuer(issuerInput('b'), ACTOR);
          const upn = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
          const mapping = await store.createClaimMapping(
            { issuerId: a.id, label: 'K2AAD', nameClaim: upn },
            ACTOR,
          );
          const other = await store.createClaimMapping(
            { issuerId: b.id, label: 'B', nameClaim: 'email' },
            ACTOR,
          );
          assert.equal(mapping.groupClaim, null);
          assert.deepEqual(await store.listClaimMappings(a.id), [mapping]);
          assert.deepEqual(byId(await store.listClaimMappings()), byId([mapping, other]));

          const updated = await store.updateClaimMapping(mapping.id, { groupClaim: 'groups' }, ACTOR);
          assert.equal(updated.groupClaim, 'groups');
          assert.equal(updated.nameClaim, upn);
          await store.deleteClaimMapping(mapping.id, ACTOR);
          assert.deepEqual(await store.listClaimMappings(a.id), []);

          const entries = await store.listAudit({ issuerId: a.id });
          assert.deepEqual(
            entries.map((entry) => entry.action),
            ['issuer.created', 'mapping.created', 'mapping.updated', 'mapping.deleted'],
          );
          assert.deepEqual(entries[2]?.before, JSON.parse(JSON.stringify(mapping)));
          await rejectsWith(
            store.createClaimMapping({ issuerId: 'no-such-issuer', label: 'X', nameClaim: 'upn' }, ACTOR),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(
            store.createClaimMapping({ issuerId: a.id, label: '', nameClaim: 'upn' }, ACTOR),
            'CG_STORE_INVALID',
            'label',
          );
          await rejectsWith(
            store.updateClaimMapping(mapping.id, { label: 'X' }, ACTOR),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(store.deleteClaimMapping(mapping.id, ACTOR), 'CG_STORE_NOT_FOUND');
        }));
    });

    describe('audit log', () => {
      it('appends entries and lists them oldest first, by issuer, since an instant, after an ID and up to a limit', () =>
        withStore(async ({ store, clock }) => {
          const a = await store.createIssuer(issuerInput('a'), ACTOR);
          clock.advance(60_000);
          const b = await store.createIssuer(issuerInput('b'), ACTOR);
          const later = clock.advance(60_000);
          const alert = await store.appendAudit({
            actor: 'rollover',
            action: 'alert.key-expiring',
            issuerId: a.id,
            subject: 'AB'.repeat(20),
            before: null,
            after: { daysLeft: 7 },
            refresh: null,
          });
          assert.deepEqual(alert.at, later);
          assert.deepEqual(alert.after, { daysLeft: 7 });
          const explicit = await store.appendAudit({
            actor: 'refresh',
            action: 'refresh.failed',
            issuerId: b.id,
            subject: null,
            before: null,
            after: null,
            refresh: {
              url: 'https://sts.example.test/m',
              httpStatus: 503,
              etag: null,
              sha256: null,
              outcome: 'failure',
              code: 'CG_META_FETCH_FAILED',
            },
            at: new Date(START.getTime() + 30_000),
          });
          assert.equal(explicit.refresh?.httpStatus, 503);

          const all = await store.listAudit();
          assert.equal(all.length, 4);
          assert.deepEqual(all.at(-2), alert);
          assert.deepEqual(all.at(-1), explicit);
          assert.ok(all.every((entry, index) => index === 0 || entry.id > (all[index - 1]?.id ?? 0)));
          assert.deepEqual(
            (await store.listAudit({ issuerId: a.id })).map((entry) => entry.action),
            ['issuer.created', 'alert.key-expiring'],
          );
          assert.deepEqual(
            (await store.listAudit({ since: later })).map((entry) => entry.id),
            [alert.id],
          );
          assert.deepEqual(
            (await store.listAudit({ afterId: all[1]?.id ?? 0 })).map((entry) => entry.id),
            [alert.id, explicit.id],
          );
          assert.deepEqual(
            (await store.listAudit({ limit: 2 })).map((entry) => entry.id),
            all.slice(0, 2).map((entry) => entry.id),
          );
          await rejectsWith(store.listAudit({ limit: 0 }), 'CG_STORE_INVALID', 'limit');
          await rejectsWith(
            store.appendAudit({
              actor: 'rollover',
              action: '',
              issuerId: null,
              subject: null,
              before: null,
              after: null,
              refresh: null,
            }),
            'CG_STORE_INVALID',
            'action',
          );
        }));
    });

    describe('refresh', () => {
      async function refreshFixture(store: Store, clock: TestClock) {
        const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
        const old = await store.addKey(
          { issuerId: issuer.id, sha1: hex(20), source: 'metadata', state: 'active' },
          'refresh',
        );
        const first: RefreshApplication = {
          issuerId: issuer.id,
          addKeys: [],
          updateKeys: [],
          snapshot: snapshotOf(issuer.id, clock.now(), 'first'),
          refreshState: refreshStateOf(issuer.id, clock.now(), 'success'),
          audit: [],
        };
        await store.applyRefresh(first);
        return { issuer, old };
      }

      it('applies added keys, key updates, the snapshot, the refresh state and audit entries together', () =>
        withStore(async ({ store, clock }) => {
          const [certificate] = await testCertificates();
          assert.ok(certificate);
          const { issuer, old } = await refreshFixture(store, clock);
          const changes: StoreChange[] = [];
          store.onChange((change) => changes.push(change));
          const at = clock.advance(3_600_000);
          const snapshot = snapshotOf(issuer.id, at, 'second');
          const refreshState = refreshStateOf(issuer.id, at, 'success');
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [
              {
                issuerId: issuer.id,
                certificateDer: certificate.der,
                source: 'metadata',
                state: 'announced',
                lastSeenInMetadataAt: at,
              },
            ],
            updateKeys: [{ keyId: old.id, state: 'retiring', lastSeenInMetadataAt: at }],
            snapshot,
            refreshState,
            audit: [
              {
                actor: 'refresh',
                action: 'key.added',
                issuerId: issuer.id,
                subject: 'new',
                before: null,
                after: null,
                refresh: null,
              },
              {
                actor: 'refresh',
                action: 'key.retiring',
                issuerId: issuer.id,
                subject: old.sha1,
                before: { state: 'active' },
                after: { state: 'retiring' },
                refresh: null,
              },
            ],
          });

          const keys = await store.listKeys(issuer.id);
          assert.equal(keys.length, 2);
          const added = keys.find((key) => key.id !== old.id);
          assert.equal(added?.state, 'announced');
          assert.equal(added?.addedBy, 'refresh');
          assert.deepEqual(added?.lastSeenInMetadataAt, at);
          const retiring = keys.find((key) => key.id === old.id);
          assert.equal(retiring?.state, 'retiring');
          assert.deepEqual(retiring?.stateChangedAt, at);
          assert.deepEqual(retiring?.lastSeenInMetadataAt, at);
          assert.deepEqual(await store.getMetadataSnapshot(issuer.id), snapshot);
          assert.deepEqual(await store.getRefreshState(issuer.id), refreshState);
          const audit = await store.listAudit({ issuerId: issuer.id });
          assert.deepEqual(
            audit.slice(-2).map((entry) => [entry.action, entry.at.getTime()]),
            [
              ['key.added', at.getTime()],
              ['key.retiring', at.getTime()],
            ],
          );
          assert.deepEqual(changes, [{ kind: 'key', issuerId: issuer.id }]);
        }));

      it('creates an issuer with its first keys, snapshot, refresh state and audit in one transaction', () =>
        withStore(async ({ store, clock }) => {
          const [certificate] = await testCertificates();
          assert.ok(certificate);
          const at = clock.now();
          const changes: StoreChange[] = [];
          store.onChange((change) => changes.push(change));
          const issuer = await store.createIssuer(
            issuerInput('a', { metadataUrl: 'https://sts.example.test/federationmetadata.xml' }),
            ACTOR,
            (created) => ({
              issuerId: created.id,
              addKeys: [
                {
                  issuerId: created.id,
                  certificateDer: certificate.der,
                  source: 'metadata',
                  state: 'announced',
                  lastSeenInMetadataAt: at,
                },
              ],
              updateKeys: [],
              snapshot: snapshotOf(created.id, at, 'first'),
              refreshState: refreshStateOf(created.id, at, 'success'),
              audit: [
                {
                  actor: ACTOR,
                  action: 'key.added',
                  issuerId: created.id,
                  subject: 'first',
                  before: null,
                  after: null,
                  refresh: null,
                },
              ],
            }),
          );
          assert.deepEqual(await store.getIssuer(issuer.id), issuer);
          const keys = await store.listKeys(issuer.id);
          assert.deepEqual(
            keys.map((key) => [key.state, key.source, key.addedBy]),
            [['announced', 'metadata', 'refresh']],
          );
          assert.equal((await store.getMetadataSnapshot(issuer.id))?.etag, '"first"');
          assert.equal((await store.getRefreshState(issuer.id))?.lastOutcome, 'success');
          assert.deepEqual(
            (await store.listAudit({ issuerId: issuer.id })).map((entry) => entry.action),
            ['issuer.created', 'key.added'],
          );
          assert.ok(changes.some((change) => change.kind === 'issuer' && change.issuerId === issuer.id));
        }));

      it('stores nothing when the first refresh of a new issuer is refused or cannot be applied', () =>
        withStore(async ({ store }) => {
          const refused = new Error('every key has expired');
          await assert.rejects(
            store.createIssuer(issuerInput('a'), ACTOR, () => {
              throw refused;
            }),
            (error: unknown) => error === refused,
          );
          await rejectsWith(
            store.createIssuer(issuerInput('a'), ACTOR, (created) => ({
              issuerId: '00000000-0000-4000-8000-000000000000',
              addKeys: [],
              updateKeys: [],
              snapshot: null,
              refreshState: refreshStateOf(created.id, START, 'success'),
              audit: [],
            })),
            'CG_STORE_INVALID',
            'firstRefresh.issuerId',
          );
          const sha1 = hex(20);
          await rejectsWith(
            store.createIssuer(issuerInput('a'), ACTOR, (created) => ({
              issuerId: created.id,
              addKeys: [
                { issuerId: created.id, sha1, source: 'metadata' },
                { issuerId: created.id, sha1, source: 'metadata' },
              ],
              updateKeys: [],
              snapshot: null,
              refreshState: refreshStateOf(created.id, START, 'success'),
              audit: [],
            })),
            'CG_STORE_DUPLICATE',
          );
          // A new issuer is never created holding a document for approval, with no keys meanwhile.
          await rejectsWith(
            store.createIssuer(issuerInput('a'), ACTOR, (created) => ({
              issuerId: created.id,
              addKeys: [],
              updateKeys: [],
              snapshot: null,
              refreshState: refreshStateOf(created.id, START, 'failure'),
              audit: [],
              pendingChange: pendingChangeOf(created.id, START, 'held'),
            })),
            'CG_STORE_INVALID',
            'firstRefresh.pendingChange',
          );
          assert.deepEqual(await store.listIssuers(), []);
          assert.deepEqual(await store.listKeys(), []);
          assert.deepEqual(await store.listPendingChanges(), []);
          assert.deepEqual(await store.listAudit(), []);
        }));

      it('keeps one last-known-good snapshot per issuer and keeps it through a failed refresh', () =>
        withStore(async ({ store, clock }) => {
          const { issuer } = await refreshFixture(store, clock);
          const at = clock.advance(60_000);
          const changes: StoreChange[] = [];
          store.onChange((change) => changes.push(change));
          const failed = refreshStateOf(issuer.id, at, 'failure');
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: null,
            refreshState: failed,
            audit: [],
          });
          assert.equal((await store.getMetadataSnapshot(issuer.id))?.etag, '"first"');
          assert.deepEqual(await store.getRefreshState(issuer.id), failed);
          assert.deepEqual(changes, [{ kind: 'refresh', issuerId: issuer.id }]);
          const replaced = snapshotOf(issuer.id, at, 'third');
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: replaced,
            refreshState: refreshStateOf(issuer.id, at, 'success'),
            audit: [],
          });
          assert.deepEqual(await store.getMetadataSnapshot(issuer.id), replaced);
        }));

      it('leaves keys, snapshot, refresh state and audit untouched when any part of a refresh fails', () =>
        withStore(async ({ store, clock }) => {
          const { issuer, old } = await refreshFixture(store, clock);
          const other = await store.createIssuer(issuerInput('b'), ACTOR);
          const foreign = await store.addKey({ issuerId: other.id, sha1: hex(20), source: 'manual' }, ACTOR);
          const before = {
            keys: await store.listKeys(),
            snapshot: await store.getMetadataSnapshot(issuer.id),
            state: await store.getRefreshState(issuer.id),
            audit: await store.listAudit(),
          };
          const changes: StoreChange[] = [];
          store.onChange((change) => changes.push(change));
          const at = clock.advance(60_000);
          const base: RefreshApplication = {
            issuerId: issuer.id,
            addKeys: [{ issuerId: issuer.id, sha1: hex(20), source: 'metadata' }],
            updateKeys: [{ keyId: old.id, state: 'retired' }],
            snapshot: snapshotOf(issuer.id, at, 'broken'),
            refreshState: refreshStateOf(issuer.id, at, 'success'),
            audit: [
              {
                actor: 'refresh',
                action: 'key.added',
                issuerId: issuer.id,
                subject: null,
                before: null,
                after: null,
                refresh: null,
              },
            ],
          };
          const duplicate = hex(20);
          await rejectsWith(
            store.applyRefresh({
              ...base,
              addKeys: [
                ...base.addKeys,
                { issuerId: issuer.id, sha1: duplicate, source: 'metadata' },
                { issuerId: issuer.id, sha1: duplicate, source: 'metadata' },
              ],
            }),
            'CG_STORE_DUPLICATE',
            'sha1',
          );
          await rejectsWith(
            store.applyRefresh({
              ...base,
              updateKeys: [...base.updateKeys, { keyId: foreign.id, state: 'revoked' }],
            }),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(
            store.applyRefresh({
              ...base,
              addKeys: [{ issuerId: other.id, sha1: hex(20), source: 'metadata' }],
            }),
            'CG_STORE_INVALID',
          );
          await rejectsWith(
            store.applyRefresh({
              ...base,
              audit: [...base.audit, { ...base.audit[0]!, actor: '' }],
            }),
            'CG_STORE_INVALID',
            'actor',
          );
          const unknown = '00000000-0000-4000-8000-000000000000';
          await rejectsWith(
            store.applyRefresh({
              issuerId: unknown,
              addKeys: [],
              updateKeys: [],
              snapshot: null,
              refreshState: refreshStateOf(unknown, at, 'failure'),
              audit: base.audit,
            }),
            'CG_STORE_NOT_FOUND',
          );
          assert.deepEqual(await store.listKeys(), before.keys);
          assert.deepEqual(await store.getMetadataSnapshot(issuer.id), before.snapshot);
          assert.deepEqual(await store.getRefreshState(issuer.id), before.state);
          assert.deepEqual(await store.listAudit(), before.audit);
          assert.deepEqual(changes, []);
        }));
    });

    describe('claim types of accepted tokens', () => {
      it('keeps the claim types of the last accepted token, writing only when the set changes', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          assert.equal(await store.getTokenClaimTypes(issuer.id), undefined);
          const first = clock.now();
          assert.equal(await store.recordTokenClaimTypes(issuer.id, ['upn', 'groups', 'upn'], first), true);
          assert.deepEqual(await store.getTokenClaimTypes(issuer.id), {
            issuerId: issuer.id,
            claimTypes: ['groups', 'upn'],
            since: first,
          });
          // The same set again, in another order: no write, the first sighting stands.
          assert.equal(
            await store.recordTokenClaimTypes(issuer.id, ['upn', 'groups'], clock.advance(60_000)),
            false,
          );
          assert.deepEqual((await store.getTokenClaimTypes(issuer.id))?.since, first);
          const renamed = clock.advance(60_000);
          assert.equal(await store.recordTokenClaimTypes(issuer.id, ['name', 'roles'], renamed), true);
          assert.deepEqual(await store.getTokenClaimTypes(issuer.id), {
            issuerId: issuer.id,
            claimTypes: ['name', 'roles'],
            since: renamed,
          });
          // Bookkeeping, not a change of trust: nothing audited.
          assert.deepEqual(
            (await store.listAudit()).map((entry) => entry.action),
            ['issuer.created'],
          );
          await rejectsWith(
            store.recordTokenClaimTypes('00000000-0000-4000-8000-000000000000', ['upn'], renamed),
            'CG_STORE_NOT_FOUND',
          );
          await rejectsWith(store.recordTokenClaimTypes(issuer.id, [''], renamed), 'CG_STORE_INVALID');
          await store.deleteIssuer(issuer.id, ACTOR);
          assert.equal(await store.getTokenClaimTypes(issuer.id), undefined);
        }));
    });

    describe('signed assertions', () => {
      it('requires SAML 2.0 assertions signed themselves by default, and changes it with an audit entry', () =>
        withStore(async ({ store }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          assert.equal(issuer.requireSignedAssertion, true);
          const relaxed = await store.createIssuer(
            issuerInput('b', { requireSignedAssertion: false }),
            ACTOR,
          );
          assert.equal((await store.getIssuer(relaxed.id))?.requireSignedAssertion, false);
          const updated = await store.updateIssuer(issuer.id, { requireSignedAssertion: false }, ACTOR);
          assert.equal(updated.requireSignedAssertion, false);
          assert.equal((await store.getIssuer(issuer.id))?.requireSignedAssertion, false);
          const entry = (await store.listAudit({ issuerId: issuer.id })).at(-1);
          assert.equal((entry?.after as { requireSignedAssertion: boolean }).requireSignedAssertion, false);
          await rejectsWith(
            store.updateIssuer(issuer.id, { requireSignedAssertion: 'yes' as never }, ACTOR),
            'CG_STORE_INVALID',
            'requireSignedAssertion',
          );
        }));
    });

    describe('e-mail domains', () => {
      it('stores domains lower case, in ASCII, without trailing dot or repeats, sorted; none by default', () =>
        withStore(async ({ store }) => {
          const plain = await store.createIssuer(issuerInput('a'), ACTOR);
          assert.deepEqual(plain.domains, []);
          const issuer = await store.createIssuer(
            issuerInput('b', {
              domains: ['Fabrikam.CO.UK.', 'bücher.example', 'contoso.com', 'CONTOSO.com'],
            }),
            ACTOR,
          );
          assert.deepEqual(issuer.domains, ['contoso.com', 'fabrikam.co.uk', 'xn--bcher-kva.example']);
          assert.deepEqual((await store.getIssuer(issuer.id))?.domains, issuer.domains);
          assert.deepEqual(
            (await store.listIssuers()).find((listed) => listed.id === issuer.id)?.domains,
            issuer.domains,
          );
          const entry = (await store.listAudit({ issuerId: issuer.id })).at(-1);
          assert.deepEqual((entry?.after as { domains: string[] }).domains, issuer.domains);
        }));

      it('finds the issuer holding a domain, and nothing for a domain nobody holds or a subdomain', () =>
        withStore(async ({ store }) => {
          const a = await store.createIssuer(issuerInput('a', { domains: ['contoso.com'] }), ACTOR);
          const b = await store.createIssuer(
            issuerInput('b', { domains: ['fabrikam.com', 'xn--bcher-kva.example'] }),
            ACTOR,
          );
          assert.deepEqual(await store.findIssuerByDomain('contoso.com'), a);
          assert.deepEqual(await store.findIssuerByDomain('fabrikam.com'), b);
          assert.deepEqual(await store.findIssuerByDomain('xn--bcher-kva.example'), b);
          assert.equal(await store.findIssuerByDomain('mail.contoso.com'), undefined);
          assert.equal(await store.findIssuerByDomain('example.com'), undefined);
        }));

      it('refuses what is not a DNS name with CG_STORE_INVALID naming the entry, and more than 200 domains', () =>
        withStore(async ({ store }) => {
          const refused = [
            'bob@contoso.com',
            '*.contoso.com',
            '192.0.2.1',
            '0x7f.1',
            '[::1]',
            'contoso..com',
            '-contoso.com',
            'con_toso.com',
            'contoso.com/x',
            ' contoso.com',
            `${'a'.repeat(64)}.com`,
            `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
            '',
          ];
          for (const domain of refused) {
            await rejectsWith(
              store.createIssuer(issuerInput('a', { domains: ['ok.example', domain] }), ACTOR),
              'CG_STORE_INVALID',
              domain === '' ? 'domains' : 'domains[1]',
            );
          }
          const many = Array.from({ length: 201 }, (_, index) => `d${index}.example`);
          await rejectsWith(
            store.createIssuer(issuerInput('a', { domains: many }), ACTOR),
            'CG_STORE_INVALID',
          );
          const issuer = await store.createIssuer(issuerInput('a', { domains: many.slice(0, 200) }), ACTOR);
          assert.equal(issuer.domains.length, 200);
          // 253 characters is the longest name.
          const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
          const updated = await store.updateIssuer(issuer.id, { domains: [longest] }, ACTOR);
          assert.deepEqual(updated.domains, [longest]);
          assert.equal((await store.listIssuers()).length, 1);
        }));

      it('gives a domain to one issuer: a second claim is refused naming the holder, and writes nothing', () =>
        withStore(async ({ store }) => {
          const a = await store.createIssuer(issuerInput('a', { domains: ['contoso.com'] }), ACTOR);
          const b = await store.createIssuer(issuerInput('b', { domains: ['fabrikam.com'] }), ACTOR);
          // One at a time: both started at once, the second could reject before anything awaited it.
          for (const attempt of [
            () => store.createIssuer(issuerInput('c', { domains: ['example.org', 'CONTOSO.com.'] }), ACTOR),
            () => store.updateIssuer(b.id, { domains: ['fabrikam.com', 'contoso.com'] }, ACTOR),
          ]) {
            await assert.rejects(attempt(), (error: unknown) => {
              assert.ok(isClaimsgateError(error, 'CG_STORE_DUPLICATE'));
              assert.equal(error.detail['field'], 'domains');
              assert.equal(error.detail['observed'], 'contoso.com');
              assert.equal(error.detail['holder'], 'contoso-a');
              assert.match(error.message, /contoso\.com.*contoso-a/);
              return true;
            });
          }
          assert.equal(await store.getIssuer('contoso-c'), undefined);
          assert.equal(await store.findIssuerByDomain('example.org'), undefined);
          assert.deepEqual((await store.getIssuer(b.id))?.domains, ['fabrikam.com']);
          assert.equal((await store.findIssuerByDomain('contoso.com'))?.id, a.id);
          assert.equal((await store.findIssuerByDomain('fabrikam.com'))?.id, b.id);
        }));

      it('moves domains with an update, frees those dropped, and frees all with the issuer', () =>
        withStore(async ({ store }) => {
          const a = await store.createIssuer(
            issuerInput('a', { domains: ['contoso.com', 'contoso.net'] }),
            ACTOR,
          );
          const b = await store.createIssuer(issuerInput('b'), ACTOR);
          const kept = await store.updateIssuer(a.id, { domains: ['contoso.net', 'contoso.org'] }, ACTOR);
          assert.deepEqual(kept.domains, ['contoso.net', 'contoso.org']);
          assert.equal(await store.findIssuerByDomain('contoso.com'), undefined);
          assert.equal((await store.findIssuerByDomain('contoso.org'))?.id, a.id);
          // The same domains in another spelling are no change: no new version.
          const same = await store.updateIssuer(a.id, { domains: ['CONTOSO.ORG', 'contoso.net.'] }, ACTOR);
          assert.equal(same.version, kept.version);
          await store.updateIssuer(b.id, { domains: ['contoso.com'] }, ACTOR);
          assert.equal((await store.findIssuerByDomain('contoso.com'))?.id, b.id);
          const cleared = await store.updateIssuer(a.id, { domains: [] }, ACTOR);
          assert.deepEqual(cleared.domains, []);
          assert.equal(await store.findIssuerByDomain('contoso.net'), undefined);
          await store.deleteIssuer(b.id, ACTOR);
          assert.equal(await store.findIssuerByDomain('contoso.com'), undefined);
          const c = await store.createIssuer(issuerInput('c', { domains: ['contoso.com'] }), ACTOR);
          assert.equal((await store.findIssuerByDomain('contoso.com'))?.id, c.id);
        }));

      it('lets exactly one of several concurrent claims of a domain win', () =>
        withStore(async ({ store }) => {
          const issuers = [];
          for (const suffix of ['a', 'b', 'c', 'd', 'e', 'f'])
            issuers.push(await store.createIssuer(issuerInput(suffix), ACTOR));
          const claims = await Promise.allSettled([
            ...issuers.map((issuer) =>
              store.updateIssuer(issuer.id, { domains: ['contested.example'] }, ACTOR),
            ),
            store.createIssuer(issuerInput('g', { domains: ['contested.example'] }), ACTOR),
          ]);
          const won = claims.filter((claim) => claim.status === 'fulfilled');
          assert.equal(won.length, 1, 'one claim wins');
          for (const claim of claims) {
            if (claim.status === 'rejected')
              assert.ok(isClaimsgateError(claim.reason, 'CG_STORE_DUPLICATE'), String(claim.reason));
          }
          const holder = await store.findIssuerByDomain('contested.example');
          const holders = (await store.listIssuers()).filter((issuer) =>
            issuer.domains.includes('contested.example'),
          );
          assert.deepEqual(
            holders.map((issuer) => issuer.id),
            [holder?.id],
          );
        }));
    });

    describe('key continuity', () => {
      it('gives an issuer the auto discontinuity policy, changes it with an audit entry and refuses an unknown one', () =>
        withStore(async ({ store }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          assert.equal(issuer.discontinuityPolicy, 'auto');
          const held = await store.createIssuer(issuerInput('b', { discontinuityPolicy: 'hold' }), ACTOR);
          assert.equal((await store.getIssuer(held.id))?.discontinuityPolicy, 'hold');
          const updated = await store.updateIssuer(
            issuer.id,
            { discontinuityPolicy: 'accept-with-alert' },
            ACTOR,
            1,
          );
          assert.equal(updated.discontinuityPolicy, 'accept-with-alert');
          assert.equal(updated.version, 2);
          const entry = (await store.listAudit({ issuerId: issuer.id })).at(-1);
          assert.equal(entry?.action, 'issuer.updated');
          assert.equal(
            (entry?.after as { discontinuityPolicy: string }).discontinuityPolicy,
            'accept-with-alert',
          );
          await rejectsWith(
            store.updateIssuer(issuer.id, { discontinuityPolicy: 'never' as never }, ACTOR),
            'CG_STORE_INVALID',
            'discontinuityPolicy',
          );
          await rejectsWith(
            store.createIssuer(issuerInput('c', { discontinuityPolicy: 'HOLD' as never }), ACTOR),
            'CG_STORE_INVALID',
            'discontinuityPolicy',
          );
          assert.equal((await store.getIssuer(issuer.id))?.discontinuityPolicy, 'accept-with-alert');
        }));

      it('starts a refresh key’s probation when it is added and again when a refresh brings it back from retired, revoked or expired; an administrator’s key and restoration end it', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const added = clock.now();
          const manual = await store.addKey({ issuerId: issuer.id, sha1: hex(20), source: 'manual' }, ACTOR);
          assert.equal(manual.probationFrom, null, 'an administrator vouches for the key they add');
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [{ issuerId: issuer.id, sha1: hex(20), source: 'metadata', state: 'announced' }],
            updateKeys: [],
            snapshot: null,
            refreshState: refreshStateOf(issuer.id, added, 'success'),
            audit: [],
          });
          const brought = (await store.listKeys(issuer.id)).find((key) => key.id !== manual.id);
          assert.ok(brought);
          assert.equal(brought.addedBy, 'refresh');
          assert.deepEqual(brought.probationFrom, added);

          const refreshTo = async (state: KeyRecord['state'], at: Date): Promise<KeyRecord | undefined> => {
            await store.applyRefresh({
              issuerId: issuer.id,
              addKeys: [],
              updateKeys: [{ keyId: brought.id, state }],
              snapshot: null,
              refreshState: refreshStateOf(issuer.id, at, 'success'),
              audit: [],
            });
            return store.getKey(brought.id);
          };
          // Within usable states and out of them, the probation runs on from when it began.
          assert.deepEqual((await refreshTo('active', clock.advance(1000)))?.probationFrom, added);
          assert.deepEqual((await refreshTo('retiring', clock.advance(1000)))?.probationFrom, added);
          assert.deepEqual((await refreshTo('retired', clock.advance(1000)))?.probationFrom, added);
          // Back into a usable state from each unusable one: it starts again.
          let back = clock.advance(86_400_000);
          assert.deepEqual((await refreshTo('announced', back))?.probationFrom, back);
          await store.setKeyState(brought.id, 'expired', 'rollover', 'test');
          assert.deepEqual((await store.getKey(brought.id))?.probationFrom, back);
          back = clock.advance(86_400_000);
          assert.deepEqual((await refreshTo('active', back))?.probationFrom, back);
          // An administrator who makes it usable again vouches for it, as for a key they add.
          await store.setKeyState(brought.id, 'revoked', ACTOR, 'compromised?');
          clock.advance(1000);
          const restored = await store.setKeyState(brought.id, 'active', ACTOR, 'it was not');
          assert.equal(restored.probationFrom, null);
          assert.deepEqual(await store.getKey(brought.id), restored);
          // …until it leaves the trust and a refresh brings it back.
          await refreshTo('retired', clock.advance(1000));
          assert.equal((await store.getKey(brought.id))?.probationFrom, null);
          back = clock.advance(1000);
          assert.deepEqual((await refreshTo('announced', back))?.probationFrom, back);
        }));

      it('never moves a revoked key, whatever state a refresh planned before the revocation asks for', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [{ issuerId: issuer.id, sha1: hex(20), source: 'metadata', state: 'active' }],
            updateKeys: [],
            snapshot: null,
            refreshState: refreshStateOf(issuer.id, clock.now(), 'success'),
            audit: [],
          });
          const [key] = await store.listKeys(issuer.id);
          assert.ok(key);
          const revoked = await store.setKeyState(key.id, 'revoked', ACTOR, 'leaked');
          for (const state of ['active', 'announced', 'retiring', 'retired', 'expired'] as const) {
            const at = clock.advance(1000);
            await store.applyRefresh({
              issuerId: issuer.id,
              addKeys: [],
              updateKeys: [{ keyId: key.id, state, lastSeenInMetadataAt: at }],
              snapshot: null,
              refreshState: refreshStateOf(issuer.id, at, 'success'),
              audit: [],
            });
            const after = await store.getKey(key.id);
            assert.equal(after?.state, 'revoked', state);
            assert.deepEqual(after?.stateChangedAt, revoked.stateChangedAt);
            assert.deepEqual(after?.probationFrom, revoked.probationFrom);
            assert.deepEqual(after?.lastSeenInMetadataAt, at, 'what the document shows is still recorded');
          }
        }));

      it('sets, keeps, replaces and clears the pending change with the refresh that decides it', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const other = await store.createIssuer(issuerInput('b'), ACTOR);
          assert.equal(await store.getPendingChange(issuer.id), undefined);
          const at = clock.advance(60_000);
          const held = pendingChangeOf(issuer.id, at, 'attacker');
          const failed = refreshStateOf(issuer.id, at, 'failure');
          const base: RefreshApplication = {
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: null,
            refreshState: failed,
            audit: [],
          };
          await store.applyRefresh({ ...base, pendingChange: held });
          assert.deepEqual(await store.getPendingChange(issuer.id), held);
          assert.deepEqual(await store.listPendingChanges(), [held]);
          assert.equal(await store.getPendingChange(other.id), undefined);

          // Left as it is when the application does not say.
          await store.applyRefresh(base);
          assert.deepEqual(await store.getPendingChange(issuer.id), held);

          const newer = pendingChangeOf(issuer.id, clock.advance(60_000), 'another');
          await store.applyRefresh({ ...base, pendingChange: newer });
          assert.deepEqual(await store.getPendingChange(issuer.id), newer);

          await store.applyRefresh({ ...base, pendingChange: null });
          assert.equal(await store.getPendingChange(issuer.id), undefined);
          assert.deepEqual(await store.listPendingChanges(), []);
        }));

      it('refuses a pending change of another issuer or with a bad digest, applying nothing', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const other = await store.createIssuer(issuerInput('b'), ACTOR);
          const at = clock.advance(60_000);
          const base: RefreshApplication = {
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: null,
            refreshState: refreshStateOf(issuer.id, at, 'failure'),
            audit: [],
          };
          await rejectsWith(
            store.applyRefresh({ ...base, pendingChange: pendingChangeOf(other.id, at, 'x') }),
            'CG_STORE_INVALID',
            'pendingChange.issuerId',
          );
          await rejectsWith(
            store.applyRefresh({
              ...base,
              pendingChange: { ...pendingChangeOf(issuer.id, at, 'x'), sha256: 'zz' },
            }),
            'CG_STORE_INVALID',
            'pendingChange.sha256',
          );
          await rejectsWith(
            store.applyRefresh({
              ...base,
              pendingChange: { ...pendingChangeOf(issuer.id, at, 'x'), reason: 'because' as never },
            }),
            'CG_STORE_INVALID',
            'pendingChange.reason',
          );
          assert.equal(await store.getRefreshState(issuer.id), undefined);
          assert.deepEqual(await store.listPendingChanges(), []);
        }));

      it('records an approval or rejection of exactly the document reviewed, audited and broadcast', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const held = pendingChangeOf(issuer.id, clock.now(), 'attacker');
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: null,
            refreshState: refreshStateOf(issuer.id, clock.now(), 'failure'),
            audit: [],
            pendingChange: held,
          });
          const changes: StoreChange[] = [];
          store.onChange((change) => changes.push(change));
          const auditBefore = (await store.listAudit()).length;

          // A digest that is not the pending document's: someone reviewed another (older) document.
          await rejectsWith(
            store.decidePendingChange(issuer.id, 'ee'.repeat(32), 'approved', ACTOR),
            'CG_STORE_CONFLICT',
          );
          await rejectsWith(
            store.decidePendingChange(issuer.id, 'not a digest', 'approved', ACTOR),
            'CG_STORE_INVALID',
            'sha256',
          );
          await rejectsWith(
            store.decidePendingChange(issuer.id, held.sha256, 'pending' as never, ACTOR),
            'CG_STORE_INVALID',
            'decision',
          );
          const unknown = '00000000-0000-4000-8000-000000000000';
          await rejectsWith(
            store.decidePendingChange(unknown, held.sha256, 'approved', ACTOR),
            'CG_STORE_NOT_FOUND',
          );
          assert.deepEqual(await store.getPendingChange(issuer.id), held);
          assert.equal((await store.listAudit()).length, auditBefore);

          const at = clock.advance(120_000);
          const approved = await store.decidePendingChange(
            issuer.id,
            held.sha256.toUpperCase(),
            'approved',
            ACTOR,
          );
          assert.equal(approved.decision, 'approved');
          assert.equal(approved.decidedBy, ACTOR);
          assert.deepEqual(approved.decidedAt, at);
          assert.deepEqual(await store.getPendingChange(issuer.id), approved);
          // The same decision again changes nothing.
          await store.decidePendingChange(issuer.id, held.sha256, 'approved', ACTOR);
          const rejected = await store.decidePendingChange(issuer.id, held.sha256, 'rejected', 'admin:bob');
          assert.equal(rejected.decision, 'rejected');
          assert.equal(rejected.decidedBy, 'admin:bob');

          const entries = (await store.listAudit({ issuerId: issuer.id })).slice(auditBefore - 1);
          assert.deepEqual(
            entries
              .filter((entry) => entry.action.startsWith('change.'))
              .map((entry) => [entry.action, entry.actor]),
            [
              ['change.approved', ACTOR],
              ['change.rejected', 'admin:bob'],
            ],
          );
          const approval = entries.find((entry) => entry.action === 'change.approved');
          assert.equal(approval?.subject, held.sha256);
          assert.deepEqual(approval?.before, { decision: 'pending' });
          assert.deepEqual((approval?.after as { keys: string[] }).keys, ['AB'.repeat(20), 'kid:k1']);
          await new Promise((resolve) => setTimeout(resolve, 20));
          assert.deepEqual(changes, [
            { kind: 'pending-change', issuerId: issuer.id },
            { kind: 'pending-change', issuerId: issuer.id },
          ]);
        }));

      it('refuses a decision with CG_STORE_NOT_FOUND when the issuer has no pending change, and drops it with its issuer', () =>
        withStore(async ({ store, clock }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const held = pendingChangeOf(issuer.id, clock.now(), 'attacker');
          await rejectsWith(
            store.decidePendingChange(issuer.id, held.sha256, 'rejected', ACTOR),
            'CG_STORE_NOT_FOUND',
          );
          await store.applyRefresh({
            issuerId: issuer.id,
            addKeys: [],
            updateKeys: [],
            snapshot: null,
            refreshState: refreshStateOf(issuer.id, clock.now(), 'failure'),
            audit: [],
            pendingChange: held,
          });
          await store.deleteIssuer(issuer.id, ACTOR);
          assert.deepEqual(await store.listPendingChanges(), []);
        }));
    });

    describe('replay detection', () => {
      it('accepts a new ID once, refuses it while it lives, and accepts it again once expired', () =>
        withStore(async ({ store }) => {
          const now = START;
          const expiresAt = new Date(now.getTime() + 300_000);
          assert.equal(await store.checkAndStoreReplay('_assertion-1', expiresAt, now), true);
          assert.equal(await store.checkAndStoreReplay('_assertion-1', expiresAt, now), false);
          assert.equal(await store.checkAndStoreReplay('_assertion-2', expiresAt, now), true);
          const later = new Date(now.getTime() + 299_999);
          assert.equal(await store.checkAndStoreReplay('_assertion-1', expiresAt, later), false);
          const expired = new Date(expiresAt.getTime());
          const nextExpiry = new Date(expired.getTime() + 300_000);
          assert.equal(await store.checkAndStoreReplay('_assertion-1', nextExpiry, expired), true);
          assert.equal(await store.checkAndStoreReplay('_assertion-1', nextExpiry, expired), false);
        }));

      it('gives true to exactly one of many concurrent calls with one ID', () =>
        withStore(async ({ store }) => {
          const expiresAt = new Date(START.getTime() + 60_000);
          const results = await Promise.all(
            Array.from({ length: 20 }, () => store.checkAndStoreReplay('_race', expiresAt, START)),
          );
          assert.equal(results.filter(Boolean).length, 1);
        }));

      it('purges expired IDs and reports how many', () =>
        withStore(async ({ store }) => {
          await store.checkAndStoreReplay('a', new Date(START.getTime() + 1000), START);
          await store.checkAndStoreReplay('b', new Date(START.getTime() + 2000), START);
          await store.checkAndStoreReplay('c', new Date(START.getTime() + 9000), START);
          assert.equal(await store.purgeReplays(new Date(START.getTime() + 2000)), 2);
          assert.equal(await store.purgeReplays(new Date(START.getTime() + 2000)), 0);
          assert.equal(await store.checkAndStoreReplay('c', new Date(START.getTime() + 9000), START), false);
          await rejectsWith(store.checkAndStoreReplay('', new Date(), START), 'CG_STORE_INVALID', 'id');
        }));
    });

    describe('refresh lock', () => {
      it('gives undefined at once to a second caller while the lock is held, and releases it after', () =>
        withStore(async ({ store }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          const other = await store.createIssuer(issuerInput('b'), ACTOR);
          let release: () => void = () => undefined;
          const gate = new Promise<void>((resolve) => {
            release = resolve;
          });
          const first = store.withRefreshLock(issuer.id, async () => {
            await gate;
            return 'first';
          });
          await new Promise((resolve) => setTimeout(resolve, 20));
          assert.equal(await store.withRefreshLock(issuer.id, () => Promise.resolve('second')), undefined);
          assert.equal(await store.withRefreshLock(other.id, () => Promise.resolve('other')), 'other');
          release();
          assert.equal(await first, 'first');
          assert.equal(await store.withRefreshLock(issuer.id, () => Promise.resolve('third')), 'third');
        }));

      it('releases the lock when the task fails', () =>
        withStore(async ({ store }) => {
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          await assert.rejects(
            store.withRefreshLock(issuer.id, () => Promise.reject(new Error('fetch failed'))),
            /fetch failed/,
          );
          assert.equal(await store.withRefreshLock(issuer.id, () => Promise.resolve(1)), 1);
        }));
    });

    describe('change notifications', () => {
      it('tells listeners of each committed change with its kind and issuer, and nothing for a refused one', () =>
        withStore(async ({ store }) => {
          const changes: StoreChange[] = [];
          const seen: (string | undefined)[] = [];
          const unsubscribe = store.onChange((change) => {
            changes.push(change);
            if (change.kind === 'issuer' && change.issuerId !== null)
              void store.getIssuer(change.issuerId).then((issuer) => seen.push(issuer?.name));
          });
          const issuer = await store.createIssuer(issuerInput('a'), ACTOR);
          await rejectsWith(store.createIssuer(issuerInput('a'), ACTOR), 'CG_STORE_DUPLICATE');
          const key = await store.addKey({ issuerId: issuer.id, sha1: hex(20), source: 'manual' }, ACTOR);
          await store.setKeyState(key.id, 'retired', ACTOR);
          const realm = await store.createRealm(
            { realmUri: 'urn:app', replyUrl: 'https://app.test/' },
            ACTOR,
          );
          await store.updateRealm(realm.id, { homeRealm: 'contoso-a' }, ACTOR);
          const mapping = await store.createClaimMapping(
            { issuerId: issuer.id, label: 'L', nameClaim: 'upn' },
            ACTOR,
          );
          await store.updateIssuer(issuer.id, { description: 'changed' }, ACTOR);
          await new Promise((resolve) => setTimeout(resolve, 20));
          unsubscribe();
          await store.deleteClaimMapping(mapping.id, ACTOR);
          assert.deepEqual(changes, [
            { kind: 'issuer', issuerId: issuer.id },
            { kind: 'key', issuerId: issuer.id },
            { kind: 'key', issuerId: issuer.id },
            { kind: 'realm', issuerId: null },
            { kind: 'realm', issuerId: null },
            { kind: 'mapping', issuerId: issuer.id },
            { kind: 'issuer', issuerId: issuer.id },
          ]);
          assert.deepEqual(seen, ['contoso-a', 'contoso-a'], 'a listener reads the committed change');
        }));
    });

    describe('durability', () => {
      it('keeps every record, the snapshot, the refresh state and the audit log through close and reopen', async () => {
        counter += 1;
        const clock = new TestClock();
        const context: StoreContractContext = { now: clock.now, database: `cg_${run}_${counter}` };
        const [certificate] = await testCertificates();
        assert.ok(certificate);
        const first = await open(context);
        let expected: {
          issuers: unknown;
          keys: KeyRecord[];
          realms: unknown;
          mappings: unknown;
          audit: unknown;
          snapshot: unknown;
          state: unknown;
        };
        try {
          const issuer = await first.createIssuer(issuerInput('a', { allowedTenants: ['t1'] }), ACTOR);
          await first.addKey(
            { issuerId: issuer.id, certificateDer: certificate.der, source: 'manual' },
            ACTOR,
          );
          await first.createRealm(
            { realmUri: 'urn:app', replyUrl: 'https://app.test/', allowedIssuerIds: [issuer.id] },
            ACTOR,
          );
          await first.createClaimMapping({ issuerId: issuer.id, label: 'L', nameClaim: 'upn' }, ACTOR);
          await first.applyRefresh({
            issuerId: issuer.id,
            addKeys: [{ issuerId: issuer.id, kid: 'k1', jwk: { kty: 'EC' }, source: 'metadata' }],
            updateKeys: [],
            snapshot: snapshotOf(issuer.id, clock.now(), 'kept'),
            refreshState: refreshStateOf(issuer.id, clock.now(), 'success'),
            audit: [],
          });
          await first.checkAndStoreReplay('_kept', new Date(START.getTime() + 60_000), START);
          expected = {
            issuers: await first.listIssuers(),
            keys: byId(await first.listKeys()),
            realms: await first.listRealms(),
            mappings: await first.listClaimMappings(),
            audit: await first.listAudit(),
            snapshot: await first.getMetadataSnapshot(issuer.id),
            state: await first.getRefreshState(issuer.id),
          };
        } finally {
          await first.close();
        }
        const second = await open(context);
        try {
          const issuers = await second.listIssuers();
          assert.deepEqual(issuers, expected.issuers);
          const issuerId = issuers[0]?.id ?? '';
          assert.deepEqual(byId(await second.listKeys()), expected.keys);
          assert.deepEqual(await second.listRealms(), expected.realms);
          assert.deepEqual(await second.listClaimMappings(), expected.mappings);
          assert.deepEqual(await second.listAudit(), expected.audit);
          assert.deepEqual(await second.getMetadataSnapshot(issuerId), expected.snapshot);
          assert.deepEqual(await second.getRefreshState(issuerId), expected.state);
          assert.equal(
            await second.checkAndStoreReplay('_kept', new Date(START.getTime() + 60_000), START),
            false,
          );
        } finally {
          await second.close();
        }
      });

      it('refuses use after close with CG_STORE_UNAVAILABLE', () =>
        withStore(async ({ store }) => {
          await store.close();
          await rejectsWith(store.listIssuers(), 'CG_STORE_UNAVAILABLE');
          await store.close();
        }));
    });
  });
}
