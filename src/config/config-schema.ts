/**
 * The gateway's configuration, declared once: the schema it is read and
 * checked against (type, default, unit, allowed values, doc of each
 * setting, in the vocabulary of setting-spec.ts), and its TypeScript type
 * derived from that schema (config-shape.ts).
 *
 * `loadConfig` (load-config.ts) reads the schema; `docs/configuration.md` is
 * generated from it (`npm run docs:config`).
 */

import type { ConfigOf } from './config-shape.js';
import type { SchemaGroup, SettingSpec } from './setting-spec.js';

export {
  OIDC_RESPONSE_TYPES,
  type DerivedDefault,
  type OidcClientConfig,
  type OidcResponseType,
  type SchemaGroup,
  type SessionKeyConfig,
  type SettingSource,
  type SettingSpec,
  type SettingUnit,
} from './setting-spec.js';

/** The pino log levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const CONFIG_MODES = ['production', 'development'] as const;
export type ConfigMode = (typeof CONFIG_MODES)[number];

const DAY_SECONDS = 86_400;

/** The origin of a URL (`https://host:port`), or undefined when it does not parse. */
function originOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The configuration schema. Section and setting order is the documentation's
 * order and the order derived defaults are computed in.
 */
export const CONFIG_SCHEMA = {
  kind: 'group',
  doc: 'The claimsgate gateway configuration.',
  fields: {
    mode: {
      kind: 'setting',
      type: 'enum',
      values: CONFIG_MODES,
      default: 'production',
      doc: 'In `development` a missing session key is generated for the run (sessions end at restart) and a warning is returned; `production` requires configured keys.',
    },
    server: {
      kind: 'group',
      doc: 'The HTTP listener and how the gateway is reached.',
      fields: {
        host: {
          kind: 'setting',
          type: 'host',
          default: '127.0.0.1',
          doc: 'The address to listen on. Only loopback addresses (127.0.0.0/8, ::1, localhost) are accepted unless `server.allowPublicBind` is true.',
        },
        allowPublicBind: {
          kind: 'setting',
          type: 'boolean',
          default: false,
          doc: 'Allow `server.host` to be a non-loopback address (such as 0.0.0.0). Off by default because claimsgate exposes sign-in endpoints and the admin API; it is meant to sit behind a TLS-terminating reverse proxy on the same host, so listening on the network must be asked for on purpose.',
        },
        port: {
          kind: 'setting',
          type: 'integer',
          default: 8787,
          min: 0,
          max: 65_535,
          doc: 'The TCP port to listen on; 0 lets the system pick a free port (then set `server.publicUrl`).',
        },
        publicUrl: {
          kind: 'setting',
          type: 'url',
          protocols: ['http:', 'https:'],
          base: true,
          default: {
            describe: '`http://127.0.0.1:<server.port>`',
            derive: (resolved) => {
              const port = resolved('server.port');
              return typeof port === 'number' ? `http://127.0.0.1:${port}` : undefined;
            },
          },
          doc: 'The externally visible base URL of the gateway (scheme, host, port and optional path), used to build reply URLs registered at identity providers.',
        },
        trustProxy: {
          kind: 'setting',
          type: 'boolean',
          default: false,
          doc: 'The gateway sits behind one reverse proxy that appends the client address to `X-Forwarded-For` (nginx, HAProxy, a cloud load balancer): the client address is the last entry, the one that proxy wrote — never an earlier one, which the client chose. For more than one proxy, list them in `trustedProxies` instead.',
        },
        trustedProxies: {
          kind: 'setting',
          type: 'string-list',
          default: [],
          pattern: /^[0-9A-Fa-f.:]{2,45}(\/\d{1,3})?$/,
          patternDoc: 'IP addresses or CIDR ranges (`10.0.0.2`, `10.0.0.0/8`, `fd00::/8`)',
          doc: 'The addresses of the reverse proxies in front of the gateway: the client address is the right-most `X-Forwarded-For` entry that is not one of them (what the login throttle and the logs use). Overrides `trustProxy`. Environment: comma-separated or a JSON array.',
        },
        shutdownGraceMs: {
          kind: 'setting',
          type: 'integer',
          unit: 'milliseconds',
          default: 10_000,
          min: 0,
          max: 600_000,
          doc: 'How long in-flight requests may finish after a shutdown signal before connections are closed.',
        },
        requestTimeoutMs: {
          kind: 'setting',
          type: 'integer',
          unit: 'milliseconds',
          default: 30_000,
          min: 100,
          max: 3_600_000,
          doc: 'How long a client has to send a whole request, headers and body; then it gets 408 and the connection is closed (slow-client defence). Only receiving the request counts: the answer, such as a long download from the application in gateway mode, is never cut by it. Raise it when users upload large files through the gateway over slow links.',
        },
        heapGrowthPercent: {
          kind: 'setting',
          type: 'integer',
          unit: 'percent',
          default: 50,
          min: 0,
          max: 400,
          doc: "How far the JavaScript heap may grow past what it holds live before V8 collects it in full: with L MiB live, at about L × (1 + N/100). V8's own choice lets it grow to about 4 × L during a burst of refreshes (a refresh all of 10,000 issuers took a gateway holding 150 MiB live to 640–810 MiB of RSS) and gives the memory back only after a quiet while; 50 kept those bursts to 370–440 MiB, with refreshes no slower. Lower saves memory for more frequent collections; 0 leaves it to V8. `claimsgate serve` sets it when it starts (V8's `--heap-growing-percent`); one given to node on its command line is kept.",
        },
      },
    },
    database: {
      kind: 'group',
      doc: 'The store of issuers, keys, realms and the audit log.',
      fields: {
        url: {
          kind: 'setting',
          type: 'string',
          secret: true,
          default: './data/claimsgate.db',
          doc: 'A SQLite file path (or `sqlite:<path>`) or a `postgres://` URL. Treated as a secret because a PostgreSQL URL may carry a password.',
        },
        outage: {
          kind: 'group',
          doc: 'What the gateway does while the store cannot be reached (docs/operations.md, "When the store is unreachable").',
          fields: {
            replayCache: {
              kind: 'setting',
              type: 'enum',
              values: ['local', 'refuse'],
              default: 'local',
              doc: '`local`: token and sign-in state IDs are checked against this instance’s own ledger and written to the store when it is back, so users keep signing in; a token replayed to another instance within its lifetime during the outage is accepted there once more. `refuse`: every sign-in fails (503) until the store answers, and `/readyz` says not-ready.',
            },
            replayEntries: {
              kind: 'setting',
              type: 'integer',
              default: 100_000,
              min: 1_000,
              max: 10_000_000,
              doc: 'The most IDs the local replay ledger keeps (each until its token expires), and the most accepted during an outage that wait to be written to the store; the oldest leave first. About 150 bytes each.',
            },
            probeIntervalMs: {
              kind: 'setting',
              type: 'integer',
              unit: 'milliseconds',
              default: 1_000,
              min: 100,
              max: 60_000,
              doc: 'While the store is unreachable, it is tried this often; the first answer ends the outage and writes the queued records.',
            },
            alertAfterMs: {
              kind: 'setting',
              type: 'integer',
              unit: 'milliseconds',
              default: 5_000,
              min: 0,
              max: 3_600_000,
              doc: 'The `store-unreachable` alert (an error log line and the alert webhook) fires once an outage has lasted this long, once per outage; a shorter one is logged at warn level only.',
            },
          },
        },
      },
    },
    session: {
      kind: 'group',
      doc: 'The encrypted session cookie.',
      fields: {
        cookieName: {
          kind: 'setting',
          type: 'string',
          default: 'claimsgate_session',
          pattern: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/,
          patternDoc: 'a cookie-name token of 1–64 characters',
          doc: 'The session cookie name. A `__Host-` or `__Secure-` name requires secure cookies.',
        },
        absoluteLifetimeSeconds: {
          kind: 'setting',
          type: 'integer',
          unit: 'seconds',
          default: 28_800,
          min: 60,
          max: 30 * DAY_SECONDS,
          doc: "The longest a session lives after sign-in, whatever the activity; counted from the sign-in on the gateway's clock, never from the token's issue instant.",
        },
        idleTimeoutSeconds: {
          kind: 'setting',
          type: 'integer',
          unit: 'seconds',
          default: 3_600,
          min: 60,
          max: 30 * DAY_SECONDS,
          doc: 'A session unused this long ends. At most `session.absoluteLifetimeSeconds`.',
        },
        renewAfterSeconds: {
          kind: 'setting',
          type: 'integer',
          unit: 'seconds',
          default: 300,
          min: 0,
          max: 30 * DAY_SECONDS,
          doc: 'A cookie sealed longer ago than this is re-sealed when read (sliding expiry). Less than `session.idleTimeoutSeconds`.',
        },
        secureCookies: {
          kind: 'setting',
          type: 'auto-boolean',
          default: 'auto',
          doc: 'Give the cookie the `Secure` attribute. `auto` means: when `server.publicUrl` is https. `true` requires an https public URL.',
        },
        keys: {
          kind: 'setting',
          type: 'session-keys',
          secret: true,
          default: [],
          doc: 'The sealing keys, `{ id, secret }` each: the first seals, every one opens (add a key first to rotate, remove the old one after the absolute lifetime). A secret is hexadecimal or base64 text of at least 32 random bytes, or an `env:NAME` / `file:/path` reference. Required outside `development` mode. Environment: a JSON array, or `id:secret` pairs separated by commas.',
        },
      },
    },
    validation: {
      kind: 'group',
      doc: 'Token validation.',
      fields: {
        clockSkewSeconds: {
          kind: 'setting',
          type: 'integer',
          unit: 'seconds',
          default: 300,
          min: 0,
          max: 3_600,
          doc: 'How far the clocks of this host and an issuer may differ when token lifetimes are checked.',
        },
        maxTokenBytes: {
          kind: 'setting',
          type: 'integer',
          unit: 'bytes',
          default: 131_072,
          min: 1_024,
          max: 4_194_304,
          doc: 'The largest token accepted; larger ones are refused before they are decoded. The XML limits of a token scale with it, and so does the cost of the worst token an anonymous client can post (docs/benchmarks.md).',
        },
      },
    },
    rollover: {
      kind: 'group',
      doc: 'Following the issuers’ published signing keys.',
      fields: {
        fetchSpacingSeconds: {
          kind: 'setting',
          type: 'integer',
          unit: 'seconds',
          default: 2,
          min: 0,
          max: 60,
          doc: 'The least time between the starts of two metadata fetches of one issuer caused by tokens signed with a key not yet trusted for it, counted from any refresh of that issuer. Tokens arriving in between wait for the one trailing fetch instead of being refused.',
        },
        unknownKeyWaitMs: {
          kind: 'setting',
          type: 'integer',
          unit: 'milliseconds',
          default: 15_000,
          min: 0,
          max: 120_000,
          doc: 'How long a sign-in whose token is signed by a key not yet trusted for its issuer waits for the metadata fetch that can show the key; past it the token is refused with CG_TRUST_KEY_UNKNOWN.',
        },
        maxWaitingTokens: {
          kind: 'setting',
          type: 'integer',
          default: 1_000,
          min: 1,
          max: 1_000_000,
          doc: 'The most sign-ins that may wait at once, over every issuer, for such a metadata fetch; more are refused at once with CG_TRUST_KEY_UNKNOWN (a flood of tokens naming random keys while an endpoint hangs holds no more requests than this; each holds its request body, well under a megabyte). They are shared fairly: with n issuers having tokens waiting, an issuer holds at most max(1, floor(maxWaitingTokens / n)) of them, and its first token is admitted even to a full pool (which then holds at most maxWaitingTokens + n - 1), so a flood at one issuer cannot refuse another issuer that has just rolled its key. See docs/rollover.md.',
        },
        continuityProbationSeconds: {
          kind: 'setting',
          type: 'integer',
          unit: 'seconds',
          default: 86_400,
          min: 0,
          max: 30 * DAY_SECONDS,
          doc: 'How long a key that an unsigned metadata document brought in must have been known before it vouches for a later document (as a key it shares) in the key continuity check, counted from when a refresh brought it in or back into use from retired, revoked or expired. Keys an administrator added or reactivated and an issuer\'s first keys vouch at once; for an issuer that signs its metadata, every trusted key does. See docs/rollover.md, "Key continuity".',
        },
        graceSeconds: {
          kind: 'setting',
          type: 'integer',
          unit: 'seconds',
          default: 3_600,
          min: 0,
          max: 30 * DAY_SECONDS,
          doc: 'How long a key that left the metadata stays trusted (as retiring) before it is retired.',
        },
        reconcileIntervalMs: {
          kind: 'setting',
          type: 'integer',
          unit: 'milliseconds',
          default: 300_000,
          min: 1_000,
          max: 3_600_000,
          doc: 'How often the in-memory trust is read whole from the store, in case a change notification was lost. Changes by other instances or the CLI arrive through the change feed within milliseconds; alerts are checked every 30 s whatever this says.',
        },
        startWaitMs: {
          kind: 'setting',
          type: 'integer',
          unit: 'milliseconds',
          default: 0,
          min: 0,
          max: 60_000,
          doc: 'How long serve waits for the start refreshes before it listens. At 0 it listens as soon as the trust is loaded from the store (the last-known-good keys), and the start refreshes run in the background; a token signed by a key not yet known still fetches its issuer at once.',
        },
        fetchTimeoutMs: {
          kind: 'setting',
          type: 'integer',
          unit: 'milliseconds',
          default: 10_000,
          min: 100,
          max: 120_000,
          doc: 'The time limit for fetching one metadata document.',
        },
        allowHttpMetadata: {
          kind: 'setting',
          type: 'boolean',
          default: false,
          doc: 'Accept plain-http metadata URLs for non-loopback hosts. Only for a network you control: keys fetched over http can be replaced in transit.',
        },
        privateMetadataHosts: {
          kind: 'setting',
          type: 'string-list',
          default: [],
          pattern: /^[A-Za-z0-9._:%[\]-]{1,253}(\/\d{1,3})?$/,
          patternDoc: 'host names, IP addresses or CIDR ranges (`adfs.corp.example`, `10.20.0.0/16`)',
          doc: 'Hosts whose metadata, key sets and token endpoints may be at a private, link-local, loopback or otherwise special address (an AD FS on the company network). Every other host must resolve to public addresses only, checked at connect time for each redirect and `jwks_uri`; a URL that itself names this machine (`localhost`, `127.0.0.1`, `[::1]`) may reach loopback. `allowHttpMetadata` does not widen this. Environment: comma-separated or a JSON array.',
        },
        alerts: {
          kind: 'group',
          doc: 'When the rollover engine raises alerts.',
          fields: {
            expiryDays: {
              kind: 'setting',
              type: 'integer-list',
              unit: 'days',
              default: [30, 7, 1],
              min: 1,
              max: 365,
              doc: 'Alert when a trusted key expires within each of these numbers of days.',
            },
            consecutiveFailures: {
              kind: 'setting',
              type: 'integer',
              unit: 'attempts',
              default: 3,
              min: 1,
              max: 100,
              doc: 'Alert after this many metadata refreshes of one issuer fail in a row.',
            },
            staleAfterSeconds: {
              kind: 'setting',
              type: 'integer',
              unit: 'seconds',
              default: DAY_SECONDS,
              min: 60,
              max: 30 * DAY_SECONDS,
              doc: 'Alert when an issuer’s metadata has not been refreshed successfully for this long.',
            },
          },
        },
        webhook: {
          kind: 'group',
          optional: true,
          doc: 'An optional webhook that receives alerts as JSON (absent unless its URL is given).',
          fields: {
            url: {
              kind: 'setting',
              type: 'url',
              protocols: ['http:', 'https:'],
              optional: true,
              doc: 'Where alerts are POSTed. https is required unless the host is a loopback address.',
            },
            headers: {
              kind: 'setting',
              type: 'header-map',
              secret: true,
              default: {},
              doc: 'Extra request headers (for example `Authorization`). Values are secrets and may be `env:` / `file:` references. Environment: a JSON object.',
            },
            retries: {
              kind: 'setting',
              type: 'integer',
              unit: 'attempts',
              default: 3,
              min: 0,
              max: 10,
              doc: 'How many times a failed delivery is retried.',
            },
          },
        },
      },
    },
    gateway: {
      kind: 'group',
      doc: 'Protecting an upstream application and passing the identity on.',
      fields: {
        upstream: {
          kind: 'setting',
          type: 'url',
          protocols: ['http:', 'https:'],
          base: true,
          optional: true,
          doc: 'The application to protect. When set, every request is proxied to it once the user is signed in.',
        },
        allowedReturnOrigins: {
          kind: 'setting',
          type: 'origin-list',
          default: {
            describe: 'the origin of `server.publicUrl`',
            derive: (resolved) => {
              const origin = originOf(resolved('server.publicUrl'));
              return origin === undefined ? undefined : [origin];
            },
          },
          doc: 'The origins a sign-in may return the browser to (open-redirect protection). Environment: comma-separated or a JSON array.',
        },
        identityHeaderPrefix: {
          kind: 'setting',
          type: 'string',
          default: 'X-Claimsgate-',
          pattern: /^[A-Za-z0-9-]{1,64}$/,
          patternDoc: '1–64 letters, digits and hyphens',
          doc: 'The prefix of the request headers that carry the identity to the upstream. Incoming headers with this prefix are removed first.',
        },
        upstreamTimeoutMs: {
          kind: 'setting',
          type: 'integer',
          unit: 'milliseconds',
          default: 30_000,
          min: 100,
          max: 3_600_000,
          doc: 'How long the upstream has to connect and start its answer (status and headers), counted from the last byte of the request passed on; past it the client gets 504 (`CG_GATEWAY_UPSTREAM_TIMEOUT`). The same limit applies to WebSocket handshakes. An answer that has started streams without a time limit.',
        },
      },
    },
    signIn: {
      kind: 'group',
      doc: 'The sign-in page `GET /signin` (see docs/sign-in.md).',
      fields: {
        chooserLimit: {
          kind: 'setting',
          type: 'integer',
          default: 10,
          min: 0,
          max: 1_000,
          doc: 'The most issuers the sign-in page lists for the user to choose from. When the realm offers more, the page asks for an e-mail address instead and sends the user to the issuer holding its domain (home-realm discovery); it asks for one too, above the list, as soon as any offered issuer has domains. 0: never list, always ask.',
        },
      },
    },
    oidc: {
      kind: 'group',
      doc: 'OpenID Connect sign-in: how claimsgate is registered as a client at each OpenID Connect issuer (see docs/oidc.md).',
      fields: {
        clients: {
          kind: 'setting',
          type: 'oidc-clients',
          secret: true,
          default: {},
          doc: 'By issuer name (as in `claimsgate issuers list`): `{ clientId, clientSecret?, responseType? }`. `responseType` is `code` (default: authorization code with PKCE S256, the code redeemed at the token endpoint with `clientSecret` by HTTP Basic when given) or `id_token`. `clientSecret` may be an `env:NAME` / `file:/path` reference. An issuer with protocol `oidc` but no entry here cannot be used for sign-in. Environment: a JSON object.',
        },
      },
    },
    admin: {
      kind: 'group',
      doc: 'The admin API and UI.',
      fields: {
        enabled: {
          kind: 'setting',
          type: 'boolean',
          default: {
            describe: '`true`, or `false` when `gateway.upstream` is set',
            derive: (resolved) => resolved('gateway.upstream') === undefined,
          },
          doc: "Serve the admin API and UI. Off by default in gateway mode: pages of the proxied application share the gateway's origin, so a script in them could call the admin API with an admin's session. Turn it on there only when the application is trusted as much as the gateway, or serve the admin from a separate instance without `gateway.upstream` on the same store.",
        },
        adminClaim: {
          kind: 'group',
          optional: true,
          doc: 'A claim that grants the admin role when a trusted issuer asserts it (absent unless given).',
          fields: {
            type: {
              kind: 'setting',
              type: 'string',
              optional: true,
              pattern: /^\S.{0,511}$/,
              patternDoc: '1–512 characters, not starting with a space',
              doc: 'The claim type (for example `http://schemas.microsoft.com/ws/2008/06/identity/claims/role`).',
            },
            value: {
              kind: 'setting',
              type: 'string',
              optional: true,
              pattern: /^\S.{0,511}$/,
              patternDoc: '1–512 characters, not starting with a space',
              doc: 'The claim value that grants the role (for example `ClaimsgateAdmins`).',
            },
            issuers: {
              kind: 'setting',
              type: 'string-list',
              default: [],
              pattern: /^\S.{0,254}$/,
              patternDoc: 'issuer names as in `claimsgate issuers list`',
              doc: 'The issuers, by name, whose tokens may grant the admin role by this claim. Empty (the default): no issuer may — a claim means something only in the tenant that issues it, so name each issuer you trust to make administrators. Environment: comma-separated or a JSON array.',
            },
          },
        },
      },
    },
    logging: {
      kind: 'group',
      doc: 'Structured logs.',
      fields: {
        level: {
          kind: 'setting',
          type: 'enum',
          values: LOG_LEVELS,
          default: 'info',
          doc: 'The least severe pino level written.',
        },
      },
    },
    metrics: {
      kind: 'group',
      doc: 'The Prometheus endpoint `GET /metrics` (see docs/operations.md).',
      fields: {
        enabled: {
          kind: 'setting',
          type: 'boolean',
          default: true,
          doc: 'Serve `GET /metrics`. It shows issuer names, key counts and error rates, never user names or tokens; when the gateway is reachable by untrusted clients, set `metrics.bearerToken` or block the path at the reverse proxy.',
        },
        bearerToken: {
          kind: 'setting',
          type: 'string',
          secret: true,
          optional: true,
          pattern: /^(?:env:|file:)\S+$|^[!-~]{32,1024}$/,
          patternDoc: '32–1024 visible ASCII characters, or an `env:NAME` / `file:/path` reference',
          doc: 'When set, a scrape must send `Authorization: Bearer <token>`; others get 401. Unset: no authentication (the admin session is never asked for, since scrapers have none).',
        },
        issuerSeriesLimit: {
          kind: 'setting',
          type: 'integer',
          default: 200,
          min: 0,
          max: 100_000,
          doc: 'At most this many issuers get per-issuer series (`claimsgate_issuer_*`, `claimsgate_metadata_*`). With more issuers, those that need attention (no usable key, a last key expiring, refreshes failing or stale, a key expiring) are shown first and the healthy ones only counted in `claimsgate_issuers_by_condition`, so `/metrics` stays small with thousands of issuers.',
        },
      },
    },
  },
} as const satisfies SchemaGroup;

