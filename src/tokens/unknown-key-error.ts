import type { CertificateInfo } from '../crypto/certificate.js';
import { ClaimsgateError } from '../lib/errors.js';
import { previewValue } from './decode-jwt.js';

import type { PendingKeyChange, TrustSnapshot } from './trust-snapshot.js';

const MAX_LISTED_KEYS = 20;

/** What a token says about the key that signed it. */
export interface PresentedKey {
  readonly sha1?: string | undefined;
  readonly sha256?: string | undefined;
  readonly kid?: string | undefined;
  /** The certificate embedded in the token (untrusted; for the message only). */
  readonly certificate?: CertificateInfo | undefined;
}

/** Whether the token's key is one a document held for approval publishes (by any identifier the token gives). */
function isPendingKey(change: PendingKeyChange | undefined, presented: PresentedKey): boolean {
  if (change === undefined) return false;
  return change.keys.some(
    (key) =>
      (presented.sha1 !== undefined && key.sha1 === presented.sha1) ||
      (presented.sha256 !== undefined && key.sha256 === presented.sha256) ||
      (presented.kid !== undefined && key.kid === presented.kid),
  );
}

/**
 * The error for a token signed by a key its issuer is not trusted with —
 * WIF10201 done right: it names the token's thumbprints, the certificate's
 * subject and validity, the issuer, the thumbprints trusted for it, and the
 * last refresh of that trust. When the key is one a metadata document held
 * for lack of key continuity publishes, the code is
 * `CG_TRUST_KEY_PENDING_APPROVAL` and the detail names that document.
 */
export function unknownKeyError(
  trust: TrustSnapshot,
  issuer: string,
  presented: PresentedKey,
): ClaimsgateError {
  const trustedIssuer = trust.findIssuer(issuer);
  const trustedUri = trustedIssuer?.issuer ?? issuer;
  const allTrusted = trust.keysForIssuer(trustedUri);
  // An issuer may hold many keys; the message and detail name the first ones and the count.
  const trusted = allTrusted.slice(0, MAX_LISTED_KEYS).map((key) => ({
    sha1: key.sha1,
    sha256: key.sha256,
    kid: key.kid,
    state: key.state,
    source: key.source,
    notAfter: key.certificate?.notAfter.toISOString(),
  }));
  const lastRefresh = trustedIssuer?.lastRefresh;
  // A kid comes from the token: quoted and cut short, so a hostile one cannot forge log lines.
  const named =
    presented.sha1 ??
    (presented.kid === undefined ? undefined : `kid ${previewValue(presented.kid)}`) ??
    presented.sha256 ??
    '(no key identifier: none of the issuer’s keys verifies the signature)';
  const certificate = presented.certificate;
  const trustedList =
    (trusted.map((key) => key.sha1 ?? key.kid ?? key.sha256).join(', ') || 'none') +
    (allTrusted.length > trusted.length ? ` and ${allTrusted.length - trusted.length} more` : '');
  const pending = trustedIssuer?.pendingChange;
  if (isPendingKey(pending, presented)) {
    return new ClaimsgateError(
      'CG_TRUST_KEY_PENDING_APPROVAL',
      `The token's signing key ${named} of issuer ${issuer} arrived in a metadata document that replaces the issuer's keys without continuity (${pending!.reason}); the document waits for an administrator's approval. ` +
        `Trusted for this issuer meanwhile: ${trustedList}.`,
      {
        detail: {
          issuer,
          observed: {
            sha1: presented.sha1,
            sha256: presented.sha256,
            kid: presented.kid === undefined ? undefined : presented.kid.slice(0, 256),
          },
          expected: trusted,
          trustedKeyCount: allTrusted.length,
          pendingChange: {
            url: pending!.url,
            sha256: pending!.sha256,
            reason: pending!.reason,
            detectedAt: pending!.detectedAt.toISOString(),
          },
        },
      },
    );
  }
  return new ClaimsgateError(
    'CG_TRUST_KEY_UNKNOWN',
    `No trusted key of issuer ${issuer} matches the token's signing key ${named}` +
      `${certificate === undefined ? '' : ` (${certificate.subject}, valid ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()})`}. ` +
      `Trusted for this issuer: ${trustedList}.` +
      (lastRefresh === undefined
        ? ''
        : ` Trust was last refreshed ${lastRefresh.at.toISOString()} (${lastRefresh.outcome}${lastRefresh.code === undefined ? '' : ` ${lastRefresh.code}`}).`),
    {
      detail: {
        issuer,
        observed: {
          sha1: presented.sha1,
          sha256: presented.sha256,
          kid: presented.kid === undefined ? undefined : presented.kid.slice(0, 256),
        },
        certificate:
          certificate === undefined
            ? undefined
            : {
                subject: certificate.subject,
                issuer: certificate.issuer,
                notBefore: certificate.notBefore.toISOString(),
                notAfter: certificate.notAfter.toISOString(),
              },
        expected: trusted,
        trustedKeyCount: allTrusted.length,
        lastRefresh:
          lastRefresh === undefined ? undefined : { ...lastRefresh, at: lastRefresh.at.toISOString() },
      },
      hint:
        'If the issuer rolled its signing key over, refresh its metadata (claimsgate follows it by itself when a metadata URL is configured). ' +
        'If the thumbprint is unexpected, the token may be forged: do not add it without checking the issuer publishes it.',
    },
  );
}
