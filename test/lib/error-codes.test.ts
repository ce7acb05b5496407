import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderErrorDocs } from '../../scripts/generate-error-docs.js';
import { ERROR_CODES, isErrorCode, type ErrorArea, type ErrorCode } from '../../src/lib/error-codes.js';
import { ClaimsgateError } from '../../src/lib/errors.js';
import { repoRoot } from '../helpers/fixtures.js';

describe('the error-code registry', () => {
  it('is documented word for word in docs/errors.md (run `npm run docs:errors` after changing it)', () => {
    const committed = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
    assert.equal(committed, renderErrorDocs());
  });

  it('names every code CG_<AREA>_<CONDITION> with a known area', () => {
    const areas: ReadonlySet<string> = new Set<ErrorArea | 'ADMIN' | 'GATEWAY'>([
      'XML',
      'CERT',
      'TRUST',
      'SIG',
      'META',
      'TOKEN',
      'STORE',
      'SESSION',
      'CONFIG',
      'ADMIN',
      'GATEWAY',
    ]);
    for (const code of Object.keys(ERROR_CODES)) {
      assert.match(code, /^CG_[A-Z]+_[A-Z0-9_]+$/);
      assert.ok(areas.has(code.split('_')[1]!), code);
    }
  });

  it('gives every code a meaning and a hint that end as sentences', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.match(spec.meaning, /[.)]$/, code);
      assert.match(spec.hint, /[.)]$/, code);
    }
  });

  it('types the union from the registry, so a switch over codes narrows', () => {
    const code: ErrorCode = 'CG_XML_TOO_LARGE';
    assert.ok(isErrorCode(code));
    assert.ok(!isErrorCode('CG_NOT_A_CODE'));
    // Type-level check: every key is an ErrorCode and every ErrorCode is a key.
    const everyCode: Record<ErrorCode, true> = Object.fromEntries(
      Object.keys(ERROR_CODES).map((k) => [k, true]),
    ) as Record<ErrorCode, true>;
    assert.equal(Object.keys(everyCode).length, Object.keys(ERROR_CODES).length);
  });

  it('fills the hint from the registry unless the thrower gives a sharper one', () => {
    const generic = new ClaimsgateError('CG_XML_MALFORMED', 'broken');
    assert.equal(generic.hint, ERROR_CODES.CG_XML_MALFORMED.hint);
    const specific = new ClaimsgateError('CG_XML_MALFORMED', 'broken', { hint: 'Do this.' });
    assert.equal(specific.hint, 'Do this.');
    assert.deepEqual(Object.keys(specific.toJSON()), ['code', 'message', 'hint', 'detail']);
  });
});
