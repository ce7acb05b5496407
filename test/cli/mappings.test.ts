import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { createTempDatabase, errorCode, stdoutJson, type TempDatabase } from './store-cli.js';

interface MappingJson {
  id: string;
  issuer: string;
  label: string;
  nameClaim: string;
  groupClaim: string | null;
}

const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
let db: TempDatabase;

beforeEach(async () => {
  db = createTempDatabase();
  for (const name of ['contoso', 'fabrikam']) {
    const run = await runInProcess(['issuers', 'add', name, '--issuer-uri', `urn:${name}`, '--db', db.path]);
    assert.equal(run.code, 0, run.stderr);
  }
});
afterEach(() => db.remove());

function mappings(...args: string[]) {
  return runInProcess(['mappings', ...args, '--db', db.path]);
}

describe('claimsgate mappings', () => {
  it('adds, lists by issuer, edits and removes a claim mapping', async () => {
    const added = await mappings(
      'add',
      '--issuer',
      'contoso',
      '--label',
      'K2AAD',
      '--name-claim',
      UPN,
      '--group-claim',
      GROUPS,
      '--json',
    );
    assert.equal(added.code, 0, added.stderr);
    const mapping = stdoutJson<MappingJson>(added);
    assert.equal(mapping.issuer, 'contoso');
    assert.equal(mapping.groupClaim, GROUPS);
    assert.equal(
      (await mappings('add', '--issuer', 'fabrikam', '--label', 'FAB', '--name-claim', UPN)).code,
      0,
    );

    const listed = stdoutJson<MappingJson[]>(await mappings('list', '--issuer', 'contoso', '--json'));
    assert.deepEqual(
      listed.map((entry) => entry.label),
      ['K2AAD'],
    );
    const shown = stdoutJson<{ mappings: MappingJson[] }>(
      await runInProcess(['issuers', 'show', 'contoso', '--db', db.path, '--json']),
    );
    assert.deepEqual(
      shown.mappings.map((entry) => entry.id),
      [mapping.id],
    );

    const edited = await mappings('edit', mapping.id, '--label', 'CONTOSO', '--group-claim', '', '--json');
    assert.equal(edited.code, 0, edited.stderr);
    assert.equal(stdoutJson<MappingJson>(edited).label, 'CONTOSO');
    assert.equal(stdoutJson<MappingJson>(edited).groupClaim, null);
    assert.equal(stdoutJson<MappingJson>(edited).nameClaim, UPN);

    assert.equal((await mappings('remove', mapping.id)).code, 0);
    assert.deepEqual(
      stdoutJson<MappingJson[]>(await mappings('list', '--json')).map((entry) => entry.label),
      ['FAB'],
    );
  });

  it('needs the required options and at least one change', async () => {
    assert.equal((await mappings('add', '--issuer', 'contoso', '--label', 'K2AAD')).code, 2);
    const added = stdoutJson<MappingJson>(
      await mappings('add', '--issuer', 'contoso', '--label', 'L', '--name-claim', UPN, '--json'),
    );
    assert.equal((await mappings('edit', added.id)).code, 2);
  });

  it('reports an unknown mapping with CG_STORE_NOT_FOUND', async () => {
    const run = await mappings('remove', '00000000-0000-4000-8000-000000000000', '--json');
    assert.equal(errorCode(run), 'CG_STORE_NOT_FOUND');
  });
});
