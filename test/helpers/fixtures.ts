import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The shared fixtures (real metadata, key sets and tokens), kept beside the
 * repository in ../shared/fixtures. CLAIMSGATE_SHARED_FIXTURES overrides it.
 */
export const sharedFixturesDir =
  process.env['CLAIMSGATE_SHARED_FIXTURES'] ?? join(repoRoot, '..', 'shared', 'fixtures');

if (!existsSync(sharedFixturesDir)) {
  throw new Error(
    `The shared fixtures are missing: expected them at ${sharedFixturesDir} (set CLAIMSGATE_SHARED_FIXTURES).`,
  );
}

/** The bytes of a shared fixture, by its path under fixtures/ (e.g. `metadata/adfs-v2.federationmetadata.xml`). */
export function readSharedFixture(path: string): Buffer {
  return readFileSync(join(sharedFixturesDir, path));
}

/** The path of a shared fixture. */
export function sharedFixturePath(path: string): string {
  return join(sharedFixturesDir, path);
}
