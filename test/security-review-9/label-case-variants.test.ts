/**
 * Security review 9: a label belongs to one issuer, compared "without regard
 * to case or width" (label-conflicts.ts), for applications commonly compare
 * user names case-insensitively. The compared form lower-cases with
 * `toLowerCase`, which is not case folding: the same word in two cases can
 * still lower-case apart. `ΑΣ` lower-cases to `ας` (a final sigma) and `ασ`
 * stays `ασ`; `STRASSE` stays `strasse` and `straße` keeps its `ß`; `I` and
 * the dotless `ı`. Upper-cased, each pair is one string (`ΑΣ`, `STRASSE`,
 * `I`), and that is how case-insensitive comparisons commonly go (Java's
 * `equalsIgnoreCase`, .NET's `OrdinalIgnoreCase`, SQL collations): two
 * issuers could hand applications `ΑΣ:alice` and `ασ:alice` as one user.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

let directory: string;
let store: Store;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), 'claimsgate-sr9-labels-'));
  store = await openStore(join(directory, 'store.db'));
});
after(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

let count = 0;
function addIssuer(label: string) {
  count += 1;
  return store.createIssuer(
    { name: `issuer-${count}`, issuerUri: `https://idp${count}.test/`, label },
    'admin:test',
  );
}

const duplicate = (error: unknown): boolean =>
  isClaimsgateError(error) && error.code === 'CG_STORE_DUPLICATE';

describe('security review 9: labels that differ only in case', () => {
  for (const [first, second] of [
    ['ΑΣ', 'ασ'],
    ['STRASSE', 'straße'],
    ['I', 'ı'],
  ] as const) {
    it(`refuses ${second} beside ${first} (fails: both taken)`, async () => {
      await addIssuer(first);
      await assert.rejects(addIssuer(second), duplicate);
    });
  }

  it("refuses an issuer label one case away from another issuer's mapping label (fails: taken)", async () => {
    const owner = await addIssuer('ΚΟΣΜΟΣ-owner');
    await store.createClaimMapping(
      { issuerId: owner.id, label: 'ΚΟΣΜΟΣ', nameClaim: 'http://schemas.xmlsoap.org/claims/upn' },
      'admin:test',
    );
    await assert.rejects(addIssuer('κοσμοσ'), duplicate);
  });
});
