import { parseCertificateBase64, type CertificateInfo } from '../crypto/certificate.js';
import { ClaimsgateError } from '../lib/errors.js';
import { NS, attribute, attributeNS, childElements, ownText, resolveQName } from '../xml/dom.js';
import type { IssuerMetadata, KeySection, MetadataEndpoint, PublishedKey, SkippedKey } from './model.js';
import { selectMetadataEntity } from './select-metadata-entity.js';
import type { XmlElement } from '../xml/light-dom.js';

/**
 * Most certificates read from one entity's KeyDescriptors. Azure AD lists
 * three keys in each of three roles, AD FS two to four; each certificate is
 * parsed, which costs more than reading a kilobyte of XML, so a document
 * cannot make the parse cost more than about a hundred of them.
 */
export const MAX_METADATA_CERTIFICATES = 100;

/** Options of {@link parseXmlMetadata}. */
export interface ParseXmlMetadataOptions {
  /** The entity to read from an EntitiesDescriptor, or the entityID a single EntityDescriptor must have. */
  readonly entityId?: string;
}

/**
 * What a role descriptor is for the issuer: `issuer` roles sign what the
 * issuer issues (tokens, assertions, attribute responses); the `sp` role signs
 * only the entity's own requests to other parties.
 */
interface Role {
  readonly element: XmlElement;
  readonly section: KeySection;
  readonly kind: 'issuer' | 'sp';
}

