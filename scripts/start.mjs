#!/usr/bin/env node
// `npm start`: a rollover drill on the embedded defaults, all on 127.0.0.1.
//
// 1. builds claimsgate;
// 2. starts the IdP simulator on 127.0.0.1:8788, which rolls its signing key
//    over (announce → switch → retire) every two minutes;
// 3. registers it as an issuer by its metadata URL in the SQLite store
//    ./data/claimsgate.db (once; refreshed every minute);
// 4. runs `claimsgate watch`: the rollover engine follows the simulator's keys,
//    and every change of trust is printed as it is written to the audit log.
//
// Ctrl-C stops both. CLAIMSGATE_DATABASE_URL, if set, is used instead of the
// SQLite file.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SIM_PORT = 8788;
const TENANT = '0f3c5b1e-7a2d-4e8f-9b6c-1d2e3f4a5b6c';
const METADATA_URL = `http://127.0.0.1:${SIM_PORT}/${TENANT}/federationmetadata/2007-06/federationmetadata.xml`;
const DATABASE = process.env.CLAIMSGATE_DATABASE_URL || './data/claimsgate.db';
const claimsgate = ['bin/claimsgate.js'];

function runSync(args, options = {}) {
  return spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...options }).status ?? 1;
}

async function waitForMetadata(deadline) {
  for (;;) {
    try {
      const response = await fetch(METADATA_URL);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`The IdP simulator did not answer at ${METADATA_URL}.`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

console.log('Building claimsgate…');
if (runSync(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']) !== 0) process.exit(1);

console.log(`Starting the IdP simulator on 127.0.0.1:${SIM_PORT} (a key rollover step every 2 minutes)…`);
const simulator = spawn(
  process.execPath,
  [...claimsgate, 'idp-sim', '--port', String(SIM_PORT), '--tenant', TENANT, '--rollover-every', '2m'],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
let stopping = false;
simulator.on('exit', (code) => {
  if (!stopping) {
    console.error(`The IdP simulator stopped (exit ${code}).`);
    process.exit(1);
  }
});
const stop = () => {
  stopping = true;
  simulator.kill('SIGTERM');
};
process.on('exit', stop);

try {
  await waitForMetadata(Date.now() + 30_000);
} catch (error) {
  console.error(String(error));
  stop();
  process.exit(1);
}

const known = spawnSync(
  process.execPath,
  [...claimsgate, 'issuers', 'show', 'idp-sim', '--db', DATABASE, '--json'],
  {
    cwd: root,
    stdio: 'ignore',
  },
);
if (known.status !== 0) {
  console.log(`\nRegistering the simulator as the issuer "idp-sim" in ${DATABASE}:\n`);
  const added = runSync([
    ...claimsgate,
    'issuers',
    'add',
    'idp-sim',
    '--metadata-url',
    METADATA_URL,
    '--label',
    'SIM',
    '--refresh-interval',
    '60',
    '--yes',
    '--db',
    DATABASE,
  ]);
  if (added !== 0) {
    stop();
    process.exit(1);
  }
}

console.log(
  '\nclaimsgate now follows the simulator by itself. Watch the keys arrive, switch and retire below;\n' +
    `the simulator's own view is at http://127.0.0.1:${SIM_PORT}/control/keys. Ctrl-C stops.\n`,
);
const watch = spawn(process.execPath, [...claimsgate, 'watch', '--db', DATABASE], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'ignore'],
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    watch.kill('SIGTERM');
  });
}
watch.on('exit', (code) => {
  stop();
  process.exit(code ?? 0);
});
