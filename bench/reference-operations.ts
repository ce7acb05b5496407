import { X509Certificate, createHash, verify, type KeyObject } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import type { BenchSigner, BenchToken } from './make-token.js';

const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** Operations that put a contender's number in context; each checked to succeed before it is timed. */
export interface ReferenceOperations {
  /** The floor: node's RSA-SHA256 verify of the token's canonical SignedInfo with a parsed key. */
  readonly rsaVerify: () => boolean;
  /** All the XML-signature cryptography of the token: the RSA verify plus the SHA-256 digest of the canonical assertion. */
  readonly signatureCrypto: () => boolean;
  /** One xmldom parse of the wresult. */
  readonly xmldomParse: () => unknown;
  /** xml-crypto's `checkSignature` alone (its own re-parse, XPath, c14n, digest, RSA), on an already parsed signature. */
  readonly xmlCryptoCheckSignature: () => boolean;
  /** Sizes of what the cryptography covers, for the report. */
  readonly signedInfoBytes: number;
  readonly canonicalAssertionBytes: number;
}

function parse(xml: string): Document {
  return new DOMParser({
    errorHandler: {
      error: (message: string) => {
        throw new Error(message);
      },
      fatalError: (message: string) => {
        throw new Error(message);
      },
    },
  }).parseFromString(xml, 'text/xml');
}

function onlyElement(list: HTMLCollectionOf<Element>, name: string): Element {
  const element = list[0];
  if (list.length !== 1 || element === undefined) throw new Error(`expected exactly one ${name}`);
  return element;
}

function childText(parent: Element, localName: string): string {
  return onlyElement(parent.getElementsByTagNameNS(DS_NS, localName), localName).textContent ?? '';
}

/**
 * Prepares the reference operations for `token` and checks each one once:
 * the floor's bytes are the token's real canonical SignedInfo and
 * SignatureValue, and the digest input is the token's real canonical
 * assertion (its DigestValue must match).
 *
 * @throws Error when any of them does not succeed on the token.
 */
export function createReferenceOperations(token: BenchToken, signer: BenchSigner): ReferenceOperations {
  const document = parse(token.assertion);
  const assertion = document.documentElement;
  const signature = onlyElement(assertion.getElementsByTagNameNS(DS_NS, 'Signature'), 'Signature');
  const signedInfo = onlyElement(signature.getElementsByTagNameNS(DS_NS, 'SignedInfo'), 'SignedInfo');
  const c14n = new ExclusiveCanonicalization();
  const canonicalSignedInfo = Buffer.from(c14n.process(signedInfo, {}), 'utf8');
  const signatureValue = Buffer.from(childText(signature, 'SignatureValue').replace(/\s+/g, ''), 'base64');
  const digestValue = childText(signature, 'DigestValue').trim();
  const publicKey: KeyObject = new X509Certificate(signer.der).publicKey;

  // The enveloped-signature transform, then exc-c14n: the digest input.
  const unsigned = parse(token.assertion).documentElement;
  const unsignedSignature = onlyElement(unsigned.getElementsByTagNameNS(DS_NS, 'Signature'), 'Signature');
  unsigned.removeChild(unsignedSignature);
  const canonicalAssertion = Buffer.from(c14n.process(unsigned, {}), 'utf8');

  const rsaVerify = (): boolean => verify('RSA-SHA256', canonicalSignedInfo, publicKey, signatureValue);
  const signatureCrypto = (): boolean =>
    createHash('sha256').update(canonicalAssertion).digest('base64') === digestValue && rsaVerify();

  const wresultSignature = onlyElement(
    parse(token.wresult).getElementsByTagNameNS(DS_NS, 'Signature'),
    'Signature',
  );
  const xmlCryptoCheckSignature = (): boolean => {
    const signed = new SignedXml({ publicCert: signer.pem });
    signed.loadSignature(wresultSignature);
    return signed.checkSignature(token.wresult);
  };
  const xmldomParse = (): unknown => parse(token.wresult);

  if (!rsaVerify()) throw new Error('the floor: RSA-SHA256 verify of the canonical SignedInfo failed');
  if (!signatureCrypto()) throw new Error('the canonical assertion does not match its DigestValue');
  if (!xmlCryptoCheckSignature()) throw new Error("xml-crypto's checkSignature rejected the token");
  return {
    rsaVerify,
    signatureCrypto,
    xmldomParse,
    xmlCryptoCheckSignature,
    signedInfoBytes: canonicalSignedInfo.length,
    canonicalAssertionBytes: canonicalAssertion.length,
  };
}
