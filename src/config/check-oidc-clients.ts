/**
 * Checking the `oidc-clients` setting type (`oidc.clients`): claimsgate's
 * registration as an OpenID Connect client, by issuer name. Pure: a
 * `clientSecret` reference (`env:` / `file:`) is resolved later, like every
 * secret (resolve-settings.ts).
 */
import { OIDC_RESPONSE_TYPES, type OidcClientConfig } from './config-schema.js';
import type { CheckedValue, ValueProblem } from './checked-value.js';
import { suggestName } from './suggest-name.js';

const CLIENT_FIELDS: readonly string[] = ['clientId', 'clientSecret', 'responseType'];
/** RFC 6749 Appendix A.1: a client_id is printable ASCII; no surrounding spaces, at most 255 characters. */
const CLIENT_ID = /^[\x21-\x7E](?:[\x20-\x7E]{0,253}[\x21-\x7E])?$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/;

/** The text a value of this type must be, for messages and the generated documentation. */
export const OIDC_CLIENTS_DESCRIPTION =
  'a mapping of issuer names to { clientId, clientSecret?, responseType? }';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** One registration, or its problems (suffixes relative to the setting: `.contoso.clientId`). */
function checkClient(name: string, value: unknown, problems: ValueProblem[]): OidcClientConfig | undefined {
  const at = `.${name}`;
  if (!isPlainObject(value)) {
    problems.push({
      suffix: at,
      message: `expected { clientId, clientSecret?, responseType? }, got ${typeName(value)}`,
    });
    return undefined;
  }
  const before = problems.length;
  for (const field of Object.keys(value)) {
    if (!CLIENT_FIELDS.includes(field)) {
      const suggestion = suggestName(field, CLIENT_FIELDS);
      problems.push({
        suffix: `${at}.${field}`,
        message: `is not a client setting${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
      });
    }
  }
  const { clientId, clientSecret, responseType } = value;
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
    problems.push({
      suffix: `${at}.clientId`,
      message:
        clientId === undefined
          ? 'is required: the application (client) ID the issuer gave claimsgate'
          : 'expected the client ID: 1–255 printable ASCII characters without surrounding spaces',
    });
  }
  // SECURITY: the secret is never quoted in a message, whatever is wrong with it.
  if (
    clientSecret !== undefined &&
    (typeof clientSecret !== 'string' || clientSecret.trim() === '' || CONTROL_CHARACTERS.test(clientSecret))
  ) {
    problems.push({
      suffix: `${at}.clientSecret`,
      message:
        'expected the client secret, or an env:NAME or file:/path reference: a non-empty string without control characters',
    });
  }
  const responseTypes: readonly string[] = OIDC_RESPONSE_TYPES;
  if (
    responseType !== undefined &&
    (typeof responseType !== 'string' || !responseTypes.includes(responseType))
  ) {
    const suggestion =
      typeof responseType === 'string' ? suggestName(responseType, responseTypes) : undefined;
    problems.push({
      suffix: `${at}.responseType`,
      message: `expected one of ${responseTypes.join(', ')}${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
    });
  }
  if (problems.length > before) return undefined;
  return {
    clientId: clientId as string,
    ...(clientSecret === undefined ? {} : { clientSecret: clientSecret as string }),
    responseType: (responseType ?? 'code') as OidcClientConfig['responseType'],
  };
}

/**
 * Checks an `oidc-clients` value: a mapping from issuer name to
 * `{ clientId, clientSecret?, responseType? }`, every problem reported with
 * its path below the setting (`.contoso.responseType`). Unknown fields are
 * problems, with a suggestion for near misses; `responseType` defaults to
 * `code`.
 */
export function checkOidcClients(value: unknown): CheckedValue {
  if (!isPlainObject(value)) {
    return {
      ok: false,
      problems: [{ suffix: '', message: `expected ${OIDC_CLIENTS_DESCRIPTION}, got ${typeName(value)}` }],
    };
  }
  const problems: ValueProblem[] = [];
  const clients: [string, OidcClientConfig][] = [];
  for (const [name, client] of Object.entries(value)) {
    // Issuer names are trimmed text without control characters (src/store/validate-issuer-input.ts).
    if (name.trim() !== name || name === '' || CONTROL_CHARACTERS.test(name)) {
      problems.push({
        suffix: `.${name}`,
        message: 'expected an issuer name: non-empty, without surrounding spaces or control characters',
      });
      continue;
    }
    const checked = checkClient(name, client, problems);
    if (checked !== undefined) clients.push([name, checked]);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: Object.fromEntries(clients) };
}
