/**
 * The three layers above the defaults — file, environment, flags — each read
 * into one map from setting path to raw value. A path mapped to `undefined`
 * explicitly unsets an optional setting. Unknown names are reported here.
 */
import {
  CONFIG_SCHEMA,
  envNameOf,
  listSettings,
  type SchemaGroup,
  type SettingEntry,
} from './config-schema.js';
import type { ConfigProblem } from './config-problems.js';
import { valueFromText } from './coerce-setting-text.js';
import { suggestName } from './suggest-name.js';

/** One layer: setting path → raw value (not yet checked). */
export type ConfigLayer = ReadonlyMap<string, unknown>;

/** A layer and what was wrong or odd while reading it. */
export interface LayerReading {
  readonly layer: ConfigLayer;
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly string[];
}

const ENV_PREFIX = 'CLAIMSGATE_';

/** Settings that existed once, with what replaced them: named in the problem instead of a guess. */
const RETIRED_SETTINGS: ReadonlyMap<string, string> = new Map([
  [
    'rollover.cooldownSeconds',
    'was replaced by rollover.fetchSpacingSeconds (default 2): a token signed by a key not yet trusted now waits for the next fetch instead of being refused for a cooldown',
  ],
]);

function settingsByPath(): ReadonlyMap<string, SettingEntry> {
  return new Map(listSettings().map((entry) => [entry.path, entry]));
}

/** "; did you mean …?" for a misspelt key in a group, looking in other sections too. */
function didYouMean(name: string, group: SchemaGroup, prefix: string): string {
  const local = suggestName(name, Object.keys(group.fields));
  if (local !== undefined) return `; did you mean ${prefix === '' ? local : `${prefix}.${local}`}?`;
  const elsewhere = listSettings().find((entry) => entry.path.split('.').at(-1) === name);
  return elsewhere === undefined ? '' : `; did you mean ${elsewhere.path}?`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** Every leaf path under a group (for `webhook: null`, which unsets the whole group). */
function leavesUnder(path: string): readonly string[] {
  return listSettings()
    .filter((entry) => entry.path.startsWith(`${path}.`))
    .map((entry) => entry.path);
}

/**
 * The file layer: the parsed file's mapping walked against the schema.
 * Unknown keys are problems, with a suggestion for near misses; their values
 * are never echoed (a misspelt key may hold a secret).
 */
export function readFileLayer(contents: Readonly<Record<string, unknown>>): LayerReading {
  const layer = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  const walk = (group: SchemaGroup, value: Readonly<Record<string, unknown>>, prefix: string): void => {
    for (const [name, child] of Object.entries(value)) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      const node = Object.hasOwn(group.fields, name) ? group.fields[name] : undefined;
      if (node === undefined) {
        problems.push({
          path,
          source: 'file',
          message: RETIRED_SETTINGS.get(path) ?? `is not a setting${didYouMean(name, group, prefix)}`,
        });
      } else if (node.kind === 'setting') {
        layer.set(path, child === null && node.optional === true ? undefined : child);
      } else if (child === null && node.optional === true) {
        for (const leaf of leavesUnder(path)) layer.set(leaf, undefined);
      } else if (typeof child !== 'object' || child === null || Array.isArray(child)) {
        problems.push({
          path,
          source: 'file',
          message: `expected a mapping of settings, got ${typeName(child)}`,
        });
      } else {
        walk(node, child as Record<string, unknown>, path);
      }
    }
  };
  walk(CONFIG_SCHEMA, contents, '');
  return { layer, problems, warnings: [] };
}

/**
 * The environment layer: `CLAIMSGATE_<SECTION>_<FIELD>` variables coerced by
 * the setting's type. An unknown `CLAIMSGATE_*` variable is a warning (other
 * tools may share the prefix) unless it is a near miss of a known one, which
 * is a problem. Values of unknown variables are never echoed.
 */
export function readEnvLayer(env: Readonly<Record<string, string | undefined>>): LayerReading {
  const byEnv = new Map(listSettings().map((entry) => [entry.env, entry]));
  const knownSuffixes = [...byEnv.keys()].map((name) => name.slice(ENV_PREFIX.length));
  const layer = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const text = env[name];
    if (!name.startsWith(ENV_PREFIX) || text === undefined) continue;
    const entry = byEnv.get(name);
    const retired = [...RETIRED_SETTINGS].find(([path]) => envNameOf(path) === name);
    if (entry === undefined && retired !== undefined) {
      problems.push({ path: name, source: 'env', message: retired[1] });
      continue;
    }
    if (entry === undefined) {
      const suggestion = suggestName(name.slice(ENV_PREFIX.length), knownSuffixes);
      if (suggestion === undefined) {
        warnings.push(`${name} is not a claimsgate setting and was ignored.`);
      } else {
        problems.push({
          path: name,
          source: 'env',
          message: `is not a claimsgate setting; did you mean ${ENV_PREFIX}${suggestion}?`,
        });
      }
      continue;
    }
    if (text.trim() === '') {
      if (entry.spec.optional === true) {
        layer.set(entry.path, undefined);
      } else {
        problems.push({ path: entry.path, source: 'env', message: `${name} is set but empty` });
      }
      continue;
    }
    layer.set(entry.path, valueFromText(entry.spec, text));
  }
  return { layer, problems, warnings };
}

/**
 * The flag layer: dotted setting paths (`server.port`). Strings are coerced
 * like environment values; other values are taken as typed. `undefined`
 * (an option not given) is skipped.
 */
export function readFlagLayer(flags: Readonly<Record<string, unknown>>): LayerReading {
  const byPath = settingsByPath();
  const layer = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  for (const [path, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const entry = byPath.get(path);
    if (entry === undefined) {
      const suggestion = suggestName(path, byPath.keys());
      problems.push({
        path,
        source: 'flag',
        message: `is not a setting${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
      });
      continue;
    }
    if (value === null && entry.spec.optional === true) {
      layer.set(path, undefined);
    } else {
      layer.set(path, typeof value === 'string' ? valueFromText(entry.spec, value) : value);
    }
  }
  return { layer, problems, warnings: [] };
}
