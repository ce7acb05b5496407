/**
 * Reading the configuration file: YAML (`.yaml`, `.yml`) or JSON (`.json`),
 * parsed into plain data with every problem reported, never a secret echoed.
 */
import { extname } from 'node:path';
import { LineCounter, isNode, parseDocument, visit } from 'yaml';
import type { ConfigProblem } from './config-problems.js';

/** The file's top-level mapping, or why it cannot be used. */
export type ConfigFileContents =
  | { readonly ok: true; readonly value: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** The path used in problems about the file as a whole. */
export const FILE_PATH = '(file)';

// SECURITY: a configuration file is small; the cap keeps a wrong path (a
// log, a device) from being read whole into memory.
const MAX_FILE_CHARS = 1_048_576;
// SECURITY: YAML aliases are expanded when the document becomes plain data;
// nested aliases ("billion laughs") grow exponentially. The yaml package
// stops once an alias has been expanded more often than this.
const MAX_ALIAS_COUNT = 100;

function problem(message: string): ConfigProblem {
  return { path: FILE_PATH, source: 'file', message };
}

function where(lineCounter: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '';
  const { line, col } = lineCounter.linePos(offset);
  return ` at line ${line}, column ${col}`;
}

function parseYaml(text: string): ConfigFileContents {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    strict: true,
    uniqueKeys: true,
    schema: 'core',
    merge: false,
    prettyErrors: false,
    lineCounter,
  });
  const problems: ConfigProblem[] = [];
  // SECURITY: the parser's messages may quote source text (an unexpected
  // token, a directive), which may be a secret: only the code and position
  // are reported. An unresolved tag is reported by the tag check below.
  for (const issue of [...doc.errors, ...doc.warnings]) {
    if (issue.code === 'TAG_RESOLVE_FAILED') continue;
    const what = issue.code.toLowerCase().replace(/_/g, ' ');
    problems.push(problem(`YAML error (${what})${where(lineCounter, issue.pos[0])}`));
  }
  // SECURITY: explicit tags (!!binary, !!set, custom !tags) would turn text
  // into other kinds of values; configuration needs none, so any is refused.
  visit(doc, (_key, node) => {
    if (isNode(node) && node.tag !== undefined) {
      problems.push(problem(`YAML tags are not allowed (${node.tag})${where(lineCounter, node.range?.[0])}`));
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError) {
      return {
        ok: false,
        problems: [
          problem(`YAML aliases expand more than ${MAX_ALIAS_COUNT} times (an alias-expansion attack?)`),
        ],
      };
    }
    throw error;
  }
  return topLevel(value);
}

function parseJson(text: string): ConfigFileContents {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    // V8's message quotes the text around the error, which may be a secret:
    // only the position is kept.
    const position = /position (\d+)/.exec(String(error))?.[1];
    return {
      ok: false,
      problems: [problem(`not valid JSON${position === undefined ? '' : ` (at character ${position})`}`)],
    };
  }
  // JSON.parse keeps the last of duplicate keys without a word; a YAML parse
  // of the same (valid JSON) text finds them.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'json', uniqueKeys: true, prettyErrors: false, lineCounter });
  const duplicates = doc.errors.filter((issue) => issue.code === 'DUPLICATE_KEY');
  if (duplicates.length > 0) {
    return {
      ok: false,
      problems: duplicates.map((issue) => problem(`JSON duplicate key${where(lineCounter, issue.pos[0])}`)),
    };
  }
  return topLevel(value);
}

function topLevel(value: unknown): ConfigFileContents {
  if (value === null || value === undefined) return { ok: true, value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      problems: [problem('the file must hold a mapping of sections (server, session, …)')],
    };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Reads and parses a configuration file by its extension.
 *
 * @returns the top-level mapping, or the problems found (path `(file)`, source `file`).
 */
export function readConfigFile(path: string, readFile: (path: string) => string): ConfigFileContents {
  const extension = extname(path).toLowerCase();
  if (extension !== '.yaml' && extension !== '.yml' && extension !== '.json') {
    return { ok: false, problems: [problem(`${path}: the file name must end in .yaml, .yml or .json`)] };
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      problems: [problem(`${path} cannot be read${typeof code === 'string' ? ` (${code})` : ''}`)],
    };
  }
  if (text.length > MAX_FILE_CHARS) {
    return { ok: false, problems: [problem(`${path} is larger than ${MAX_FILE_CHARS} characters`)] };
  }
  return extension === '.json' ? parseJson(text) : parseYaml(text);
}
