/**
 * The checks that span several settings, run once every setting has been
 * read on its own: optional groups, the bind address, session timing, cookie
 * security, the upstream and webhook URLs, and the session keys.
 */
import { randomBytes } from 'node:crypto';
import { listSettings, type SessionKeyConfig, type SettingSource } from './config-schema.js';
import type { ConfigProblem } from './config-problems.js';
import { isLoopbackHost } from './setting-types.js';

/** The settings after the cross-field checks: `auto` resolved, absent optional groups removed, keys filled. */
export interface CheckedSettings {
  readonly values: Map<string, unknown>;
  readonly sources: Map<string, SettingSource>;
  readonly problems: ConfigProblem[];
  readonly warnings: string[];
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;
// The same floor as the session key ring (src/session/sealing-keys.ts), so a
// weak secret is reported here with its path instead of failing at start.
const MIN_SECRET_BYTES = 32;
const MIN_DISTINCT_BYTES = 12;

/** Why a sealing secret is too weak, or undefined when it is strong enough. Never quotes the secret. */
function secretWeakness(secret: string): string | undefined {
  let bytes: Buffer;
  if (HEX.test(secret) && secret.length % 2 === 0) {
    bytes = Buffer.from(secret, 'hex');
  } else if (BASE64.test(secret)) {
    bytes = Buffer.from(secret.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  } else {
    return `must be hexadecimal or base64 text of at least ${MIN_SECRET_BYTES} random bytes`;
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    return `has ${bytes.length} bytes; at least ${MIN_SECRET_BYTES} random bytes are required`;
  }
  if (new Set(bytes).size < MIN_DISTINCT_BYTES) {
    return 'looks like a placeholder, not random bytes';
  }
  return undefined;
}

function hostOf(url: string): string {
  return new URL(url).hostname;
}

/**
 * Runs the cross-field checks on resolved settings (invalid ones are absent
 * from `values`, so checks that need them are skipped).
 */
export function checkConfig(
  values: Map<string, unknown>,
  sources: Map<string, SettingSource>,
  invalid: ReadonlySet<string>,
  fileUnread: boolean,
): CheckedSettings {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  // `session.keys[0].secret` came from wherever `session.keys` came from.
  const source = (path: string): SettingSource => sources.get(path.replace(/\[.*$/, '')) ?? 'default';
  const report = (path: string, message: string, observed?: unknown): void => {
    problems.push({ path, source: source(path), message, ...(observed === undefined ? {} : { observed }) });
  };
  const num = (path: string): number | undefined => {
    const value = values.get(path);
    return typeof value === 'number' ? value : undefined;
  };
  const str = (path: string): string | undefined => {
    const value = values.get(path);
    return typeof value === 'string' ? value : undefined;
  };

  // Optional groups: present when any of their settings was given; then the
  // settings without a default are required.
  const settings = listSettings();
  const groups = new Set(settings.flatMap((entry) => entry.optionalGroups));
  for (const group of groups) {
    const members = settings.filter((entry) => entry.optionalGroups.includes(group));
    const given = members.filter(
      (entry) => source(entry.path) !== 'default' && (values.has(entry.path) || invalid.has(entry.path)),
    );
    if (given.length === 0) {
      for (const entry of members) {
        values.delete(entry.path);
        sources.delete(entry.path);
      }
      continue;
    }
    for (const entry of members) {
      if (entry.spec.default === undefined && !values.has(entry.path) && !invalid.has(entry.path)) {
        problems.push({
          path: entry.path,
          source: source(given[0]!.path),
          message: `is required when ${group} is set`,
        });
      }
    }
  }

  // SECURITY: the gateway serves sign-in and the admin API; listening beyond
  // loopback exposes them to the network, so it must be asked for explicitly.
  const host = str('server.host');
  if (host !== undefined && !isLoopbackHost(host)) {
    if (values.get('server.allowPublicBind') !== true) {
      report(
        'server.host',
        'is not a loopback address; set server.allowPublicBind to true to listen on the network',
        host,
      );
    } else if (source('server.publicUrl') === 'default') {
      warnings.push(
        `server.host ${host} listens beyond loopback but server.publicUrl is its default (${str('server.publicUrl') ?? ''}); set the URL clients use.`,
      );
    }
  }

  const renew = num('session.renewAfterSeconds');
  const idle = num('session.idleTimeoutSeconds');
  const absolute = num('session.absoluteLifetimeSeconds');
  if (renew !== undefined && idle !== undefined && renew >= idle) {
    report('session.renewAfterSeconds', `must be less than session.idleTimeoutSeconds (${idle})`, renew);
  }
  if (idle !== undefined && absolute !== undefined && idle > absolute) {
    report(
      'session.idleTimeoutSeconds',
      `must not exceed session.absoluteLifetimeSeconds (${absolute})`,
      idle,
    );
  }

  const publicUrl = str('server.publicUrl');
  const httpsPublic = publicUrl?.startsWith('https:') === true;
  const secure = values.get('session.secureCookies');
  if (secure === true && publicUrl !== undefined && !httpsPublic) {
    report(
      'session.secureCookies',
      'is true but server.publicUrl is not https: browsers would drop the cookie',
      secure,
    );
  }
  if (secure === 'auto' && publicUrl !== undefined) values.set('session.secureCookies', httpsPublic);
  const cookieName = str('session.cookieName');
  if (
    cookieName !== undefined &&
    /^__(Host|Secure)-/.test(cookieName) &&
    values.get('session.secureCookies') === false
  ) {
    report(
      'session.cookieName',
      'a __Host- or __Secure- cookie must be secure (https public URL)',
      cookieName,
    );
  }
  if (
    values.get('mode') === 'production' &&
    publicUrl !== undefined &&
    !httpsPublic &&
    !isLoopbackHost(hostOf(publicUrl))
  ) {
    warnings.push(`server.publicUrl ${publicUrl} is not https: session cookies travel unencrypted.`);
  }

  const upstream = str('gateway.upstream');
  // A request proxied to the gateway's own public origin would come back to
  // itself without end.
  if (
    upstream !== undefined &&
    publicUrl !== undefined &&
    new URL(upstream).origin === new URL(publicUrl).origin
  ) {
    report('gateway.upstream', 'is the gateway itself (the origin of server.publicUrl)', upstream);
  }

  const webhook = str('rollover.webhook.url');
  // SECURITY: alerts name issuers and keys, and the webhook headers carry
  // credentials: they travel over https unless they stay on this host.
  if (webhook !== undefined && new URL(webhook).protocol !== 'https:' && !isLoopbackHost(hostOf(webhook))) {
    report('rollover.webhook.url', 'must be https unless its host is a loopback address', webhook);
  }

  if (values.get('rollover.allowHttpMetadata') === true && values.get('mode') === 'production') {
    warnings.push('rollover.allowHttpMetadata is on: metadata fetched over http can be altered in transit.');
  }

  // A file that could not be read may well hold the keys: its problem is
  // reported, and a missing key then would only be noise.
  if (!fileUnread) checkKeys(values, invalid, report, warnings);
  return { values, sources, problems, warnings };
}

function checkKeys(
  values: Map<string, unknown>,
  invalid: ReadonlySet<string>,
  report: (path: string, message: string) => void,
  warnings: string[],
): void {
  if (invalid.has('session.keys')) return;
  const keys = (values.get('session.keys') ?? []) as readonly SessionKeyConfig[];
  keys.forEach((key, index) => {
    const weakness = secretWeakness(key.secret);
    if (weakness !== undefined) report(`session.keys[${index}].secret`, weakness);
  });
  if (keys.length > 0) return;
  if (values.get('mode') === 'development') {
    values.set('session.keys', [{ id: 'dev', secret: randomBytes(32).toString('base64url') }]);
    warnings.push(
      'session.keys is empty: a session key was generated for this run (development mode); sessions end when the process stops.',
    );
  } else if (values.has('mode')) {
    report(
      'session.keys',
      'at least one sealing key { id, secret } is required outside development mode (a secret of 32 random bytes, e.g. `openssl rand -base64 32`)',
    );
  }
}
