import { randomUUID } from 'node:crypto';
import type { SimSigningKey } from './key-ring.js';
import { signEnveloped } from './sign-xml.js';
import type { TestUser } from './test-users.js';
import { pairwiseSubject, samlClaims } from './user-claims.js';
import { xmlElement, xmlText, type XmlMarkup } from './xml-markup.js';

const SAML2 = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAML1 = 'urn:oasis:names:tc:SAML:1.0:assertion';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const BEARER2 = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const BEARER1 = 'urn:oasis:names:tc:SAML:1.0:cm:bearer';
const PASSWORD_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password';
const PASSWORD_METHOD = 'urn:oasis:names:tc:SAML:1.0:am:password';

/** A SAML 2.0 bearer confirmation for the Web Browser SSO profile. */
export interface BearerConfirmationData {
  /** The assertion consumer URL. */
  readonly recipient: string;
  readonly inResponseTo: string;
  readonly notOnOrAfter: Date;
}

/** What an assertion says, and who signs it. */
export interface AssertionInput {
  /** Signs the assertion: the tenant's current key. */
  readonly key: SimSigningKey;
  /** The tenant's entityID. */
  readonly issuer: string;
  readonly tenant: string;
  readonly user: TestUser;
  /** The relying party: wtrealm, or the AuthnRequest's Issuer. */
  readonly audience: string;
  readonly issuedAt: Date;
  readonly lifetimeMs: number;
  /** SAML 2.0 only: SubjectConfirmationData (SSO); WS-Federation sends none, as Azure AD does. */
  readonly confirmation?: BearerConfirmationData;
}

/** A signed assertion and the facts a wrapper repeats. */
export interface SignedAssertion {
  readonly xml: XmlMarkup;
  readonly id: string;
  readonly notBefore: Date;
  readonly notOnOrAfter: Date;
}

/** An ID that is an xs:ID (NCName): `_` and a UUID. */
export function newXmlId(): string {
  return `_${randomUUID()}`;
}

/** ISO 8601 UTC without milliseconds, as Azure AD writes SAML instants. */
export function samlInstant(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * A SAML 2.0 assertion as Azure AD issues it — default namespace, Issuer,
 * persistent pairwise NameID with a bearer confirmation, Conditions with the
 * audience, Azure AD's claims and an AuthnStatement — signed by `input.key`.
 *
 * @see SAML Core 2.0 §2.3.3; SAML Profiles 2.0 §4.1.4.2
 */
export function buildSaml2Assertion(input: AssertionInput): SignedAssertion {
  const id = newXmlId();
  const notBefore = input.issuedAt;
  const notOnOrAfter = new Date(input.issuedAt.getTime() + input.lifetimeMs);
  const confirmation = input.confirmation;
  const assertion = xmlElement(
    'Assertion',
    { xmlns: SAML2, ID: id, IssueInstant: samlInstant(input.issuedAt), Version: '2.0' },
    xmlElement('Issuer', {}, xmlText(input.issuer)),
    xmlElement(
      'Subject',
      {},
      xmlElement(
        'NameID',
        { Format: PERSISTENT },
        xmlText(pairwiseSubject(input.tenant, input.user, input.audience)),
      ),
      xmlElement(
        'SubjectConfirmation',
        { Method: BEARER2 },
        confirmation === undefined
          ? []
          : [
              xmlElement('SubjectConfirmationData', {
                InResponseTo: confirmation.inResponseTo,
                NotOnOrAfter: samlInstant(confirmation.notOnOrAfter),
                Recipient: confirmation.recipient,
              }),
            ],
      ),
    ),
    xmlElement(
      'Conditions',
      { NotBefore: samlInstant(notBefore), NotOnOrAfter: samlInstant(notOnOrAfter) },
      xmlElement('AudienceRestriction', {}, xmlElement('Audience', {}, xmlText(input.audience))),
    ),
    xmlElement(
      'AttributeStatement',
      {},
      samlClaims(input.user, input.tenant, input.issuer).map((claim) =>
        xmlElement(
          'Attribute',
          { Name: claim.type },
          claim.values.map((value) => xmlElement('AttributeValue', {}, xmlText(value))),
        ),
      ),
    ),
    xmlElement(
      'AuthnStatement',
      { AuthnInstant: samlInstant(input.issuedAt), SessionIndex: id },
      xmlElement('AuthnContext', {}, xmlElement('AuthnContextClassRef', {}, xmlText(PASSWORD_CLASS))),
    ),
  );
  return { xml: signEnveloped(assertion, input.key, 'after-issuer'), id, notBefore, notOnOrAfter };
}

/** `http://schemas…/claims/upn` → namespace `http://schemas…/claims`, name `upn`, as WIF splits claim types. */
function splitClaimType(type: string): { namespace: string; name: string } {
  const slash = type.lastIndexOf('/');
  return { namespace: type.slice(0, slash), name: type.slice(slash + 1) };
}

/**
 * A SAML 1.1 assertion as Azure AD and AD FS send in WS-Federation when the
 * relying party asks for one: the audience condition, an AttributeStatement
 * and an AuthenticationStatement for the same bearer subject, signed last.
 *
 * @see SAML 1.1 Core §2.3.2, §2.4.3, §2.4.4
 */
export function buildSaml11Assertion(input: AssertionInput): SignedAssertion {
  const id = newXmlId();
  const notBefore = input.issuedAt;
  const notOnOrAfter = new Date(input.issuedAt.getTime() + input.lifetimeMs);
  const subject = (): XmlMarkup =>
    xmlElement(
      'saml:Subject',
      {},
      xmlElement(
        'saml:NameIdentifier',
        { Format: PERSISTENT },
        xmlText(pairwiseSubject(input.tenant, input.user, input.audience)),
      ),
      xmlElement('saml:SubjectConfirmation', {}, xmlElement('saml:ConfirmationMethod', {}, xmlText(BEARER1))),
    );
  const assertion = xmlElement(
    'saml:Assertion',
    {
      'xmlns:saml': SAML1,
      MajorVersion: '1',
      MinorVersion: '1',
      AssertionID: id,
      Issuer: input.issuer,
      IssueInstant: samlInstant(input.issuedAt),
    },
    xmlElement(
      'saml:Conditions',
      { NotBefore: samlInstant(notBefore), NotOnOrAfter: samlInstant(notOnOrAfter) },
      xmlElement(
        'saml:AudienceRestrictionCondition',
        {},
        xmlElement('saml:Audience', {}, xmlText(input.audience)),
      ),
    ),
    xmlElement(
      'saml:AttributeStatement',
      {},
      subject(),
      samlClaims(input.user, input.tenant, input.issuer).map((claim) => {
        const { namespace, name } = splitClaimType(claim.type);
        return xmlElement(
          'saml:Attribute',
          { AttributeName: name, AttributeNamespace: namespace },
          claim.values.map((value) => xmlElement('saml:AttributeValue', {}, xmlText(value))),
        );
      }),
    ),
    xmlElement(
      'saml:AuthenticationStatement',
      { AuthenticationMethod: PASSWORD_METHOD, AuthenticationInstant: samlInstant(input.issuedAt) },
      subject(),
    ),
  );
  return { xml: signEnveloped(assertion, input.key, 'last', 'AssertionID'), id, notBefore, notOnOrAfter };
}
