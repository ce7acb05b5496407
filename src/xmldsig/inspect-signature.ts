/**
 * Locates and reads the enveloped XML signature of one element, checking its
 * shape, its algorithms and its reference before any cryptography runs.
 */
import { childElements, descendantElements, NS } from '../xml/dom.js';
import {
  allowedDigestAlgorithms,
  allowedSignatureAlgorithms,
  DIGEST_ALGORITHMS,
  EXC_C14N,
  SIGNATURE_ALGORITHMS,
} from './algorithms.js';
import {
  algorithmOf,
  decodeBase64Strict,
  matchChildren,
  nameOf,
  signatureError,
  textOnly,
} from './ds-structure.js';
import { DEFAULT_MAX_CANONICAL_LENGTH } from './canonical-limits.js';
import { checkReferenceTarget } from './reference-target.js';
import {
  forbidden,
  INCLUSIVE_NAMESPACES_SLOT,
  prefixList,
  readKeyInfo,
  readTransforms,
  type KeyInfoCertificate,
} from './signature-parts.js';
import type { XmlElement } from '../xml/light-dom.js';

export type { KeyInfoCertificate } from './signature-parts.js';

/** What an enveloped signature says, read strictly; nothing here is verified yet. */
export interface SignatureInspection {
  /** The `ds:Signature` element, a direct child of the signed element. */
  readonly signature: XmlElement;
  readonly signedInfo: XmlElement;
  /** The ID the single Reference points at (`URI="#id"`), equal to the signed element's ID. */
  readonly referenceId: string;
  readonly canonicalizationAlgorithm: string;
  /** PrefixList of the `ec:InclusiveNamespaces` in CanonicalizationMethod (applies to SignedInfo). */
  readonly signedInfoInclusiveNamespacePrefixes: readonly string[];
  readonly signatureAlgorithm: string;
  readonly digestAlgorithm: string;
  /** The Reference's transform URIs, in order: always enveloped-signature then exclusive c14n. */
  readonly transforms: readonly string[];
  /** PrefixList of the `ec:InclusiveNamespaces` in the exclusive c14n Transform (applies to the signed element). */
  readonly inclusiveNamespacePrefixes: readonly string[];
  readonly digestValue: Buffer;
  readonly signatureValue: Buffer;
  /**
   * Certificates found in KeyInfo/X509Data, in document order. UNTRUSTED:
   * use them only to look a trusted key up by thumbprint (then compare the
   * full DER), never to verify.
   */
  readonly keyInfoCertificates: readonly KeyInfoCertificate[];
  /** The first KeyInfo/KeyName text, trimmed. Untrusted, like the certificates. */
  readonly keyInfoKeyName?: string;
  /** True when the signature or the digest algorithm is SHA-1 based. */
  readonly usesSha1: boolean;
  /** The longest canonical form verification will produce (see {@link InspectSignatureOptions}). */
  readonly maxCanonicalLength: number;
}

export interface InspectSignatureOptions {
  /** Attribute names that carry an element's ID. Default `ID`, `AssertionID`, `Id`, `id`. */
  readonly idAttributes?: readonly string[];
  /** Accept rsa-sha1 signatures and sha1 digests (an explicit per-issuer opt-in). Default false. */
  readonly allowSha1?: boolean;
  /**
   * The longest canonical form (of SignedInfo, and of the signed element)
   * that verification will produce, in UTF-16 code units; longer is refused
   * with `CG_SIG_CANONICAL_TOO_LARGE` while it is being written. Canonical
   * XML of real content is about as long as the document; a namespace
   * declared once with a long URI and used by many siblings is written on
   * each. Default 20 Mi (four times the largest metadata document).
   */
  readonly maxCanonicalLength?: number;
}

/** The ID attributes of SAML 2.0 (`ID`), SAML 1.1 (`AssertionID`) and XML-DSig/WS-Security (`Id`, `id`). */
export const DEFAULT_ID_ATTRIBUTES: readonly string[] = Object.freeze(['ID', 'AssertionID', 'Id', 'id']);

function checkOptions(options: InspectSignatureOptions): {
  idAttributes: readonly string[];
  allowSha1: boolean;
  maxCanonicalLength: number;
} {
  const {
    idAttributes = DEFAULT_ID_ATTRIBUTES,
    allowSha1 = false,
    maxCanonicalLength = DEFAULT_MAX_CANONICAL_LENGTH,
  } = options;
  if (
    !Array.isArray(idAttributes) ||
    idAttributes.length === 0 ||
    !idAttributes.every((name) => typeof name === 'string' && /^[A-Za-z_][\w.-]*$/.test(name))
  ) {
    throw new TypeError('options.idAttributes must be a non-empty array of attribute names.');
  }
  if (typeof allowSha1 !== 'boolean') throw new TypeError('options.allowSha1 must be a boolean.');
  if (!Number.isSafeInteger(maxCanonicalLength) || maxCanonicalLength <= 0) {
    throw new TypeError('options.maxCanonicalLength must be a positive integer.');
  }
  return { idAttributes, allowSha1, maxCanonicalLength };
}

/**
 * Reads the enveloped signature of `signedElement` and checks, before any
 * cryptography:
 * - exactly one `ds:Signature` among its direct children (none → `undefined`);
 * - the signature is SignedInfo, SignatureValue, optional KeyInfo — no
 *   Object, no Manifest, nothing twice; SignedInfo is CanonicalizationMethod,
 *   SignatureMethod and exactly one Reference;
 * - the algorithms are on the allow-list (SHA-1 only with `allowSha1`), the
 *   transforms exactly enveloped-signature then exclusive c14n;
 * - DigestValue and SignatureValue are text only (no comment) and strict base64;
 * - the Reference URI is `#` + the signed element's own ID, and that ID is
 *   unique in the document.
 *
 * Signatures nested deeper than a direct child are not this element's
 * signature: see {@link findDescendantSignatures}.
 *
 * @throws ClaimsgateError `CG_SIG_STRUCTURE_INVALID`, `CG_SIG_ALGORITHM_FORBIDDEN`,
 *   `CG_SIG_REFERENCE_INVALID` (each with a `detail.reason`).
 * @throws TypeError on a bad option.
 * @see XML Signature Syntax and Processing 1.1 §4 (core syntax); SAML Core §5.4 (SAML profile of XML-DSig).
 */
