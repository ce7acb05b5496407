import { daysUntilExpiry } from '../crypto/certificate.js';
import { normalizeThumbprint } from '../crypto/thumbprint.js';
import { ClaimsgateError } from '../lib/errors.js';
import type { IssuerMetadata, PublishedKey } from '../metadata/model.js';

/** What became of one thumbprint an application is configured with. */
export type ConfiguredThumbprintStatus =
  /** A signing key the issuer publishes now, and its certificate is valid. */
  | 'published'
  /** Published, but its certificate has expired. */
  | 'expired'
  /** Published, but its certificate is not valid yet. */
  | 'not-yet-valid'
  /** The issuer publishes it as an encryption key: the wrong certificate was copied. */
  | 'encryption-key'
  /** Not in the metadata any more (or never was): a rolled-over or mistyped key. */
  | 'not-published'
  /** Not a thumbprint at all once normalised. */
  | 'invalid';

export interface ConfiguredThumbprintFinding {
  /** The value as configured (pasted). */
  readonly input: string;
  /** The normalised thumbprint, when the value is one. */
  readonly thumbprint: string | undefined;
  readonly status: ConfiguredThumbprintStatus;
  /** Code points that normalisation removed (e.g. an invisible U+200E). */
  readonly removed: readonly string[];
  /** The published key it matched. */
  readonly key: PublishedKey | undefined;
  /** Days until the matched certificate expires. */
  readonly daysLeft: number | undefined;
  /** The coded error, for an invalid value. */
  readonly error: ClaimsgateError | undefined;
}

/** The overall answer: will sign-ins work now, and after the next rollover? */
export type ThumbprintVerdict = 'healthy' | 'at-risk' | 'broken';

export interface ThumbprintDiagnosis {
  readonly verdict: ThumbprintVerdict;
  readonly issuer: string | undefined;
  readonly findings: readonly ConfiguredThumbprintFinding[];
  /** Valid signing keys the issuer publishes that the configuration lacks. */
  readonly missing: readonly PublishedKey[];
  /** Plain-language sentences: what is wrong and what to do, most urgent first. */
  readonly advice: readonly string[];
  /** Published signing keys whose certificate expires within 30 days. */
  readonly expiringSoon: readonly PublishedKey[];
}

const EXPIRY_WARNING_DAYS = 30;

function matches(key: PublishedKey, thumbprint: string): boolean {
  return key.sha1 === thumbprint || key.sha256 === thumbprint;
}

function isCurrent(key: PublishedKey, now: Date): boolean {
  const certificate = key.certificate;
  return certificate === undefined || (certificate.notBefore <= now && now < certificate.notAfter);
}

function diagnoseOne(input: string, metadata: IssuerMetadata, now: Date): ConfiguredThumbprintFinding {
  let thumbprint: string;
  let removed: string[];
  try {
    const normalized = normalizeThumbprint(input);
    thumbprint = normalized.thumbprint;
    removed = normalized.removed
      .filter((c) => c.name !== 'SPACE' && c.name !== 'COLON')
      .map((c) => `${c.codePoint} ${c.name}`);
  } catch (error) {
    if (!(error instanceof ClaimsgateError)) throw error;
    return {
      input,
      thumbprint: undefined,
      status: 'invalid',
      removed: [],
      key: undefined,
      daysLeft: undefined,
      error,
    };
  }
  const base = { input, thumbprint, removed, error: undefined };
  const key = metadata.signingKeys.find((k) => matches(k, thumbprint));
  if (key !== undefined) {
    const certificate = key.certificate;
    const daysLeft = certificate === undefined ? undefined : daysUntilExpiry(certificate, now);
    let status: ConfiguredThumbprintStatus = 'published';
    if (certificate !== undefined && now >= certificate.notAfter) status = 'expired';
    else if (certificate !== undefined && now < certificate.notBefore) status = 'not-yet-valid';
    return { ...base, status, key, daysLeft };
  }
  const encryptionKey = metadata.encryptionKeys.find((k) => matches(k, thumbprint));
  if (encryptionKey !== undefined)
    return { ...base, status: 'encryption-key', key: encryptionKey, daysLeft: undefined };
  return { ...base, status: 'not-published', key: undefined, daysLeft: undefined };
}

