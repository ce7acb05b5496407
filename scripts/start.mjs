#!/usr/bin/env node
// `npm start`: builds claimsgate, then runs its rollover check on the Azure AD
// tenant metadata in examples/ — what the issuer publishes, and how a
// configuration that pinned one thumbprint (pasted with the invisible U+200E
// the Windows certificate dialog adds) fares at the next rollover.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = 'examples/azure-ad-tenant.federationmetadata.xml';
const at = '2015-06-01T00:00:00Z';

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']) !== 0)
  process.exit(1);
const claimsgate = (args) => run(process.execPath, ['bin/claimsgate.js', ...args]);

console.log(`\n$ claimsgate metadata ${example} --now ${at}\n`);
if (claimsgate(['metadata', example, '--now', at]) !== 0) process.exit(1);

console.log(`\n$ claimsgate doctor ${example} --thumbprint "\\u200e32 70 bf 55 …" --now ${at}\n`);
const verdict = claimsgate([
  'doctor',
  example,
  '--thumbprint',
  '\u200e32 70 bf 55 97 00 4d f3 39 a4 e6 22 24 73 1b 6b d8 28 10 a6',
  '--now',
  at,
]);
// The doctor's exit status 1 means "at risk": that is the point of the demonstration.
console.log(
  `\nThe doctor answered with exit status ${verdict}. Try it on your own issuer:\n` +
    '  npx claimsgate doctor https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml --thumbprint <yours>\n',
);
