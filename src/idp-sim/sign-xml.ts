import { SignedXml } from 'xml-crypto';
import type { SimSigningKey } from './key-ring.js';
import type { XmlMarkup } from './xml-markup.js';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/** Where the enveloped signature goes inside the signed (root) element. */
export type SignaturePlacement =
  /** First child: metadata (SAML Metadata §3.1.1 puts ds:Signature first). */
  | 'first'
  /** Right after the Issuer child: a SAML 2.0 Assertion or Response (SAML Core §2.3.3). */
  | 'after-issuer'
  /** Last child: a SAML 1.1 Assertion (SAML 1.1 Core §2.3.2). */
  | 'last';

const LOCATIONS: Record<SignaturePlacement, { reference: string; action: 'prepend' | 'after' | 'append' }> = {
  first: { reference: '/*', action: 'prepend' },
  'after-issuer': { reference: "/*/*[local-name(.)='Issuer']", action: 'after' },
  last: { reference: '/*', action: 'append' },
};

/**
 * Signs the root element of `xml` with an enveloped XML signature, as Azure
 * AD signs its metadata and tokens: exclusive c14n, RSA-SHA256, SHA-256
 * digest, a Reference to the root's ID, and the signing certificate in
 * KeyInfo. xml-crypto computes and places the signature.
 *
 * @param idAttribute the root's ID attribute: `ID` (SAML 2.0, metadata) or `AssertionID` (SAML 1.1).
 * @see XML Signature 1.1 §6.6.4 (enveloped signature); SAML Core 2.0 §5.4
 */
export function signEnveloped(
  xml: XmlMarkup,
  key: SimSigningKey,
  placement: SignaturePlacement,
  idAttribute: 'ID' | 'AssertionID' = 'ID',
): XmlMarkup {
  const signer = new SignedXml({
    privateKey: key.privateKey.export({ format: 'pem', type: 'pkcs8' }),
    publicCert: key.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
    idAttribute,
  });
  signer.addReference({
    xpath: '/*',
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  signer.computeSignature(xml, { prefix: 'ds', location: LOCATIONS[placement] });
  return signer.getSignedXml() as XmlMarkup;
}
