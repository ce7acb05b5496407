import { makeAlert, type Alert } from './alerts.js';
import { matchPublishedKeys, publishedBefore } from './match-published-keys.js';
import { heldPlan, planContinuity } from './plan-continuity.js';
import { readOidcSnapshot } from './oidc-snapshot.js';
import { keySetPlan } from './plan-oidc-refresh.js';
import { failedFacts, failurePlan } from './plan-refresh-failure.js';
import { successPlan } from './plan-refresh-success.js';
import type { PlanRefreshInput, RefreshPlan } from './refresh-plan-model.js';
import { noSigningKeys, refuseDocument, refuseExpiredKeys } from './refuse-document.js';

export type {
  DocumentAttempt,
  ParsedDocument,
  PlanRefreshInput,
  RefreshAttempt,
  RefreshError,
  RefreshPlan,
  RefreshTrigger,
} from './refresh-plan-model.js';
export { refuseDocument } from './refuse-document.js';

/**
 * Decides what one metadata refresh does to an issuer's trust. Pure: no
 * I/O, no clock; the store applies the result in one transaction.
 *
 * A fetched document becomes the issuer's trust only when it is usable: it
 * parsed, it names the issuer's configured entityID (templates compare as
 * templates), it is within its `validUntil`, its signature satisfies the
 * issuer's policy, and it publishes at least one signing key. Otherwise the
 * plan records the failure with backoff and leaves every key as it is.
 *
 * An OpenID Connect discovery document publishes no keys itself: its keys
 * are those of the key set at its `jwks_uri` (`attempt.keySet`), and the two
 * become trust together (stored as one `OidcSnapshot`). A key set that
 * cannot be fetched, does not parse, is not a JWKS or has no signing key
 * fails the refresh with its code.
 *
 * On success: new keys are added as `announced`; keys seen again get their
 * `lastSeenInMetadataAt`; keys that left the document become `retiring`
 * (or `retired` at once with a grace of 0); retiring keys past the grace
 * become `retired`; a retiring or retired key that reappears is restored;
 * a key whose certificate has expired becomes `expired` (audited by
 * `rollover`), a newly published one is added as `expired`. A document
 * whose every key has expired fails the refresh with
 * `CG_META_SIGNING_KEYS_EXPIRED` when the issuer has no usable key (it
 * would be given keys that sign nobody in). Revoked and
 * expired keys are never revived by metadata, manual keys are never
 * touched, and a refresh never leaves the issuer without a usable key.
 * A 304 confirms the last-known-good: its keys are seen again and grace
 * periods and expiries run on.
 *
 * Key continuity (docs/rollover.md): a usable document that replaces the
 * issuer's keys without continuity — not signed by a key the issuer is
 * trusted with, a pinned signer or the last-known-good's signer, and sharing
 * no key with the current trust, or unsigned where the issuer used to sign —
 * is held as the issuer's pending change (`CG_META_KEYS_DISCONTINUOUS`,
 * critical `keys-discontinuous` alert) or applied with the alert and the
 * replaced keys retired at once, per the issuer's discontinuity policy. A
 * document an administrator approved (by its SHA-256) is applied.
 * Independently, a key that leaves the document without ever having signed a
 * token is retired at once: grace is for keys that signed tokens.
 */
