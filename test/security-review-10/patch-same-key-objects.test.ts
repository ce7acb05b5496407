/**
 * Security review 10: patchTrustSnapshot now keeps an issuer's lookups (and
 * leaves the cross-issuer lists alone) when the issuer is put back with "the
 * very same key objects" (`sameKeyObjects`). The trust loader puts an issuer
 * back with `snapshot.keysForIssuer(uri)`, which is the entry's own array:
 * mutable, though typed readonly. A caller that adds a key to that array and
 * puts it back gets a snapshot whose `keysForIssuer` lists the key while
 * `issuerKeys` and the cross-issuer lookups (keysBySha1/keysBySha256/keysByKid:
 * refusals' diagnostics and the unknown-key refresh decision) do not know it
 * — unlike a snapshot built whole from the same issuers and keys. The fix
 * freezes the entry's key list, so it cannot be changed behind the snapshot's back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTrustSnapshot, patchTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import type { TrustedIssuer, TrustedKey } from '../../src/tokens/trust-snapshot.js';

const P = 'https://p.test/';
const Q = 'https://q.test/';

function issuer(uri: string): TrustedIssuer {
  return { issuer: uri, allowedTenants: [], audiences: [], allowSha1: false, lastRefresh: undefined };
}

function key(uri: string, sha1: string): TrustedKey {
  return {
    issuer: uri,
    sha1,
    sha256: `${sha1}${'F'.repeat(24)}`,
    kid: undefined,
    publicKey: undefined,
    certificate: undefined,
    source: 'metadata',
    state: 'active',
  };
}

describe('security review 10: an issuer put back with the key list the snapshot holds', () => {
  it('a key added to the held list is in every lookup, as in a snapshot built whole (fails: only in keysForIssuer)', () => {
    const base = createTrustSnapshot({
      issuers: [issuer(P), issuer(Q)],
      keys: [key(P, 'A'.repeat(40)), key(Q, 'B'.repeat(40))],
    });
    const added = key(P, 'B'.repeat(40));
    const held = base.keysForIssuer(P) as TrustedKey[];
    let patched;
    try {
      held.push(added);
      patched = patchTrustSnapshot(base, { remove: [], put: [{ issuer: issuer(P), keys: held }] });
    } catch (error) {
      // A frozen list refuses the change: the snapshots stay as they were.
      assert.ok(error instanceof TypeError);
      assert.deepEqual(
        base.keysForIssuer(P).map((k) => k.sha1),
        ['A'.repeat(40)],
      );
      return;
    }
    const whole = createTrustSnapshot({
      issuers: [issuer(P), issuer(Q)],
      keys: [key(P, 'A'.repeat(40)), added, key(Q, 'B'.repeat(40))],
    });
    const sha1 = 'B'.repeat(40);
    assert.deepEqual(
      patched
        .keysBySha1(sha1)
        .map((k) => k.issuer)
        .sort(),
      whole
        .keysBySha1(sha1)
        .map((k) => k.issuer)
        .sort(),
    );
    assert.equal(patched.issuerKeys(P, 'sha1', sha1).length, whole.issuerKeys(P, 'sha1', sha1).length);
  });
});
