import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { createCertificatePool, startMetadataFarm, type MetadataFarm } from '../../bench/scale-farm.js';
import { runInProcess } from '../helpers/cli.js';
import { createTempDatabase, errorCode, stdoutJson, type TempDatabase } from './store-cli.js';

interface Outcome {
  line: number;
  name: string;
  status: string;
  code?: string;
  trustedKeys?: number;
}

let farm: MetadataFarm;
let db: TempDatabase;

before(async () => {
  farm = await startMetadataFarm(6, await createCertificatePool(8, 2));
});
after(() => farm.close());
beforeEach(() => {
  db = createTempDatabase();
});
afterEach(() => db.remove());

/** JSON Lines naming the farm's first `count` issuers. */
function lines(count: number): string {
  return farm.issuers
    .slice(0, count)
    .map((issuer) => JSON.stringify({ name: issuer.name, metadataUrl: issuer.metadataUrl }))
    .join('\n');
}

function addMany(stdin: string, ...extra: string[]) {
  return runInProcess(['issuers', 'add-many', '-', '--db', db.path, ...extra], { stdin });
}

async function issuerNames(): Promise<string[]> {
  const run = await runInProcess(['issuers', 'list', '--db', db.path, '--json']);
  return stdoutJson<Array<{ name: string }>>(run)
    .map((issuer) => issuer.name)
    .sort();
}

describe('claimsgate issuers add-many', () => {
  it('adds every issuer of the file with the keys its metadata publishes, each audited', async () => {
    const run = await addMany(`# tenants\n${lines(4)}\n\n`, '--yes', '--json', '--concurrency', '3');
    assert.equal(run.code, 0, run.stderr);
    const outcomes = stdoutJson<{ issuers: Outcome[] }>(run).issuers;
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.line, outcome.status]),
      [
        [2, 'added'],
        [3, 'added'],
        [4, 'added'],
        [5, 'added'],
      ],
    );
    assert.ok(outcomes.every((outcome) => (outcome.trustedKeys ?? 0) >= 2));
    assert.deepEqual(await issuerNames(), ['scale-0', 'scale-1', 'scale-2', 'scale-3']);
    const keys = stdoutJson<Array<{ issuer: string; source: string }>>(
      await runInProcess(['keys', 'list', '--db', db.path, '--json']),
    );
    assert.ok(keys.length >= 8 && keys.every((key) => key.source === 'metadata'));
  });

  it('stores nothing when one entry fails its check, and the others with --skip-failed', async () => {
    const broken = `${lines(2)}\n${JSON.stringify({ name: 'gone', metadataUrl: `${farm.issuers[0]!.metadataUrl.replace('/0/', '/999/')}` })}`;
    const refused = await addMany(broken, '--yes', '--json');
    assert.equal(refused.code, 1);
    const outcomes = stdoutJson<{ issuers: Outcome[] }>(refused).issuers;
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.name, outcome.status, outcome.code]),
      [
        ['scale-0', 'not-stored', undefined],
        ['scale-1', 'not-stored', undefined],
        ['gone', 'failed', 'CG_META_HTTP_STATUS'],
      ],
    );
    assert.deepEqual(await issuerNames(), []);
    const partial = await addMany(broken, '--yes', '--skip-failed');
    assert.equal(partial.code, 1, 'not every issuer was added');
    assert.match(partial.stdout, /Added 2 of 3 issuers/);
    assert.deepEqual(await issuerNames(), ['scale-0', 'scale-1']);
  });

  it('fails an entry whose name is taken, before fetching it', async () => {
    assert.equal((await addMany(lines(1), '--yes')).code, 0);
    const requests = farm.counts().requests;
    const run = await addMany(lines(1), '--yes', '--json');
    assert.equal(run.code, 1);
    assert.equal(stdoutJson<{ issuers: Outcome[] }>(run).issuers[0]?.code, 'CG_STORE_DUPLICATE');
    assert.equal(farm.counts().requests, requests, 'no fetch for a taken name');
  });

  it('checks and stores nothing with --dry-run', async () => {
    const run = await addMany(lines(3), '--dry-run');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /3 issuers; 3 checked, 0 failed[\s\S]*Dry run: nothing was stored/);
    assert.deepEqual(await issuerNames(), []);
  });

  it('asks once, and stores nothing when told no or when there is no terminal', async () => {
    const questions: string[] = [];
    const declined = await runInProcess(['issuers', 'add-many', '-', '--db', db.path], {
      stdin: lines(2),
      confirm: false,
      questions,
    });
    assert.equal(declined.code, 1);
    assert.equal(questions.length, 1);
    assert.match(questions[0]!, /Add 2 issuers/);
    const headless = await addMany(lines(2), '--json');
    assert.equal(errorCode(headless), 'CG_CONFIG_CONFIRMATION_REQUIRED');
    assert.deepEqual(await issuerNames(), []);
  });

  for (const [why, text, line] of [
    ['a line that is not JSON', () => `${lines(1)}\n{"name": "x",`, 2],
    ['a line that is not an object', () => `${lines(1)}\n[1, 2]`, 2],
    ['a line without a name', () => '{"metadataUrl":"https://x.test/md"}', 1],
    ['a line with neither metadataUrl nor issuerUri', () => '{"name":"x"}', 1],
    [
      'a field of the wrong type',
      () => '{"name":"x","metadataUrl":"https://x.test/md","allowSha1":"yes"}',
      1,
    ],
    ['an unknown field', () => '{"name":"x","metadataUrl":"https://x.test/md","thumbprint":"AB"}', 1],
    ['a name listed twice', () => `${lines(1)}\n${lines(1)}`, 2],
  ] as const) {
    it(`refuses the whole file for ${why}, fetching and storing nothing`, async () => {
      const requests = farm.counts().requests;
      const run = await addMany(text(), '--yes', '--json');
      assert.equal(run.code, 1);
      assert.equal(errorCode(run), 'CG_CONFIG_INPUT_INVALID');
      assert.equal(
        (JSON.parse(run.stderr) as { error: { detail: { line?: number } } }).error.detail.line,
        line,
      );
      assert.equal(farm.counts().requests, requests);
      assert.deepEqual(await issuerNames(), []);
    });
  }

  it('refuses an empty file and a bad --concurrency', async () => {
    assert.equal(errorCode(await addMany('\n# nothing\n', '--yes', '--json')), 'CG_CONFIG_INPUT_INVALID');
    assert.equal(
      errorCode(await addMany(lines(1), '--yes', '--json', '--concurrency', '0')),
      'CG_CONFIG_INVALID',
    );
  });
});
