import { readCertificates, type CertificateInfo } from '../crypto/certificate.js';
import type { TrustSnapshot } from '../tokens/trust-snapshot.js';
import {
  combineTrust,
  trustFromCertificates,
  trustFromMetadata,
  trustFromThumbprints,
  type IssuerTrust,
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
 * and certificate files (trusted for --issuer). This reads the sources; what
 * they make trusted is src/trust's to say.
 *
 * @throws TypeError when thumbprints or certificates are given without --issuer (a usage error).
 */
export async function buildTrust(io: CliIo, sources: TrustSources): Promise<TrustSnapshot> {
  const parts: IssuerTrust[] = [];
  const options = { allowSha1: sources.allowSha1, allowedTenants: sources.tenant };
  for (const source of sources.metadata) {
    const { metadata } = await loadMetadata(io, source, {
      allowHttp: sources.allowHttp,
      entityId: undefined,
    });
    parts.push(
      trustFromMetadata(metadata, {
        ...options,
        ...(sources.issuer === undefined ? {} : { issuer: sources.issuer }),
      }),
    );
  }
  if (sources.thumbprint.length > 0 || sources.certificate.length > 0) {
    if (sources.issuer === undefined) throw new TypeError('--thumbprint and --certificate need --issuer');
    parts.push(trustFromThumbprints(sources.issuer, sources.thumbprint, options));
    const certificates: CertificateInfo[] = [];
    for (const file of sources.certificate) {
      const { bytes } = await readSource(file, io, { allowHttp: sources.allowHttp });
      certificates.push(...readCertificates(bytes));
    }
    parts.push(trustFromCertificates(sources.issuer, certificates, options));
  }
  return combineTrust(parts, io.now());
}
