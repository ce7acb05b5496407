/**
 * Security review 8: `issuers add-many` documents "When an entry fails …,
 * nothing is stored unless --skip-failed". Its checks (parseIssuerLines,
 * checkEntry) never compare lines with each other or with the store beyond
 * names: two lines claiming one e-mail domain (or one issuer URI) pass every
 * check, and the store then refuses the second after the first was stored.
 * The run stores part of the file without --skip-failed.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { createTempDatabase, stdoutJson, type TempDatabase } from '../cli/store-cli.js';

let db: TempDatabase;
beforeEach(() => {
  db = createTempDatabase();
});
afterEach(() => db.remove());

async function issuerNames(): Promise<string[]> {
  const run = await runInProcess(['issuers', 'list', '--db', db.path, '--json']);
  return stdoutJson<Array<{ name: string }>>(run)
    .map((issuer) => issuer.name)
    .sort();
}

describe('security review 8: issuers add-many partial writes', () => {
  for (const [what, second] of [
    ['an e-mail domain', { name: 'fabrikam', issuerUri: 'https://fabrikam.test/', domains: ['contoso.com'] }],
    ['an issuer URI', { name: 'fabrikam', issuerUri: 'https://contoso.test/' }],
  ] as const) {
    it(`stores nothing without --skip-failed when two lines claim ${what} (fails: first stored)`, async () => {
      const file = [
        JSON.stringify({ name: 'contoso', issuerUri: 'https://contoso.test/', domains: ['contoso.com'] }),
        JSON.stringify(second),
      ].join('\n');
      const run = await runInProcess(['issuers', 'add-many', '-', '--db', db.path, '--yes', '--json'], {
        stdin: file,
      });
      assert.notEqual(run.code, 0, 'the run reports a failure');
      assert.deepEqual(await issuerNames(), [], `stored without --skip-failed: ${run.stdout}`);
    });
  }
});
