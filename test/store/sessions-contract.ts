import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { LoginThrottlePolicy } from '../../src/store/login-throttle-rules.js';
import type { StoreChange } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';
import type { StoreContractContext } from './store-contract.js';

const START = new Date('2026-03-01T09:00:00.000Z');
const HOUR_MS = 3_600_000;

/** A small policy, so that the tests stay short: 3 per pair, 5 per address, 8 per account. */
export const POLICY: LoginThrottlePolicy = {
  pairFailures: 3,
  addressFailures: 5,
  accountFailures: 8,
  windowSeconds: 900,
  lockSeconds: 600,
  knownAddressSeconds: 86_400,
};

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

    describe('admin login throttle', () => {
      /** Runs an attempt at `at` and finishes it with `succeeded` when admitted; returns the decision. */
      async function attempt(store: Store, account: string, address: string, at: Date, succeeded = false) {
        const decision = await store.beginAdminLoginAttempt({ account, address }, at, POLICY);
        if (decision.admitted && succeeded)
          await store.recordAdminLoginSuccess({ account, address }, at, POLICY);
        return decision;
      }

      it('locks an (account, address) pair on its third failure, for the lock time, and only that pair', () =>
        withStore(async (store, _context, advance) => {
          for (let index = 0; index < 3; index += 1)
            assert.equal((await attempt(store, 'alice', '192.0.2.1', advance(1000))).admitted, true);
          const at = advance(1000);
          assert.deepEqual(await attempt(store, 'alice', '192.0.2.1', at), {
            admitted: false,
            scope: 'pair',
            retryAfterSeconds: 599,
          });
          assert.equal((await attempt(store, 'alice', '198.51.100.7', at)).admitted, true, 'another address');
          assert.equal((await attempt(store, 'bob', '192.0.2.1', at)).admitted, true, 'another account');
          // Once the lock has run out the pair starts afresh: one failure does not lock it again.
          const later = advance(900_000);
          assert.equal((await attempt(store, 'alice', '192.0.2.1', later)).admitted, true);
          assert.equal((await attempt(store, 'alice', '192.0.2.1', later)).admitted, true);
        }));

      it('forgets failures once the window has passed, and takes back a successful attempt', () =>
        withStore(async (store, _context, advance) => {
          await attempt(store, 'alice', '192.0.2.1', advance(0));
          await attempt(store, 'alice', '192.0.2.1', advance(1000));
          advance(900_000);
          await attempt(store, 'alice', '192.0.2.1', advance(0));
          await attempt(store, 'alice', '192.0.2.1', advance(1000));
          assert.equal((await attempt(store, 'alice', '192.0.2.1', advance(1000), true)).admitted, true);
          await attempt(store, 'alice', '192.0.2.1', advance(1000));
          await attempt(store, 'alice', '192.0.2.1', advance(1000));
          assert.equal((await attempt(store, 'alice', '192.0.2.1', advance(1000))).admitted, true);
        }));

      it('counts attempts still being checked, so a parallel burst gets no more tries than a sequence', () =>
        withStore(async (store) => {
          const burst = await Promise.all(
            Array.from({ length: 6 }, () =>
              store.beginAdminLoginAttempt({ account: 'alice', address: '192.0.2.1' }, START, POLICY),
            ),
          );
          assert.equal(burst.filter((decision) => decision.admitted).length, 3);
        }));

      it('locks an address that fails for many accounts, whatever the account', () =>
        withStore(async (store, _context, advance) => {
          for (let index = 0; index < 5; index += 1)
            assert.equal((await attempt(store, `user${index}`, '203.0.113.9', advance(1000))).admitted, true);
          const refused = await attempt(store, 'someone-new', '203.0.113.9', advance(1000));
          assert.equal(refused.admitted, false);
          assert.equal(!refused.admitted && refused.scope, 'address');
          assert.equal((await attempt(store, 'someone-new', '203.0.113.10', advance(0))).admitted, true);
        }));

      it('locks an account sprayed from many addresses, except for an address it signed in from', () =>
        withStore(async (store, _context, advance) => {
          assert.equal((await attempt(store, 'alice', '192.0.2.1', advance(0), true)).admitted, true);
          for (let index = 0; index < 8; index += 1)
            assert.equal(
              (await attempt(store, 'alice', `198.51.100.${index}`, advance(1000))).admitted,
              true,
            );
          const refused = await attempt(store, 'alice', '198.51.100.200', advance(1000));
          assert.equal(!refused.admitted && refused.scope, 'account');
          // The owner, from the address she signed in from before, still gets in.
          assert.equal((await attempt(store, 'alice', '192.0.2.1', advance(1000), true)).admitted, true);
        }));

      it('purges counters with nothing left to remember', () =>
        withStore(async (store, _context, advance) => {
          await attempt(store, 'alice', '192.0.2.1', advance(0));
          assert.equal(await store.purgeAdminLoginThrottle(advance(1000)), 0);
          // Window and lock over: the three counters go.
          assert.equal(await store.purgeAdminLoginThrottle(advance(900_000)), 3);
          await attempt(store, 'bob', '192.0.2.2', advance(0), true);
          // The pair remembers the success for knownAddressSeconds; the other two go with their window.
          assert.equal(await store.purgeAdminLoginThrottle(advance(900_000)), 2);
          assert.equal(await store.purgeAdminLoginThrottle(advance(86_400_000)), 1);
        }));

      it('refuses a malformed attempt or policy with CG_STORE_INVALID', () =>
        withStore(async (store) => {
          for (const [account, address, policy] of [
            ['', '192.0.2.1', POLICY],
            ['alice', 'has space', POLICY],
            ['alice', '192.0.2.1', { ...POLICY, pairFailures: 0 }],
          ] as const) {
            await assert.rejects(
              store.beginAdminLoginAttempt({ account, address }, START, policy),
              (error: unknown) => isClaimsgateError(error) && error.code === 'CG_STORE_INVALID',
            );
          }
        }));
    });
  });
}