/**
 * Compares the thumbprints an application is configured with against the
 * signing keys its issuer publishes now: which still work, which are stale,
 * and which published keys are missing — the ones whose turn at the next
 * rollover will break every sign-in.
 *
 * Pure: the metadata is already parsed and `now` is given.
 */
export function diagnoseThumbprints(
  metadata: IssuerMetadata,
  configured: readonly string[],
  now: Date,
): ThumbprintDiagnosis {
  const findings = configured.map((input) => diagnoseOne(input, metadata, now));
  const configuredThumbprints = findings.flatMap((f) => (f.thumbprint === undefined ? [] : [f.thumbprint]));
  const current = metadata.signingKeys.filter((key) => isCurrent(key, now));
  const missing = current.filter((key) => !configuredThumbprints.some((t) => matches(key, t)));
  const working = findings.filter((f) => f.status === 'published');
  const expiringSoon = current.filter(
    (key) => key.certificate !== undefined && daysUntilExpiry(key.certificate, now) < EXPIRY_WARNING_DAYS,
  );

  const advice: string[] = [];
  if (working.length === 0) {
    advice.push(
      current.length === 0
        ? 'The issuer publishes no currently valid signing key: sign-ins cannot be validated. Check the metadata URL and the issuer.'
        : 'None of the configured thumbprints is a valid signing key the issuer publishes now: sign-ins are failing (WIF10201) or will fail at once.',
    );
  }
  if (missing.length > 0) {
    advice.push(
      `The issuer publishes ${missing.length} signing key${missing.length === 1 ? '' : 's'} the configuration lacks: ${missing
        .map((k) => k.sha1 ?? k.kid ?? '?')
        .join(
          ', ',
        )}. When the issuer switches to ${missing.length === 1 ? 'it' : 'one of them'}, every sign-in will fail. Add ${missing.length === 1 ? 'it' : 'them'} now — or let claimsgate follow the metadata so that no one has to.`,
    );
  }
  for (const finding of findings) {
    switch (finding.status) {
      case 'invalid':
        advice.push(`"${finding.input}" is not a thumbprint: ${finding.error?.message ?? ''}`);
        break;
      case 'encryption-key':
        advice.push(
          `${finding.thumbprint} is the issuer's encryption certificate, not a signing certificate: replace it with a signing key's thumbprint.`,
        );
        break;
      case 'not-published':
        advice.push(
          `${finding.thumbprint} is no longer published by the issuer (a rolled-over or mistyped key); remove it once the published keys are configured.`,
        );
        break;
      case 'expired':
        advice.push(`${finding.thumbprint} belongs to a certificate that has expired; remove it.`);
        break;
      case 'not-yet-valid':
      case 'published':
        break;
    }
    if (finding.removed.length > 0) {
      advice.push(
        `The configured value of ${finding.thumbprint} carries invisible characters (${finding.removed.join(', ')}); store the clean form instead — some products compare thumbprints byte for byte.`,
      );
    }
  }
  for (const key of expiringSoon) {
    const days = daysUntilExpiry(key.certificate!, now);
    const successor = current.some(
      (other) =>
        other !== key &&
        other.certificate !== undefined &&
        other.certificate.notAfter > key.certificate!.notAfter,
    );
    advice.push(
      `Signing key ${key.sha1} expires in ${days} day${days === 1 ? '' : 's'}${successor ? '; a successor is already published' : ' and no successor is published yet'}.`,
    );
  }

  let verdict: ThumbprintVerdict = 'healthy';
  if (working.length === 0) verdict = 'broken';
  else if (
    missing.length > 0 ||
    findings.some((f) => f.status === 'invalid' || f.status === 'encryption-key')
  ) {
    verdict = 'at-risk';
  }
  if (verdict === 'healthy' && advice.length === 0) {
    advice.push(
      'Every signing key the issuer publishes is configured: the next rollover will not break sign-ins.',
    );
  }
  return { verdict, issuer: metadata.issuer, findings, missing, advice, expiringSoon };
}
