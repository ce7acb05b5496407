import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../src/lib/error-codes.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { MAX_SEALED_LENGTH, open, seal } from '../../src/session/seal.js';
import { SEALING_PURPOSES } from '../../src/session/sealing-keys.js';
import { T0, at, testRing } from './keys.js';

const ring = testRing('k1', 'k2');
const SECRET_CLAIM = 'TOPSECRET-claim-value';

function sealed(payload: unknown = { user: 'AAD:bob@contoso.com', note: SECRET_CLAIM }): string {
  return seal(ring, 'session', payload, { now: T0, ttlSeconds: 3600 });
}

function codeOf(action: () => unknown): ErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof ClaimsgateError) return error.code;
    throw error;
  }
  assert.fail('expected a ClaimsgateError');
}

function replacePart(value: string, index: number, part: string): string {
  const parts = value.split('.');
  parts[index] = part;
  return parts.join('.');
}

function flipBit(base64url: string, byte: number, bit = 0): string {
  const bytes = Buffer.from(base64url, 'base64url');
  bytes[byte]! ^= 1 << bit;
  return bytes.toString('base64url');
}

describe('seal and open', () => {
  it('round-trips a JSON payload with its times and key', () => {
    const payload = { user: 'AAD:bob@contoso.com', claims: { role: ['admin', 'user'] }, n: 1.5, ok: true };
    const value = seal(ring, 'session', payload, { now: T0, ttlSeconds: 90 });
    const opened = open(ring, 'session', value, { now: at(1000) });
    assert.deepEqual(opened.payload, payload);
    assert.deepEqual(opened.issuedAt, T0);
    assert.deepEqual(opened.expiresAt, at(90_000));
    assert.equal(opened.keyId, 'k1');
  });

  it('round-trips scalar payloads for every purpose', () => {
    for (const purpose of SEALING_PURPOSES) {
      for (const payload of ['text', 0, null, false, [1, 'two']]) {
        const value = seal(ring, purpose, payload, { now: T0, ttlSeconds: 60 });
        assert.deepEqual(open(ring, purpose, value, { now: T0 }).payload, payload);
      }
    }
  });

  it('writes v1.<keyId>.<iv>.<ciphertext>.<tag> in characters safe in a cookie and a URL', () => {
    const value = sealed();
    const parts = value.split('.');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], 'v1');
    assert.equal(parts[1], 'k1');
    assert.equal(Buffer.from(parts[2]!, 'base64url').length, 12);
    assert.equal(Buffer.from(parts[4]!, 'base64url').length, 16);
    assert.match(value, /^[A-Za-z0-9._-]+$/);
    assert.equal(encodeURIComponent(value), value);
    assert.ok(!value.includes(SECRET_CLAIM));
    assert.ok(!Buffer.from(parts[3]!, 'base64url').toString('latin1').includes(SECRET_CLAIM));
  });

  it('never reuses an IV across 10,000 seals', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 10_000; i += 1) {
      ivs.add(seal(ring, 'session', i, { now: T0, ttlSeconds: 60 }).split('.')[2]!);
    }
    assert.equal(ivs.size, 10_000);
  });
});

