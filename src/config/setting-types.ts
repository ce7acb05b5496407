/**
 * Reading and checking one setting's value by its schema type: text from the
 * environment or a flag is coerced first; typed values from a file are
 * checked as they are. Pure: secret references are resolved later
 * (resolve-secret.ts).
 */
import { isIP } from 'node:net';
import type { CheckedValue, ValueProblem } from './checked-value.js';
import { checkOidcClients, OIDC_CLIENTS_DESCRIPTION } from './check-oidc-clients.js';
import type { SettingSpec } from './config-schema.js';
import { suggestName } from './suggest-name.js';

export type { CheckedValue, ValueProblem } from './checked-value.js';

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
// SECURITY: these headers frame the request itself; letting configuration set
// them could smuggle a second request or misroute the webhook call.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade']);

function ok(value: unknown): CheckedValue {
  return { ok: true, value };
}

function fail(message: string, observed?: unknown, suffix = ''): CheckedValue {
  return {
    ok: false,
    problems: [observed === undefined ? { suffix, message } : { suffix, message, observed }],
  };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  return isIP(lower) === 4 && lower.startsWith('127.');
}

/** The text a setting expects, for messages and documentation (`an integer from 0 to 65535`). */
export function describeType(spec: SettingSpec): string {
  switch (spec.type) {
    case 'string':
      return spec.patternDoc === undefined ? 'a string' : `a string: ${spec.patternDoc}`;
    case 'integer':
      return `an integer from ${spec.min} to ${spec.max}`;
    case 'boolean':
      return 'true or false';
    case 'auto-boolean':
      return 'auto, true or false';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'url':
      return `a URL (${spec.protocols.map((p) => p.slice(0, -1)).join(' or ')})`;
    case 'host':
      return 'an IP address or host name';
    case 'integer-list':
      return `a list of integers from ${spec.min} to ${spec.max}`;
    case 'origin-list':
      return 'a list of origins (scheme://host[:port])';
    case 'string-list':
      return `a list of strings: ${spec.patternDoc}`;
    case 'header-map':
      return 'a mapping of header names to values';
    case 'session-keys':
      return 'a list of { id, secret }';
    case 'oidc-clients':
      return OIDC_CLIENTS_DESCRIPTION;
  }
}

/** The URL with any credentials masked, for messages. */
function maskCredentials(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '***';
  copy.password = '';
  return copy.href;
}

function checkUrl(spec: Extract<SettingSpec, { type: 'url' }>, value: string): CheckedValue {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(
      `expected ${describeType(spec)}; this is not an absolute URL`,
      spec.secret === true ? undefined : value,
    );
  }
  const shown = maskCredentials(url);
  if (!spec.protocols.includes(url.protocol)) {
    return fail(`expected ${describeType(spec)}, not ${url.protocol.slice(0, -1)}`, shown);
  }
  // SECURITY: credentials in a URL end up in logs and error messages; headers
  // (whose values are secrets) carry them instead.
  if (url.username !== '' || url.password !== '') {
    return fail('must not carry a user name or password; put credentials in headers', shown);
  }
  if (spec.base === true) {
    if (url.search !== '' || url.hash !== '') {
      return fail('a base URL has no query or fragment', shown);
    }
    return ok(url.href.replace(/\/+$/, ''));
  }
  return ok(url.href);
}

function checkOrigins(value: unknown): CheckedValue {
  if (!Array.isArray(value)) return fail(`expected a list of origins, got ${typeName(value)}`);
  const problems: ValueProblem[] = [];
  const origins: string[] = [];
  value.forEach((item: unknown, index) => {
    const suffix = `[${index}]`;
    if (typeof item !== 'string') {
      problems.push({ suffix, message: `expected an origin, got ${typeName(item)}` });
      return;
    }
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== '' ||
      url.password !== ''
    ) {
      problems.push({
        suffix,
        message: 'expected an http(s) origin: scheme://host[:port] without path, query or credentials',
        observed: item,
      });
      return;
    }
    if (!origins.includes(url.origin)) origins.push(url.origin);
  });
  return problems.length > 0 ? { ok: false, problems } : ok(origins);
}

