/**
 * Readers for the parameterised parts of an enveloped signature: the
 * Reference's transform chain, InclusiveNamespaces PrefixLists and KeyInfo.
 */
import type { CertificateInfo } from '../crypto/certificate.js';
import { computeThumbprint } from '../crypto/thumbprint.js';
import { childElements, NS } from '../xml/dom.js';
import { ENVELOPED_SIGNATURE, EXC_C14N, EXC_C14N_NS, REQUIRED_TRANSFORMS } from './algorithms.js';
import {
  algorithmOf,
  decodeBase64Strict,
  describe,
  matchChildren,
  nameOf,
  signatureError,
  strictElementChildren,
  textOnly,
  type ChildSlot,
} from './ds-structure.js';
import type { XmlElement } from '../xml/light-dom.js';

/**
 * A certificate as found in KeyInfo: its DER and thumbprints, not parsed
 * (parsing costs more than verifying the whole signature; call
 * `parseCertificateDer(der)` when the details are needed). UNTRUSTED.
 */
export type KeyInfoCertificate = Pick<CertificateInfo, 'der' | 'sha1' | 'sha256'>;

/** The whitespace-separated PrefixList of an optional `ec:InclusiveNamespaces` element. */
export function prefixList(inclusiveNamespaces: XmlElement | undefined): string[] {
  if (inclusiveNamespaces === undefined) return [];
  matchChildren(inclusiveNamespaces, []);
  if (!inclusiveNamespaces.hasAttribute('PrefixList')) {
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'prefix-list-missing',
      'ec:InclusiveNamespaces has no PrefixList attribute.',
      { element: nameOf(inclusiveNamespaces) },
    );
  }
  return (inclusiveNamespaces.getAttribute('PrefixList') ?? '').split(/[\t\n\r ]+/).filter(Boolean);
}

/** An optional `ec:InclusiveNamespaces` child, as CanonicalizationMethod and the exc-c14n Transform may have. */
export const INCLUSIVE_NAMESPACES_SLOT: ChildSlot = {
  localName: 'InclusiveNamespaces',
  namespace: EXC_C14N_NS,
  optional: true,
};

/**
 * Throws for an algorithm outside the allow-list.
 *
 * @throws ClaimsgateError `CG_SIG_ALGORITHM_FORBIDDEN` naming the URI in `detail.observed`.
 */
export function forbidden(element: XmlElement, observed: string, expected: readonly string[]): never {
  throw signatureError(
    'CG_SIG_ALGORITHM_FORBIDDEN',
    'algorithm-forbidden',
    `<${nameOf(element)}> uses ${observed}, which is not allowed.`,
    { element: nameOf(element), observed, expected },
  );
}

/**
 * The Reference's transforms, which must be exactly enveloped-signature then
 * exclusive c14n, and the exclusive c14n PrefixList.
 *
 * @throws ClaimsgateError `CG_SIG_ALGORITHM_FORBIDDEN` for another transform;
 *   `CG_SIG_STRUCTURE_INVALID` for another sequence or unexpected content.
 */
export function readTransforms(transformsElement: XmlElement | undefined): {
  transforms: string[];
  prefixes: string[];
} {
  const transformElements = transformsElement === undefined ? [] : readTransformElements(transformsElement);
  const transforms = transformElements.map(algorithmOf);
  for (const [index, uri] of transforms.entries()) {
    // SECURITY: XSLT, XPath filters, base64 and inclusive c14n (with or
    // without comments) are refused: they change what the digest covers.
    if (uri !== ENVELOPED_SIGNATURE && uri !== EXC_C14N)
      forbidden(transformElements[index]!, uri, REQUIRED_TRANSFORMS);
  }
  if (transforms.length !== 2 || transforms[0] !== ENVELOPED_SIGNATURE || transforms[1] !== EXC_C14N) {
    // With exclusive c14n missing or not last, XML-DSig canonicalises the
    // result with inclusive c14n; without enveloped-signature first, the digest
    // would cover the signature itself. Neither can be a valid enveloped signature here.
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'transforms-sequence',
      'The signature Reference transforms must be exactly enveloped-signature followed by exclusive c14n.',
      { observed: transforms, expected: REQUIRED_TRANSFORMS },
    );
  }
  const [enveloped, exclusive] = transformElements as [XmlElement, XmlElement];
  // xml-crypto's signer copies the InclusiveNamespaces of a PrefixList into
  // every Transform, the enveloped one included (in the enveloped transform's
  // namespace). It means nothing there and is tolerated, nothing else is.
  const envelopedChildren = strictElementChildren(enveloped);
  const stray = envelopedChildren.find((child) => child.localName !== 'InclusiveNamespaces');
  if (stray !== undefined || envelopedChildren.length > 1) {
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'unexpected-element',
      `The enveloped-signature <${nameOf(enveloped)}> has unexpected content.`,
      {
        element: describe(stray ?? envelopedChildren[1]!),
        parent: nameOf(enveloped),
        expected: 'no children',
      },
    );
  }
  const [inclusiveNamespaces] = matchChildren(exclusive, [INCLUSIVE_NAMESPACES_SLOT]);
  return { transforms, prefixes: prefixList(inclusiveNamespaces) };
}

