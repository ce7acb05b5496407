import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { open, seal } from '../../src/session/seal.js';
import {
  SEALING_PURPOSES,
  createSealingKeyRing,
  generateSealingSecret,
  isSealingPurpose,
} from '../../src/session/sealing-keys.js';
import { T0, testSecret } from './keys.js';

describe('createSealingKeyRing', () => {
  it('accepts 64 hexadecimal digits, base64, base64url and a Buffer of 32 bytes', () => {
    const bytes = randomBytes(32);
    const ring = createSealingKeyRing([
      { id: 'hex', secret: bytes.toString('hex') },
      { id: 'b64', secret: bytes.toString('base64') },
      { id: 'b64url', secret: bytes.toString('base64url') },
      { id: 'buffer', secret: bytes },
    ]);
    assert.deepEqual(ring.keyIds, ['hex', 'b64', 'b64url', 'buffer']);
  });

  it('makes the first key the sealing key and lets every key open', () => {
    const ring = createSealingKeyRing([
      { id: 'new', secret: testSecret('new') },
      { id: 'old', secret: testSecret('old') },
    ]);
    assert.equal(ring.sealingKeyId, 'new');
    const oldOnly = createSealingKeyRing([{ id: 'old', secret: testSecret('old') }]);
    const sealedWithOld = seal(oldOnly, 'session', { n: 1 }, { now: T0, ttlSeconds: 60 });
    assert.equal(open(ring, 'session', sealedWithOld, { now: T0 }).keyId, 'old');
  });

  it('derives the same keys from the same configuration, so instances sharing a secret open each other’s values', () => {
    const secret = generateSealingSecret();
    const one = createSealingKeyRing([{ id: 'k1', secret }]);
    const other = createSealingKeyRing([{ id: 'k1', secret }]);
    const sealed = seal(one, 'wctx', 'state', { now: T0, ttlSeconds: 60 });
    assert.equal(open(other, 'wctx', sealed, { now: T0 }).payload, 'state');
  });

  it('derives a different key for each purpose from one secret', () => {
    const ring = createSealingKeyRing([{ id: 'k1', secret: testSecret('k1') }]);
    const exported = SEALING_PURPOSES.map((purpose) =>
      ring.purposeKey('k1', purpose)!.export().toString('hex'),
    );
    assert.equal(new Set(exported).size, SEALING_PURPOSES.length);
    assert.ok(!exported.includes(testSecret('k1')));
  });

  it('answers undefined for a key ID that is not in the ring', () => {
    const ring = createSealingKeyRing([{ id: 'k1', secret: testSecret('k1') }]);
    assert.equal(ring.purposeKey('k2', 'session'), undefined);
  });

  it('refuses secrets shorter than 32 bytes with a TypeError naming the key and not the secret', () => {
    const short = [
      testSecret('x').slice(0, 62),
      randomBytes(31).toString('base64'),
      randomBytes(31).toString('base64url'),
      randomBytes(31),
      '',
    ];
    for (const secret of short) {
      assert.throws(
        () => createSealingKeyRing([{ id: 'weak-key', secret }]),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message.includes('weak-key') &&
          (typeof secret !== 'string' || secret === '' || !error.message.includes(secret)),
      );
    }
  });

  it('refuses secrets that are long enough but plainly not random', () => {
    for (const secret of ['a'.repeat(64), '0'.repeat(64), Buffer.alloc(32), 'abcd'.repeat(16)]) {
      assert.throws(() => createSealingKeyRing([{ id: 'k1', secret }]), TypeError);
    }
  });

  it('refuses a passphrase that is neither hexadecimal nor base64', () => {
    assert.throws(
      () => createSealingKeyRing([{ id: 'k1', secret: 'correct horse battery staple, long enough!' }]),
      TypeError,
    );
  });

  it('refuses an empty ring, repeated IDs and IDs that cannot travel in a sealed value', () => {
    assert.throws(() => createSealingKeyRing([]), TypeError);
    const secret = testSecret('k');
    assert.throws(
      () =>
        createSealingKeyRing([
          { id: 'k1', secret },
          { id: 'k1', secret: testSecret('other') },
        ]),
      TypeError,
    );
    for (const id of ['', 'a.b', 'a b', 'x'.repeat(33), 'é']) {
      assert.throws(() => createSealingKeyRing([{ id, secret }]), TypeError, id);
    }
  });
});

describe('generateSealingSecret', () => {
  it('makes 32 random bytes as base64url that a ring accepts', () => {
    const secret = generateSealingSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.notEqual(generateSealingSecret(), secret);
    assert.doesNotThrow(() => createSealingKeyRing([{ id: 'k1', secret }]));
  });
});

describe('isSealingPurpose', () => {
  it('knows the four purposes and nothing else', () => {
    for (const purpose of SEALING_PURPOSES) assert.ok(isSealingPurpose(purpose));
    for (const other of ['Session', 'state', '', undefined, 1]) assert.ok(!isSealingPurpose(other));
  });
});
