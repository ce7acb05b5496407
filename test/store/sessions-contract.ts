import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { StoreChange } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';
import type { StoreContractContext } from './store-contract.js';

const START = new Date('2026-03-01T09:00:00.000Z');
const HOUR_MS = 3_600_000;

function fakeHash(): string {
  return `scrypt$15$8$1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
}

/** Sessions in the store, for every backend: revocations (and what admin account changes revoke). */
export function runSessionsContract(
  name: string,
  open: (context: StoreContractContext) => Promise<Store>,
  cleanup?: () => Promise<void>,
): void {
  const run = `${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
  let counter = 0;

  async function withStore(
    test: (store: Store, context: StoreContractContext, advance: (ms: number) => Date) => Promise<void>,
  ): Promise<void> {
    counter += 1;
    let at = START.getTime();
    const context: StoreContractContext = { now: () => new Date(at), database: `cgs_${run}_${counter}` };
    const store = await open(context);
    try {
      await test(store, context, (ms) => {
        at += ms;
        return new Date(at);
      });
    } finally {
      await store.close();
    }
  }

  describe(`sessions contract: ${name}`, () => {
    after(async () => {
      await cleanup?.();
    });

    it('records revocations by sid and by user, lists those in force and broadcasts each', () =>
      withStore(async (store) => {
        const changes: StoreChange[] = [];
        store.onChange((change) => changes.push(change));
        const end = new Date(START.getTime() + 8 * HOUR_MS);
        await store.revokeSessions({ sid: 'sid-1', expiresAt: end });
        await store.revokeSessions({ user: 'SIM:bob', revokedBefore: START, expiresAt: end });
        assert.deepEqual(await store.listSessionRevocations(START), [
          { sid: 'sid-1', user: null, revokedBefore: null, expiresAt: end },
          { sid: null, user: 'SIM:bob', revokedBefore: START, expiresAt: end },
        ]);
        assert.deepEqual(changes, [
          { kind: 'session', issuerId: null },
          { kind: 'session', issuerId: null },
        ]);
      }));

    it('stops listing a revocation once it expires, and purges it', () =>
      withStore(async (store) => {
        await store.revokeSessions({ sid: 'short', expiresAt: new Date(START.getTime() + HOUR_MS) });
        await store.revokeSessions({ sid: 'long', expiresAt: new Date(START.getTime() + 2 * HOUR_MS) });
        const later = new Date(START.getTime() + HOUR_MS);
        assert.deepEqual(
          (await store.listSessionRevocations(later)).map((revocation) => revocation.sid),
          ['long'],
        );
        assert.equal(await store.purgeSessionRevocations(later), 1);
        assert.equal(await store.purgeSessionRevocations(later), 0);
        assert.equal((await store.listSessionRevocations(START)).length, 1);
      }));

    it('refuses a malformed revocation with CG_STORE_INVALID and records nothing', () =>
      withStore(async (store) => {
        for (const bad of [
          { sid: '', expiresAt: START },
          { sid: 'x', expiresAt: new Date(Number.NaN) },
          { user: 'u', revokedBefore: 'yesterday', expiresAt: START },
          { user: '', revokedBefore: START, expiresAt: START },
        ]) {
          await assert.rejects(
            store.revokeSessions(bad as never),
            (error: unknown) => isClaimsgateError(error) && error.code === 'CG_STORE_INVALID',
          );
        }
        assert.deepEqual(await store.listSessionRevocations(new Date(0)), []);
      }));

    it('revokes the sessions of local:<name> when its password changes or it is deleted', () =>
      withStore(async (store, _context, advance) => {
        await store.createAdminAccount({ username: 'Alice', passwordHash: fakeHash() }, 'cli:root');
        const changes: StoreChange[] = [];
        store.onChange((change) => changes.push(change));
        const changedAt = advance(60_000);
        await store.setAdminPassword('alice', fakeHash(), 'cli:root');
        const deletedAt = advance(60_000);
        await store.deleteAdminAccount('alice', 'cli:root');
        const revocations = await store.listSessionRevocations(deletedAt);
        assert.deepEqual(
          revocations.map(({ user, revokedBefore }) => ({ user, at: revokedBefore?.getTime() })),
          [
            { user: 'local:alice', at: changedAt.getTime() },
            { user: 'local:alice', at: deletedAt.getTime() },
          ],
        );
        // Kept as long as the longest session the configuration allows (30 days).
        assert.equal(revocations[1]!.expiresAt.getTime() - deletedAt.getTime(), 30 * 24 * HOUR_MS);
        assert.deepEqual(changes, [
          { kind: 'session', issuerId: null },
          { kind: 'session', issuerId: null },
        ]);
      }));
  });
}
