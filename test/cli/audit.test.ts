import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import type { MetadataServer } from '../helpers/metadata-server.js';
import {
  createTempDatabase,
  errorCode,
  serveAdfsMetadata,
  stdoutJson,
  type TempDatabase,
} from './store-cli.js';

interface EntryJson {
  id: number;
  at: string;
  actor: string;
  action: string;
  issuer: string | null;
  subject: string | null;
  refresh: { url: string; httpStatus: number; etag: string | null; sha256: string | null } | null;
}

// Days inside the AD FS 2016 fixture's certificate validity (2017-01-23 to 2018-01-23).
const DAY1 = new Date('2017-06-01T08:00:00Z');
const DAY2 = new Date('2017-06-02T08:00:00Z');
let server: MetadataServer;
let db: TempDatabase;

before(async () => {
  server = await serveAdfsMetadata();
});
after(() => server.close());

beforeEach(async () => {
  db = createTempDatabase();
  const adfs = await runInProcess(
    ['issuers', 'add', 'adfs', '--metadata-url', server.url, '--yes', '--db', db.path],
    {
      now: DAY1,
    },
  );
  assert.equal(adfs.code, 0, adfs.stderr);
  const legacy = await runInProcess(
    ['issuers', 'add', 'legacy', '--issuer-uri', 'urn:legacy', '--db', db.path],
    {
      now: DAY2,
    },
  );
  assert.equal(legacy.code, 0, legacy.stderr);
});
afterEach(() => db.remove());

async function audit(...args: string[]): Promise<EntryJson[]> {
  const run = await runInProcess(['audit', '--db', db.path, '--json', ...args]);
  assert.equal(run.code, 0, run.stderr);
  return stdoutJson(run);
}

describe('claimsgate audit', () => {
  it('lists every entry oldest first, a refresh with its URL, HTTP status, ETag and SHA-256', async () => {
    const entries = await audit();
    assert.deepEqual(
      entries.map((entry) => entry.id),
      [...entries.map((entry) => entry.id)].sort((a, b) => a - b),
    );
    const refresh = entries.find((entry) => entry.refresh !== null);
    assert.equal(refresh?.refresh?.url, server.url);
    assert.equal(refresh.refresh.httpStatus, 200);
    assert.equal(refresh.refresh.sha256?.length, 64);
    assert.notEqual(refresh.refresh.etag, null);
  });

  it('shows the refresh facts in the table', async () => {
    const run = await runInProcess(['audit', '--db', db.path]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout.split('\n')[0] ?? '',
      /^ID +AT +ACTOR +ACTION +ISSUER +SUBJECT +URL +HTTP +ETAG +SHA-256$/,
    );
  });

  it('filters by issuer', async () => {
    const entries = await audit('--issuer', 'legacy');
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.issuer]),
      [['issuer.created', 'legacy']],
    );
  });

  it('filters by time', async () => {
    const entries = await audit('--since', '2017-06-02T00:00:00Z');
    assert.deepEqual(
      entries.map((entry) => entry.subject),
      ['legacy'],
    );
    assert.ok((await audit('--since', '2017-06-01T00:00:00Z')).length > 1);
  });

  it('returns at most --limit entries, from the oldest', async () => {
    const entries = await audit('--limit', '2');
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.issuer]),
      [
        ['issuer.created', 'adfs'],
        ['metadata.updated', 'adfs'],
      ],
    );
  });

  it('refuses a bad --since or --limit as a usage error, and an unknown issuer with CG_STORE_NOT_FOUND', async () => {
    assert.equal((await runInProcess(['audit', '--db', db.path, '--since', 'yesterday'])).code, 2);
    assert.equal((await runInProcess(['audit', '--db', db.path, '--limit', '0'])).code, 2);
    const run = await runInProcess(['audit', '--db', db.path, '--issuer', 'nobody', '--json']);
    assert.equal(errorCode(run), 'CG_STORE_NOT_FOUND');
  });
});
