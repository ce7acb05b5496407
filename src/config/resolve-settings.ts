/**
 * Every setting's value from the layers: each given value checked (a bad
 * value is reported even when a higher layer overrides it), the highest
 * layer wins, defaults (derived ones in schema order) fill the rest, and the
 * winning secret's `env:` / `file:` references are resolved.
 */
import {
  listSettings,
  type OidcClientConfig,
  type SettingEntry,
  type SettingSource,
  type SettingSpec,
} from './config-schema.js';
import type { ConfigProblem } from './config-problems.js';
import type { ConfigLayer } from './config-layers.js';
import { resolveSecret, type SecretSources } from './resolve-secret.js';
import { checkSetting } from './setting-types.js';

/** The resolved settings: only valid values, by path; absent paths are unset or invalid. */
export interface ResolvedSettings {
  readonly values: ReadonlyMap<string, unknown>;
  readonly sources: ReadonlyMap<string, SettingSource>;
  /** Paths whose winning value was bad (cross-field checks skip them). */
  readonly invalid: ReadonlySet<string>;
  readonly problems: readonly ConfigProblem[];
}

/** The layers above the defaults, lowest precedence first. */
export type SourcedLayers = readonly {
  readonly source: Exclude<SettingSource, 'default'>;
  readonly layer: ConfigLayer;
}[];

function resolveSecrets(
  spec: SettingSpec,
  value: unknown,
  secrets: SecretSources,
): { value: unknown; problems: { suffix: string; message: string }[] } {
  const problems: { suffix: string; message: string }[] = [];
  const resolve = (text: string, suffix: string): string => {
    const resolved = resolveSecret(text, secrets);
    if (resolved.ok) return resolved.value;
    problems.push({ suffix, message: resolved.message });
    return text;
  };
  if (spec.type === 'session-keys') {
    const keys = (value as readonly { id: string; secret: string }[]).map((key, index) => ({
      id: key.id,
      secret: resolve(key.secret, `[${index}].secret`),
    }));
    return { value: keys, problems };
  }
  if (spec.type === 'header-map') {
    const headers = Object.entries(value as Record<string, string>).map(
      ([name, text]) => [name, resolve(text, `.${name}`)] as const,
    );
    return { value: Object.fromEntries(headers), problems };
  }
  if (spec.type === 'oidc-clients') {
    // Only the client secret is a secret; client IDs and response types are plain values.
    const clients = Object.entries(value as Record<string, OidcClientConfig>).map(([name, client]) => {
      if (client.clientSecret === undefined) return [name, client] as const;
      return [
        name,
        { ...client, clientSecret: resolve(client.clientSecret, `.${name}.clientSecret`) },
      ] as const;
    });
    return { value: Object.fromEntries(clients), problems };
  }
  return { value: typeof value === 'string' ? resolve(value, '') : value, problems };
}

function defaultOf(entry: SettingEntry, values: ReadonlyMap<string, unknown>): unknown {
  const fallback: unknown = entry.spec.default;
  if (typeof fallback === 'object' && fallback !== null && 'derive' in fallback) {
    return (fallback as { derive: (resolved: (path: string) => unknown) => unknown }).derive((path) =>
      values.get(path),
    );
  }
  return fallback;
}

/**
 * Resolves every setting of the schema from the layers.
 *
 * @returns values for valid settings, their sources, and every problem found.
 */
export function resolveSettings(layers: SourcedLayers, secrets: SecretSources): ResolvedSettings {
  const values = new Map<string, unknown>();
  const sources = new Map<string, SettingSource>();
  const invalid = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const entry of listSettings()) {
    let winner: { source: SettingSource; value: unknown; valid: boolean } | undefined;
    for (const { source, layer } of layers) {
      if (!layer.has(entry.path)) continue;
      const raw = layer.get(entry.path);
      if (raw === undefined) {
        winner = { source, value: undefined, valid: true };
        continue;
      }
      const checked = checkSetting(entry.spec, raw);
      if (checked.ok) {
        winner = { source, value: checked.value, valid: true };
      } else {
        winner = { source, value: undefined, valid: false };
        for (const { suffix, message, observed } of checked.problems) {
          problems.push({
            path: `${entry.path}${suffix}`,
            source,
            message,
            ...(observed === undefined || entry.spec.secret === true ? {} : { observed }),
          });
        }
      }
    }
    if (winner === undefined) {
      const fallback = defaultOf(entry, values);
      if (fallback !== undefined) {
        values.set(entry.path, fallback);
        sources.set(entry.path, 'default');
      } else if (entry.spec.default !== undefined) {
        // A derived default whose inputs are invalid: the problem is reported
        // at those inputs, and checks that need this setting are skipped.
        invalid.add(entry.path);
      }
      continue;
    }
    sources.set(entry.path, winner.source);
    if (!winner.valid) {
      invalid.add(entry.path);
      continue;
    }
    if (winner.value === undefined) continue;
    if (entry.spec.secret === true) {
      const resolved = resolveSecrets(entry.spec, winner.value, secrets);
      for (const { suffix, message } of resolved.problems) {
        problems.push({ path: `${entry.path}${suffix}`, source: winner.source, message });
      }
      if (resolved.problems.length > 0) {
        invalid.add(entry.path);
        continue;
      }
      values.set(entry.path, resolved.value);
    } else {
      values.set(entry.path, winner.value);
    }
  }
  return { values, sources, invalid, problems };
}