function readTransformElements(transformsElement: XmlElement): XmlElement[] {
  const children = strictElementChildren(transformsElement);
  for (const child of children) {
    if (child.namespaceURI !== NS.ds || child.localName !== 'Transform') {
      throw signatureError(
        'CG_SIG_STRUCTURE_INVALID',
        'unexpected-element',
        `<${nameOf(transformsElement)}> contains an unexpected <${nameOf(child)}>.`,
        { element: describe(child), parent: nameOf(transformsElement), expected: 'ds:Transform' },
      );
    }
  }
  return children;
}

/** How many KeyInfo certificates {@link keyInfoCertificate} remembers, and the longest text it keeps. */
const RECENT_CERTIFICATES = 64;
const MAX_REMEMBERED_TEXT = 16 * 1024;

/** KeyInfo certificates read lately, by their exact base64 text: an issuer's tokens carry the same few. */
const recentCertificates = new Map<string, KeyInfoCertificate>();

/**
 * The certificate an X509Certificate element's text encodes, with its
 * thumbprints: decoding it and hashing it twice were a thirtieth of a
 * validation, repeated for every token of the same issuer. A text seen
 * lately (the same characters) gives the same certificate again; only a
 * text that decoded is remembered, under a copy of its own (the text is cut
 * out of the whole token, which a substring would keep alive).
 *
 * @throws ClaimsgateError as `decodeBase64Strict`.
 */
function keyInfoCertificate(text: string, element: XmlElement): KeyInfoCertificate {
  const known = recentCertificates.get(text);
  if (known !== undefined) return known;
  const der = decodeBase64Strict(text, element);
  const certificate: KeyInfoCertificate = Object.freeze({
    der,
    sha1: computeThumbprint(der, 'sha1'),
    sha256: computeThumbprint(der, 'sha256'),
  });
  if (text.length <= MAX_REMEMBERED_TEXT) {
    if (recentCertificates.size >= RECENT_CERTIFICATES)
      recentCertificates.delete(recentCertificates.keys().next().value!);
    recentCertificates.set(Buffer.from(text, 'latin1').toString('latin1'), certificate);
  }
  return certificate;
}

/** KeyInfo/X509Data/X509Certificate and KeyInfo/KeyName; other KeyInfo content is ignored, never dereferenced. */
export function readKeyInfo(keyInfo: XmlElement | undefined): {
  certificates: KeyInfoCertificate[];
  keyName: string | undefined;
} {
  const certificates: KeyInfoCertificate[] = [];
  if (keyInfo === undefined) return { certificates, keyName: undefined };
  for (const x509Data of childElements(keyInfo, NS.ds, 'X509Data')) {
    for (const element of childElements(x509Data, NS.ds, 'X509Certificate')) {
      // SECURITY: the whole text, strictly decoded: a comment splitting the
      // base64 is refused rather than read up to its first part (B4b).
      certificates.push(keyInfoCertificate(textOnly(element), element));
    }
  }
  const keyNameElement = childElements(keyInfo, NS.ds, 'KeyName')[0];
  const keyName = keyNameElement === undefined ? undefined : textOnly(keyNameElement).trim();
  return { certificates, keyName };
}
