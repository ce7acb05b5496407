#!/usr/bin/env node
// Runs every test file under test/ with node's own test runner, TypeScript
// through tsx. Node 20's `node --test` does not expand `**` globs itself, so
// the files are listed here. Arguments narrow the run to files whose path
// contains one of them: `npm test -- crypto metadata`.
//
// Suites that need a service which is missing (PostgreSQL, Debian's chromium)
// are skipped by test/helpers/service-gate.ts, which writes each one to a log
// this script names; the list is printed after node's own summary, so that a
// green run cannot hide a missing service. The tests that failed are printed
// there too (scripts/failure-reporter.mjs), so that a log cut to its end still
// names them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function collect(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...collect(path));
    else if (entry.name.endsWith('.test.ts')) files.push(relative(root, path));
  }
  return files.sort();
}

const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const passThrough = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const files = collect(join(root, 'test')).filter(
  (file) => filters.length === 0 || filters.some((filter) => file.includes(filter)),
);
if (files.length === 0) {
  console.error(`No test files match ${filters.join(', ')}.`);
  process.exit(1);
}
const skipDir = mkdtempSync(join(tmpdir(), 'claimsgate-skips-'));
const skipLog = join(skipDir, 'skipped.txt');
const failureLog = join(skipDir, 'failed.txt');
// node's own reporter (spec on a terminal, TAP otherwise, as node chooses),
// unless the caller names reporters; beside it, the failure list.
const reporters = passThrough.some((arg) => arg.startsWith('--test-reporter'))
  ? []
  : [
      `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(root, 'scripts', 'failure-reporter.mjs')}`,
      `--test-reporter-destination=${failureLog}`,
    ];
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...passThrough, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, CG_TEST_SKIP_LOG: skipLog } },
);
let failed = '';
try {
  failed = readFileSync(failureLog, 'utf8');
} catch {
  // The caller chose the reporters, or node wrote nothing.
}
let skipped = [];
try {
  skipped = readFileSync(skipLog, 'utf8').split('\n').filter(Boolean);
} catch {
  // No suite was skipped: the log was never written.
}
rmSync(skipDir, { recursive: true, force: true });
if (failed.trim() !== '') {
  console.log('# failed tests:');
  process.stdout.write(failed);
}
if (skipped.length > 0) {
  console.log(`# ${skipped.length} suite(s) skipped because a service is missing:`);
  for (const line of skipped) console.log(`#   ${line}`);
}
process.exit(result.status ?? 1);
