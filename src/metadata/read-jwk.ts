import { parseCertificateBase64, type CertificateInfo } from '../crypto/certificate.js';
import { x5tToThumbprint } from '../crypto/thumbprint.js';
import { ClaimsgateError } from '../lib/errors.js';
import type { PublishedKey, SkippedKey } from './model.js';

/** One entry of a JWKS, read: a key for signing or encryption, or a key left out with its reason. */
export type JwkReading =
  | {
      readonly outcome: 'key';
      readonly use: 'sig' | 'enc';
      readonly key: PublishedKey;
      readonly identity: string;
    }
  | { readonly outcome: 'skipped'; readonly skipped: SkippedKey };

/** Members that only a private or secret key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The members each supported key type needs to be a public key (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2). */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function jsonInvalid(path: string, expected: string, observed: unknown): ClaimsgateError {
  return new ClaimsgateError('CG_META_JSON_INVALID', `The JWKS member ${path} is not ${expected}.`, {
    detail: { member: path, expected, observed: typeof observed },
  });
}

function keyInvalid(
  path: string,
  position: number,
  kid: string | undefined,
  message: string,
  { cause, ...extra }: Record<string, unknown> = {},
): ClaimsgateError {
  return new ClaimsgateError('CG_META_KEY_INVALID', `Key ${position} of the JWKS (${path}): ${message}`, {
    cause,
    detail: { section: 'jwks', index: position, member: path, kid, ...extra },
  });
}

function optionalString(jwk: Record<string, unknown>, name: string, path: string): string | undefined {
  if (!Object.hasOwn(jwk, name)) return undefined;
  const value = jwk[name];
  if (typeof value !== 'string') throw jsonInvalid(`${path}.${name}`, 'a string', value);
  return value;
}

/** Bytes of a base64url integer without leading zero bytes, for comparing key components. */
function magnitude(value: string): Buffer {
  const bytes = Buffer.from(value, 'base64url');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  return bytes.subarray(start);
}

/**
 * SECURITY: a JWK whose `x5c` certificate holds another public key than its
 * own members is two keys in one entry. A verifier using the members and a
 * mapping using the certificate's thumbprint would then trust different
 * keys; such an entry is refused.
 */
function checkCertificateMatches(
  jwk: Record<string, unknown>,
  certificate: CertificateInfo,
  fail: (message: string, extra?: Record<string, unknown>) => ClaimsgateError,
): void {
  let exported: Record<string, unknown>;
  try {
    exported = certificate.publicKey.export({ format: 'jwk' });
  } catch (cause) {
    throw fail('the public key of its x5c certificate cannot be expressed as a JWK.', { cause });
  }
  const kty = jwk['kty'] as string;
  const members = REQUIRED_MEMBERS[kty] ?? [];
  const same =
    exported['kty'] === kty &&
    members.every((name) => {
      const mine = jwk[name];
      const theirs = exported[name];
      if (typeof mine !== 'string' || typeof theirs !== 'string') return false;
      return name === 'crv' ? mine === theirs : magnitude(mine).equals(magnitude(theirs));
    });
  if (!same) {
    throw fail('its x5c certificate holds another public key than the JWK members.', {
      expected: `the public key of certificate ${certificate.sha1}`,
    });
  }
}

/**
 * Reads one entry of a JWKS.
 *
 * Private and symmetric keys are skipped, never thrown on: publishing one is
 * a leak that compromises that key, not the others, and failing the whole
 * document would keep the previous copy trusted — possibly with the leaked
 * key in it — whereas skipping removes it at this refresh and the reason is
 * reported. Unknown key types are skipped as RFC 7517 §5 asks.
 *
 * @throws ClaimsgateError `CG_META_JSON_INVALID` when a member has the wrong
 *   JSON type; `CG_META_KEY_INVALID` when a supported key lacks a required
 *   member, its `x5c` does not decode or holds another key, or its
 *   `x5t` / `x5t#S256` is not the thumbprint of `x5c[0]`.
 * @see RFC 7517 §4 (JWK members), §5 (JWK Set); RFC 7518 §6
 */
