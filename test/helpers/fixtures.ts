import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The real fixtures the project carries: federation metadata and key sets
 * (`metadata/`, provenance and licences in its SOURCES.md) and tokens real
 * identity providers issued (`interop/`, provenance in its README.md).
 */
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

/** The bytes of a fixture, by its path under test/fixtures/ (e.g. `metadata/adfs-v2.federationmetadata.xml`). */
export function readFixture(path: string): Buffer {
  return readFileSync(join(fixturesDir, path));
}

/** The path of a fixture under test/fixtures/. */
export function fixturePath(path: string): string {
  return join(fixturesDir, path);
}
