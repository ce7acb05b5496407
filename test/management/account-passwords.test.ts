import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  checkPasswordStrength,
  GENERATED_PASSWORD_ALPHABET,
  generatePassword,
  hashPassword,
  isPasswordHash,
  verifyPassword,
} from '../../src/management/account-passwords.js';
import { isClaimsgateError } from '../../src/lib/errors.js';

const PASSWORD = 'correct horse battery staple';

function refusedAsWeak(password: string, username = 'alice'): void {
  assert.throws(
    () => checkPasswordStrength(password, username),
    (error: unknown) => {
      assert.ok(isClaimsgateError(error, 'CG_ADMIN_PASSWORD_WEAK'), String(error));
      // SECURITY: the refused password is not repeated in the error.
      if (password.length > 0) assert.ok(!JSON.stringify(error.toJSON()).includes(password));
      return true;
    },
  );
}

describe('admin password hashes', () => {
  let hash: string;
  before(async () => {
    hash = await hashPassword(PASSWORD);
  });

  it('encodes scrypt N=2^15, r=8, p=1 with a 16-byte salt and a 32-byte key', () => {
    const parts = hash.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', '15', '8', '1']);
    const salt = Buffer.from(parts[4]!, 'base64');
    const key = Buffer.from(parts[5]!, 'base64');
    assert.equal(salt.length, 16);
    assert.equal(key.length, 32);
    // An independent computation of the same scrypt gives the same key.
    const expected = scryptSync(PASSWORD, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    assert.deepEqual(key, expected);
    assert.ok(isPasswordHash(hash));
  });

  it('salts every hash afresh', async () => {
    const again = await hashPassword(PASSWORD);
    assert.notEqual(again, hash);
    assert.notEqual(again.split('$')[4], hash.split('$')[4]);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    assert.equal(await verifyPassword(PASSWORD, hash), true);
    assert.equal(await verifyPassword(`${PASSWORD}!`, hash), false);
    assert.equal(await verifyPassword(PASSWORD.toUpperCase(), hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('verifies the same characters typed in another Unicode normal form', async () => {
    const composed = 'caf\u00e9 au lait, sans sucre';
    const decomposed = 'cafe\u0301 au lait, sans sucre';
    assert.equal(await verifyPassword(decomposed, await hashPassword(composed)), true);
  });

  it('answers false, never throwing, for a malformed or out-of-bounds hash or a non-string password', async () => {
    const [, , , , salt, key] = hash.split('$');
    const malformed: unknown[] = [
      undefined,
      null,
      42,
      '',
      'scrypt',
      PASSWORD,
      `bcrypt$15$8$1$${salt}$${key}`,
      `scrypt$15$8$1$${salt}`,
      `scrypt$15$8$1$${salt}$${key}$extra`,
      `scrypt$15$8$1$${salt}$${key}x`,
      `scrypt$15$8$1$${salt}$not*base64`,
      `scrypt$015$8$1$${salt}$${key}`,
      `scrypt$31$8$1$${salt}$${key}`,
      `scrypt$15$0$1$${salt}$${key}`,
      `scrypt$15$8$99$${salt}$${key}`,
      `scrypt$15$8$1$$${key}`,
      `scrypt$15$8$1$QUJD$${key}`,
      `scrypt$15$8$1$${salt}$QUJDRA==`,
      `scrypt$15$8$1$${salt}$${'A'.repeat(600)}`,
    ];
    for (const encoded of malformed) {
      assert.equal(await verifyPassword(PASSWORD, encoded), false, String(encoded));
      assert.equal(isPasswordHash(encoded), false, String(encoded));
    }
    for (const password of [undefined, null, 42, ['a'], 'x'.repeat(5000)])
      assert.equal(await verifyPassword(password, hash), false);
  });
});

describe('admin password strength', () => {
  it('accepts 12 to 1024 characters that are not the user name nor one character repeated', () => {
    checkPasswordStrength('abcdefghijkl', 'alice');
    checkPasswordStrength('ü'.repeat(11) + 'x', 'alice');
    checkPasswordStrength(`${'ab'.repeat(512)}`, 'alice');
    checkPasswordStrength(PASSWORD, 'alice');
  });

  it('refuses fewer than 12 characters, counting characters rather than UTF-16 units', () => {
    refusedAsWeak('');
    refusedAsWeak('abcdefghijk');
    refusedAsWeak('😀😁😂😃😄😅😆😇😈😉😊');
  });

  it('refuses more than 1024 characters', () => {
    refusedAsWeak(`${'ab'.repeat(512)}c`);
  });

  it('refuses the user name, whatever its case', () => {
    refusedAsWeak('administrator', 'administrator');
    refusedAsWeak('Administrator', 'administrator');
    refusedAsWeak('alice@contoso.test', 'ALICE@contoso.test');
  });

  it('refuses one character repeated', () => {
    refusedAsWeak('aaaaaaaaaaaaaaaa');
    refusedAsWeak('€€€€€€€€€€€€');
  });

  it('refuses control characters, which the sign-in form cannot take', () => {
    refusedAsWeak('correct horse\nbattery');
    refusedAsWeak('correct horse\tbattery');
  });
});

describe('generated admin passwords', () => {
  it('are at least 20 characters from the clear alphabet, differ each time, and pass the strength rules', () => {
    const alphabet = new Set(GENERATED_PASSWORD_ALPHABET);
    for (const confusable of '0O1lI') assert.ok(!alphabet.has(confusable));
    const seen = new Set<string>();
    for (let index = 0; index < 50; index += 1) {
      const password = generatePassword();
      assert.ok(password.length >= 20);
      assert.ok(
        [...password].every((character) => alphabet.has(character)),
        password,
      );
      checkPasswordStrength(password, 'alice');
      seen.add(password);
    }
    assert.equal(seen.size, 50);
  });
});
