import type { SignedAssertion } from './saml-assertions.js';
import { newXmlId, samlInstant } from './saml-assertions.js';
import { xmlElement, xmlText, type XmlMarkup } from './xml-markup.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** What the Response around a signed assertion says. */
export interface SamlResponseInput {
  readonly assertion: SignedAssertion;
  readonly issuer: string;
  readonly issuedAt: Date;
  /** The assertion consumer URL the Response is posted to. */
  readonly destination: string;
  /** The ID of the AuthnRequest it answers. */
  readonly inResponseTo: string;
}

/**
 * A samlp:Response with status Success around a signed assertion, as Azure
 * AD sends by default (the assertion signed, the Response not).
 *
 * @see SAML Core 2.0 §3.2.2 (StatusResponseType); SAML Profiles 2.0 §4.1.4.2
 */
export function buildSamlResponse(input: SamlResponseInput): XmlMarkup {
  return xmlElement(
    'samlp:Response',
    {
      'xmlns:samlp': SAMLP,
      ID: newXmlId(),
      Version: '2.0',
      IssueInstant: samlInstant(input.issuedAt),
      Destination: input.destination,
      InResponseTo: input.inResponseTo,
    },
    xmlElement('Issuer', { xmlns: SAML }, xmlText(input.issuer)),
    xmlElement('samlp:Status', {}, xmlElement('samlp:StatusCode', { Value: SUCCESS })),
    input.assertion.xml,
  );
}
