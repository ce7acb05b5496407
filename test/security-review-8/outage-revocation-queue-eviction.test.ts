/* eslint-disable @typescript-eslint/require-await -- in-memory stand-ins for the store's async methods */
/**
 * Security review 8: during a store outage the watched store queues
 * sign-outs (revokeSessions) in a BoundedMap that drops the OLDEST when full
 * (store-outage.ts keyedQueue / BoundedMap.set). A user signing in and out
 * queueLimit times (e.g. through an issuer whose tokens they mint) pushes a
 * victim's sign-out out of the queue: it is never written, and every other
 * instance accepts the victim's (stolen) session cookie after the recovery.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { createStoreOutage } from '../../src/store/store-outage.js';
import type { NewSessionRevocation } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';

describe('security review 8: sign-outs queued during an outage', () => {
  it('writes a queued sign-out at the recovery whatever came after it (fails: dropped)', async () => {
    const written: NewSessionRevocation[] = [];
    const store = {
      backend: 'postgres',
      async listRealms() {
        return [];
      },
      async revokeSessions(revocation: NewSessionRevocation) {
        written.push(revocation);
      },
      async recordKeyUse() {},
      async recordTokenClaimTypes() {
        return true;
      },
      async close() {},
    } as unknown as Store;
    const outage = createStoreOutage({ store, probeIntervalMs: 10, queueLimit: 3 });
    try {
      outage.report(new ClaimsgateError('CG_STORE_UNAVAILABLE', 'down'));
      assert.equal(outage.reachable, false);
      const until = new Date(Date.now() + 3_600_000);
      await outage.store.revokeSessions({ sid: 'victim', until } as unknown as NewSessionRevocation);
      // The queue holds 3: the attacker's third sign-out is refused (it may be tried again), never the victim's dropped.
      const refused: unknown[] = [];
      for (let i = 0; i < 3; i += 1)
        await outage.store
          .revokeSessions({ sid: `attacker-${i}`, until } as unknown as NewSessionRevocation)
          .catch((error: unknown) => refused.push(error));
      assert.equal(refused.length, 1, 'the sign-out beyond the queue is refused');
      assert.match(String(refused[0]), /refused rather than lost/);
      for (let tries = 0; !outage.reachable || outage.status().queued > 0; tries += 1) {
        assert.ok(tries < 200, 'never recovered');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(
        written.some((revocation) => 'sid' in revocation && revocation.sid === 'victim'),
        `the victim's sign-out was dropped (written: ${written.map((r) => ('sid' in r ? r.sid : '?')).join(', ')})`,
      );
    } finally {
      outage.stop();
    }
  });
});
