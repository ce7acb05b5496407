import { ClaimsgateError } from '../lib/errors.js';
import { NS, attribute, childElements, firstChildElement, ownText } from '../xml/dom.js';
import type { AssertionContent, BearerConfirmation } from './assertion-content.js';
import { addClaim, freezeClaims, readInstant } from './saml-values.js';
import type { XmlElement } from '../xml/light-dom.js';

const BEARER = 'urn:oasis:names:tc:SAML:1.0:cm:bearer';
const SUBJECT_STATEMENTS = [
  'AttributeStatement',
  'AuthenticationStatement',
  'AuthorizationDecisionStatement',
];

/**
 * Reads a SAML 1.1 assertion (as AD FS and WS-Trust STSes send in WS-Fed).
 * Claim types are `AttributeNamespace/AttributeName`, as WIF names them.
 * The element must come from the re-parsed canonical bytes of a verified signature.
 *
 * @throws ClaimsgateError `CG_TOKEN_STRUCTURE_INVALID` for a missing AssertionID or Issuer, or a bad instant.
 * @see SAML 1.1 Core §2.3.2 (Assertion), §2.4.3 (AttributeStatement)
 */
export function readSaml11Assertion(assertion: XmlElement): AssertionContent {
  const id = attribute(assertion, 'AssertionID');
  const issuer = attribute(assertion, 'Issuer')?.trim() ?? '';
  if (id === undefined || issuer === '') {
    throw new ClaimsgateError(
      'CG_TOKEN_STRUCTURE_INVALID',
      'The SAML 1.1 assertion has no AssertionID or no Issuer.',
      {
        detail: { element: 'Assertion' },
      },
    );
  }
  if (attribute(assertion, 'MajorVersion') !== '1' || attribute(assertion, 'MinorVersion') !== '1') {
    throw new ClaimsgateError('CG_TOKEN_STRUCTURE_INVALID', 'The assertion is not SAML version 1.1.', {
      detail: {
        observed: `${attribute(assertion, 'MajorVersion')}.${attribute(assertion, 'MinorVersion')}`,
        expected: '1.1',
      },
    });
  }
  const condition = firstChildElement(assertion, NS.saml1, 'Conditions');
  let subject: string | undefined;
  let subjectFormat: string | undefined;
  const bearerConfirmations: BearerConfirmation[] = [];
  for (const statementName of SUBJECT_STATEMENTS) {
    for (const statement of childElements(assertion, NS.saml1, statementName)) {
      const subjectElement = firstChildElement(statement, NS.saml1, 'Subject');
      if (subjectElement === undefined) continue;
      const nameIdentifier = firstChildElement(subjectElement, NS.saml1, 'NameIdentifier');
      if (subject === undefined && nameIdentifier !== undefined) {
        subject = ownText(nameIdentifier);
        subjectFormat = attribute(nameIdentifier, 'Format');
      }
      const confirmation = firstChildElement(subjectElement, NS.saml1, 'SubjectConfirmation');
      const methods =
        confirmation === undefined ? [] : childElements(confirmation, NS.saml1, 'ConfirmationMethod');
      if (methods.some((method) => ownText(method).trim() === BEARER)) {
        bearerConfirmations.push({
          recipient: undefined,
          notBefore: undefined,
          notOnOrAfter: undefined,
          inResponseTo: undefined,
        });
      }
    }
  }
  const claims = new Map<string, string[]>();
  for (const statement of childElements(assertion, NS.saml1, 'AttributeStatement')) {
    for (const element of childElements(statement, NS.saml1, 'Attribute')) {
      const name = attribute(element, 'AttributeName');
      if (name === undefined) continue;
      const namespace = attribute(element, 'AttributeNamespace');
      const type =
        namespace === undefined || namespace === '' ? name : `${namespace.replace(/\/$/, '')}/${name}`;
      for (const value of childElements(element, NS.saml1, 'AttributeValue'))
        addClaim(claims, type, ownText(value));
    }
  }
  return {
    version: '1.1',
    id,
    issuer,
    issueInstant: readInstant(assertion, 'IssueInstant'),
    subject,
    subjectFormat,
    bearerConfirmations,
    notBefore: condition === undefined ? undefined : readInstant(condition, 'NotBefore'),
    notOnOrAfter: condition === undefined ? undefined : readInstant(condition, 'NotOnOrAfter'),
    audienceGroups:
      condition === undefined
        ? []
        : childElements(condition, NS.saml1, 'AudienceRestrictionCondition').map((restriction) =>
            childElements(restriction, NS.saml1, 'Audience').map((audience) => ownText(audience).trim()),
          ),
    claims: freezeClaims(claims),
    sessionIndex: undefined,
  };
}
