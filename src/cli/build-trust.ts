import { readCertificates } from '../crypto/certificate.js';
import type { TrustSnapshot, TrustedIssuer, TrustedKey } from '../tokens/trust-snapshot.js';
import {
  createTrustSnapshot,
  trustedKeyFromCertificate,
  trustFromMetadata,
  trustFromThumbprints,
} from '../trust/in-memory-trust.js';
import { loadMetadata } from './load-metadata.js';
import type { CliIo } from './output.js';
import { readSource } from './read-source.js';

/** Where `claimsgate validate` takes its trust from. */
export interface TrustSources {
  readonly metadata: readonly string[];
  readonly thumbprint: readonly string[];
  readonly certificate: readonly string[];
  readonly issuer: string | undefined;
  readonly allowSha1: boolean;
  readonly allowHttp: boolean;
  readonly tenant: readonly string[];
}

/**
 * Builds an in-memory trust snapshot from metadata documents (each trusted for
 * its own entityID / issuer, or for --issuer when given) and from thumbprints
 * and certificate files (trusted for --issuer).
 *
 * @throws TypeError when thumbprints or certificates are given without --issuer (a usage error).
 */
export async function buildTrust(io: CliIo, sources: TrustSources): Promise<TrustSnapshot> {
  const issuers = new Map<string, TrustedIssuer>();
  const keys: TrustedKey[] = [];
  const options = { allowSha1: sources.allowSha1, allowedTenants: sources.tenant };
  for (const source of sources.metadata) {
    const { metadata } = await loadMetadata(io, source, {
      allowHttp: sources.allowHttp,
      entityId: undefined,
    });
    const trust = trustFromMetadata(metadata, {
      ...options,
      ...(sources.issuer === undefined ? {} : { issuer: sources.issuer }),
    });
    issuers.set(trust.issuer.issuer, trust.issuer);
    keys.push(...trust.keys);
  }
  if (sources.thumbprint.length > 0 || sources.certificate.length > 0) {
    if (sources.issuer === undefined) throw new TypeError('--thumbprint and --certificate need --issuer');
    const trust = trustFromThumbprints(sources.issuer, sources.thumbprint, options);
    if (!issuers.has(trust.issuer.issuer)) issuers.set(trust.issuer.issuer, trust.issuer);
    keys.push(...trust.keys);
    for (const file of sources.certificate) {
      const { bytes } = await readSource(file, io, { allowHttp: sources.allowHttp });
      for (const certificate of readCertificates(bytes)) {
        keys.push(trustedKeyFromCertificate(sources.issuer, certificate));
      }
    }
  }
  return createTrustSnapshot({ issuers: [...issuers.values()], keys, builtAt: io.now() });
}
