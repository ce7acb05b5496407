#!/usr/bin/env node
// `npm start`: the claimsgate gateway on its embedded defaults, all on 127.0.0.1.
//
// 1. builds claimsgate;
// 2. writes ./data/claimsgate.yaml on the first run (a generated session key,
//    the public URL, the OpenID Connect client of the simulator, the admin
//    claim of the simulator's admin user, trusted from the simulator's two
//    issuers only);
// 3. starts the IdP simulator on 127.0.0.1:8788, which rolls its signing key
//    over (announce → switch → retire) every three minutes;
// 4. on the first run, registers in ./data/claimsgate.db: the simulator as
//    issuer "idp-sim" (WS-Federation and SAML 2.0, by its federation metadata
//    URL) and "idp-sim-oidc" (OpenID Connect, by its discovery URL), the realm
//    http://127.0.0.1:8787, a claim mapping per issuer, and a local admin
//    account whose generated password is printed once. Both issuers follow a
//    document that replaces every key with a critical alert
//    (--on-discontinuity accept-with-alert): the simulator serves plain http
//    and makes fresh keys at each start, which the default policy would hold
//    for an administrator's approval (docs/rollover.md, "Key continuity");
// 5. runs `claimsgate serve` on 127.0.0.1:8787.
//
// Ctrl-C stops both. CLAIMSGATE_DATABASE_URL, if set, is used instead of the
// SQLite file.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const GATEWAY = 'http://127.0.0.1:8787';
const SIM_PORT = 8788;
const SIM = `http://127.0.0.1:${SIM_PORT}`;
const TENANT = '0f3c5b1e-7a2d-4e8f-9b6c-1d2e3f4a5b6c';
const FEDERATION_METADATA = `${SIM}/${TENANT}/federationmetadata/2007-06/federationmetadata.xml`;
const OPENID_CONFIGURATION = `${SIM}/${TENANT}/v2.0/.well-known/openid-configuration`;
const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const ROLE_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
const GROUPS_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
const DATA = join(root, 'data');
const CONFIG = join(DATA, 'claimsgate.yaml');
const DATABASE = process.env.CLAIMSGATE_DATABASE_URL || './data/claimsgate.db';
const claimsgate = ['bin/claimsgate.js'];

/** Runs a claimsgate command to completion; returns its exit status and what it printed. */
function cli(args, { quiet = false } = {}) {
  const result = spawnSync(process.execPath, [...claimsgate, ...args, '--db', DATABASE], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0 && !quiet) {
    process.stderr.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
  }
  return { status: result.status ?? 1, stdout: result.stdout ?? '' };
}

function must(args) {
  const result = cli(args);
  if (result.status !== 0) {
    console.error(`claimsgate ${args.join(' ')} failed (exit ${result.status}).`);
    shutdown(1);
  }
  return result.stdout;
}

async function waitFor(url, deadline) {
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`Nothing answered at ${url}.`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const children = [];
let stopping = false;
function shutdown(code) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  if (code !== 0) process.exit(code);
  process.exitCode = code;
}

function start(args, name, env = process.env) {
  const child = spawn(process.execPath, [...claimsgate, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`${name} stopped (exit ${code}).`);
      shutdown(1);
    }
  });
  return child;
}

console.log('Building claimsgate…');
const built = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(1);

