import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerIdpSimCommand } from '../../src/cli/commands/idp-sim.js';
import type { CliIo } from '../../src/cli/output.js';
import type { CliContext } from '../../src/cli/run-action.js';
import { NOW } from './sim-helpers.js';

function harness(): { program: Command; context: CliContext; out: string[] } {
  const out: string[] = [];
  const io: CliIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => out.push(text),
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    now: () => NOW,
    fetch: globalThis.fetch,
    env: {},
    actor: 'test',
    confirm: () => Promise.resolve(undefined),
  };
  const context: CliContext = { io, exitCode: 0 };
  const program = new Command('claimsgate').exitOverride().configureOutput({
    writeOut: (text) => out.push(text),
    writeErr: (text) => out.push(text),
  });
  registerIdpSimCommand(program, context);
  for (const command of program.commands) command.exitOverride();
  return { program, context, out };
}

describe('claimsgate idp-sim', () => {
  it('refuses a non-loopback host, a bad port and a loose duration as usage errors', async () => {
    for (const args of [
      ['--host', '0.0.0.0'],
      ['--port', '99999'],
      ['--rollover-every', '2'],
      ['--rollover-every', '2 minutes'],
    ]) {
      const { program } = harness();
      await assert.rejects(
        program.parseAsync(['idp-sim', ...args], { from: 'user' }),
        CommanderError,
        args.join(' '),
      );
    }
  });

  it('prints the metadata, discovery and JWKS URLs and the test users, then stops on SIGTERM', async () => {
    const { program, context, out } = harness();
    const run = program.parseAsync(
      ['idp-sim', '--port', '0', '--tenant', 'cli-a', '--tenant', 'cli-b', '--rollover-every', '1h'],
      {
        from: 'user',
      },
    );
    const deadline = Date.now() + 15_000;
    while (!out.join('').includes('test users:') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const banner = out.join('');
    process.emit('SIGTERM', 'SIGTERM');
    await run;
    assert.equal(context.exitCode, 0);
    assert.match(banner, /claimsgate IdP simulator on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(banner, /\/cli-a\/federationmetadata\/2007-06\/federationmetadata\.xml/);
    assert.match(banner, /\/cli-b\/v2\.0\/\.well-known\/openid-configuration/);
    assert.match(banner, /\/cli-b\/discovery\/v2\.0\/keys/);
    assert.match(banner, /admin@contoso\.test \(Admin\)/);
    assert.match(banner, /one step every 3600s/);
    assert.ok(out.some((line) => line.includes('"event":"idp-sim.stopped"')));
  });
});
