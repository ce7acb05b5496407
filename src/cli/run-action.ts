import { ClaimsgateError } from '../lib/errors.js';
import { EXIT, reportError, type CliIo } from './output.js';

/** One CLI run: its I/O and the exit code its command settles on. */
export interface CliContext {
  readonly io: CliIo;
  exitCode: number;
}

/**
 * Runs a command body: its return value is the exit code; a coded error is
 * reported on stderr and exits 1 (rejected input). Anything else is a bug and
 * propagates with its stack.
 */
export async function runAction(
  context: CliContext,
  json: boolean,
  body: () => Promise<number>,
): Promise<void> {
  try {
    context.exitCode = await body();
  } catch (error) {
    if (!(error instanceof ClaimsgateError)) throw error;
    reportError(context.io, error, json);
    context.exitCode = EXIT.rejected;
  }
}