describe('open rejects', () => {
  it('a value whose version was changed as malformed', () => {
    for (const version of ['v2', 'v0', 'V1', '']) {
      assert.equal(
        codeOf(() => open(ring, 'session', replacePart(sealed(), 0, version), { now: T0 })),
        'CG_SESSION_MALFORMED',
      );
    }
  });

  it('a value relabelled with another key of the ring as invalid', () => {
    assert.equal(
      codeOf(() => open(ring, 'session', replacePart(sealed(), 1, 'k2'), { now: T0 })),
      'CG_SESSION_INVALID',
    );
  });

  it('a value naming a key that is not in the ring as unknown key, and a malformed key ID as malformed', () => {
    assert.equal(
      codeOf(() => open(ring, 'session', replacePart(sealed(), 1, 'k3'), { now: T0 })),
      'CG_SESSION_KEY_UNKNOWN',
    );
    assert.equal(
      codeOf(() => open(ring, 'session', replacePart(sealed(), 1, 'k 1'), { now: T0 })),
      'CG_SESSION_MALFORMED',
    );
  });

  it('a value whose IV, ciphertext or tag had one bit flipped as invalid', () => {
    const value = sealed();
    const parts = value.split('.');
    for (const index of [2, 3, 4]) {
      const length = Buffer.from(parts[index]!, 'base64url').length;
      for (const byte of [0, length - 1]) {
        for (const bit of [0, 7]) {
          const tampered = replacePart(value, index, flipBit(parts[index]!, byte, bit));
          assert.equal(
            codeOf(() => open(ring, 'session', tampered, { now: T0 })),
            'CG_SESSION_INVALID',
          );
        }
      }
    }
  });

  it('a value with any one bit of any character flipped, never opening it', () => {
    const value = sealed();
    for (let position = 0; position < value.length; position += 1) {
      for (let bit = 0; bit < 7; bit += 1) {
        const flipped = String.fromCharCode(value.charCodeAt(position) ^ (1 << bit));
        const tampered = value.slice(0, position) + flipped + value.slice(position + 1);
        if (tampered === value) continue;
        const code = codeOf(() => open(ring, 'session', tampered, { now: T0 }));
        assert.ok(
          ['CG_SESSION_MALFORMED', 'CG_SESSION_INVALID', 'CG_SESSION_KEY_UNKNOWN'].includes(code),
          `${position}:${bit} → ${code}`,
        );
      }
    }
  });

  it('a value whose parts are not canonical base64url, or whose IV or tag has the wrong length, as malformed', () => {
    const value = sealed();
    const tag = value.split('.')[4]!;
    // 16 bytes take 22 characters with 4 unused bits in the last; setting them
    // spells the same bytes another way.
    const last = tag.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = tag.slice(0, -1) + alphabet[alphabet.indexOf(last) | 1]!;
    if (sameBytes !== tag) {
      assert.equal(
        codeOf(() => open(ring, 'session', replacePart(value, 4, sameBytes), { now: T0 })),
        'CG_SESSION_MALFORMED',
      );
    }
    const cases = [
      replacePart(value, 4, tag.slice(0, 16)), // a truncated 12-byte tag
      replacePart(value, 2, randomBytes(16).toString('base64url')),
      replacePart(value, 3, ''),
      replacePart(value, 3, 'abc+/='),
      `${value}.extra`,
      value.split('.').slice(0, 4).join('.'),
    ];
    for (const tampered of cases) {
      assert.equal(
        codeOf(() => open(ring, 'session', tampered, { now: T0 })),
        'CG_SESSION_MALFORMED',
        tampered,
      );
    }
  });

  it('a value sealed for one purpose when opened for another as invalid', () => {
    for (const sealedFor of SEALING_PURPOSES) {
      const value = seal(ring, sealedFor, { user: 'AAD:bob' }, { now: T0, ttlSeconds: 60 });
      for (const openedFor of SEALING_PURPOSES) {
        if (openedFor === sealedFor) continue;
        assert.equal(
          codeOf(() => open(ring, openedFor, value, { now: T0 })),
          'CG_SESSION_INVALID',
        );
      }
    }
  });

  it('a value sealed with another secret under the same key ID as invalid', () => {
    const other = testRing('k1-other');
    const value = seal(other, 'session', 1, { now: T0, ttlSeconds: 60 }).replace('.k1-other.', '.k1.');
    assert.equal(
      codeOf(() => open(ring, 'session', value, { now: T0 })),
      'CG_SESSION_INVALID',
    );
  });

  it('a value as expired from exactly its expiry on, with a frozen clock', () => {
    const value = seal(ring, 'session', 'x', { now: T0, ttlSeconds: 60 });
    assert.equal(open(ring, 'session', value, { now: at(59_999) }).payload, 'x');
    assert.equal(
      codeOf(() => open(ring, 'session', value, { now: at(60_000) })),
      'CG_SESSION_EXPIRED',
    );
    assert.equal(
      codeOf(() => open(ring, 'session', value, { now: at(86_400_000) })),
      'CG_SESSION_EXPIRED',
    );
  });

  it('garbage of every kind with a coded error and never a crash', () => {
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      {},
      [],
      '',
      '.',
      '....',
      'v1....',
      'v1.k1.....',
      'v1.k1.a.b.c',
      'x'.repeat(10 * 1024),
      `v1.k1.${'A'.repeat(10 * 1024)}.a.b`,
      'v1.k1.\u0000\u0001.\uFFFF.\uD800',
      'v1.__proto__.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
      'v1.constructor.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
      'v1.k1.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
    ];
    for (let i = 0; i < 500; i += 1) {
      garbage.push(randomBytes(1 + (i % 200)).toString(i % 2 === 0 ? 'base64url' : 'latin1'));
      const parts = [2, 3, 4].map((n) => randomBytes(n * 6 + (i % 7)).toString('base64url'));
      garbage.push(`v1.k1.${parts.join('.')}`);
    }
    const codes = new Set<ErrorCode>([
      'CG_SESSION_MALFORMED',
      'CG_SESSION_INVALID',
      'CG_SESSION_KEY_UNKNOWN',
    ]);
    for (const input of garbage) {
      const code = codeOf(() => open(ring, 'session', input, { now: T0 }));
      assert.ok(codes.has(code), `${String(input).slice(0, 40)} → ${code}`);
    }
  });

  it('without echoing the payload or the value in the error', () => {
    const value = sealed();
    const failures: ClaimsgateError[] = [];
    for (const attempt of [
      () => open(ring, 'session', replacePart(value, 3, flipBit(value.split('.')[3]!, 0)), { now: T0 }),
      () => open(ring, 'session', value, { now: at(3_600_000) }),
      () => open(ring, 'wctx', value, { now: T0 }),
      () => open(ring, 'session', `${value}!`, { now: T0 }),
    ]) {
      try {
        attempt();
      } catch (error) {
        assert.ok(error instanceof ClaimsgateError);
        failures.push(error);
      }
    }
    assert.equal(failures.length, 4);
    for (const error of failures) {
      const text = `${error.message} ${JSON.stringify(error.toJSON())}`;
      assert.ok(!text.includes(SECRET_CLAIM));
      assert.ok(!text.includes(value.split('.')[3]!));
    }
  });
});

