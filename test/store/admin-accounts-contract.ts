import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import type { StoreChange } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';
import type { StoreContractContext } from './store-contract.js';

const START = new Date('2026-03-01T09:00:00.000Z');
const ACTOR = 'cli:root';

/** A hash of the stored form; the store checks the form only, so no scrypt run is needed here. */
function fakeHash(): string {
  return `scrypt$15$8$1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isClaimsgateError(error), `expected a ClaimsgateError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.detail['field'], field);
    return true;
  });
}

/** The whole audit log as text, to search for what must never be in it. */
async function auditText(store: Store): Promise<string> {
  return JSON.stringify(await store.listAudit());
}

/**
 * The behaviour of the admin-account part of every {@link Store} backend, as
 * one suite; a backend's test file runs it as it runs the main store contract.
 *
 * @param open opens the database named by `context.database` with the context's clock.
 * @param cleanup runs once after the suite.
 */
export function runAdminAccountsContract(
  name: string,
  open: (context: StoreContractContext) => Promise<Store>,
  cleanup?: () => Promise<void>,
): void {
  const run = `${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
  let counter = 0;

  interface Fixture {
    readonly store: Store;
    readonly context: StoreContractContext;
    readonly advance: (ms: number) => Date;
  }

  async function withStore(test: (fixture: Fixture) => Promise<void>): Promise<void> {
    counter += 1;
    let at = START.getTime();
    const context: StoreContractContext = { now: () => new Date(at), database: `cga_${run}_${counter}` };
    const store = await open(context);
    try {
      await test({
        store,
        context,
        advance: (ms) => {
          at += ms;
          return new Date(at);
        },
      });
    } finally {
      await store.close();
    }
  }

  describe(`admin accounts contract: ${name}`, () => {
    after(async () => {
      await cleanup?.();
    });

    it('creates an account under its lower-cased name with an admin.created entry that holds no hash', () =>
      withStore(async ({ store }) => {
        const hash = fakeHash();
        const account = await store.createAdminAccount(
          { username: 'Alice.Admin@Contoso', passwordHash: hash },
          ACTOR,
        );
        assert.equal(account.username, 'alice.admin@contoso');
        assert.equal(account.passwordHash, hash);
        assert.deepEqual(account.createdAt, START);
        assert.deepEqual(account.updatedAt, START);
        assert.equal(account.lastLoginAt, null);
        const [entry, ...rest] = await store.listAudit();
        assert.equal(rest.length, 0);
        assert.equal(entry?.action, 'admin.created');
        assert.equal(entry?.actor, ACTOR);
        assert.equal(entry?.subject, 'alice.admin@contoso');
        assert.equal(entry?.issuerId, null);
        assert.deepEqual(entry?.after, {
          id: account.id,
          username: 'alice.admin@contoso',
          createdAt: START.toISOString(),
          updatedAt: START.toISOString(),
          lastLoginAt: null,
        });
        const salt = hash.split('$')[4]!;
        assert.ok(!(await auditText(store)).includes(salt), 'the audit log holds part of the hash');
      }));

    it('finds an account by its name in any case, lists accounts by name, and finds no malformed name', () =>
      withStore(async ({ store }) => {
        await store.createAdminAccount({ username: 'zoe', passwordHash: fakeHash() }, ACTOR);
        const bob = await store.createAdminAccount({ username: 'Bob', passwordHash: fakeHash() }, ACTOR);
        assert.deepEqual(await store.getAdminAccount('BOB'), bob);
        assert.deepEqual(await store.getAdminAccount('bob'), bob);
        assert.equal(await store.getAdminAccount('carol'), undefined);
        assert.equal(await store.getAdminAccount(''), undefined);
        assert.equal(await store.getAdminAccount("bob' OR '1'='1"), undefined);
        assert.equal(await store.getAdminAccount('x'.repeat(65)), undefined);
        assert.deepEqual(
          (await store.listAdminAccounts()).map((account) => account.username),
          ['bob', 'zoe'],
        );
      }));

    it('refuses a name taken in another case with CG_STORE_DUPLICATE, writing nothing', () =>
      withStore(async ({ store }) => {
        const first = await store.createAdminAccount({ username: 'alice', passwordHash: fakeHash() }, ACTOR);
        await rejectsWith(
          store.createAdminAccount({ username: 'ALICE', passwordHash: fakeHash() }, ACTOR),
          'CG_STORE_DUPLICATE',
          'username',
        );
        assert.deepEqual(await store.listAdminAccounts(), [first]);
        assert.equal((await store.listAudit()).length, 1);
      }));

    it('refuses names outside 1–64 of letters, digits and . _ @ -, with CG_STORE_INVALID naming username', () =>
      withStore(async ({ store }) => {
        for (const username of ['', 'a'.repeat(65), 'alice smith', 'élodie', 'alice\n', 'a/b', 'a:b'])
          await rejectsWith(
            store.createAdminAccount({ username, passwordHash: fakeHash() }, ACTOR),
            'CG_STORE_INVALID',
            'username',
          );
        const longest = await store.createAdminAccount(
          { username: `${'a'.repeat(60)}.@_-`, passwordHash: fakeHash() },
          ACTOR,
        );
        assert.equal(longest.username.length, 64);
      }));

    it('refuses a password where a hash belongs, without echoing it in the error', () =>
      withStore(async ({ store }) => {
        const password = 'correct horse battery staple';
        await assert.rejects(
          store.createAdminAccount({ username: 'alice', passwordHash: password }, ACTOR),
          (error: unknown) => {
            assert.ok(isClaimsgateError(error, 'CG_STORE_INVALID'));
            assert.equal(error.detail['field'], 'passwordHash');
            assert.ok(!JSON.stringify(error.toJSON()).includes(password));
            assert.ok(!error.message.includes(password));
            return true;
          },
        );
        assert.deepEqual(await store.listAdminAccounts(), []);
        assert.deepEqual(await store.listAudit(), []);
      }));

    it('sets a new password hash, moves updatedAt, and audits admin.password-changed without either hash', () =>
      withStore(async ({ store, advance }) => {
        const oldHash = fakeHash();
        const created = await store.createAdminAccount({ username: 'alice', passwordHash: oldHash }, ACTOR);
        const later = advance(60_000);
        const newHash = fakeHash();
        const updated = await store.setAdminPassword('ALICE', newHash, 'cli:bob');
        assert.equal(updated.passwordHash, newHash);
        assert.deepEqual(updated.updatedAt, later);
        assert.deepEqual(updated.createdAt, created.createdAt);
        assert.deepEqual(await store.getAdminAccount('alice'), updated);
        const entry = (await store.listAudit()).at(-1);
        assert.equal(entry?.action, 'admin.password-changed');
        assert.equal(entry?.actor, 'cli:bob');
        assert.equal(entry?.subject, 'alice');
        assert.equal((entry?.before as { updatedAt: string }).updatedAt, START.toISOString());
        assert.equal((entry?.after as { updatedAt: string }).updatedAt, later.toISOString());
        const text = await auditText(store);
        for (const hash of [oldHash, newHash]) assert.ok(!text.includes(hash.split('$')[5]!));
        await rejectsWith(
          store.setAdminPassword('carol', fakeHash(), ACTOR),
          'CG_STORE_NOT_FOUND',
          'username',
        );
        await rejectsWith(
          store.setAdminPassword('alice', 'not a hash', ACTOR),
          'CG_STORE_INVALID',
          'passwordHash',
        );
        assert.equal((await store.getAdminAccount('alice'))?.passwordHash, newHash);
      }));

    it('deletes an account with an admin.deleted entry, after which its name is free again', () =>
      withStore(async ({ store }) => {
        const created = await store.createAdminAccount(
          { username: 'alice', passwordHash: fakeHash() },
          ACTOR,
        );
        await store.deleteAdminAccount('Alice', 'cli:bob');
        assert.equal(await store.getAdminAccount('alice'), undefined);
        const entry = (await store.listAudit()).at(-1);
        assert.equal(entry?.action, 'admin.deleted');
        assert.equal(entry?.actor, 'cli:bob');
        assert.equal((entry?.before as { id: string }).id, created.id);
        assert.equal(entry?.after, null);
        await rejectsWith(store.deleteAdminAccount('alice', ACTOR), 'CG_STORE_NOT_FOUND', 'username');
        const again = await store.createAdminAccount({ username: 'alice', passwordHash: fakeHash() }, ACTOR);
        assert.notEqual(again.id, created.id);
      }));

    it('records a sign-in as lastLoginAt with an admin.login entry by local:<name>', () =>
      withStore(async ({ store, advance }) => {
        await store.createAdminAccount({ username: 'alice', passwordHash: fakeHash() }, ACTOR);
        const signedIn = advance(5_000);
        const account = await store.recordAdminLogin('Alice', signedIn);
        assert.deepEqual(account.lastLoginAt, signedIn);
        assert.deepEqual(account.updatedAt, START);
        assert.deepEqual((await store.getAdminAccount('alice'))?.lastLoginAt, signedIn);
        const entry = (await store.listAudit()).at(-1);
        assert.equal(entry?.action, 'admin.login');
        assert.equal(entry?.actor, 'local:alice');
        assert.deepEqual(entry?.at, signedIn);
        await rejectsWith(store.recordAdminLogin('carol', signedIn), 'CG_STORE_NOT_FOUND', 'username');
        await rejectsWith(store.recordAdminLogin('alice', new Date(Number.NaN)), 'CG_STORE_INVALID', 'at');
      }));

    it('refuses a change without an actor, and broadcasts only the sessions a change revokes', () =>
      withStore(async ({ store }) => {
        const changes: StoreChange[] = [];
        const unsubscribe = store.onChange((change) => changes.push(change));
        try {
          await rejectsWith(
            store.createAdminAccount({ username: 'alice', passwordHash: fakeHash() }, ' '),
            'CG_STORE_INVALID',
            'actor',
          );
          await store.createAdminAccount({ username: 'alice', passwordHash: fakeHash() }, ACTOR);
          await store.setAdminPassword('alice', fakeHash(), ACTOR);
          await store.recordAdminLogin('alice', START);
          await store.deleteAdminAccount('alice', ACTOR);
          // Both backends tell this instance's listeners before a mutation's promise settles:
          // the password change and the deletion revoke the account's sessions, nothing else is told.
          assert.deepEqual(changes, [
            { kind: 'session', issuerId: null },
            { kind: 'session', issuerId: null },
          ]);
        } finally {
          unsubscribe();
        }
      }));

    it('keeps accounts and their hashes through close and reopen', async () => {
      let kept: Awaited<ReturnType<Store['listAdminAccounts']>> = [];
      let database = '';
      await withStore(async ({ store, context }) => {
        database = context.database;
        await store.createAdminAccount({ username: 'alice', passwordHash: fakeHash() }, ACTOR);
        await store.recordAdminLogin('alice', START);
        kept = await store.listAdminAccounts();
      });
      const reopened = await open({ now: () => START, database });
      try {
        assert.deepEqual(await reopened.listAdminAccounts(), kept);
      } finally {
        await reopened.close();
      }
    });
  });
}