/**
 * The validated, resolved configuration (every default and reference filled
 * in; `session.secureCookies` resolved from `auto` to whether
 * `server.publicUrl` is https). Derived from `CONFIG_SCHEMA`, so a setting
 * declared there is a property here.
 */
export type Config = ConfigOf<typeof CONFIG_SCHEMA>;

/** The outgoing alert webhook. */
export type WebhookConfig = NonNullable<Config['rollover']['webhook']>;

/** A claim that grants the admin role when a trusted issuer asserts it. */
export type AdminClaimConfig = NonNullable<Config['admin']['adminClaim']>;

/** One setting with its place in the schema. */
export interface SettingEntry {
  /** The dotted path (`server.port`). */
  readonly path: string;
  /** The environment variable that sets it (`CLAIMSGATE_SERVER_PORT`). */
  readonly env: string;
  readonly spec: SettingSpec;
  /** The optional groups it belongs to, outermost first (`rollover.webhook`). */
  readonly optionalGroups: readonly string[];
}

/** `idleTimeoutSeconds` → `IDLE_TIMEOUT_SECONDS`. */
export function toScreamingSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The environment variable for a dotted path (`session.idleTimeoutSeconds` → `CLAIMSGATE_SESSION_IDLE_TIMEOUT_SECONDS`). */
export function envNameOf(path: string): string {
  return `CLAIMSGATE_${path.split('.').map(toScreamingSnake).join('_')}`;
}

/** Every setting of a schema, in schema order. */
export function listSettings(schema: SchemaGroup = CONFIG_SCHEMA): readonly SettingEntry[] {
  const entries: SettingEntry[] = [];
  const walk = (group: SchemaGroup, prefix: string, optionalGroups: readonly string[]): void => {
    for (const [name, node] of Object.entries(group.fields)) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      if (node.kind === 'group') {
        walk(node, path, node.optional === true ? [...optionalGroups, path] : optionalGroups);
      } else {
        entries.push({ path, env: envNameOf(path), spec: node, optionalGroups });
      }
    }
  };
  walk(schema, '', []);
  return entries;
}
