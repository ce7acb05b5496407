// Which folders of src/ may import which: the one-way flow of docs/architecture.md,
// written down once. test/architecture/boundaries.test.ts runs these rules on src/
// and on a fixture tree with a forbidden import, so a wrong import fails the tests;
// `npm run lint` runs them too (`npx depcruise src`).
//
// Each folder lists the folders it may import besides itself. To add an edge,
// add it here; the test refuses an allowed graph with a cycle, and every folder
// of src/ must have an entry.

/** @type {Readonly<Record<string, readonly string[]>>} */
export const allowedImports = {
  lib: [],
  crypto: ['lib'],
  xml: ['lib'],
  config: ['lib'],
  session: ['lib'],
  xmldsig: ['xml', 'crypto', 'lib'],
  metadata: ['xmldsig', 'xml', 'crypto', 'lib'],
  tokens: ['xmldsig', 'xml', 'crypto', 'lib'],
  store: ['tokens', 'metadata', 'crypto', 'lib'],
  trust: ['store', 'tokens', 'metadata', 'crypto', 'lib'],
  rollover: ['trust', 'store', 'tokens', 'metadata', 'lib'],
  management: ['rollover', 'store', 'tokens', 'metadata', 'xml', 'crypto', 'lib'],
  server: ['management', 'rollover', 'session', 'config', 'store', 'tokens', 'metadata', 'crypto', 'lib'],
  'idp-sim': ['xml', 'crypto', 'lib'],
  cli: [
    'server',
    'management',
    'idp-sim',
    'rollover',
    'trust',
    'store',
    'tokens',
    'metadata',
    'config',
    'xml',
    'crypto',
    'lib',
  ],
};

/** The public API (src/index.ts) may export from every folder but the applications. */
const indexMayNotImport = ['cli', 'server', 'management', 'idp-sim'];

/**
 * Named exceptions: cycles that exist today, each with its reason. A cycle
 * through other modules is still reported.
 */
const knownCycles = {
  runtime: [],
  types: [],
};

const folderRules = Object.entries(allowedImports).map(([folder, allowed]) => ({
  name: `${folder}-imports`,
  comment: `src/${folder} may import only ${allowed.length === 0 ? 'itself' : allowed.join(', ')} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: '^src/', pathNot: `^src/(${[folder, ...allowed].join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...folderRules,
    {
      name: 'trust-reads-store-records-only',
      comment:
        'src/trust builds snapshots from the store’s record types (store/model.ts) but never calls the store: loading is rollover’s job',
      severity: 'error',
      from: { path: '^src/trust/' },
      to: { path: '^src/store/', pathNot: '^src/store/model\\.ts$' },
    },
    {
      name: 'trust-store-types-only',
      comment: 'src/trust may take only types from store/model.ts',
      severity: 'error',
      from: { path: '^src/trust/' },
      to: { path: '^src/store/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'index-imports',
      comment: `src/index.ts (the public API) may not import ${indexMayNotImport.join(', ')}`,
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: `^src/(${indexMayNotImport.join('|')})/` },
    },
    {
      name: 'no-circular',
      comment: 'no module may load itself through others',
      severity: 'error',
      from: { pathNot: knownCycles.runtime.map((known) => known.path) },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-types',
      comment: 'no module may depend on itself through others, not even through types',
      severity: 'error',
      from: { pathNot: [...knownCycles.runtime, ...knownCycles.types].map((known) => known.path) },
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests',
      comment: 'the shipped code may not import tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts|examples)/' },
    },
    {
      name: 'src-not-to-dev-dependencies',
      comment: 'the shipped code may not import a devDependency: it is not installed with the package',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'src-not-to-undeclared-packages',
      comment: 'the shipped code may import only packages package.json declares',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'resolvable',
      comment: 'an import the cruiser cannot resolve would escape every rule above',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies of the design too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