export function inspectEnvelopedSignature(
  signedElement: XmlElement,
  options: InspectSignatureOptions = {},
): SignatureInspection | undefined {
  const { idAttributes, allowSha1, maxCanonicalLength } = checkOptions(options);
  if (signedElement?.nodeType !== 1) throw new TypeError('signedElement must be a DOM element.');

  const signatures = childElements(signedElement, NS.ds, 'Signature');
  if (signatures.length === 0) return undefined;
  if (signatures.length > 1) {
    // SECURITY: with two signatures a verifier may check one while a consumer
    // trusts the other (C6); the signer never emits two.
    throw signatureError(
      'CG_SIG_STRUCTURE_INVALID',
      'signature-multiple',
      `<${nameOf(signedElement)}> has ${signatures.length} ds:Signature children; exactly one is allowed.`,
      { element: nameOf(signedElement), observed: signatures.length, expected: 1 },
    );
  }
  const signature = signatures[0]!;

  // SECURITY: every part is located by position under this one Signature,
  // never by a search (CVE-2025-29774, CVE-2024-45409). No ds:Object means no
  // Manifest and nowhere to hide a second SignedInfo or a copy of the content.
  const [signedInfo, signatureValueElement, keyInfo] = matchChildren(signature, [
    { localName: 'SignedInfo' },
    { localName: 'SignatureValue' },
    { localName: 'KeyInfo', optional: true },
  ]) as [XmlElement, XmlElement, XmlElement | undefined];
  const [c14nMethod, signatureMethod, reference] = matchChildren(signedInfo, [
    { localName: 'CanonicalizationMethod' },
    { localName: 'SignatureMethod' },
    { localName: 'Reference' },
  ]) as [XmlElement, XmlElement, XmlElement];
  const [c14nInclusiveNamespaces] = matchChildren(c14nMethod, [INCLUSIVE_NAMESPACES_SLOT]);
  // No HMACOutputLength (CVE-2009-0217) nor anything else.
  matchChildren(signatureMethod, []);
  const [transformsElement, digestMethod, digestValueElement] = matchChildren(reference, [
    { localName: 'Transforms', optional: true },
    { localName: 'DigestMethod' },
    { localName: 'DigestValue' },
  ]) as [XmlElement | undefined, XmlElement, XmlElement];
  matchChildren(digestMethod, []);

  const canonicalizationAlgorithm = algorithmOf(c14nMethod);
  const signatureAlgorithm = algorithmOf(signatureMethod);
  const digestAlgorithm = algorithmOf(digestMethod);
  const digestValue = decodeBase64Strict(textOnly(digestValueElement), digestValueElement);
  const signatureValue = decodeBase64Strict(textOnly(signatureValueElement), signatureValueElement);

  // SECURITY: SignedInfo canonicalised with #WithComments or inclusive c14n is
  // refused: only the one canonicalisation we verify byte-exactly is accepted.
  if (canonicalizationAlgorithm !== EXC_C14N) forbidden(c14nMethod, canonicalizationAlgorithm, [EXC_C14N]);
  const signatureSpec = SIGNATURE_ALGORITHMS.get(signatureAlgorithm);
  if (signatureSpec === undefined || (signatureSpec.weak && !allowSha1)) {
    forbidden(signatureMethod, signatureAlgorithm, allowedSignatureAlgorithms(allowSha1));
  }
  const digestSpec = DIGEST_ALGORITHMS.get(digestAlgorithm);
  if (digestSpec === undefined || (digestSpec.weak && !allowSha1)) {
    forbidden(digestMethod, digestAlgorithm, allowedDigestAlgorithms(allowSha1));
  }
  const { transforms, prefixes } = readTransforms(transformsElement);

  const referenceId = checkReferenceTarget(
    signedElement,
    reference.hasAttribute('URI') ? reference.getAttribute('URI') : null,
    idAttributes,
  );

  const { certificates, keyName } = readKeyInfo(keyInfo);
  return Object.freeze({
    signature,
    signedInfo,
    referenceId,
    canonicalizationAlgorithm,
    signedInfoInclusiveNamespacePrefixes: Object.freeze(prefixList(c14nInclusiveNamespaces)),
    signatureAlgorithm,
    digestAlgorithm,
    transforms: Object.freeze(transforms),
    inclusiveNamespacePrefixes: Object.freeze(prefixes),
    digestValue,
    signatureValue,
    keyInfoCertificates: Object.freeze(certificates),
    ...(keyName === undefined ? {} : { keyInfoKeyName: keyName }),
    usesSha1: signatureSpec.weak || digestSpec.weak,
    maxCanonicalLength,
  });
}

/**
 * Every `ds:Signature` below `element` except its own direct-child
 * signatures, in document order — including ones inside another signature.
 * A signature in an AttributeValue, an Advice or a ds:Object is not the
 * element's signature; callers use this to refuse (or knowingly allow) them.
 */
export function findDescendantSignatures(element: XmlElement): XmlElement[] {
  return descendantElements(element, NS.ds, 'Signature').filter(
    (signature) => signature.parentNode !== element,
  );
}