describe('seal refuses', () => {
  it('a payload whose sealed value would not fit in a cookie with CG_SESSION_TOO_LARGE', () => {
    assert.equal(
      codeOf(() => seal(ring, 'session', 'x'.repeat(MAX_SEALED_LENGTH), { now: T0, ttlSeconds: 60 })),
      'CG_SESSION_TOO_LARGE',
    );
    assert.ok(
      seal(ring, 'session', 'x'.repeat(2800), { now: T0, ttlSeconds: 60 }).length <= MAX_SEALED_LENGTH,
    );
  });

  it('a payload JSON cannot represent, a bad lifetime, clock or purpose with a TypeError', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const now = T0;
    assert.throws(() => seal(ring, 'session', circular, { now, ttlSeconds: 60 }), TypeError);
    assert.throws(() => seal(ring, 'session', 1n, { now, ttlSeconds: 60 }), TypeError);
    assert.throws(() => seal(ring, 'session', undefined, { now, ttlSeconds: 60 }), TypeError);
    for (const ttlSeconds of [0, -1, Number.NaN, Infinity]) {
      assert.throws(() => seal(ring, 'session', 1, { now, ttlSeconds }), TypeError);
    }
    assert.throws(() => seal(ring, 'session', 1, { now: new Date('nope'), ttlSeconds: 60 }), TypeError);
    assert.throws(() => seal(ring, 'cookie' as 'session', 1, { now, ttlSeconds: 60 }), TypeError);
    assert.throws(() => open(ring, 'cookie' as 'session', 'x', { now }), TypeError);
  });
});
