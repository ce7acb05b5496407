import assert from 'node:assert/strict';
import type { ConfigProblem } from '../../src/config/config-problems.js';
import { isClaimsgateError, type ClaimsgateError } from '../../src/lib/errors.js';

/** Random-looking sealing secrets for tests (32 bytes each), hex and base64. */
export const SECRET_HEX = '88d2b4484016ec5f2431f526f0d4fc647edac89ac93259984072a66c182245b1';
export const SECRET_BASE64 = 'eXdqgtXrAtb7Djay/wd3CnTAzbFkj+JtaaZBIoJxvKY=';

/** An environment with one good production key, for tests that are about something else. */
export const KEYED_ENV: Readonly<Record<string, string>> = { CLAIMSGATE_SESSION_KEYS: `k1:${SECRET_HEX}` };

/** A readFile over an in-memory set of files; a missing one throws ENOENT as fs does. */
export function memoryFiles(files: Readonly<Record<string, string>>): (path: string) => string {
  return (path) => {
    if (!Object.hasOwn(files, path)) {
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    }
    return files[path]!;
  };
}

/** Runs `load`, expects CG_CONFIG_INVALID, and returns the error and its problems. */
export function expectInvalid(load: () => unknown): {
  error: ClaimsgateError;
  problems: readonly ConfigProblem[];
} {
  let caught: unknown;
  try {
    load();
  } catch (error) {
    caught = error;
  }
  assert.ok(
    isClaimsgateError(caught, 'CG_CONFIG_INVALID'),
    `expected CG_CONFIG_INVALID, got ${String(caught)}`,
  );
  const problems = caught.detail['problems'] as readonly ConfigProblem[];
  assert.ok(Array.isArray(problems) && problems.length > 0);
  return { error: caught, problems };
}

/** The problem at `path`, failing the test when there is none. */
export function problemAt(problems: readonly ConfigProblem[], path: string): ConfigProblem {
  const problem = problems.find((candidate) => candidate.path === path);
  assert.ok(problem, `no problem at ${path}; got ${problems.map((p) => p.path).join(', ')}`);
  return problem;
}