function classifyRole(element: XmlElement): Role | undefined {
  switch (element.localName) {
    case 'IDPSSODescriptor':
    case 'AttributeAuthorityDescriptor':
      return { element, section: element.localName, kind: 'issuer' };
    case 'SPSSODescriptor':
      return { element, section: 'SPSSODescriptor', kind: 'sp' };
    case 'RoleDescriptor': {
      const type = attributeNS(element, NS.xsi, 'type');
      if (type === undefined) return undefined;
      // SECURITY: xsi:type is a QName; its prefix means nothing until resolved
      // against the namespaces in scope, so `x:SecurityTokenServiceType` with
      // x bound to another namespace is not an STS role.
      const { namespace, localName } = resolveQName(element, type.trim());
      if (namespace !== NS.fed) return undefined;
      if (localName === 'SecurityTokenServiceType') {
        return { element, section: 'fed:SecurityTokenServiceType', kind: 'issuer' };
      }
      if (localName === 'ApplicationServiceType') {
        return { element, section: 'fed:ApplicationServiceType', kind: 'issuer' };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Collects certificates by SHA-256, remembering every section each appears in. */
class KeyCollector {
  readonly #keys = new Map<string, { certificate: CertificateInfo; sections: KeySection[] }>();

  add(certificate: CertificateInfo, section: KeySection): void {
    const entry = this.#keys.get(certificate.sha256);
    if (entry === undefined) this.#keys.set(certificate.sha256, { certificate, sections: [section] });
    else if (!entry.sections.includes(section)) entry.sections.push(section);
  }

  toKeys(): PublishedKey[] {
    return [...this.#keys.values()].map(({ certificate, sections }) => ({
      sha1: certificate.sha1,
      sha256: certificate.sha256,
      kid: undefined,
      certificate,
      jwk: undefined,
      sections,
      issuer: undefined,
    }));
  }
}

/**
 * The certificates of one KeyDescriptor: `KeyInfo/X509Data/X509Certificate`,
 * children only, so that nothing nested elsewhere is mistaken for a key.
 */
function readKeyDescriptor(
  descriptor: XmlElement,
  role: Role,
  position: number,
  entityId: string,
  budget: { remaining: number },
) {
  const certificates: CertificateInfo[] = [];
  for (const keyInfo of childElements(descriptor, NS.ds, 'KeyInfo')) {
    for (const x509Data of childElements(keyInfo, NS.ds, 'X509Data')) {
      for (const element of childElements(x509Data, NS.ds, 'X509Certificate')) {
        // SECURITY: counted before it is parsed, so the cost stays bounded.
        budget.remaining -= 1;
        if (budget.remaining < 0) {
          throw new ClaimsgateError(
            'CG_META_TOO_MANY_KEYS',
            `The metadata of "${entityId}" lists more than ${MAX_METADATA_CERTIFICATES} certificates.`,
            {
              detail: {
                issuer: entityId,
                section: role.section,
                observed: `> ${MAX_METADATA_CERTIFICATES}`,
                expected: `<= ${MAX_METADATA_CERTIFICATES}`,
              },
            },
          );
        }
        try {
          certificates.push(parseCertificateBase64(ownText(element)));
        } catch (cause) {
          throw new ClaimsgateError(
            'CG_META_KEY_INVALID',
            `KeyDescriptor ${position} of ${role.section} in the metadata of "${entityId}" holds an X509Certificate that is not a valid certificate.`,
            {
              cause,
              hint: `Look at KeyDescriptor ${position} of ${role.section}: a truncated or altered certificate means the document was damaged or tampered with. Keep the last good metadata.`,
              detail: {
                section: role.section,
                index: position,
                issuer: entityId,
                expected: 'a base64 X.509 certificate',
              },
            },
          );
        }
      }
    }
  }
  return certificates;
}

/** The wsa:Address of each wsa:EndpointReference of a WS-Federation endpoint element. */
function endpointAddresses(element: XmlElement): string[] {
  const addresses: string[] = [];
  for (const reference of childElements(element, NS.wsa, 'EndpointReference')) {
    for (const address of childElements(reference, NS.wsa, 'Address')) {
      const url = ownText(address).trim();
      if (url !== '') addresses.push(url);
    }
  }
  return addresses;
}

/**
 * The issuer's own endpoints: the WS-Federation endpoints of its STS role and
 * the SAML endpoints of its IdP role. The passive endpoint of an
 * ApplicationServiceType role is where the entity, acting as a relying party,
 * receives tokens, and an SPSSODescriptor's logout service is the SP side:
 * neither is where users are sent to sign in, so neither is listed.
 */
function readEndpoints(role: Role): MetadataEndpoint[] {
  const endpoints: MetadataEndpoint[] = [];
  if (role.section === 'fed:SecurityTokenServiceType') {
    for (const child of childElements(role.element, NS.fed)) {
      const kind =
        child.localName === 'PassiveRequestorEndpoint'
          ? 'wsfed-passive'
          : child.localName === 'SecurityTokenServiceEndpoint'
            ? 'wsfed-sts'
            : undefined;
      if (kind === undefined) continue;
      for (const url of endpointAddresses(child)) endpoints.push({ kind, url, section: role.section });
    }
  } else if (role.section === 'IDPSSODescriptor') {
    for (const child of childElements(role.element, NS.md)) {
      const kind =
        child.localName === 'SingleSignOnService'
          ? 'saml-sso'
          : child.localName === 'SingleLogoutService'
            ? 'saml-slo'
            : undefined;
      const url = attribute(child, 'Location')?.trim();
      if (kind === undefined || url === undefined || url === '') continue;
      const binding = attribute(child, 'Binding')?.trim();
      endpoints.push(
        binding === undefined
          ? { kind, url, section: role.section }
          : { kind, url, binding, section: role.section },
      );
    }
  }
  return endpoints;
}

/**
 * Reads SAML 2.0 or WS-Federation 2007-06 metadata into the issuer model.
 *
 * Signing keys are the union, deduplicated by SHA-256 of the certificate, of
 * the KeyDescriptors with `use="signing"` or no `use` in the roles that
 * issue: `fed:SecurityTokenServiceType`, `fed:ApplicationServiceType`,
 * `IDPSSODescriptor` and `AttributeAuthorityDescriptor`. Azure AD publishes
 * its keys in all three of the first; Microsoft's own WS-Fed reader only
 * looks at the first, which is why the union is taken. Keys with
 * `use="encryption"` are reported in `encryptionKeys`, never as signing keys.
 *
 * An SPSSODescriptor's signing keys are not issuer signing keys: they sign
 * the entity's authentication and logout requests when it acts as a service
 * provider. AD FS happens to use its token-signing certificate there too, but
 * an entity may use a separate key for that role, and trusting it for
 * assertions would let a key the issuer never meant for tokens sign them.
 * Its encryption keys are reported like the others.
 *
 * A KeyDescriptor may carry several certificates (a chain in one X509Data);
 * each is taken. The document's own `ds:Signature` certificate is not a
 * published key and is not read here.
 *
 * At most {@link MAX_METADATA_CERTIFICATES} certificates are read (each is
 * parsed); a document listing more is refused.
 *
 * @throws ClaimsgateError `CG_META_FORMAT_UNKNOWN`, `CG_META_ENTITY_NOT_FOUND`,
 *   `CG_META_ENTITY_AMBIGUOUS`, `CG_META_XML_INVALID` (see selectMetadataEntity);
 *   `CG_META_KEY_INVALID` when a KeyDescriptor's certificate does not decode;
 *   `CG_META_TOO_MANY_KEYS` past {@link MAX_METADATA_CERTIFICATES}.
 * @see SAML V2.0 Metadata §2.4.1.1 (KeyDescriptor), WS-Federation 1.2 §3.1 (federation metadata)
 */
export function parseXmlMetadata(root: XmlElement, options: ParseXmlMetadataOptions = {}): IssuerMetadata {
  if (options.entityId !== undefined && typeof options.entityId !== 'string') {
    throw new TypeError('options.entityId must be a string.');
  }
  const selected = selectMetadataEntity(root, options.entityId);
  const signing = new KeyCollector();
  const encryption = new KeyCollector();
  const skippedKeys: SkippedKey[] = [];
  const endpoints = new Map<string, MetadataEndpoint>();
  const budget = { remaining: MAX_METADATA_CERTIFICATES };
  let wsfed = false;

  for (const child of childElements(selected.entity, NS.md)) {
    const role = classifyRole(child);
    if (role === undefined) continue;
    if (role.section.startsWith('fed:')) wsfed = true;
    childElements(role.element, NS.md, 'KeyDescriptor').forEach((descriptor, index) => {
      const position = index + 1;
      const use = attribute(descriptor, 'use')?.trim();
      const skip = (reason: SkippedKey['reason']): void => {
        skippedKeys.push({ section: role.section, position, kid: undefined, reason });
      };
      // SAML Metadata §2.4.1.1: use is "signing" or "encryption"; absent means both.
      if (use !== undefined && use !== 'signing' && use !== 'encryption') {
        skip('unsupported-use');
        return;
      }
      const certificates = readKeyDescriptor(descriptor, role, position, selected.entityId, budget);
      if (certificates.length === 0) {
        skip('no-certificate');
        return;
      }
      for (const certificate of certificates) {
        if (use === 'encryption') encryption.add(certificate, role.section);
        else if (role.kind === 'issuer') signing.add(certificate, role.section);
      }
    });
    for (const endpoint of readEndpoints(role)) {
      const key = `${endpoint.kind} ${endpoint.binding ?? ''} ${endpoint.url}`;
      if (!endpoints.has(key)) endpoints.set(key, endpoint);
    }
  }

  return {
    format: wsfed ? 'wsfed-metadata' : 'saml-metadata',
    issuer: selected.entityId,
    endpoints: [...endpoints.values()],
    signingKeys: signing.toKeys(),
    encryptionKeys: encryption.toKeys(),
    validUntil: selected.validUntil,
    cacheDuration: selected.cacheDuration,
    entityIds: selected.entityIds,
    skippedKeys,
  };
}
