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
  // The bytes already hashed (a parse's own `der`, held by the keys that share it): hashed once.
  const ids = new WeakMap<Uint8Array, string>();
  return {
    parse(der) {
      let id = ids.get(der);
      if (id === undefined) {
        id = createHash('sha256').update(der).digest('base64');
        ids.set(der, id);
      }
      const cached = used.get(id) ?? current.get(id);
      if (cached !== undefined) {
        used.set(id, cached);
        return cached;
      }
      const parsed = parseCertificateDer(der);
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
