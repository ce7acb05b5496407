import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/fixtures.js';

const run = promisify(execFile);
const configPath = join(repoRoot, '.dependency-cruiser.js');
const cruiser = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** Runs dependency-cruiser as `npx depcruise src` does, with the repository's rules, in `cwd`. */
async function cruise(cwd: string): Promise<{ violations: Violation[]; modules: number }> {
  const args = [cruiser, 'src', '--config', configPath, '--output-type', 'json'];
  // The cruiser exits non-zero when it finds violations; its report is on stdout either way.
  const { stdout } = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  const report = JSON.parse(stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number };
  };
  return {
    violations: report.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })),
    modules: report.summary.totalCruised,
  };
}

function writeTree(root: string, files: Readonly<Record<string, string>>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The folder rules as the configuration writes them down. */
async function allowedImports(): Promise<ReadonlyMap<string, readonly string[]>> {
  const loaded: unknown = await import(pathToFileURL(configPath).href);
  const table: unknown = (loaded as { allowedImports?: unknown }).allowedImports;
  assert.ok(typeof table === 'object' && table !== null, 'the configuration exports allowedImports');
  const entries = Object.entries(table as Record<string, unknown>).map(
    ([folder, allowed]): [string, string[]] => {
      assert.ok(isStringList(allowed), `allowedImports.${folder} is a list of folder names`);
      return [folder, allowed];
    },
  );
  return new Map(entries);
}

describe('the import boundaries of src/', () => {
  // A small tree shaped like src/, with one import against each rule and some that are allowed.
  let fixture: string;
  let fixtureResult: Promise<{ violations: Violation[]; modules: number }>;
  let sourceResult: Promise<{ violations: Violation[]; modules: number }>;

  before(() => {
    fixture = mkdtempSync(join(tmpdir(), 'claimsgate-boundaries-'));
    writeTree(fixture, {
      'package.json': JSON.stringify({
        name: 'boundaries-fixture',
        type: 'module',
        dependencies: { pg: '*' },
        devDependencies: { prettier: '*' },
      }),
      'tsconfig.json': JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      }),
      'src/lib/errors.ts': 'export const code = 1;\n',
      'src/lib/cycle-a.ts': "import { b } from './cycle-b.js';\nexport const a = () => b;\n",
      'src/lib/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = () => a;\n",
      'src/tokens/trust-snapshot.ts': 'export interface TrustSnapshot { readonly builtAt: Date }\n',
      // Allowed: tokens may import lib; a package that is a dependency.
      'src/tokens/validate.ts': [
        "import { code } from '../lib/errors.js';",
        "import pg from 'pg';",
        // Forbidden: the token validators never import the store.
        "import { stored } from '../store/model.js';",
        'export const v = [code, stored, pg];',
        '',
      ].join('\n'),
      'src/store/model.ts': 'export const stored = 1;\nexport interface KeyRecord { readonly id: string }\n',
      'src/store/store.ts': 'export const open = () => 1;\n',
      // Allowed: trust takes the store's record types.
      'src/trust/from-records.ts': [
        "import type { KeyRecord } from '../store/model.js';",
        "import type { TrustSnapshot } from '../tokens/trust-snapshot.js';",
        'export type Built = [KeyRecord, TrustSnapshot];',
        '',
      ].join('\n'),
      // Forbidden: trust calling the store, and taking a value from its model.
      'src/trust/loads-store.ts': "import { open } from '../store/store.js';\nexport const o = open;\n",
      'src/trust/model-value.ts': "import { stored } from '../store/model.js';\nexport const s = stored;\n",
      // Forbidden: shipped code importing a test helper, a devDependency, nothing.
      'src/metadata/uses-test.ts':
        "import { helper } from '../../test/helper.js';\nexport const h = helper;\n",
      'src/metadata/uses-dev-dependency.ts': "import prettier from 'prettier';\nexport const p = prettier;\n",
      'src/metadata/unresolved.ts': "import { gone } from './gone.js';\nexport const g = gone;\n",
      'test/helper.ts': 'export const helper = 1;\n',
    });
    // The fixture's packages resolve to the repository's own installation.
    symlinkSync(join(repoRoot, 'node_modules'), join(fixture, 'node_modules'), 'dir');
    // Both runs at once: each is a separate process.
    fixtureResult = cruise(fixture);
    sourceResult = cruise(repoRoot);
  });

  after(() => {
    rmSync(fixture, { recursive: true, force: true });
  });

  it('reports each forbidden import of a fixture tree, and only those', async () => {
    const { violations } = await fixtureResult;
    // The symlinked packages are reported by their real path: keep what follows node_modules/.
    const found = violations
      .map((v) => `${v.rule}: ${v.from} → ${v.to.replace(/^.*\/node_modules\//, 'node_modules/')}`)
      .sort();
    assert.deepEqual(found, [
      // A cycle is reported once, from one of its modules.
      'no-circular-types: src/lib/cycle-a.ts → src/lib/cycle-b.ts',
      'no-circular: src/lib/cycle-a.ts → src/lib/cycle-b.ts',
      'resolvable: src/metadata/unresolved.ts → ./gone.js',
      'src-not-to-dev-dependencies: src/metadata/uses-dev-dependency.ts → node_modules/prettier/index.cjs',
      'src-not-to-tests: src/metadata/uses-test.ts → test/helper.ts',
      'tokens-imports: src/tokens/validate.ts → src/store/model.ts',
      'trust-reads-store-records-only: src/trust/loads-store.ts → src/store/store.ts',
      'trust-store-types-only: src/trust/loads-store.ts → src/store/store.ts',
      'trust-store-types-only: src/trust/model-value.ts → src/store/model.ts',
    ]);
  });

  it('finds no forbidden import in src/', async () => {
    const { violations, modules } = await sourceResult;
    assert.deepEqual(violations, []);
    // Guard against a run that cruised nothing.
    assert.ok(modules > 200, `only ${modules} modules were cruised`);
  });

  it('places every folder of src/ in the allowed graph', async () => {
    const allowed = await allowedImports();
    const folders = readdirSync(join(repoRoot, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual([...allowed.keys()].sort(), folders);
    for (const [folder, targets] of allowed) {
      for (const target of targets) assert.ok(allowed.has(target), `${folder} may import unknown ${target}`);
    }
  });

  it('keeps the allowed graph one-way', async () => {
    const allowed = await allowedImports();
    // Depth-first search for a back edge: a cycle in the allowed graph.
    const state = new Map<string, 'open' | 'done'>();
    const visit = (folder: string, path: readonly string[]): void => {
      if (state.get(folder) === 'done') return;
      assert.notEqual(
        state.get(folder),
        'open',
        `the allowed imports loop: ${[...path, folder].join(' → ')}`,
      );
      state.set(folder, 'open');
      for (const target of allowed.get(folder) ?? []) visit(target, [...path, folder]);
      state.set(folder, 'done');
    };
    for (const folder of allowed.keys()) visit(folder, []);
  });
});
