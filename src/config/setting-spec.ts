/**
 * The vocabulary configuration schemas are written in: what a setting and a
 * group declare (type, default, unit, limits, doc), and the value types of
 * the composite settings. `CONFIG_SCHEMA` (config-schema.ts) is written in
 * it; config-shape.ts derives a schema's TypeScript type from it.
 */

/** Where a setting's value came from, lowest precedence first. */
export type SettingSource = 'default' | 'file' | 'env' | 'flag';

/** The unit a number is counted in; the setting's name ends with it. */
export type SettingUnit = 'seconds' | 'milliseconds' | 'bytes' | 'days' | 'attempts' | 'percent';

/** A default computed from settings resolved before it (schema order). */
export interface DerivedDefault<T> {
  /** How the default reads in the documentation. */
  readonly describe: string;
  /**
   * The default, given the already-resolved value at a dotted path; undefined
   * when a setting it depends on is itself invalid (its problem is reported there).
   */
  readonly derive: (resolved: (path: string) => unknown) => T | undefined;
}

interface SettingCommon {
  readonly kind: 'setting';
  /** One or two sentences for the documentation. */
  readonly doc: string;
  readonly unit?: SettingUnit;
  /**
   * The value is never echoed in errors or warnings, and may be given as an
   * `env:NAME` or `file:/path` reference that is resolved at load.
   */
  readonly secret?: boolean;
  /** Without a default: the setting is absent from the configuration unless given. */
  readonly optional?: boolean;
}

/** One setting (a leaf of the schema). */
export type SettingSpec = SettingCommon &
  (
    | {
        readonly type: 'string';
        readonly default?: string;
        readonly pattern?: RegExp;
        /** What the pattern allows, in words. */
        readonly patternDoc?: string;
      }
    | { readonly type: 'integer'; readonly default?: number; readonly min: number; readonly max: number }
    | { readonly type: 'boolean'; readonly default?: boolean | DerivedDefault<boolean> }
    | { readonly type: 'auto-boolean'; readonly default?: 'auto' }
    | { readonly type: 'enum'; readonly values: readonly string[]; readonly default?: string }
    | {
        readonly type: 'url';
        readonly protocols: readonly string[];
        /** A base URL: no query or fragment, trailing slashes dropped. */
        readonly base?: boolean;
        readonly default?: string | DerivedDefault<string>;
      }
    | { readonly type: 'host'; readonly default?: string }
    | {
        readonly type: 'integer-list';
        readonly default?: readonly number[];
        readonly min: number;
        readonly max: number;
      }
    | { readonly type: 'origin-list'; readonly default?: DerivedDefault<readonly string[]> }
    | {
        readonly type: 'string-list';
        readonly default?: readonly string[];
        readonly pattern: RegExp;
        /** What each item may be, in words. */
        readonly patternDoc: string;
      }
    | { readonly type: 'header-map'; readonly default?: Readonly<Record<string, string>> }
    | { readonly type: 'session-keys'; readonly default?: readonly SessionKeyConfig[] }
    | { readonly type: 'oidc-clients'; readonly default?: Readonly<Record<string, OidcClientConfig>> }
  );

/** A group of settings (a section, or a nested object such as `rollover.alerts`). */
export interface SchemaGroup {
  readonly kind: 'group';
  readonly doc: string;
  /**
   * The whole group is absent unless one of its settings is given; then its
   * settings without a default are required.
   */
  readonly optional?: boolean;
  readonly fields: Readonly<Record<string, SettingSpec | SchemaGroup>>;
}

/** A session sealing key, its secret resolved. */
export interface SessionKeyConfig {
  /** 1–32 characters of `A–Z a–z 0–9 _ -`; it travels in every sealed value. */
  readonly id: string;
  /** Hexadecimal or base64 text of at least 32 random bytes. */
  readonly secret: string;
}

/** The OpenID Connect response types claimsgate asks for (both answered by `form_post`). */
export const OIDC_RESPONSE_TYPES = ['code', 'id_token'] as const;
export type OidcResponseType = (typeof OIDC_RESPONSE_TYPES)[number];

/** claimsgate's registration as an OpenID Connect client of one issuer, its secret resolved. */
export interface OidcClientConfig {
  /** The application (client) ID the issuer gave claimsgate; the id_token's audience. */
  readonly clientId: string;
  /** Sent to the token endpoint with HTTP Basic authentication (code flow only). */
  readonly clientSecret?: string;
  /** `code` (authorization code with PKCE) or `id_token` (implicit, id_token only). */
  readonly responseType: OidcResponseType;
}
