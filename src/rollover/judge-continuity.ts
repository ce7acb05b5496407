import type { MetadataSignatureReport } from '../metadata/check-metadata-signature.js';
import type { PublishedKey } from '../metadata/model.js';
import type {
  DiscontinuityReason,
  IssuerRecord,
  KeyRecord,
  MetadataSnapshotRecord,
  PendingChangeRecord,
} from '../store/model.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import { jwkMaterial } from './match-published-keys.js';

/**
 * How a usable document relates to the trust it would replace:
 *
 * - `initial`: the issuer has never held a key nor a document (its first
 *   refresh): there is nothing to be continuous with. An issuer whose keys
 *   were all revoked, retired or expired is not new: its next document is
 *   judged like any other, and with no usable key to share, it is a
 *   discontinuity.
 * - `continuous`: its enveloped signature is by a key the issuer is trusted
 *   with now (`trusted-signer`) or by a pinned signer (`pinned-signer`); or
 *   it publishes a key the issuer is trusted with now and is no downgrade
 *   (`shared-key`). The signer of the last-known-good document vouches for
 *   nothing by itself: that document may have been accepted only with an
 *   alert, and its signer revoked since (pin a federation's metadata
 *   signer to make it vouch).
 * - `approved`: discontinuous, but an administrator approved exactly this
 *   document (its SHA-256).
 * - `discontinuous`: anything else, with the reason.
 */
export type ContinuityVerdict =
  | { readonly kind: 'initial' }
  | {
      readonly kind: 'continuous';
      readonly reason: 'trusted-signer' | 'pinned-signer' | 'shared-key';
    }
  | { readonly kind: 'approved'; readonly reason: DiscontinuityReason }
  | { readonly kind: 'discontinuous'; readonly reason: DiscontinuityReason };

/** What {@link judgeContinuity} decides from. */
export interface ContinuityInput {
  readonly issuer: Pick<IssuerRecord, 'signaturePolicy'>;
  /** Every key of the issuer, in any state and from any source. */
  readonly keys: readonly KeyRecord[];
  /** The last-known-good document (its signer). */
  readonly previousSnapshot: Pick<MetadataSnapshotRecord, 'signerSha1'> | undefined;
  /** The new document's own signature; `unsigned` for a JSON key set. */
  readonly signature: MetadataSignatureReport;
  /** The signing keys the new document publishes. */
  readonly published: readonly PublishedKey[];
  /** SHA-256 of the new document (for OpenID Connect, of the discovery + key set pair). */
  readonly sha256: string;
  /** The issuer's pending change, if any. */
  readonly pendingChange: PendingChangeRecord | undefined;
}

/**
 * Judges whether a usable document continues the issuer's current trust.
 * Pure.
 *
 * SECURITY: what each rule guards against (docs/rollover.md, "Key
 * continuity"). A signature by a trusted or pinned key proves the document
 * comes from whoever holds that key. A shared key guards against accidents
 * and wholesale replacement (a hijacked endpoint answering with an
 * attacker's key only), not against an attacker who keeps one real key in
 * the document: TLS and signatures do the rest. An unsigned document from
 * an issuer that used to sign is a downgrade even when keys overlap.
 * Identifiers a document merely claims (a JWK's `kid` or `x5t` without a
 * certificate) never count: keys are compared by certificate or by key
 * material.
 */
export function judgeContinuity(input: ContinuityInput): ContinuityVerdict {
  // SECURITY: only an issuer that never held a key or a document is new. Revoking
  // every key (one leaked) must not turn the continuity check off for the next document.
  if (input.keys.length === 0 && input.previousSnapshot === undefined) return { kind: 'initial' };
  const usable = input.keys.filter((key) => USABLE_KEY_STATES.has(key.state));
  const { signature } = input;
  if (signature.status === 'valid') {
    const signer = signature.signer;
    if (usable.some((key) => isSigner(key, signer))) return { kind: 'continuous', reason: 'trusted-signer' };
    if (input.issuer.signaturePolicy.mode === 'pinned') {
      // enforceMetadataSignaturePolicy has refused any other signer already; checked again here.
      const pinned = input.issuer.signaturePolicy.pinnedSigners;
      if (pinned.includes(signer.sha1) || pinned.includes(signer.sha256))
        return { kind: 'continuous', reason: 'pinned-signer' };
    }
  }
  const shared = input.published.some((published) => usable.some((key) => isSameKey(key, published)));
  const downgrade = (input.previousSnapshot?.signerSha1 ?? null) !== null && signature.status !== 'valid';
  if (shared && !downgrade) return { kind: 'continuous', reason: 'shared-key' };
  const reason: DiscontinuityReason = shared
    ? 'downgrade'
    : signature.status === 'valid'
      ? 'unknown-signer-replacement'
      : 'unsigned-replacement';
  const pending = input.pendingChange;
  if (pending !== undefined && pending.decision === 'approved' && pending.sha256 === input.sha256) {
    return { kind: 'approved', reason };
  }
  return { kind: 'discontinuous', reason };
}

/** Whether a stored key is the certificate that signed the document (by its computed thumbprints). */
function isSigner(key: KeyRecord, signer: { readonly sha1: string; readonly sha256: string }): boolean {
  // A JWK's x5t without a certificate is a claim, not the certificate: it never vouches for a signer.
  if (key.certificateDer === null && key.jwk !== null) return false;
  return (
    (key.sha256 !== null && key.sha256 === signer.sha256) || (key.sha1 !== null && key.sha1 === signer.sha1)
  );
}

/**
 * Whether a published key is a stored key: the same certificate, a bare
 * thumbprint entered by hand that is the certificate's, or the same JWK key
 * material.
 */
export function isSameKey(key: KeyRecord, published: PublishedKey): boolean {
  const certificate = published.certificate;
  if (certificate !== undefined) {
    if (key.sha256 !== null && key.sha256 === certificate.sha256) return true;
    // A bare SHA-1 thumbprint entered by hand: matched against the computed thumbprint only.
    return (
      key.certificateDer === null && key.jwk === null && key.sha256 === null && key.sha1 === certificate.sha1
    );
  }
  if (published.jwk !== undefined && key.jwk !== null) {
    return jwkMaterial(key.jwk) === jwkMaterial(published.jwk);
  }
  return false;
}

/** Whether a URL was fetched over plain http. */
function isPlainHttp(url: string): boolean {
  try {
    return new URL(url).protocol === 'http:';
  } catch {
    return true;
  }
}

/**
 * The policy that applies to a discontinuous document: the issuer's, with
 * `auto` resolved by how the documents were fetched — `hold` when any hop
 * of any of them (the configured URL, every redirect, the final URL) was
 * plain http (loopback, or allowed explicitly: nothing vouches for its
 * origin — SECURITY: whoever answers a plain-http request can redirect it to
 * an https URL of their own), `accept-with-alert` when every hop was https
 * (so that an identity provider's real emergency rollover needs no
 * administrator).
 */
export function discontinuityPolicyFor(
  issuer: Pick<IssuerRecord, 'discontinuityPolicy'>,
  fetchedUrls: readonly string[],
): 'hold' | 'accept-with-alert' {
  if (issuer.discontinuityPolicy !== 'auto') return issuer.discontinuityPolicy;
  return fetchedUrls.some(isPlainHttp) ? 'hold' : 'accept-with-alert';
}
