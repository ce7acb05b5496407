/**
 * Parsed certificates kept between trust builds. A trust reload rebuilds the
 * snapshot from every stored key; without this, each reload parsed every
 * certificate again, which with thousands of issuers made each store change
 * cost seconds of CPU. Entries are found by the SHA-256 of the DER bytes, so
 * a changed certificate can never be answered with an old parse, and an
 * entry not used by the latest build is dropped, so the cache holds only
 * what the trust holds.
 */
import { createHash } from 'node:crypto';
import { parseCertificateDer, type CertificateInfo } from '../crypto/certificate.js';

export interface CertificateCache {
  /** The certificate parsed from `der`, from the cache when the same bytes were parsed before. @throws as parseCertificateDer */
  parse(der: Uint8Array): CertificateInfo;
  /** Ends a build: drops every entry the build did not ask for. */
  endBuild(): void;
  /** Entries held now. */
  readonly size: number;
}

export function createCertificateCache(): CertificateCache {
  let current = new Map<string, CertificateInfo>();
  let used = new Map<string, CertificateInfo>();
  // A parse's own `der` (its copy, held by the keys that share it), by identity: hashed once. Only
  // those: an array handed in by a caller may be changed in place, and must then be parsed anew.
  const ids = new WeakMap<Uint8Array, string>();
  return {
    parse(der) {
      const id = ids.get(der) ?? createHash('sha256').update(der).digest('base64');
      const cached = used.get(id) ?? current.get(id);
      if (cached !== undefined) {
        used.set(id, cached);
        return cached;
      }
      const parsed = parseCertificateDer(der);
      ids.set(parsed.der, id);
      used.set(id, parsed);
      return parsed;
    },
    endBuild() {
      current = used;
      used = new Map();
    },
    get size() {
      return current.size;
    },
  };
}
