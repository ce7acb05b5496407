import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  computeThumbprint,
  formatThumbprint,
  normalizeThumbprint,
  thumbprintToX5t,
  x5tToThumbprint,
} from '../../src/crypto/thumbprint.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTestCertificate } from '../helpers/certificates.js';

function opensslFingerprint(pem: string, algorithm: 'sha1' | 'sha256'): string {
  const dir = mkdtempSync(join(tmpdir(), 'cg-thumb-'));
  const file = join(dir, 'cert.pem');
  writeFileSync(file, pem);
  const out = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', `-${algorithm}`], {
    encoding: 'utf8',
  });
  return out.split('=')[1]!.trim().replaceAll(':', '');
}

describe('computeThumbprint', () => {
  it('matches openssl for SHA-1 and SHA-256 of a generated certificate', async () => {
    const cert = await createTestCertificate();
    assert.equal(computeThumbprint(cert.der, 'sha1'), opensslFingerprint(cert.pem, 'sha1'));
    assert.equal(computeThumbprint(cert.der, 'sha256'), opensslFingerprint(cert.pem, 'sha256'));
  });

  it('writes uppercase hex without separators, or with colons on request', () => {
    const thumbprint = computeThumbprint(Buffer.from('abc'), 'sha1');
    assert.equal(thumbprint, 'A9993E364706816ABA3E25717850C26C9CD0D89D');
    assert.equal(
      formatThumbprint(thumbprint, 'colons'),
      'A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D',
    );
  });
});

describe('x5t', () => {
  it('is the base64url form of the SHA-1 thumbprint, both ways', () => {
    const thumbprint = 'A9993E364706816ABA3E25717850C26C9CD0D89D';
    const x5t = thumbprintToX5t(thumbprint);
    assert.equal(x5t, 'qZk-NkcGgWq6PiVxeFDCbJzQ2J0');
    assert.equal(x5tToThumbprint(x5t), thumbprint);
  });

  it('refuses an x5t that is not 20 bytes of base64url', () => {
    assert.equal(x5tToThumbprint('qZk+NkcGgWq6PiVxeFDCbJzQ2J0'), undefined);
    assert.equal(x5tToThumbprint('short'), undefined);
  });
});

describe('normalizeThumbprint', () => {
  const sha1 = 'A9993E364706816ABA3E25717850C26C9CD0D89D';

  it('removes the left-to-right mark that the Windows certificate dialog prepends, and reports it', () => {
    const result = normalizeThumbprint('\u200ea9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c 9c d0 d8 9d');
    assert.equal(result.thumbprint, sha1);
    assert.equal(result.algorithm, 'sha1');
    assert.deepEqual(result.removed[0], { codePoint: 'U+200E', position: 1, name: 'LEFT-TO-RIGHT MARK' });
    assert.equal(result.removed.filter((c) => c.codePoint === 'U+0020').length, 19);
  });

  it('removes colons, dashes, tabs, line breaks and every listed invisible format character', () => {
    const invisibles = [
      0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
      0x2069, 0xfeff,
    ];
    const pasted = `${invisibles.map((c) => String.fromCodePoint(c)).join('')}A9:99-3E\t36\r\n4706816ABA3E25717850C26C9CD0D89D`;
    const result = normalizeThumbprint(pasted);
    assert.equal(result.thumbprint, sha1);
    assert.deepEqual(
      result.removed.slice(0, invisibles.length).map((c) => c.codePoint),
      invisibles.map((c) => `U+${c.toString(16).toUpperCase()}`),
    );
  });

  it('accepts a 64-digit SHA-256 thumbprint', () => {
    const result = normalizeThumbprint('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(result.algorithm, 'sha256');
    assert.equal(result.removed.length, 0);
  });

  it('names each offending character by code point and position', () => {
    assert.throws(
      () => normalizeThumbprint('A9993E36470681\u00D46ABA3E25717850C26C9CD0D89Z'),
      (error: unknown) => {
        assert.ok(isClaimsgateError(error, 'CG_TRUST_THUMBPRINT_INVALID'));
        assert.deepEqual(
          (error.detail.observed as Array<{ codePoint: string; position: number }>).map((c) => [
            c.codePoint,
            c.position,
          ]),
          [
            ['U+00D4', 15],
            ['U+005A', 41],
          ],
        );
        return true;
      },
    );
  });

  it('counts positions in code points, so an astral character is one position', () => {
    assert.throws(
      () => normalizeThumbprint(`\u{1F600}${sha1}`),
      (error: unknown) =>
        isClaimsgateError(error, 'CG_TRUST_THUMBPRINT_INVALID') &&
        (error.detail.observed as Array<{ codePoint: string; position: number }>)[0]?.codePoint === 'U+1F600',
    );
  });

  it('rejects a value of the wrong length with the count it saw', () => {
    for (const value of ['', 'A9993E', `${sha1}00`, `${sha1}${sha1}`]) {
      assert.throws(
        () => normalizeThumbprint(value),
        (error: unknown) =>
          isClaimsgateError(error, 'CG_TRUST_THUMBPRINT_INVALID') && error.detail.observed === value.length,
      );
    }
  });
});
