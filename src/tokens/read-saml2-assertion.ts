import { ClaimsgateError } from '../lib/errors.js';
import { NS, attribute, childElements, firstChildElement, ownText } from '../xml/dom.js';
import type { AssertionContent, BearerConfirmation } from './assertion-content.js';
import { addClaim, freezeClaims, readInstant } from './saml-values.js';
import type { XmlElement } from '../xml/light-dom.js';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

function structureError(message: string, detail: Record<string, unknown> = {}): ClaimsgateError {
  return new ClaimsgateError('CG_TOKEN_STRUCTURE_INVALID', message, { detail });
}

function readBearerConfirmations(subject: XmlElement | undefined): BearerConfirmation[] {
  if (subject === undefined) return [];
  return childElements(subject, NS.saml2, 'SubjectConfirmation')
    .filter((confirmation) => attribute(confirmation, 'Method') === BEARER)
    .map((confirmation) => {
      const data = firstChildElement(confirmation, NS.saml2, 'SubjectConfirmationData');
      return {
        recipient: data === undefined ? undefined : attribute(data, 'Recipient'),
        notBefore: data === undefined ? undefined : readInstant(data, 'NotBefore'),
        notOnOrAfter: data === undefined ? undefined : readInstant(data, 'NotOnOrAfter'),
        inResponseTo: data === undefined ? undefined : attribute(data, 'InResponseTo'),
      };
    });
}

/**
 * Reads a SAML 2.0 assertion. The element must come from the re-parsed
 * canonical bytes of a verified signature: nothing here checks trust.
 *
 * @throws ClaimsgateError `CG_TOKEN_STRUCTURE_INVALID` for a missing Issuer or ID, or a bad instant.
 * @see SAML Core 2.0 §2.3.3 (Assertion), §2.5 (Conditions), §2.7.3 (AttributeStatement)
 */
export function readSaml2Assertion(assertion: XmlElement): AssertionContent {
  const id = attribute(assertion, 'ID');
  const issuerElement = firstChildElement(assertion, NS.saml2, 'Issuer');
  const issuer = issuerElement === undefined ? '' : ownText(issuerElement).trim();
  if (id === undefined || issuer === '')
    throw structureError('The assertion has no ID or no Issuer.', { element: 'Assertion' });
  if (attribute(assertion, 'Version') !== '2.0') {
    throw structureError('The assertion is not SAML version 2.0.', {
      observed: attribute(assertion, 'Version'),
      expected: '2.0',
    });
  }
  const subject = firstChildElement(assertion, NS.saml2, 'Subject');
  const nameId = subject === undefined ? undefined : firstChildElement(subject, NS.saml2, 'NameID');
  const conditions = childElements(assertion, NS.saml2, 'Conditions');
  if (conditions.length > 1) throw structureError('The assertion has more than one Conditions element.');
  const condition = conditions[0];

  const claims = new Map<string, string[]>();
  for (const statement of childElements(assertion, NS.saml2, 'AttributeStatement')) {
    for (const element of childElements(statement, NS.saml2, 'Attribute')) {
      const name = attribute(element, 'Name');
      if (name === undefined) continue;
      for (const value of childElements(element, NS.saml2, 'AttributeValue'))
        addClaim(claims, name, ownText(value));
    }
  }
  const authn = firstChildElement(assertion, NS.saml2, 'AuthnStatement');
  return {
    version: '2.0',
    id,
    issuer,
    issueInstant: readInstant(assertion, 'IssueInstant'),
    subject: nameId === undefined ? undefined : ownText(nameId),
    subjectFormat: nameId === undefined ? undefined : attribute(nameId, 'Format'),
    bearerConfirmations: readBearerConfirmations(subject),
    notBefore: condition === undefined ? undefined : readInstant(condition, 'NotBefore'),
    notOnOrAfter: condition === undefined ? undefined : readInstant(condition, 'NotOnOrAfter'),
    audienceGroups:
      condition === undefined
        ? []
        : childElements(condition, NS.saml2, 'AudienceRestriction').map((restriction) =>
            childElements(restriction, NS.saml2, 'Audience').map((audience) => ownText(audience).trim()),
          ),
    claims: freezeClaims(claims),
    sessionIndex: authn === undefined ? undefined : attribute(authn, 'SessionIndex'),
  };
}