export function readJwk(value: unknown, index: number): JwkReading {
  const path = `keys[${index}]`;
  const position = index + 1;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw jsonInvalid(path, 'a JSON object', value);
  }
  const jwk = value as Record<string, unknown>;
  const kty = optionalString(jwk, 'kty', path);
  if (kty === undefined) throw jsonInvalid(`${path}.kty`, 'a string', undefined);
  const kid = optionalString(jwk, 'kid', path);
  const use = optionalString(jwk, 'use', path);
  const x5t = optionalString(jwk, 'x5t', path);
  const x5tS256 = optionalString(jwk, 'x5t#S256', path);
  const issuer = optionalString(jwk, 'issuer', path);
  const keyOps = jwk['key_ops'];
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.every((op) => typeof op === 'string'))) {
    throw jsonInvalid(`${path}.key_ops`, 'an array of strings', keyOps);
  }
  const x5c = jwk['x5c'];
  if (
    x5c !== undefined &&
    !(Array.isArray(x5c) && x5c.length > 0 && x5c.every((entry) => typeof entry === 'string'))
  ) {
    throw jsonInvalid(`${path}.x5c`, 'a non-empty array of strings', x5c);
  }

  const skip = (reason: SkippedKey['reason']): JwkReading => ({
    outcome: 'skipped',
    skipped: { section: 'jwks', position, kid, reason },
  });
  // SECURITY: a secret published in a key set is known to everyone who
  // fetched it; a token "signed" with it proves nothing.
  if (kty === 'oct') return skip('symmetric-key');
  if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(jwk, name))) return skip('private-key-material');
  const required = REQUIRED_MEMBERS[kty];
  if (required === undefined) return skip('unsupported-key-type');
  let purpose: 'sig' | 'enc';
  if (use === 'enc') purpose = 'enc';
  else if (use === undefined || use === 'sig') {
    // RFC 7517 §4.3: key_ops without "verify" says the key is not for checking signatures.
    if (Array.isArray(keyOps) && !keyOps.includes('verify')) return skip('unsupported-use');
    purpose = 'sig';
  } else return skip('unsupported-use');

  const fail = (message: string, extra?: Record<string, unknown>): ClaimsgateError =>
    keyInvalid(path, position, kid, message, extra);
  for (const name of required) {
    const member = jwk[name];
    if (typeof member !== 'string' || member === '' || (name !== 'crv' && !BASE64URL.test(member))) {
      throw fail(
        `a ${kty} key needs the member "${name}" as ${name === 'crv' ? 'a curve name' : 'base64url'}.`,
        {
          expected: required,
        },
      );
    }
  }

  let certificate: CertificateInfo | undefined;
  if (Array.isArray(x5c)) {
    try {
      certificate = parseCertificateBase64(x5c[0] as string);
    } catch (cause) {
      throw fail('x5c[0] is not a valid certificate.', { cause, member: `${path}.x5c[0]` });
    }
    checkCertificateMatches(jwk, certificate, fail);
  }

  let sha1 = certificate?.sha1;
  let sha256 = certificate?.sha256;
  if (x5t !== undefined) {
    const claimed = x5tToThumbprint(x5t);
    if (claimed === undefined) throw fail('x5t is not 20 bytes of base64url.', { observed: x5t });
    // SECURITY: x5t names the certificate a token will be matched by; one
    // that disagrees with the certificate shipped beside it is a sign of
    // tampering, and either value could be the lie.
    if (sha1 !== undefined && claimed !== sha1) {
      throw fail('x5t is not the SHA-1 thumbprint of x5c[0].', { observed: claimed, expected: sha1 });
    }
    // Without a certificate, the claimed thumbprint is kept so that a token
    // naming the key by x5t still maps to it; the key itself is the JWK.
    sha1 = claimed;
  }
  if (x5tS256 !== undefined) {
    const bytes = BASE64URL.test(x5tS256) ? Buffer.from(x5tS256, 'base64url') : Buffer.alloc(0);
    if (bytes.length !== 32) throw fail('x5t#S256 is not 32 bytes of base64url.', { observed: x5tS256 });
    const claimed = bytes.toString('hex').toUpperCase();
    if (sha256 !== undefined && claimed !== sha256) {
      throw fail('x5t#S256 is not the SHA-256 thumbprint of x5c[0].', {
        observed: claimed,
        expected: sha256,
      });
    }
    sha256 = claimed;
  }

  const publicJwk = Object.freeze({ ...jwk });
  const keyMaterial = required.map((name) => String(jwk[name])).join('.');
  return {
    outcome: 'key',
    use: purpose,
    // Two entries are the same key when kid and thumbprint (or, without
    // any thumbprint, the key material) agree.
    identity: `${kid ?? ''}\u0000${sha256 ?? sha1 ?? `${kty}.${keyMaterial}`}`,
    key: { sha1, sha256, kid, certificate, jwk: publicJwk, sections: ['jwks'], issuer },
  };
}
