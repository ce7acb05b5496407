import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTrustSnapshot, patchTrustSnapshot } from '../../src/trust/create-trust-snapshot.js';
import type { KeyState, TrustSnapshot, TrustedIssuer, TrustedKey } from '../../src/tokens/trust-snapshot.js';

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATES: readonly KeyState[] = ['announced', 'active', 'retiring', 'retired', 'revoked', 'expired'];
/**
 * Fewer thumbprints than keys, so that keys are shared between issuers (as issuers sharing a signing
 * key), and enough of them (and of issuers) that the shared maps outgrow their overlay and are merged.
 */
const THUMBPRINTS = Array.from({ length: 150 }, (_, index) =>
  index.toString(16).toUpperCase().padStart(40, '0'),
);
const KIDS = ['k1', 'k2', 'k3', 'k4'];

function issuer(uri: string, tenants: string[] = []): TrustedIssuer {
  return { issuer: uri, allowedTenants: tenants, audiences: [], allowSha1: false, lastRefresh: undefined };
}

function randomKeys(random: () => number, uri: string): TrustedKey[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return Array.from({ length: Math.floor(random() * 4) }, () => {
    const sha1 = random() < 0.9 ? pick(THUMBPRINTS) : undefined;
    return {
      issuer: uri,
      sha1,
      sha256: sha1 === undefined ? undefined : `${sha1}${'F'.repeat(24)}`,
      kid: random() < 0.5 ? pick(KIDS) : undefined,
      publicKey: undefined,
      certificate: undefined,
      source: 'metadata',
      state: pick(STATES),
    };
  });
}

/** Every answer a snapshot gives for the issuers the test uses and the identifiers each may hold. */
function answers(
  snapshot: TrustSnapshot,
  uris: readonly string[],
  probes: ReadonlyMap<string, Set<string>>,
): unknown {
  const ids = (keys: readonly TrustedKey[]) =>
    keys.map((key) => `${key.issuer}|${key.sha1}|${key.kid}|${key.state}`).sort();
  return {
    issuers: snapshot
      .issuers()
      .map((entry) => entry.issuer)
      .sort(),
    found: uris.map((uri) => snapshot.findIssuer(uri)?.issuer),
    tenant: snapshot.findIssuer('https://tenant.test/t-1/')?.issuer,
    byIssuer: uris.map((uri) => ids(snapshot.keysForIssuer(uri))),
    issuerKeys: uris.flatMap((uri) =>
      [...(probes.get(uri) ?? [])].map((value) => [
        ids(snapshot.issuerKeys(uri, 'sha1', value)),
        ids(snapshot.issuerKeys(uri, 'sha256', `${value}${'F'.repeat(24)}`)),
        ids(snapshot.issuerKeys(uri, 'kid', value)),
      ]),
    ),
    across: [
      ...THUMBPRINTS.map((value) => ids(snapshot.keysBySha1(value))),
      ...THUMBPRINTS.map((value) => ids(snapshot.keysBySha256(`${value}${'F'.repeat(24)}`))),
      ...KIDS.map((value) => ids(snapshot.keysByKid(value))),
    ],
  };
}

describe('patchTrustSnapshot', () => {
  it('answers every lookup as a snapshot built whole from the same issuers and keys would, patch after patch', () => {
    for (const seed of [1, 2, 3, 4]) {
      const random = prng(seed);
      const uris = [
        ...Array.from({ length: 200 }, (_, index) => `https://issuer-${index}.test/`),
        'https://tenant.test/{tenantid}/',
      ];
      const trustOf = new Map<string, { issuer: TrustedIssuer; keys: TrustedKey[] }>();
      for (const uri of uris.slice(0, 100))
        trustOf.set(uri, { issuer: issuer(uri), keys: randomKeys(random, uri) });
      let patched = createTrustSnapshot({
        issuers: [...trustOf.values()].map((entry) => entry.issuer),
        keys: [...trustOf.values()].flatMap((entry) => entry.keys),
      });
      // The same trust built whole, as it was before each patch.
      let previousWhole = patched;
      // Enough patches that the shared maps are merged into a new base several times.
      for (let step = 0; step < 300; step += 1) {
        const before = patched;
        // The identifiers worth asking each issuer about: those of its keys before and after.
        const probes = new Map<string, Set<string>>();
        const probe = (keys: readonly TrustedKey[]) => {
          for (const key of keys) {
            const set = probes.get(key.issuer) ?? new Set<string>();
            for (const value of [key.sha1, key.kid]) if (value !== undefined) set.add(value);
            probes.set(key.issuer, set);
          }
        };
        for (const uri of uris) probe(before.keysForIssuer(uri));
        const remove: string[] = [];
        const put: Array<{ issuer: TrustedIssuer; keys: TrustedKey[] }> = [];
        for (let change = Math.floor(random() * 3); change >= 0; change -= 1) {
          const uri = uris[Math.floor(random() * uris.length)]!;
          if (random() < 0.3) {
            // Removals apply before puts: removing an issuer this patch puts means not putting it.
            const putAt = put.findIndex((entry) => entry.issuer.issuer === uri);
            if (putAt >= 0) put.splice(putAt, 1);
            remove.push(uri);
            trustOf.delete(uri);
          } else {
            // Now and then put back with the very keys it holds (a refresh that moved no key).
            const held = before.keysForIssuer(uri);
            const entry = {
              issuer: issuer(uri, random() < 0.5 ? ['t-1'] : []),
              keys: held.length > 0 && random() < 0.4 ? [...held] : randomKeys(random, uri),
            };
            put.push(entry);
            trustOf.set(uri, entry);
          }
        }
        patched = patchTrustSnapshot(before, { remove, put });
        const whole = createTrustSnapshot({
          issuers: [...trustOf.values()].map((entry) => entry.issuer),
          keys: [...trustOf.values()].flatMap((entry) => entry.keys),
        });
        for (const entry of trustOf.values()) probe(entry.keys);
        assert.deepEqual(
          answers(patched, uris, probes),
          answers(whole, uris, probes),
          `seed ${seed}, step ${step}`,
        );
        // The snapshot patched is left as it was: a validation holding it sees no change.
        assert.deepEqual(
          answers(before, uris, probes),
          answers(previousWhole, uris, probes),
          `seed ${seed}, step ${step}: base unchanged`,
        );
        previousWhole = whole;
      }
    }
  });

  it('patches a snapshot it did not build by rebuilding it whole', () => {
    const built = createTrustSnapshot({ issuers: [issuer('https://a.test/')], keys: [] });
    const foreign: TrustSnapshot = { ...built, issuers: () => built.issuers() };
    const key = randomKeys(prng(9), 'https://b.test/');
    const patched = patchTrustSnapshot(foreign, {
      remove: [],
      put: [{ issuer: issuer('https://b.test/'), keys: key }],
    });
    assert.deepEqual(
      patched
        .issuers()
        .map((entry) => entry.issuer)
        .sort(),
      ['https://a.test/', 'https://b.test/'],
    );
  });

  it('refuses a key filed under another issuer', () => {
    const base = createTrustSnapshot({ issuers: [], keys: [] });
    const [stray] = randomKeys(() => 0.5, 'https://other.test/');
    assert.throws(
      () =>
        patchTrustSnapshot(base, {
          remove: [],
          put: [{ issuer: issuer('https://a.test/'), keys: [{ ...stray!, issuer: 'https://other.test/' }] }],
        }),
      TypeError,
    );
  });
});
