import { parseCertificateBase64, type CertificateInfo } from '../crypto/certificate.js';
import { ClaimsgateError } from '../lib/errors.js';
import { NS, attribute, descendantElements, ownText, resolveQName } from '../xml/dom.js';
import type { XmlElement } from '../xml/light-dom.js';

/** One distinct certificate found in a metadata document, and where it appears. */
export interface DocumentCertificate {
  readonly certificate: CertificateInfo;
  /**
   * Each place it appears: the role descriptor (`fed:SecurityTokenServiceType`,
   * `IDPSSODescriptor`, …) with its key use, or `Signature` for the certificate
   * in the document's own signature.
   */
  readonly appearances: ReadonlyArray<{ readonly section: string; readonly use: string | undefined }>;
}

const ROLE_NAMES: ReadonlySet<string> = new Set([
  'RoleDescriptor',
  'IDPSSODescriptor',
  'SPSSODescriptor',
  'AttributeAuthorityDescriptor',
  'AuthnAuthorityDescriptor',
  'PDPDescriptor',
]);

function describeAppearance(certificateElement: XmlElement): { section: string; use: string | undefined } {
  let use: string | undefined;
  for (
    let node = certificateElement.parentNode;
    node !== null && node.nodeType === 1;
    node = node.parentNode
  ) {
    const element = node;
    if (element.namespaceURI === NS.md && element.localName === 'KeyDescriptor')
      use = attribute(element, 'use');
    if (element.namespaceURI === NS.ds && element.localName === 'Signature')
      return { section: 'Signature', use };
    if (element.namespaceURI === NS.md && ROLE_NAMES.has(element.localName)) {
      if (element.localName !== 'RoleDescriptor') return { section: element.localName, use };
      const type = attribute(element, 'xsi:type') ?? element.getAttributeNS(NS.xsi, 'type');
      if (!type) return { section: 'RoleDescriptor', use };
      const { namespace, localName } = resolveQName(element, type);
      return { section: namespace === NS.fed ? `fed:${localName}` : localName, use };
    }
  }
  return { section: 'other', use };
}

/**
 * Every distinct certificate in an XML metadata document (role descriptors and
 * the document's own signature), in document order, each with the places it
 * appears. This is what `claimsgate thumbprint metadata.xml` prints; the
 * signing keys an issuer publishes come from `parseMetadata` instead.
 *
 * @throws ClaimsgateError `CG_CERT_INVALID` when an `<X509Certificate>` does not decode.
 */
export function listDocumentCertificates(root: XmlElement): DocumentCertificate[] {
  const bySha256 = new Map<
    string,
    { certificate: CertificateInfo; appearances: Array<{ section: string; use: string | undefined }> }
  >();
  const elements = descendantElements(root, NS.ds, 'X509Certificate');
  elements.forEach((element, index) => {
    let certificate: CertificateInfo;
    try {
      certificate = parseCertificateBase64(ownText(element));
    } catch (cause) {
      throw new ClaimsgateError(
        'CG_CERT_INVALID',
        `X509Certificate element ${index + 1} of ${elements.length} is not a valid certificate.`,
        { cause, detail: { position: index + 1, section: describeAppearance(element).section } },
      );
    }
    const entry = bySha256.get(certificate.sha256) ?? { certificate, appearances: [] };
    const appearance = describeAppearance(element);
    if (!entry.appearances.some((a) => a.section === appearance.section && a.use === appearance.use)) {
      entry.appearances.push(appearance);
    }
    bySha256.set(certificate.sha256, entry);
  });
  return [...bySha256.values()];
}
