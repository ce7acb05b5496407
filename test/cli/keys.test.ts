import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { readFixture, fixturePath } from '../helpers/fixtures.js';
import {
  OFFICE365_ISSUER,
  OFFICE365_SHA1,
  createTempDatabase,
  errorCode,
  stdoutJson,
  type TempDatabase,
} from './store-cli.js';

interface KeyJson {
  id: string;
  issuer: string;
  sha1: string | null;
  sha256: string | null;
  state: string;
  source: string;
  hasCertificate: boolean;
  subject: string | null;
}

let db: TempDatabase;

beforeEach(async () => {
  db = createTempDatabase();
  for (const [name, uri] of [
    ['o365', OFFICE365_ISSUER],
    ['other', 'urn:other'],
  ] as const) {
    const run = await runInProcess(['issuers', 'add', name, '--issuer-uri', uri, '--db', db.path]);
    assert.equal(run.code, 0, run.stderr);
  }
});
afterEach(() => db.remove());

function keys(...args: string[]) {
  return runInProcess(['keys', ...args, '--db', db.path]);
}

async function listKeys(...args: string[]): Promise<KeyJson[]> {
  return stdoutJson(await keys('list', '--json', ...args));
}

describe('claimsgate keys add', () => {
  it('stores a pasted thumbprint clean and reports the invisible characters removed on stderr', async () => {
    const run = await keys(
      'add',
      '--issuer',
      'o365',
      '--thumbprint',
      `\u200e${OFFICE365_SHA1.toLowerCase()}`,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /U\+200E/);
    const key = stdoutJson<KeyJson>(run);
    assert.equal(key.sha1, OFFICE365_SHA1);
    assert.equal(key.source, 'manual');
    assert.equal(key.state, 'active');
    assert.equal(key.hasCertificate, false);
  });

  it('stores a certificate with its thumbprints and subject', async () => {
    const run = await keys(
      'add',
      '--issuer',
      'o365',
      '--certificate',
      fixturePath('interop/office365.pem'),
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const key = stdoutJson<KeyJson>(run);
    assert.equal(key.sha1, OFFICE365_SHA1);
    assert.equal(key.sha256?.length, 64);
    assert.equal(key.hasCertificate, true);
  });

  it('reads the certificate from standard input with -', async () => {
    const run = await runInProcess(
      ['keys', 'add', '--issuer', 'o365', '--certificate', '-', '--db', db.path, '--json'],
      {
        stdin: readFixture('interop/office365.pem'),
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(stdoutJson<KeyJson>(run).sha1, OFFICE365_SHA1);
  });

  it('needs exactly one of --thumbprint and --certificate', async () => {
    assert.equal((await keys('add', '--issuer', 'o365')).code, 2);
    const both = await keys('add', '--issuer', 'o365', '--thumbprint', OFFICE365_SHA1, '--certificate', '-');
    assert.equal(both.code, 2);
  });

  it('refuses a thumbprint with a character that cannot be part of one', async () => {
    const run = await keys(
      'add',
      '--issuer',
      'o365',
      '--thumbprint',
      `${OFFICE365_SHA1.slice(0, 39)}Z`,
      '--json',
    );
    assert.equal(run.code, 1);
    assert.equal(errorCode(run), 'CG_TRUST_THUMBPRINT_INVALID');
    assert.deepEqual(await listKeys(), []);
  });
});

describe('claimsgate keys revoke and list', () => {
  beforeEach(async () => {
    for (const issuer of ['o365', 'other']) {
      const run = await keys('add', '--issuer', issuer, '--thumbprint', OFFICE365_SHA1);
      assert.equal(run.code, 0, run.stderr);
    }
  });

  it('revokes a key named by thumbprint and issuer, with an audit entry', async () => {
    const run = await keys(
      'revoke',
      OFFICE365_SHA1.toLowerCase(),
      '--issuer',
      'o365',
      '--reason',
      'compromised',
      '--yes',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(stdoutJson<KeyJson>(run).state, 'revoked');
    assert.deepEqual(
      (await listKeys()).map((key) => key.issuer),
      ['other'],
    );
    assert.deepEqual(
      (await listKeys('--all', '--issuer', 'o365')).map((key) => key.state),
      ['revoked'],
    );
    const audit = stdoutJson<Array<{ action: string; actor: string; subject: string; issuer: string }>>(
      await runInProcess(['audit', '--db', db.path, '--json']),
    );
    const revoked = audit.filter((entry) => entry.action === 'key.revoked');
    assert.deepEqual(
      revoked.map((entry) => [entry.actor, entry.issuer]),
      [['cli:test', 'o365']],
    );
  });

  it('revokes a key named by its ID', async () => {
    const [key] = await listKeys('--issuer', 'other');
    const run = await keys('revoke', key!.id, '--yes', '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(stdoutJson<KeyJson>(run).issuer, 'other');
  });

  it('needs --issuer when the thumbprint is a key of several issuers', async () => {
    const run = await keys('revoke', OFFICE365_SHA1, '--yes');
    assert.equal(run.code, 2);
    assert.equal((await listKeys()).length, 2);
  });

  it('asks before revoking, and refuses without a terminal or --yes', async () => {
    const refused = await keys('revoke', OFFICE365_SHA1, '--issuer', 'o365', '--json');
    assert.equal(errorCode(refused), 'CG_CONFIG_CONFIRMATION_REQUIRED');
    const declined = await runInProcess(
      ['keys', 'revoke', OFFICE365_SHA1, '--issuer', 'o365', '--db', db.path],
      {
        confirm: false,
      },
    );
    assert.equal(declined.code, 1);
    assert.equal((await listKeys()).length, 2);
  });

  it('reports an unknown key with CG_STORE_NOT_FOUND', async () => {
    const run = await keys('revoke', '00'.repeat(20), '--yes', '--json');
    assert.equal(errorCode(run), 'CG_STORE_NOT_FOUND');
  });
});