function checkIntegerList(
  spec: Extract<SettingSpec, { type: 'integer-list' }>,
  value: unknown,
): CheckedValue {
  if (!Array.isArray(value)) return fail(`expected ${describeType(spec)}, got ${typeName(value)}`, value);
  const problems: ValueProblem[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'number' || !Number.isInteger(item) || item < spec.min || item > spec.max) {
      problems.push({
        suffix: `[${index}]`,
        message: `expected an integer from ${spec.min} to ${spec.max}`,
        observed: item,
      });
    } else if (value.indexOf(item) !== index) {
      problems.push({ suffix: `[${index}]`, message: 'is listed twice', observed: item });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : ok([...(value as number[])]);
}

function checkStringList(spec: Extract<SettingSpec, { type: 'string-list' }>, value: unknown): CheckedValue {
  if (!Array.isArray(value)) return fail(`expected ${describeType(spec)}, got ${typeName(value)}`, value);
  const problems: ValueProblem[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'string' || !spec.pattern.test(item)) {
      problems.push({ suffix: `[${index}]`, message: `expected ${spec.patternDoc}`, observed: item });
    } else if (value.indexOf(item) !== index) {
      problems.push({ suffix: `[${index}]`, message: 'is listed twice', observed: item });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : ok([...(value as string[])]);
}

function checkHeaders(value: unknown): CheckedValue {
  if (!isPlainObject(value))
    return fail(`expected a mapping of header names to values, got ${typeName(value)}`);
  const problems: ValueProblem[] = [];
  const entries: [string, string][] = [];
  for (const [name, headerValue] of Object.entries(value)) {
    const suffix = `.${name}`;
    if (!HEADER_NAME.test(name)) {
      problems.push({ suffix, message: 'is not a valid HTTP header name' });
    } else if (RESERVED_HEADERS.has(name.toLowerCase())) {
      problems.push({ suffix, message: 'is set by the HTTP client itself and cannot be configured' });
    } else if (typeof headerValue !== 'string' || /[\r\n\0]/.test(headerValue)) {
      // SECURITY: a line break in a header value would inject headers.
      problems.push({ suffix, message: 'expected a header value: a string without line breaks' });
    } else {
      entries.push([name, headerValue]);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : ok(Object.fromEntries(entries));
}

function checkSessionKeys(value: unknown): CheckedValue {
  if (!Array.isArray(value)) return fail(`expected a list of { id, secret }, got ${typeName(value)}`);
  const problems: ValueProblem[] = [];
  const keys: { id: string; secret: string }[] = [];
  value.forEach((item: unknown, index) => {
    const at = `[${index}]`;
    if (!isPlainObject(item)) {
      problems.push({ suffix: at, message: `expected { id, secret }, got ${typeName(item)}` });
      return;
    }
    for (const name of Object.keys(item)) {
      if (name !== 'id' && name !== 'secret') {
        const suggestion = suggestName(name, ['id', 'secret']);
        problems.push({
          suffix: `${at}.${name}`,
          message: `is not a key setting${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
        });
      }
    }
    const { id, secret } = item;
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      problems.push({
        suffix: `${at}.id`,
        message: 'expected 1–32 characters of A–Z a–z 0–9 _ -',
        ...(typeof id === 'string' ? { observed: id } : {}),
      });
    } else if (keys.some((key) => key.id === id)) {
      problems.push({
        suffix: `${at}.id`,
        message: 'is the ID of an earlier key; key IDs must be unique',
        observed: id,
      });
    }
    if (typeof secret !== 'string' || secret.trim() === '') {
      problems.push({
        suffix: `${at}.secret`,
        message: 'is required: a secret, or an env:NAME or file:/path reference',
      });
    }
    if (typeof id === 'string' && typeof secret === 'string') keys.push({ id, secret });
  });
  return problems.length > 0 ? { ok: false, problems } : ok(keys);
}

/**
 * Checks a setting's value (from a file, or coerced from text) against its
 * spec and returns it normalised. Secret values are never put in `observed`.
 */
export function checkSetting(spec: SettingSpec, value: unknown): CheckedValue {
  const observed = spec.secret === true ? undefined : value;
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string')
        return fail(`expected ${describeType(spec)}, got ${typeName(value)}`, observed);
      if (value === '') return fail('must not be empty');
      if (spec.pattern !== undefined && !spec.pattern.test(value)) {
        return fail(`expected ${describeType(spec)}`, observed);
      }
      return ok(value);
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
        return fail(`expected ${describeType(spec)}`, observed);
      }
      return ok(value);
    case 'boolean':
      return typeof value === 'boolean' ? ok(value) : fail('expected true or false', observed);
    case 'auto-boolean':
      return typeof value === 'boolean' || value === 'auto'
        ? ok(value)
        : fail('expected auto, true or false', observed);
    case 'enum': {
      if (typeof value === 'string' && spec.values.includes(value)) return ok(value);
      const suggestion = typeof value === 'string' ? suggestName(value, spec.values) : undefined;
      return fail(
        `expected ${describeType(spec)}${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
        observed,
      );
    }
    case 'url':
      if (typeof value !== 'string')
        return fail(`expected ${describeType(spec)}, got ${typeName(value)}`, observed);
      return checkUrl(spec, value);
    case 'host':
      if (typeof value !== 'string' || (isIP(value) === 0 && !HOSTNAME.test(value))) {
        return fail(`expected ${describeType(spec)} (IPv6 without brackets)`, observed);
      }
      return ok(value);
    case 'integer-list':
      return checkIntegerList(spec, value);
    case 'origin-list':
      return checkOrigins(value);
    case 'string-list':
      return checkStringList(spec, value);
    case 'header-map':
      return checkHeaders(value);
    case 'session-keys':
      return checkSessionKeys(value);
    case 'oidc-clients':
      return checkOidcClients(value);
  }
}
