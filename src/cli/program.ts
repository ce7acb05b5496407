import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAdminCommand } from './commands/admin.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerIdpSimCommand } from './commands/idp-sim.js';
import { registerIssuersCommand } from './commands/issuers.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMappingsCommand } from './commands/mappings.js';
import { registerMetadataCommand } from './commands/metadata.js';
import { registerRealmsCommand } from './commands/realms.js';
import { registerServeCommand } from './commands/serve.js';
import { registerThumbprintCommand } from './commands/thumbprint.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerWatchCommand } from './commands/watch.js';
import { EXIT, type CliIo } from './output.js';
import type { CliContext } from './run-action.js';

function readVersion(): string {
  // src/cli/ and dist/cli/ are both two levels below the package root.
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Builds the `claimsgate` command tree over the given I/O. */
export function createProgram(context: CliContext): Command {
  const program = new Command('claimsgate')
    .description(
      "Claims-based sign-in whose trust in each issuer follows the issuer's published signing keys.",
    )
    .version(readVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout(text),
      writeErr: (text) => context.io.stderr(text),
    });
  registerThumbprintCommand(program, context);
  registerMetadataCommand(program, context);
  registerDoctorCommand(program, context);
  registerValidateCommand(program, context);
  registerIdpSimCommand(program, context);
  registerWatchCommand(program, context);
  registerServeCommand(program, context);
  registerIssuersCommand(program, context);
  registerKeysCommand(program, context);
  registerRealmsCommand(program, context);
  registerMappingsCommand(program, context);
  registerAuditCommand(program, context);
  registerAdminCommand(program, context);
  overrideExits(program);
  return program;
}

/** Usage errors throw instead of exiting the process, in every command and subcommand. */
function overrideExits(command: Command): void {
  for (const child of command.commands) {
    child.exitOverride();
    overrideExits(child);
  }
}

/**
 * Runs the CLI with the given arguments (without `node` and the script) and
 * returns the exit code: 0 success, 1 rejected input, 2 usage error.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const context: CliContext = { io, exitCode: EXIT.ok };
  const program = createProgram(context);
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const informational = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
      return informational.includes(error.code) ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  return context.exitCode;
}
