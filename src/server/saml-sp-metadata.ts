import { SAML, escapeXml } from './saml-xml.js';

/** The media type of SAML metadata. */
export const SAML_METADATA_CONTENT_TYPE = 'application/samlmetadata+xml';

/** What the gateway's SAML service provider metadata describes. */
export interface SpMetadataInput {
  /** The service provider's entity ID: the realm URI. */
  readonly entityId: string;
  /** The assertion consumer service URL (HTTP-POST). */
  readonly assertionConsumerServiceUrl: string;
  /**
   * Whether every SAML 2.0 issuer must sign its assertions themselves
   * (`requireSignedAssertion`): only then does the metadata say
   * `WantAssertionsSigned="true"` — it tells the truth about what is accepted.
   */
  readonly wantAssertionsSigned: boolean;
}

/**
 * Renders the gateway's SAML 2.0 service provider metadata: one
 * EntityDescriptor whose SPSSODescriptor says the gateway does not sign its
 * AuthnRequests, whether it wants signed assertions (true exactly when
 * every SAML 2.0 issuer must sign them), accepts any NameID format, and
 * takes Responses by HTTP-POST at one (default) assertion consumer service.
 * No KeyDescriptor: the gateway neither signs requests nor decrypts
 * assertions. Every value is escaped.
 *
 * @see SAML Metadata 2.0 §2.4.4 (SPSSODescriptor), §2.2.3 (IndexedEndpointType)
 */
export function renderSpMetadata(input: SpMetadataInput): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="${SAML.metadata}" entityID="${escapeXml(input.entityId)}">`,
    `  <md:SPSSODescriptor protocolSupportEnumeration="${SAML.protocol}" AuthnRequestsSigned="false" WantAssertionsSigned="${input.wantAssertionsSigned ? 'true' : 'false'}">`,
    `    <md:NameIDFormat>${SAML.nameIdUnspecified}</md:NameIDFormat>`,
    `    <md:AssertionConsumerService Binding="${SAML.httpPost}" Location="${escapeXml(input.assertionConsumerServiceUrl)}" index="0" isDefault="true"/>`,
    '  </md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}
