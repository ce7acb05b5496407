import { createHash } from 'node:crypto';
import { daysUntilExpiry, readCertificates, type CertificateInfo } from '../crypto/certificate.js';
import { ClaimsgateError } from '../lib/errors.js';
import { listDocumentCertificates } from '../metadata/list-certificates.js';
import { parseMetadata } from '../metadata/parse-metadata.js';
import { DEFAULT_METADATA_MAX_BYTES } from '../metadata/process-metadata-response.js';
import { parseXml } from '../xml/parse-xml.js';
import type { ManagementContext } from './context.js';
import type { CertificateView, ThumbprintResult } from './service.js';
import { iso } from './views.js';
import { fetchDocument } from './import-document.js';

/** Largest pasted text the thumbprint tool reads (a metadata document pasted whole fits). */
const MAX_TEXT_BYTES = 1024 * 1024;

interface FoundCertificate {
  readonly certificate: CertificateInfo;
  readonly sections: readonly string[];
}

/**
 * Every certificate in the bytes, as `claimsgate thumbprint` finds them: an
 * XML metadata document (each distinct certificate with the sections it
 * appears in), a JWKS or discovery document (its `x5c` certificates), else
 * PEM, bare base64 or DER.
 */
function findCertificates(bytes: Buffer, maxBytes: number): FoundCertificate[] {
  const head = bytes
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('<')) {
    const { root } = parseXml(bytes, { maxBytes });
    return listDocumentCertificates(root).map(({ certificate, appearances }) => ({
      certificate,
      sections: appearances.map((a) => (a.use === undefined ? a.section : `${a.section} (${a.use})`)),
    }));
  }
  if (head.startsWith('{')) {
    const { metadata } = parseMetadata(bytes, { maxBytes });
    return [...metadata.signingKeys, ...metadata.encryptionKeys].flatMap((key) =>
      key.certificate === undefined
        ? []
        : [{ certificate: key.certificate, sections: [`jwks kid=${key.kid ?? '?'}`] }],
    );
  }
  return readCertificates(bytes).map((certificate) => ({ certificate, sections: [] }));
}

function viewCertificate(found: FoundCertificate, now: Date): CertificateView {
  const { certificate } = found;
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    notBefore: iso(certificate.notBefore),
    notAfter: iso(certificate.notAfter),
    daysLeft: daysUntilExpiry(certificate, now),
    keyType: certificate.keyType,
    keySize: certificate.keySize ?? null,
    sha1: certificate.sha1,
    sha256: certificate.sha256,
    sections: [...found.sections],
  };
}

/**
 * The thumbprint tool on pasted text: a certificate (PEM, or bare base64 with
 * line breaks as copied from `<X509Certificate>`), several PEM certificates,
 * or a whole metadata document.
 *
 * @throws ClaimsgateError `CG_CERT_INVALID`, `CG_CERT_NOT_FOUND`, `CG_META_TOO_LARGE`,
 *   the XML and metadata parsers' codes.
 */
export function thumbprintsFromText(context: ManagementContext, text: string): ThumbprintResult {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_TEXT_BYTES) {
    throw new ClaimsgateError(
      'CG_META_TOO_LARGE',
      `The text is ${bytes.length} bytes; the limit is ${MAX_TEXT_BYTES}.`,
      {
        detail: { observed: bytes.length, expected: `<= ${MAX_TEXT_BYTES}` },
      },
    );
  }
  const now = context.now();
  return {
    source: 'text',
    documentSha256: null,
    certificates: findCertificates(bytes, MAX_TEXT_BYTES).map((found) => viewCertificate(found, now)),
  };
}

/**
 * The thumbprint tool on a metadata URL: every certificate the document
 * carries, with its sections, SHA-1 and SHA-256. Fetched under the engine's
 * limits (https unless loopback or allowed, timeout, size cap).
 *
 * @throws ClaimsgateError the fetcher's `CG_META_*` codes, the parsers' codes.
 */
export async function thumbprintsFromUrl(context: ManagementContext, url: string): Promise<ThumbprintResult> {
  const fetched = await fetchDocument(context, url);
  const now = context.now();
  const maxBytes = context.maxMetadataBytes ?? DEFAULT_METADATA_MAX_BYTES;
  return {
    source: fetched.url,
    documentSha256: createHash('sha256').update(fetched.body).digest('hex'),
    certificates: findCertificates(fetched.body, maxBytes).map((found) => viewCertificate(found, now)),
  };
}