export function planRefresh(input: PlanRefreshInput): RefreshPlan {
  const { attempt } = input;
  if (attempt.status === 'failed') return failurePlan(input, attempt.error, failedFacts(attempt));
  if (attempt.status === 'not-modified') {
    const stored = readOidcSnapshot(input.previousSnapshot);
    if (attempt.keySet !== undefined && stored !== undefined) {
      const { response } = attempt;
      return keySetPlan(
        input,
        {
          document: {
            ...stored.discovery,
            etag: response.etag ?? stored.discovery.etag,
            lastModified: response.lastModified ?? stored.discovery.lastModified,
          },
          facts: {
            url: response.url,
            httpStatus: 304,
            etag: response.etag ?? stored.discovery.etag,
            sha256: stored.discovery.sha256,
          },
          modified: false,
          hops: [input.issuer.metadataUrl ?? response.url, ...response.redirects],
        },
        attempt.keySet,
        stored,
      );
    }
    return successPlan(input, {
      facts: {
        url: attempt.response.url,
        httpStatus: 304,
        etag: attempt.response.etag ?? input.previousSnapshot?.etag ?? null,
        sha256: input.previousSnapshot?.sha256 ?? null,
        outcome: 'not-modified',
        code: null,
      },
      seen: publishedBefore(input),
      additions: [],
      snapshot: null,
      signerAlert: undefined,
    });
  }

  const { response, parsed } = attempt;
  const facts = { url: response.url, httpStatus: 200, etag: response.etag ?? null, sha256: response.sha256 };
  if ('error' in parsed) return failurePlan(input, parsed.error, facts);
  const refused = refuseDocument(input.issuer, parsed.metadata, parsed.signature, response.url, input.now);
  if (refused !== undefined) return failurePlan(input, refused, facts);
  if (parsed.metadata.format === 'oidc-discovery') {
    if (attempt.keySet === undefined) {
      return failurePlan(
        input,
        noSigningKeys(input.issuer, response.url, 'its jwks_uri was not fetched'),
        facts,
      );
    }
    return keySetPlan(
      input,
      {
        document: {
          url: input.issuer.metadataUrl ?? response.url,
          etag: response.etag ?? null,
          lastModified: response.lastModified ?? null,
          sha256: response.sha256,
          body: response.body.toString('utf8'),
        },
        facts,
        modified: true,
        hops: [input.issuer.metadataUrl ?? response.url, ...response.redirects],
      },
      attempt.keySet,
      readOidcSnapshot(input.previousSnapshot),
    );
  }
  if (parsed.metadata.signingKeys.length === 0) {
    return failurePlan(input, noSigningKeys(input.issuer, response.url), facts);
  }
  const expired = refuseExpiredKeys(
    input.issuer,
    input.keys,
    parsed.metadata.signingKeys,
    response.url,
    input.now,
  );
  if (expired !== undefined) return failurePlan(input, expired, facts);

  const continuity = planContinuity(input, {
    signature: parsed.signature,
    published: parsed.metadata.signingKeys,
    sha256: response.sha256,
    url: response.url,
    fetchedUrls: [input.issuer.metadataUrl ?? response.url, ...response.redirects, response.url],
  });
  if (continuity.hold) return heldPlan(input, continuity, facts);
  const { seen, additions } = matchPublishedKeys(input, parsed.metadata.signingKeys);
  const signer = parsed.signature.status === 'valid' ? parsed.signature.signer.sha1 : null;
  // Only a signature that continued the trust is recorded: it makes the issuer one that signs.
  const signerSha1 = continuity.applied.signerVouches ? signer : null;
  return successPlan(input, {
    continuity: continuity.applied,
    facts: { ...facts, outcome: 'success', code: null },
    seen,
    additions,
    snapshot: {
      issuerId: input.issuer.id,
      // The configured URL, not the final one after redirects: the
      // validators are sent again only to the URL they were obtained from.
      url: input.issuer.metadataUrl ?? response.url,
      fetchedAt: response.fetchedAt,
      etag: response.etag ?? null,
      lastModified: response.lastModified ?? null,
      sha256: response.sha256,
      document: response.body,
      signerSha1,
    },
    signerAlert: signerChange(input, signer, signerSha1),
  });
}

function signerChange(
  input: PlanRefreshInput,
  signer: string | null,
  signerSha1: string | null,
): Alert | undefined {
  const before = input.previousSnapshot?.signerSha1 ?? null;
  if (signer !== null && signerSha1 === null) {
    // Signed, but by a key the issuer is not trusted with: the signature counts for nothing.
    return makeAlert({
      kind: 'signer-changed',
      issuer: input.issuer,
      subject: signer,
      episode: before ?? 'unsigned',
      message: `The metadata of issuer ${input.issuer.name} is signed by ${signer}, a key it is not trusted with (or not yet established): the signature does not count for key continuity.`,
      detail: { before, after: signer, vouches: false },
    });
  }
  if (before === null || before === signerSha1) return undefined;
  return makeAlert({
    kind: 'signer-changed',
    issuer: input.issuer,
    subject: signerSha1 ?? 'unsigned',
    episode: before,
    message:
      signerSha1 === null
        ? `The metadata of issuer ${input.issuer.name} is no longer signed (it was signed by ${before}).`
        : `The metadata of issuer ${input.issuer.name} is now signed by ${signerSha1} instead of ${before}.`,
    detail: { before, after: signerSha1 },
  });
}
