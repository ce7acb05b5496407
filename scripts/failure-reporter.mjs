// A node:test reporter that writes only the failed tests: file, suite path,
// test name and the first lines of the error. scripts/run-tests.mjs runs it
// beside node's own reporter and prints what it wrote after node's summary,
// so that the end of a long CI log names what failed.
import { relative } from 'node:path';

const MAX_ERROR_LINES = 12;

/** Any value as text, whatever it is: an object without a prototype has no String(). */
function textOf(value) {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    try {
      return JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}

function errorText(error) {
  const cause = error?.cause ?? error;
  // An error node could not pass from the test's process (an assertion on values it cannot copy) arrives as {}.
  if (
    cause !== null &&
    typeof cause === 'object' &&
    Object.keys(cause).length === 0 &&
    !(cause instanceof Error)
  )
    return '#       (the error did not reach the runner whole: run this file alone to see it)';
  const text =
    cause instanceof Error || typeof cause?.stack === 'string'
      ? textOf(cause.stack ?? cause.message)
      : textOf(cause?.message ?? cause);
  const lines = text.split('\n');
  const shown = lines.slice(0, MAX_ERROR_LINES);
  if (lines.length > shown.length) shown.push(`… ${lines.length - shown.length} more line(s)`);
  return shown.map((line) => `#       ${line}`).join('\n');
}

export default async function* failureReporter(source) {
  const paths = new Map();
  for await (const event of source) {
    const { data } = event;
    if (event.type === 'test:start') {
      const path = paths.get(data.file) ?? [];
      path.length = data.nesting;
      path.push(data.name);
      paths.set(data.file, path);
    } else if (event.type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
      const suites = (paths.get(data.file) ?? []).slice(0, data.nesting);
      const file = data.file === undefined ? '(no file)' : relative(process.cwd(), data.file);
      yield `#   ${file}\n#     ${[...suites, data.name].join(' › ')}\n${errorText(data.details?.error)}\n`;
    }
  }
}
