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
 * - `continuous`: it is the last-known-good document again, byte for byte
 *   (`unchanged`: it changes nothing); its enveloped signature is by an
 *   established key of the issuer (`trusted-signer`) or by a pinned signer
 *   (`pinned-signer`); or it publishes an established key and is no
 *   downgrade (`shared-key`). The signer of the last-known-good document
 *   vouches for nothing by itself: that document may have been accepted
 *   only with an alert, and its signer revoked since (pin a federation's
 *   metadata signer to make it vouch).
 *
 * Which keys may vouch depends on whether the issuer signs its documents
 * (its last-known-good was signed). If it does, every usable key: each came
 * in under a signature by a key it was trusted with, an administrator's
 * hand, or a discontinuity's alert; and a document not signed by one of
 * them is a downgrade, whatever it shares. If it does not, only the
 * *established* keys: usable keys an administrator vouched for (added, or
 * made usable again by hand), the issuer's first keys, and keys whose
 * probation (`probationSeconds`) has run. A key an unsigned document brought
 * in is trusted for tokens at once but vouches for no document until its
 * probation ends: otherwise whoever answers the metadata URL twice could
 * replace every key, first adding their own beside the real ones, then
 * dropping the real ones (security review, round 3). Its probation restarts
 * when a refresh brings it back from retired or expired
 * (`KeyRecord.probationFrom`): time spent untrusted does not count, or a key
 * published once and retired would vouch at once when republished later
 * (security review, round 5).
 * - `approved`: discontinuous, but an administrator approved exactly this
 *   document (its SHA-256).
 * - `discontinuous`: anything else, with the reason.
 */
export type ContinuityVerdict =
  | { readonly kind: 'initial' }
  | {
      readonly kind: 'continuous';
      readonly reason: 'unchanged' | 'trusted-signer' | 'pinned-signer' | 'shared-key';
    }
  | { readonly kind: 'approved'; readonly reason: DiscontinuityReason }
  | { readonly kind: 'discontinuous'; readonly reason: DiscontinuityReason };

/** What {@link judgeContinuity} decides from. */
export interface ContinuityInput {
  readonly issuer: Pick<IssuerRecord, 'signaturePolicy'>;
  /** Every key of the issuer, in any state and from any source. */
  readonly keys: readonly KeyRecord[];
  /** The last-known-good document (its signer and digest). */
  readonly previousSnapshot: Pick<MetadataSnapshotRecord, 'signerSha1' | 'sha256'> | undefined;
  /** The new document's own signature; `unsigned` for a JSON key set. */
  readonly signature: MetadataSignatureReport;
  /** The signing keys the new document publishes. */
  readonly published: readonly PublishedKey[];
  /** SHA-256 of the new document (for OpenID Connect, of the discovery + key set pair). */
  readonly sha256: string;
  /** The issuer's pending change, if any. */
  readonly pendingChange: PendingChangeRecord | undefined;
  readonly now: Date;
  /** How long a key a document brought in must have been known before it vouches for a document. */
  readonly probationSeconds: number;
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
  if (input.previousSnapshot !== undefined && input.previousSnapshot.sha256 === input.sha256) {
    return { kind: 'continuous', reason: 'unchanged' };
  }
  // SECURITY: once the issuer's documents are signed, only a signature by a key it is trusted with
  // (or a pinned signer) continues them, and every key it trusts came in under such a signature, an
  // administrator's hand or an alert. Unsigned documents vouch for nothing: a key one brought in
  // must first serve its probation.
  const signing = (input.previousSnapshot?.signerSha1 ?? null) !== null;
  const usable = input.keys.filter((key) => USABLE_KEY_STATES.has(key.state));
  const established = signing ? usable : establishedKeys(input, usable);
  const { signature } = input;
  if (signature.status === 'valid') {
    const signer = signature.signer;
    if (established.some((key) => isSigner(key, signer)))
      return { kind: 'continuous', reason: 'trusted-signer' };
    if (input.issuer.signaturePolicy.mode === 'pinned') {
      // enforceMetadataSignaturePolicy has refused any other signer already; checked again here.
      const pinned = input.issuer.signaturePolicy.pinnedSigners;
      if (pinned.includes(signer.sha1) || pinned.includes(signer.sha256))
        return { kind: 'continuous', reason: 'pinned-signer' };
    }
  }
  const shared = input.published.some((published) => established.some((key) => isSameKey(key, published)));
  // SECURITY: once the issuer's documents were signed, a document that is not signed by a trusted
  // or pinned key is a downgrade — unsigned, or signed by a key of the sender's own choosing, which
  // proves nothing (a self-consistent signature only proves the document is whole).
  const downgrade = signing;
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

/**
 * How long a key a document brought in must have been known before it
 * vouches for a later document, by default: a day. Identity providers
 * announce keys days to weeks before they sign with them (AD FS five days,
 * Entra ID weeks); an announce-and-switch faster than this still applies,
 * as a discontinuity under the issuer's policy.
 */
export const DEFAULT_PROBATION_SECONDS = 86_400;

/**
 * The usable keys that may vouch for a document: vouched for by an
 * administrator (no probation), among the issuer's first keys (on probation
 * since the issuer's first key was seen: never out of trust since), or past
 * the probation period.
 */
function establishedKeys(input: ContinuityInput, usable: readonly KeyRecord[]): readonly KeyRecord[] {
  const first = Math.min(...input.keys.map((key) => key.firstSeenAt.getTime()));
  const probationEnd = input.now.getTime() - input.probationSeconds * 1000;
  return usable.filter(
    (key) =>
      key.probationFrom === null ||
      key.probationFrom.getTime() <= first ||
      key.probationFrom.getTime() <= probationEnd,
  );
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
