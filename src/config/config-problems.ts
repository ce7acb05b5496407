import { ClaimsgateError } from '../lib/errors.js';
import type { SettingSource } from './config-schema.js';

/** One bad setting, as listed in the detail of a `CG_CONFIG_INVALID` error. */
export interface ConfigProblem {
  /**
   * The dotted path of the setting (`server.port`, `session.keys[0].secret`),
   * the environment variable for an unknown one, or `(file)` for the file as a whole.
   */
  readonly path: string;
  /** Where the bad value came from. */
  readonly source: SettingSource;
  /** What is wrong and what is expected. Never contains a secret value. */
  readonly message: string;
  /** The value given, only for settings that are not secret. */
  readonly observed?: unknown;
}

const MAX_OBSERVED_CHARS = 200;

/** A value safe and short enough to show: long strings are cut. */
export function observedValue(value: unknown): unknown {
  if (typeof value === 'string' && value.length > MAX_OBSERVED_CHARS) {
    return `${value.slice(0, MAX_OBSERVED_CHARS)}…`;
  }
  return value;
}

function describeSource(problem: ConfigProblem): string {
  switch (problem.source) {
    case 'default':
      return 'default';
    case 'file':
      return 'file';
    case 'env':
      return 'environment';
    case 'flag':
      return 'flag';
  }
}

/** One line of the error message for a problem. */
function problemLine(problem: ConfigProblem): string {
  const observed =
    problem.observed === undefined ? '' : ` (given ${JSON.stringify(observedValue(problem.observed))})`;
  return `  ${problem.path} [${describeSource(problem)}]: ${problem.message}${observed}`;
}

/**
 * The one error that reports every configuration problem at once.
 *
 * Returned, not thrown, so the caller throws it where the problems were collected.
 */
export function configInvalidError(problems: readonly ConfigProblem[]): ClaimsgateError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const message = [`The configuration is invalid (${count}):`, ...problems.map(problemLine)].join('\n');
  return new ClaimsgateError('CG_CONFIG_INVALID', message, {
    detail: {
      problems: problems.map((problem) =>
        problem.observed === undefined
          ? { ...problem }
          : { ...problem, observed: observedValue(problem.observed) },
      ),
    },
  });
}
