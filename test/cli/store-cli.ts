/**
 * What the CLI tests over the store share: a fresh SQLite file per test, the
 * AD FS 2016 metadata served on 127.0.0.1, and JSON parsing of a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFixture } from '../helpers/fixtures.js';
import { startMetadataServer, type MetadataServer } from '../helpers/metadata-server.js';
import type { CliRun } from '../helpers/cli.js';

export const ADFS_ISSUER = 'http://fs.msidlab11.com/adfs/services/trust';
export const ADFS_SIGNING_SHA1 = 'D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB';
export const ADFS_METADATA = readFixture('metadata/adfs2016.federationmetadata.xml').toString('utf8');
/** An instant inside the AD FS 2016 signing certificate's validity (2017-01-23 to 2018-01-23). */
export const ADFS_VALID_AT = new Date('2017-06-01T12:00:00Z');
/** When that certificate expired. */
export const ADFS_SIGNING_NOT_AFTER = '2018-01-23T21:28:39.000Z';

export const OFFICE365_ISSUER = 'https://sts.windows.net/75696069-df44-4310-9bcf-08b45e3007c9/';
export const OFFICE365_SHA1 = '3464C5BDD2BE7F2B6112E2F08E9C0024E33D9FE0';

/** A database file in a fresh temporary directory, removed by `remove()`. */
export interface TempDatabase {
  readonly path: string;
  remove(): void;
}

export function createTempDatabase(): TempDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'claimsgate-cli-'));
  return { path: join(dir, 'claimsgate.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Serves the AD FS 2016 metadata fixture (its certificate expired in 2018: add it at {@link ADFS_VALID_AT}). */
export function serveAdfsMetadata(): Promise<MetadataServer> {
  return startMetadataServer({ kind: 'document', body: ADFS_METADATA });
}

/** The JSON a run printed on stdout. */
export function stdoutJson<T>(run: CliRun): T {
  return JSON.parse(run.stdout) as T;
}

/** The code of the coded error a `--json` run printed on stderr. */
export function errorCode(run: CliRun): string {
  return (JSON.parse(run.stderr) as { error: { code: string } }).error.code;
}
