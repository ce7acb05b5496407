import { ClaimsgateError } from '../lib/errors.js';
import {
  enforceMetadataSignaturePolicy,
  type MetadataSignatureReport,
} from '../metadata/check-metadata-signature.js';
import type { IssuerMetadata, PublishedKey } from '../metadata/model.js';
import type { IssuerRecord, KeyRecord } from '../store/model.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import { keyLabel } from './alerts.js';
import type { RefreshError } from './refresh-plan-model.js';

const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/gi;

/**
 * The reason a parsed document may not become trust, whatever keys it
 * publishes (its signature under the issuer's policy, the issuer it names,
 * its `validUntil`), or undefined when it may. The refresh asks it before
 * following a discovery document's `jwks_uri`.
 */
export function refuseDocument(
  issuer: Pick<IssuerRecord, 'issuerUri' | 'signaturePolicy'>,
  metadata: IssuerMetadata,
  signature: MetadataSignatureReport,
  url: string,
  now: Date,
): RefreshError | undefined {
  try {
    // SECURITY: checked first, so that nothing of a forged document is
    // looked at further, and under the issuer's own policy (pinned signers).
    enforceMetadataSignaturePolicy(signature, issuer.signaturePolicy, { url, issuer: issuer.issuerUri });
  } catch (error) {
    if (error instanceof ClaimsgateError) return error;
    throw error;
  }
  // SECURITY: a document describing another entity (a wrong URL, a hijacked
  // path, an aggregate) must not hand its keys to this issuer. A bare JWKS
  // names no issuer; its URL is the configured trust anchor. A discovery
  // document for another issuer must not even have its jwks_uri fetched.
  if (metadata.issuer !== undefined && !sameIssuer(metadata.issuer, issuer.issuerUri)) {
    return new ClaimsgateError(
      'CG_META_ENTITY_NOT_FOUND',
      `The metadata at ${url} describes "${metadata.issuer}", not the configured issuer "${issuer.issuerUri}".`,
      { detail: { url, issuer: issuer.issuerUri, observed: metadata.issuer, expected: issuer.issuerUri } },
    );
  }
  // SECURITY: an old signed document replayed after its validUntil must not
  // bring back keys the issuer has since withdrawn.
  if (metadata.validUntil !== undefined && metadata.validUntil.getTime() <= now.getTime()) {
    return new ClaimsgateError(
      'CG_META_EXPIRED',
      `The metadata at ${url} was valid until ${metadata.validUntil.toISOString()}.`,
      {
        detail: {
          url,
          issuer: issuer.issuerUri,
          observed: metadata.validUntil.toISOString(),
          expected: `after ${now.toISOString()}`,
        },
      },
    );
  }
  return undefined;
}

/** Issuer URIs compare exactly, except that `{tenant}` and `{tenantid}` placeholders are one. */
function sameIssuer(published: string, configured: string): boolean {
  return (
    published.replace(TENANT_PLACEHOLDER, '{tenantid}') ===
    configured.replace(TENANT_PLACEHOLDER, '{tenantid}')
  );
}

/** The reason a key set may not become trust, or undefined when it may. */
export function refuseKeySet(
  issuer: Pick<IssuerRecord, 'issuerUri'>,
  metadata: IssuerMetadata,
  url: string,
): RefreshError | undefined {
  // SECURITY: the jwks_uri must name a key set; another discovery document
  // there would otherwise send the refresh on to URLs of its choosing.
  if (metadata.format !== 'jwks') {
    return new ClaimsgateError(
      'CG_META_FORMAT_UNKNOWN',
      `The jwks_uri ${url} of "${issuer.issuerUri}" answered with ${metadata.format} metadata, not a JWKS.`,
      { detail: { url, issuer: issuer.issuerUri, observed: metadata.format, expected: 'jwks' } },
    );
  }
  if (metadata.signingKeys.length === 0) return noSigningKeys(issuer, url);
  return undefined;
}

/** The `CG_META_NO_SIGNING_KEYS` refusal of a document that publishes no signing key; `why` adds the reason, if any. */
export function noSigningKeys(
  issuer: Pick<IssuerRecord, 'issuerUri'>,
  url: string,
  why?: string,
): ClaimsgateError {
  return new ClaimsgateError(
    'CG_META_NO_SIGNING_KEYS',
    `The metadata at ${url} publishes no signing key for "${issuer.issuerUri}"${why === undefined ? '' : ` (${why})`}.`,
    { detail: { url, issuer: issuer.issuerUri, observed: 0, expected: 'at least one signing key' } },
  );
}

/**
 * The `CG_META_SIGNING_KEYS_EXPIRED` refusal of a document whose every
 * signing key has a certificate past its notAfter, when the issuer has no
 * usable key (a new issuer, or one whose keys are all gone): such a document
 * would give it only keys that are stored `expired` and sign nobody in.
 * Undefined when a published key is valid (or has no certificate, hence no
 * expiry), or when the issuer has a usable key, which the refresh keeps (see
 * successPlan: never zero keys).
 */
export function refuseExpiredKeys(
  issuer: Pick<IssuerRecord, 'issuerUri'>,
  keys: readonly Pick<KeyRecord, 'state'>[],
  published: readonly PublishedKey[],
  url: string,
  now: Date,
): ClaimsgateError | undefined {
  if (published.length === 0 || keys.some((key) => USABLE_KEY_STATES.has(key.state))) return undefined;
  const expired = published.filter(
    (key) => key.certificate !== undefined && key.certificate.notAfter.getTime() <= now.getTime(),
  );
  if (expired.length < published.length) return undefined;
  const observed = expired.map((key) => ({
    key: keyLabel(key),
    subject: key.certificate?.subject ?? null,
    notAfter: key.certificate?.notAfter.toISOString() ?? null,
  }));
  return new ClaimsgateError(
    'CG_META_SIGNING_KEYS_EXPIRED',
    `Every signing key the metadata at ${url} publishes for "${issuer.issuerUri}" has expired: ${observed
      .map((key) => `${key.key} (expired ${key.notAfter ?? '?'})`)
      .join(', ')}. An issuer with only these keys could sign nobody in; nothing was stored.`,
    {
      detail: {
        url,
        issuer: issuer.issuerUri,
        observed,
        expected: `a signing key whose certificate is valid at ${now.toISOString()}`,
      },
    },
  );
}
