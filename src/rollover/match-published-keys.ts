import type { PublishedKey } from '../metadata/model.js';
import type { KeyRecord, NewKey } from '../store/model.js';
import { hasExpired } from './alerts.js';
import type { PlanRefreshInput } from './refresh-plan-model.js';

/**
 * Matches the keys a usable document publishes to the issuer's metadata
 * keys: `seen` maps the store ID of each key published again to its
 * published form; `additions` are the keys new to the issuer.
 */
export function matchPublishedKeys(
  input: PlanRefreshInput,
  published: readonly PublishedKey[],
): { seen: Map<string, PublishedKey | undefined>; additions: NewKey[] } {
  const metadataKeys = input.keys.filter((key) => key.source === 'metadata');
  const seen = new Map<string, PublishedKey | undefined>();
  const additions: NewKey[] = [];
  for (const key of published) {
    const record = metadataKeys.find((candidate) => isSameKey(candidate, key));
    if (record !== undefined) {
      seen.set(record.id, key);
      continue;
    }
    // The issuer already holds a key with this thumbprint or kid: a manual
    // key (which keeps vouching for it, untouched), or a revoked one.
    // SECURITY: a key an administrator revoked stays revoked, even when the
    // issuer (or whoever controls its metadata) keeps publishing it.
    if (input.keys.some((candidate) => sharesIdentifier(candidate, key))) continue;
    additions.push(newKeyFrom(input, key));
  }
  return { seen, additions };
}

/** Metadata keys the last-known-good publishes, as a 304 confirms them: announced and active ones. */
export function publishedBefore(input: PlanRefreshInput): Map<string, PublishedKey | undefined> {
  return new Map(
    input.keys
      .filter((key) => key.source === 'metadata' && (key.state === 'announced' || key.state === 'active'))
      .map((key) => [key.id, undefined]),
  );
}

/** The public members of a JWK that identify its key material. */
export function jwkMaterial(jwk: Readonly<Record<string, unknown>> | null | undefined): string | undefined {
  if (jwk === null || jwk === undefined) return undefined;
  return ['kty', 'crv', 'n', 'e', 'x', 'y']
    .map((name) => {
      const value = jwk[name];
      return typeof value === 'string' ? value : '';
    })
    .join('.');
}

/** Whether a stored metadata key is the published key: same certificate, else same JWK material. */
function isSameKey(record: KeyRecord, key: PublishedKey): boolean {
  if (key.certificate !== undefined) return record.sha256 === key.certificate.sha256;
  if (key.jwk !== undefined)
    return record.kid === (key.kid ?? null) && jwkMaterial(record.jwk) === jwkMaterial(key.jwk);
  return (
    (key.sha256 !== undefined && record.sha256 === key.sha256) ||
    (key.sha1 !== undefined && record.sha1 === key.sha1)
  );
}

/** Whether a stored key has the published key's thumbprint or kid (each unique per issuer in the store). */
function sharesIdentifier(record: KeyRecord, key: PublishedKey): boolean {
  return (
    (record.sha1 !== null && record.sha1 === key.sha1) ||
    (record.sha256 !== null && record.sha256 === key.sha256) ||
    (record.kid !== null && record.kid === key.kid)
  );
}

function newKeyFrom(input: PlanRefreshInput, key: PublishedKey): NewKey {
  const certificate = key.certificate;
  // The key's own issuer (Entra ID's JWKS gives one per key) rides in the
  // stored JWK: it restricts which tokens the key may sign.
  const jwk =
    key.jwk === undefined ? null : key.issuer === undefined ? key.jwk : { ...key.jwk, issuer: key.issuer };
  const notAfter = certificate?.notAfter ?? null;
  return {
    issuerId: input.issuer.id,
    sha1: key.sha1 ?? null,
    sha256: key.sha256 ?? null,
    kid: key.kid ?? null,
    certificateDer: certificate?.der ?? null,
    jwk,
    subject: certificate?.subject ?? null,
    notBefore: certificate?.notBefore ?? null,
    notAfter,
    source: 'metadata',
    // A certificate published after its expiry is recorded, never trusted
    // (unless it is all the issuer has: see successPlan).
    state: hasExpired({ notAfter }, input.now.getTime()) ? 'expired' : 'announced',
    lastSeenInMetadataAt: input.now,
  };
}
