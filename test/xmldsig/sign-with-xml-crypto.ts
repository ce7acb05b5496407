/**
 * Test signer: xml-crypto's SignedXml, with the few algorithms it lacks
 * (ECDSA, RSA-SHA384, SHA-384, a do-nothing XPath transform) registered, so
 * that adversarial documents are built by a real, independent signer.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import {
  SignedXml,
  type CanonicalizationOrTransformationAlgorithm,
  type HashAlgorithm,
  type SignatureAlgorithm,
} from 'xml-crypto';

export const URI = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  excC14nWithComments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  xpath: 'http://www.w3.org/TR/1999/REC-xpath-19991116',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha384: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  hmacSha1: 'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
} as const;

/** A signature algorithm computed with node:crypto, for the URIs xml-crypto does not ship. */
function signatureAlgorithm(
  uri: string,
  hash: string,
  options: { dsaEncoding?: 'ieee-p1363' } = {},
): new () => SignatureAlgorithm {
  return class implements SignatureAlgorithm {
    getSignature(signedInfo: unknown, privateKey: unknown): string {
      return sign(hash, Buffer.from(String(signedInfo)), {
        key: privateKey as KeyObject,
        ...options,
      }).toString('base64');
    }
    verifySignature(): boolean {
      throw new Error('test signer only');
    }
    getAlgorithmName(): string {
      return uri;
    }
  };
}

class Sha384 implements HashAlgorithm {
  getHash(xml: string): string {
    return createHash('sha384').update(xml, 'utf8').digest('base64');
  }
  getAlgorithmName(): string {
    return URI.sha384;
  }
}

/** An "XPath filter" that selects everything: enough to put its URI in a signature. */
class IdentityXPathTransform implements CanonicalizationOrTransformationAlgorithm {
  process(node: Node): Node {
    return node;
  }
  getAlgorithmName(): string {
    return URI.xpath;
  }
}

export interface TestSignOptions {
  /** The signing key; for HMAC, the secret. */
  readonly key: KeyObject | string;
  /** A certificate PEM to publish in KeyInfo. */
  readonly certificatePem?: string;
  readonly signatureAlgorithm?: string;
  readonly canonicalizationAlgorithm?: string;
  readonly digestAlgorithm?: string;
  readonly transforms?: readonly string[];
  /** PrefixList for the exclusive c14n transform. */
  readonly inclusiveNamespaces?: readonly string[];
  /** PrefixList for the CanonicalizationMethod of SignedInfo. */
  readonly signedInfoInclusiveNamespaces?: readonly string[];
  /** XPath of each element to reference (one Reference per entry). */
  readonly references: readonly string[];
  /** Reference the whole document with URI="". */
  readonly emptyUri?: boolean;
  /** Where the Signature goes; by default appended to the first referenced element. */
  readonly location?: { reference: string; action: 'append' | 'prepend' | 'before' | 'after' };
  readonly objects?: Array<{ content: string }>;
  readonly hmac?: boolean;
  /** An ID attribute the signer should use besides Id/ID/id (e.g. AssertionID). */
  readonly idAttribute?: string;
}

/** Signs `xml` with xml-crypto, `ds:`-prefixed, and returns the signed document. */
export function signWithXmlCrypto(xml: string, options: TestSignOptions): string {
  const signer = new SignedXml({
    privateKey: options.key,
    ...(options.certificatePem === undefined ? {} : { publicCert: options.certificatePem }),
    signatureAlgorithm: options.signatureAlgorithm ?? URI.rsaSha256,
    canonicalizationAlgorithm: options.canonicalizationAlgorithm ?? URI.excC14n,
    ...(options.objects === undefined ? {} : { objects: options.objects }),
    ...(options.idAttribute === undefined ? {} : { idAttribute: options.idAttribute }),
    ...(options.signedInfoInclusiveNamespaces === undefined
      ? {}
      : { inclusiveNamespacesPrefixList: [...options.signedInfoInclusiveNamespaces] }),
  });
  signer.SignatureAlgorithms[URI.rsaSha384] = signatureAlgorithm(URI.rsaSha384, 'sha384');
  signer.SignatureAlgorithms[URI.ecdsaSha256] = signatureAlgorithm(URI.ecdsaSha256, 'sha256', {
    dsaEncoding: 'ieee-p1363',
  });
  signer.HashAlgorithms[URI.sha384] = Sha384;
  signer.CanonicalizationAlgorithms[URI.xpath] = IdentityXPathTransform;
  if (options.hmac === true) signer.enableHMAC();
  for (const xpath of options.references) {
    signer.addReference({
      xpath,
      transforms: [...(options.transforms ?? [URI.enveloped, URI.excC14n])],
      digestAlgorithm: options.digestAlgorithm ?? URI.sha256,
      inclusiveNamespacesPrefixList: [...(options.inclusiveNamespaces ?? [])],
      isEmptyUri: options.emptyUri ?? false,
    });
  }
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: options.location ?? { reference: options.references[0]!, action: 'append' },
  });
  return signer.getSignedXml();
}