mkdirSync(DATA, { recursive: true });
if (!existsSync(CONFIG)) {
  const secret = randomBytes(32).toString('base64');
  writeFileSync(
    CONFIG,
    [
      '# Written by `npm start` on its first run; edit freely (docs/configuration.md).',
      'mode: development',
      'server:',
      '  host: 127.0.0.1',
      '  port: 8787',
      `  publicUrl: ${GATEWAY}`,
      'database:',
      `  url: ./data/claimsgate.db`,
      'session:',
      '  keys:',
      `    - { id: k1, secret: "${secret}" }`,
      'oidc:',
      '  clients:',
      '    idp-sim-oidc: { clientId: claimsgate-demo }',
      'admin:',
      '  adminClaim:',
      `    type: ${ROLE_CLAIM}`,
      '    value: Admin',
      '    # Only these issuers may make an administrator by the claim (none unless listed).',
      '    issuers: [idp-sim, idp-sim-oidc]',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  console.log(`Wrote ${CONFIG} (a generated session key; keep it private).`);
} else if (!/^\s+issuers:/m.test(readFileSync(CONFIG, 'utf8'))) {
  console.log(
    `Note: ${CONFIG} was written by an earlier release. To sign in as an admin through the simulator,\n` +
      'add "issuers: [idp-sim, idp-sim-oidc]" under admin.adminClaim (no issuer may grant the role otherwise).',
  );
}

console.log(`Starting the IdP simulator on 127.0.0.1:${SIM_PORT} (a key rollover step every 3 minutes)…`);
start(
  ['idp-sim', '--port', String(SIM_PORT), '--tenant', TENANT, '--rollover-every', '3m'],
  'The IdP simulator',
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => shutdown(0));

try {
  await waitFor(FEDERATION_METADATA, Date.now() + 30_000);
} catch (error) {
  console.error(String(error));
  shutdown(1);
}

// A local simulator over plain http, with fresh keys at each start: its issuers follow an
// emergency-like replacement of every key with a critical alert instead of holding it for
// approval (see docs/rollover.md, "Key continuity"). Never do this for a real issuer over http.
const ON_DISCONTINUITY = ['--on-discontinuity', 'accept-with-alert'];

/** Gives an issuer registered by an older `npm start` (policy never chosen: auto) the demo's policy. */
function followSimulatorRestarts(name) {
  const shown = cli(['issuers', 'show', name, '--json'], { quiet: true });
  if (shown.status !== 0) return false;
  if (JSON.parse(shown.stdout).issuer.discontinuityPolicy === 'auto') {
    must(['issuers', 'edit', name, ...ON_DISCONTINUITY]);
  }
  return true;
}

if (!followSimulatorRestarts('idp-sim')) {
  console.log(`Registering the simulator in ${DATABASE}: issuers, realm, claim mappings…`);
  must([
    'issuers',
    'add',
    'idp-sim',
    '--metadata-url',
    FEDERATION_METADATA,
    '--label',
    'SIM',
    '--description',
    'IdP simulator (WS-Federation, SAML 2.0)',
    '--refresh-interval',
    '60',
    ...ON_DISCONTINUITY,
    '--yes',
  ]);
  must([
    'mappings',
    'add',
    '--issuer',
    'idp-sim',
    '--label',
    'SIM',
    '--name-claim',
    `${CLAIMS}/upn`,
    '--group-claim',
    GROUPS_CLAIM,
  ]);
}
if (!followSimulatorRestarts('idp-sim-oidc')) {
  must([
    'issuers',
    'add',
    'idp-sim-oidc',
    '--metadata-url',
    OPENID_CONFIGURATION,
    '--label',
    'SIMOIDC',
    '--description',
    'IdP simulator (OpenID Connect)',
    '--refresh-interval',
    '60',
    ...ON_DISCONTINUITY,
    '--yes',
  ]);
  must([
    'mappings',
    'add',
    '--issuer',
    'idp-sim-oidc',
    '--label',
    'SIMOIDC',
    '--name-claim',
    'preferred_username',
    '--group-claim',
    'groups',
  ]);
}
if (cli(['realms', 'show', GATEWAY, '--json'], { quiet: true }).status !== 0) {
  must(['realms', 'add', GATEWAY, '--reply-url', `${GATEWAY}/signin/wsfed`]);
}
const accounts = JSON.parse(must(['admin', 'list', '--json']));
let password;
if (accounts.length === 0) {
  const created = must(['admin', 'create', 'admin', '--generate', '--json']);
  password = JSON.parse(created).generatedPassword;
}

// The simulator announces each key minutes before it signs with it, where a real issuer
// announces days to weeks ahead: a key of its unsigned OpenID Connect key set is
// established after a minute rather than the default day, so that its demo rollovers stay
// continuous (docs/rollover.md, "Key continuity"). Never lower this for a real issuer.
start(['serve', '--config', CONFIG, '--db', DATABASE], 'claimsgate serve', {
  CLAIMSGATE_ROLLOVER_CONTINUITY_PROBATION_SECONDS: '60',
  ...process.env,
});
await waitFor(`${GATEWAY}/healthz`, Date.now() + 30_000).catch((error) => {
  console.error(String(error));
  shutdown(1);
});

console.log(
  [
    '',
    `claimsgate is serving ${GATEWAY}`,
    '',
    `  1. Open ${GATEWAY}/ and sign in: pick "IdP simulator (WS-Federation, SAML 2.0)", then alice.`,
    `     SAML 2.0: ${GATEWAY}/signin?whr=idp-sim&protocol=saml2   OpenID Connect: pick the other issuer.`,
    `  2. Open ${GATEWAY}/admin and sign in as the local admin:`,
    password === undefined
      ? '       user "admin" (its password was printed on the first run; reset it with'
      : `       user "admin", password ${password}   (printed once: note it now)`,
    password === undefined
      ? `       npx claimsgate admin set-password admin --db ${DATABASE} while this is stopped)`
      : null,
    '     or sign in through the simulator as "admin" (the Admin role claim makes an admin).',
    '  3. Watch Audit log: every 3 minutes the simulator announces, switches to, or retires a key,',
    '     and claimsgate follows it by itself. Sign in again after a switch: it just works.',
    '',
    `  The simulator's own view of its keys: ${SIM}/control/keys. Ctrl-C stops everything.`,
    '',
  ]
    .filter((line) => line !== null)
    .join('\n'),
);
