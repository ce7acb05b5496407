/**
 * A WS-Federation metadata document shaped like Azure AD's: the signing keys
 * in the three sections (fed:SecurityTokenServiceType,
 * fed:ApplicationServiceType, IDPSSODescriptor), optionally signed with an
 * enveloped signature by one of them, as Azure AD signs its own metadata.
 */
import type { KeyObject } from 'node:crypto';
import { ALGORITHM, signXml } from './adversarial-xml.js';
import { entityDescriptor, keyDescriptor, stsRole, wsfedEndpoint } from './metadata-xml.js';

/** Who signs the document: a private key and the certificate published in its KeyInfo. */
export interface MetadataSigner {
  readonly privateKey: KeyObject;
  readonly certificatePem: string;
}

export interface FederationMetadataOptions {
  readonly entityId: string;
  /** Signing certificates, base64 as in `<X509Certificate>`, published in all three sections. */
  readonly signingCertificates: readonly string[];
  /** Encryption certificates, published with `use="encryption"` in the STS section. */
  readonly encryptionCertificates?: readonly string[];
  /** Signs the document (enveloped, RSA-SHA256, exc-c14n) when given. */
  readonly signer?: MetadataSigner;
  /** `validUntil` of the EntityDescriptor, as written. */
  readonly validUntil?: string;
  readonly passiveEndpoint?: string;
}

/** Builds the metadata document text. */
export function buildFederationMetadata(options: FederationMetadataOptions): string {
  const endpoint = options.passiveEndpoint ?? 'https://idp.test/wsfed';
  const signing = options.signingCertificates
    .map((certificate) => keyDescriptor(certificate, 'signing'))
    .join('');
  const encryption = (options.encryptionCertificates ?? [])
    .map((certificate) => keyDescriptor(certificate, 'encryption'))
    .join('');
  const body =
    stsRole(`${signing}${encryption}${wsfedEndpoint(endpoint)}`) +
    stsRole(`${signing}${wsfedEndpoint(endpoint)}`, { localName: 'ApplicationServiceType' }) +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${signing}` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${endpoint}"/>` +
    `</md:IDPSSODescriptor>`;
  const attributes: Record<string, string> = { ID: '_metadata-1' };
  if (options.validUntil !== undefined) attributes.validUntil = options.validUntil;
  const xml = entityDescriptor(options.entityId, body, attributes);
  if (options.signer === undefined) return xml;
  return signXml(xml, {
    key: options.signer.privateKey,
    certificatePem: options.signer.certificatePem,
    references: ['/*'],
    location: { reference: '/*', action: 'prepend' },
    signatureAlgorithm: ALGORITHM.rsaSha256,
    digestAlgorithm: ALGORITHM.sha256,
  });
}
