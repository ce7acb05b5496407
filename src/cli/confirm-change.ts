import { ClaimsgateError } from '../lib/errors.js';
import type { CliIo } from './output.js';

/**
 * Asks before a change of trust: `true` with `--yes`, else the answer given
 * on the terminal. `preview` (what the change is) is shown with the question
 * when the command could not print it on stdout (which carries JSON).
 *
 * @throws ClaimsgateError `CG_CONFIG_CONFIRMATION_REQUIRED` when there is no
 *   terminal to ask on and `--yes` was not given: a script never changes
 *   trust by accident.
 */
export async function confirmChange(
  io: CliIo,
  question: string,
  yes: boolean,
  preview = '',
): Promise<boolean> {
  if (yes) return true;
  const answer = await io.confirm(`${preview}${question}`);
  if (answer === undefined) {
    throw new ClaimsgateError(
      'CG_CONFIG_CONFIRMATION_REQUIRED',
      `${question} There is no terminal to ask on, and --yes was not given.`,
      { detail: { expected: '--yes, or an answer on a terminal' } },
    );
  }
  return answer;
}
