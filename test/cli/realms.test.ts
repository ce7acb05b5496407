import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { createTempDatabase, errorCode, stdoutJson, type TempDatabase } from './store-cli.js';

interface RealmJson {
  id: string;
  realmUri: string;
  replyUrl: string;
  homeRealm: string | null;
  allowedIssuerIds: string[];
  allowedIssuers: string[];
}

const REALM = 'https://app.example.com/';
let db: TempDatabase;

beforeEach(async () => {
  db = createTempDatabase();
  for (const name of ['contoso', 'fabrikam']) {
    const run = await runInProcess(['issuers', 'add', name, '--issuer-uri', `urn:${name}`, '--db', db.path]);
    assert.equal(run.code, 0, run.stderr);
  }
});
afterEach(() => db.remove());

function realms(...args: string[]) {
  return runInProcess(['realms', ...args, '--db', db.path]);
}

describe('claimsgate realms', () => {
  it('adds, lists, shows, edits and removes a realm', async () => {
    const added = await realms(
      'add',
      REALM,
      '--reply-url',
      'https://app.example.com/signin',
      '--home-realm',
      'contoso',
      '--allow-issuer',
      'contoso',
      '--allow-issuer',
      'fabrikam',
      '--json',
    );
    assert.equal(added.code, 0, added.stderr);
    const realm = stdoutJson<RealmJson>(added);
    assert.equal(realm.homeRealm, 'contoso');
    assert.deepEqual(realm.allowedIssuers, ['contoso', 'fabrikam']);

    const listed = stdoutJson<RealmJson[]>(await realms('list', '--json'));
    assert.deepEqual(
      listed.map((entry) => entry.realmUri),
      [REALM],
    );
    const shown = stdoutJson<RealmJson>(await realms('show', realm.id, '--json'));
    assert.equal(shown.replyUrl, 'https://app.example.com/signin');

    const edited = await realms('edit', REALM, '--any-issuer', '--home-realm', '', '--json');
    assert.equal(edited.code, 0, edited.stderr);
    assert.deepEqual(stdoutJson<RealmJson>(edited).allowedIssuerIds, []);
    assert.equal(stdoutJson<RealmJson>(edited).homeRealm, null);

    const removed = await realms('remove', REALM);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(errorCode(await realms('show', REALM, '--json')), 'CG_STORE_NOT_FOUND');
  });

  it('refuses an issuer that does not exist', async () => {
    const run = await realms(
      'add',
      REALM,
      '--reply-url',
      'https://app.example.com/',
      '--allow-issuer',
      'nobody',
      '--json',
    );
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), 'CG_STORE_NOT_FOUND');
    assert.deepEqual(stdoutJson<RealmJson[]>(await realms('list', '--json')), []);
  });

  it('refuses a reply URL that is not http(s) as a usage error', async () => {
    assert.equal((await realms('add', REALM, '--reply-url', 'javascript:alert(1)')).code, 2);
  });

  it('refuses a duplicate realm with CG_STORE_DUPLICATE', async () => {
    assert.equal((await realms('add', REALM, '--reply-url', 'https://a.example/')).code, 0);
    const run = await realms('add', REALM, '--reply-url', 'https://b.example/', '--json');
    assert.equal(errorCode(run), 'CG_STORE_DUPLICATE');
  });
});
