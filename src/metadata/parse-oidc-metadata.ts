import { ClaimsgateError } from '../lib/errors.js';
import type { IssuerMetadata, MetadataEndpoint, PublishedKey, SkippedKey } from './model.js';
import { readJwk } from './read-jwk.js';

/** Options of {@link parseJwks}. */
export interface ParseJwksOptions {
  /** The issuer the key set belongs to (a JWKS does not name it); reported as `issuer`. */
  readonly issuer?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notAnObject(what: string, value: unknown): ClaimsgateError {
  return new ClaimsgateError('CG_META_JSON_INVALID', `The ${what} is not a JSON object.`, {
    detail: {
      member: '(root)',
      expected: 'a JSON object',
      observed: Array.isArray(value) ? 'array' : typeof value,
    },
  });
}

const DISCOVERY_ENDPOINTS: ReadonlyArray<readonly [string, MetadataEndpoint['kind']]> = [
  ['authorization_endpoint', 'oidc-authorization'],
  ['token_endpoint', 'oidc-token'],
  ['end_session_endpoint', 'oidc-end-session'],
  ['jwks_uri', 'oidc-jwks'],
];

/**
 * Reads an OpenID Connect discovery document: its `issuer` (kept as written,
 * templates such as `…/{tenantid}/v2.0` included) and its endpoints, the
 * key set's `jwks_uri` among them. It carries no keys; they come from the
 * JWKS at `jwks_uri` (see {@link parseJwks}).
 *
 * @throws ClaimsgateError `CG_META_JSON_INVALID` when the document is not an
 *   object, `issuer` is missing or not a string, `jwks_uri` is missing, or an
 *   endpoint is not an absolute URL; the detail names the member.
 * @see OpenID Connect Discovery 1.0 §3 (provider metadata)
 */
export function parseOidcDiscovery(json: unknown): IssuerMetadata {
  if (!isObject(json)) throw notAnObject('OpenID Connect discovery document', json);
  const issuer = json['issuer'];
  if (typeof issuer !== 'string' || issuer.trim() === '') {
    throw new ClaimsgateError('CG_META_JSON_INVALID', 'The discovery document has no issuer.', {
      detail: { member: 'issuer', expected: 'a non-empty string', observed: typeof issuer },
    });
  }
  const endpoints: MetadataEndpoint[] = [];
  for (const [member, kind] of DISCOVERY_ENDPOINTS) {
    if (!Object.hasOwn(json, member)) {
      if (member === 'jwks_uri') {
        throw new ClaimsgateError(
          'CG_META_JSON_INVALID',
          `The discovery document of "${issuer}" has no jwks_uri, so its signing keys cannot be found.`,
          { detail: { member, issuer, expected: 'an https URL' } },
        );
      }
      continue;
    }
    const url = json[member];
    if (typeof url !== 'string' || !URL.canParse(url)) {
      throw new ClaimsgateError(
        'CG_META_JSON_INVALID',
        `The discovery member ${member} of "${issuer}" is not an absolute URL.`,
        {
          detail: {
            member,
            issuer,
            expected: 'an absolute URL',
            observed: typeof url === 'string' ? url : typeof url,
          },
        },
      );
    }
    endpoints.push({ kind, url });
  }
  return {
    format: 'oidc-discovery',
    issuer,
    endpoints,
    signingKeys: [],
    encryptionKeys: [],
    validUntil: undefined,
    cacheDuration: undefined,
    entityIds: [],
    skippedKeys: [],
  };
}

/**
 * Reads a JSON Web Key Set. Keys with `use` absent or `"sig"` are signing
 * keys, `"enc"` keys are reported as encryption keys. Each key keeps its
 * `kid`, its public members, the per-key `issuer` Entra ID adds, and, when it
 * carries `x5c`, the certificate and its thumbprints — after checking that
 * `x5t` / `x5t#S256` are that certificate's thumbprints and that it holds the
 * JWK's own public key. A key without `x5c` keeps the thumbprint its `x5t`
 * claims as `sha1` so that tokens naming it by `x5t` still map.
 *
 * Symmetric (`oct`) keys and keys with private members are never signing
 * keys: they are left out and listed in `skippedKeys` with the reason, as
 * are key types that are not understood. Entries repeating a key (same
 * `kid` and thumbprint) are merged.
 *
 * @throws ClaimsgateError `CG_META_JSON_INVALID` when the set or a member
 *   has the wrong JSON shape (the detail names the member, e.g. `keys[2].kid`);
 *   `CG_META_KEY_INVALID` when a key lacks a required member, its certificate
 *   does not decode or disagrees with its members or its `x5t`.
 * @see RFC 7517 §4, §5 (JWK, JWK Set); RFC 7518 §6 (key types)
 */
export function parseJwks(json: unknown, options: ParseJwksOptions = {}): IssuerMetadata {
  if (options.issuer !== undefined && typeof options.issuer !== 'string') {
    throw new TypeError('options.issuer must be a string.');
  }
  if (!isObject(json)) throw notAnObject('JWKS', json);
  const keys = json['keys'];
  if (!Array.isArray(keys)) {
    throw new ClaimsgateError('CG_META_JSON_INVALID', 'The JWKS has no "keys" array.', {
      detail: { member: 'keys', expected: 'an array of JWKs', observed: typeof keys },
    });
  }
  const signing = new Map<string, PublishedKey>();
  const encryption = new Map<string, PublishedKey>();
  const skippedKeys: SkippedKey[] = [];
  keys.forEach((value: unknown, index) => {
    const reading = readJwk(value, index);
    if (reading.outcome === 'skipped') {
      skippedKeys.push(reading.skipped);
      return;
    }
    const target = reading.use === 'sig' ? signing : encryption;
    if (!target.has(reading.identity)) target.set(reading.identity, reading.key);
  });
  return {
    format: 'jwks',
    issuer: options.issuer,
    endpoints: [],
    signingKeys: [...signing.values()],
    encryptionKeys: [...encryption.values()],
    validUntil: undefined,
    cacheDuration: undefined,
    entityIds: [],
    skippedKeys,
  };
}
