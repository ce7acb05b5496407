/**
 * Loading the gateway configuration once at start: defaults < file <
 * environment (`CLAIMSGATE_*`) < flags, every problem reported at once, the
 * result deep-frozen and passed in (no module-level state).
 */
import { readFileSync } from 'node:fs';
import { checkConfig } from './check-config.js';
import { readEnvLayer, readFileLayer, readFlagLayer, type LayerReading } from './config-layers.js';
import { configInvalidError, type ConfigProblem } from './config-problems.js';
import { CONFIG_SCHEMA, listSettings, type Config, type SettingSource } from './config-schema.js';
import { assertConfigShape } from './config-shape.js';
import { deepFreeze, type DeepReadonly } from './deep-freeze.js';
import { readConfigFile } from './read-config-file.js';
import { resolveSettings, type SourcedLayers } from './resolve-settings.js';

export interface LoadConfigOptions {
  /** A `.yaml`, `.yml` or `.json` configuration file. */
  readonly file?: string;
  /** The process environment; only `CLAIMSGATE_*` variables and those named by `env:` references are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Settings by dotted path (`server.port`); strings are coerced like environment values, `undefined` is skipped. */
  readonly flags: Readonly<Record<string, unknown>>;
  /** Reads the configuration file and `file:` references as UTF-8 text. Default: `fs.readFileSync`. */
  readonly readFile?: (path: string) => string;
}

export interface LoadedConfig {
  /** The validated configuration, frozen all the way down. */
  readonly config: DeepReadonly<Config>;
  /** Things worth telling the operator that do not stop the start (a generated development key, an ignored variable). */
  readonly warnings: readonly string[];
  /** Where each setting present in `config` came from, by dotted path. */
  readonly sources: Readonly<Record<string, SettingSource>>;
}

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

function checkOptions(options: LoadConfigOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('loadConfig: options must be an object.');
  if (options.file !== undefined && (typeof options.file !== 'string' || options.file === '')) {
    throw new TypeError('loadConfig: options.file must be a non-empty string when given.');
  }
  if (typeof options.env !== 'object' || options.env === null) {
    throw new TypeError('loadConfig: options.env must be an object of environment variables.');
  }
  if (typeof options.flags !== 'object' || options.flags === null) {
    throw new TypeError('loadConfig: options.flags must be an object of settings by dotted path.');
  }
  if (options.readFile !== undefined && typeof options.readFile !== 'function') {
    throw new TypeError('loadConfig: options.readFile must be a function when given.');
  }
}

/** Nests `server.port` → `{ server: { port } }` in schema order. */
function nest(values: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { path } of listSettings()) {
    if (!values.has(path)) continue;
    const names = path.split('.');
    let target = root;
    for (const name of names.slice(0, -1)) {
      target[name] ??= {};
      target = target[name] as Record<string, unknown>;
    }
    target[names.at(-1)!] = values.get(path);
  }
  return root;
}

/**
 * Reads, checks and freezes the gateway configuration.
 *
 * @throws {ClaimsgateError} `CG_CONFIG_INVALID` listing every problem (`detail.problems`:
 *   `{ path, source, message, observed? }`, secret values never included).
 * @throws {TypeError} when the options themselves are malformed.
 * @see docs/configuration.md for every setting.
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  checkOptions(options);
  const readFile = options.readFile ?? readUtf8;
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const layers: { source: 'file' | 'env' | 'flag'; reading: LayerReading }[] = [];

  if (options.file !== undefined) {
    const contents = readConfigFile(options.file, readFile);
    if (contents.ok) layers.push({ source: 'file', reading: readFileLayer(contents.value) });
    else problems.push(...contents.problems);
  }
  layers.push({ source: 'env', reading: readEnvLayer(options.env) });
  layers.push({ source: 'flag', reading: readFlagLayer(options.flags) });
  for (const { reading } of layers) {
    problems.push(...reading.problems);
    warnings.push(...reading.warnings);
  }

  const sourced: SourcedLayers = layers.map(({ source, reading }) => ({ source, layer: reading.layer }));
  const resolved = resolveSettings(sourced, { env: options.env, readFile });
  problems.push(...resolved.problems);
  const fileUnread = options.file !== undefined && !layers.some(({ source }) => source === 'file');
  const checked = checkConfig(
    new Map(resolved.values),
    new Map(resolved.sources),
    resolved.invalid,
    fileUnread,
  );
  problems.push(...checked.problems);
  warnings.push(...checked.warnings);
  if (problems.length > 0) throw configInvalidError(problems);

  const sources: Record<string, SettingSource> = {};
  for (const { path } of listSettings()) {
    const source = checked.sources.get(path);
    if (checked.values.has(path) && source !== undefined) sources[path] = source;
  }
  const config: unknown = nest(checked.values);
  assertConfigShape(CONFIG_SCHEMA, config);
  return deepFreeze({
    config,
    warnings,
    sources,
  });
}
