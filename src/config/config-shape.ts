/**
 * The shape a configuration schema describes: its TypeScript type, derived
 * from the schema declaration itself, and the runtime check that a loaded
 * value has that shape. The `Config` type is `ConfigOf<typeof CONFIG_SCHEMA>`,
 * so adding a setting to the schema adds it to the type, and the two cannot
 * drift apart.
 */
import {
  OIDC_RESPONSE_TYPES,
  type OidcClientConfig,
  type SchemaGroup,
  type SessionKeyConfig,
  type SettingSpec,
} from './setting-spec.js';

/** The resolved value of one setting (`auto-boolean` is resolved to a boolean at load). */
export type SettingValueOf<S extends SettingSpec> = S extends { readonly type: 'string' | 'url' | 'host' }
  ? string
  : S extends { readonly type: 'integer' }
    ? number
    : S extends { readonly type: 'boolean' | 'auto-boolean' }
      ? boolean
      : S extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
        ? V
        : S extends { readonly type: 'integer-list' }
          ? readonly number[]
          : S extends { readonly type: 'origin-list' | 'string-list' }
            ? readonly string[]
            : S extends { readonly type: 'header-map' }
              ? Readonly<Record<string, string>>
              : S extends { readonly type: 'session-keys' }
                ? readonly SessionKeyConfig[]
                : S extends { readonly type: 'oidc-clients' }
                  ? Readonly<Record<string, OidcClientConfig>>
                  : never;

type NodeValueOf<N> = N extends SchemaGroup ? ConfigOf<N> : N extends SettingSpec ? SettingValueOf<N> : never;

/**
 * Whether a member may be absent from its group's value: an optional group,
 * or an optional setting of a group that is always there. Inside an optional
 * group every setting without a default is required once the group is given
 * (check-config.ts), so there `optional` does not make a setting absent.
 */
type MayBeAbsent<G extends SchemaGroup, N> = N extends { readonly kind: 'group'; readonly optional: true }
  ? true
  : N extends { readonly kind: 'setting'; readonly optional: true }
    ? G extends { readonly optional: true }
      ? false
      : true
    : false;

type Flatten<T> = { readonly [K in keyof T]: T[K] };

/** The value type of a schema group: settings and nested groups by name. */
export type ConfigOf<G extends SchemaGroup> = Flatten<
  {
    readonly [K in keyof G['fields'] as MayBeAbsent<G, G['fields'][K]> extends true ? never : K]: NodeValueOf<
      G['fields'][K]
    >;
  } & {
    readonly [
      K in keyof G['fields'] as MayBeAbsent<G, G['fields'][K]> extends true ? K : never
    ]?: NodeValueOf<G['fields'][K]>;
  }
>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): boolean {
  return isPlainObject(value) && Object.values(value).every((item) => typeof item === 'string');
}

function isInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value);
}

/** Whether a resolved value has the type its setting declares (its finer rules were checked when it was read). */
function hasSettingShape(spec: SettingSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'string':
    case 'url':
    case 'host':
      return typeof value === 'string';
    case 'integer':
      return isInteger(value);
    case 'boolean':
    case 'auto-boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value);
    case 'integer-list':
      return Array.isArray(value) && value.every(isInteger);
    case 'origin-list':
    case 'string-list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'header-map':
      return isStringRecord(value);
    case 'session-keys':
      return (
        Array.isArray(value) &&
        value.every(
          (key) => isPlainObject(key) && typeof key.id === 'string' && typeof key.secret === 'string',
        )
      );
    case 'oidc-clients':
      return (
        isPlainObject(value) &&
        Object.values(value).every(
          (client) =>
            isPlainObject(client) &&
            typeof client.clientId === 'string' &&
            (client.clientSecret === undefined || typeof client.clientSecret === 'string') &&
            OIDC_RESPONSE_TYPES.some((type) => type === client.responseType),
        )
      );
  }
}

/** The dotted path of the first member of `value` that does not have the shape `group` declares, or undefined. */
function findShapeMismatch(group: SchemaGroup, value: unknown, path: string): string | undefined {
  if (!isPlainObject(value)) return path === '' ? '(root)' : path;
  for (const name of Object.keys(value)) {
    if (!(name in group.fields)) return path === '' ? name : `${path}.${name}`;
  }
  for (const [name, node] of Object.entries(group.fields)) {
    const at = path === '' ? name : `${path}.${name}`;
    const member = value[name];
    if (member === undefined) {
      const mayBeAbsent = node.optional === true && (node.kind === 'group' || group.optional !== true);
      if (!mayBeAbsent) return at;
      continue;
    }
    const mismatch = node.kind === 'group' ? findShapeMismatch(node, member, at) : undefined;
    if (mismatch !== undefined) return mismatch;
    if (node.kind === 'setting' && !hasSettingShape(node, member)) return at;
  }
  return undefined;
}

/**
 * Checks that `value` has the shape of `group`'s type: every required member
 * present, none unknown, each setting of its declared type.
 *
 * @throws {TypeError} naming the first member that does not fit; a loaded
 *   configuration that fails this is a defect in the loader, not bad input.
 */
export function assertConfigShape<G extends SchemaGroup>(
  group: G,
  value: unknown,
): asserts value is ConfigOf<G> {
  const mismatch = findShapeMismatch(group, value, '');
  if (mismatch !== undefined) {
    throw new TypeError(`The loaded configuration does not have the schema's shape at ${mismatch}.`);
  }
}
