import { createHash } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { createTestCertificate, type TestCertificate } from '../test/helpers/certificates.js';

const SAML2_ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAML2_PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const WSP_NS = 'http://schemas.xmlsoap.org/ws/2004/09/policy';
const WSA_NS = 'http://www.w3.org/2005/08/addressing';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** The WS-Trust namespaces a wresult may use: Azure AD sends 2005/02, WS-Trust 1.3 STSs 2005/12. */
const WS_TRUST_NS = {
  '2005': 'http://schemas.xmlsoap.org/ws/2005/02/trust',
  '1.3': 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
} as const;

/** A signing certificate with its private key. */
export type BenchSigner = TestCertificate;

/** What the token is built from; every field has a fixed default, so equal inputs give equal bytes. */
export interface BenchTokenOptions {
  /** When the token was issued. NotBefore is 5 minutes earlier, NotOnOrAfter 60 minutes later. */
  readonly issuedAt?: Date;
  /** The Azure AD tenant: the issuer is `https://sts.windows.net/<tenantId>/`. */
  readonly tenantId?: string;
  /** The relying party's realm, written in AudienceRestriction and wsp:AppliesTo. */
  readonly audience?: string;
  /** The assertion consumer URL, written as the bearer confirmation's Recipient. */
  readonly recipient?: string;
  /** Group object IDs in the `groups` claim; their number sets most of the token's size. */
  readonly groupCount?: number;
  /** The WS-Trust version of the RSTR envelope. Default `2005`, as Azure AD sends. */
  readonly wsTrust?: keyof typeof WS_TRUST_NS;
  /** The assertion's ID; by default derived from `issuedAt`. Sign-ins need distinct IDs (replay cache). */
  readonly assertionId?: string;
}

/** The same signed assertion in every form a contender needs. */
export interface BenchToken {
  /** The WS-Federation `wresult`: a RequestSecurityTokenResponse carrying the signed assertion. */
  readonly wresult: string;
  /** The signed SAML 2.0 assertion alone, byte for byte as it sits in `wresult` and `samlResponse`. */
  readonly assertion: string;
  /** An unsigned samlp:Response around the same signed assertion, for peers that take only SAML-P. */
  readonly samlResponse: string;
  /** `samlResponse` in base64, as the POST binding's SAMLResponse field carries it. */
  readonly samlResponseBase64: string;
  readonly issuer: string;
  readonly tenantId: string;
  readonly audience: string;
  readonly recipient: string;
  /** The NameID value. */
  readonly subject: string;
  readonly assertionId: string;
  readonly issuedAt: Date;
  readonly notBefore: Date;
  readonly notOnOrAfter: Date;
  /** Claim type → values, exactly as written in the AttributeStatement. */
  readonly claims: Readonly<Record<string, readonly string[]>>;
}

/** Generates the RSA-2048 signing certificate (valid 2024–2034); the only random step. */
export async function createBenchSigner(): Promise<BenchSigner> {
  return createTestCertificate({ commonName: 'accounts.accesscontrol.windows.net', rsaBits: 2048 });
}

/** A GUID derived from a label, so that every identifier in the token is reproducible. */
function stableGuid(label: string): string {
  const hex = createHash('sha256').update(label).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Azure AD writes instants with milliseconds and a Z. */
function instant(date: Date): string {
  return date.toISOString();
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The claims Azure AD issues for a member user, in the order it writes them. */
function azureAdClaims(tenantId: string, groupCount: number): Record<string, string[]> {
  const groups = Array.from({ length: groupCount }, (_, index) => stableGuid(`group-${index}`));
  return {
    'http://schemas.microsoft.com/identity/claims/tenantid': [tenantId],
    'http://schemas.microsoft.com/identity/claims/objectidentifier': [stableGuid('object-id')],
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': ['bob.jansen@contoso.onmicrosoft.com'],
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': ['Bob'],
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': ['Jansen'],
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': ['bob.jansen@contoso.onmicrosoft.com'],
    'http://schemas.microsoft.com/identity/claims/displayname': ['Bob Jansen'],
    'http://schemas.microsoft.com/identity/claims/identityprovider': [`https://sts.windows.net/${tenantId}/`],
    'http://schemas.microsoft.com/claims/authnmethodsreferences': [
      'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
      'http://schemas.microsoft.com/claims/multipleauthn',
    ],
    'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': groups,
  };
}

function renderAttributes(claims: Record<string, string[]>): string {
  return Object.entries(claims)
    .map(
      ([name, values]) =>
        `<Attribute Name="${escapeXml(name)}">${values
          .map((value) => `<AttributeValue>${escapeXml(value)}</AttributeValue>`)
          .join('')}</Attribute>`,
    )
    .join('');
}

/**
 * Signs an assertion the way Azure AD does: RSA-SHA256 over exclusive
 * canonicalisation, a SHA-256 digest with the enveloped-signature and
 * exc-c14n transforms, the certificate in KeyInfo, and the Signature placed
 * right after Issuer (SAML Core §5.4.1 requires it there).
 */
function signAssertion(unsigned: string, signer: BenchSigner): string {
  const signed = new SignedXml({
    privateKey: signer.privateKey.export({ format: 'pem', type: 'pkcs8' }),
    publicCert: signer.pem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signed.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  signed.computeSignature(unsigned, {
    location: { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return signed.getSignedXml();
}

/**
 * Builds an Azure-AD-shaped WS-Federation token: a signed SAML 2.0
 * assertion (about ten claims, ~6 KB in its RSTR) and the same assertion
 * inside an unsigned samlp:Response. Deterministic: the same signer and
 * options give the same bytes (RSA PKCS#1 v1.5 signatures are deterministic).
 *
 * @see WS-Federation 1.2 §13.6.2 (wresult), SAML Core §2.3.3 (Assertion)
 */
export function buildBenchToken(signer: BenchSigner, options: BenchTokenOptions = {}): BenchToken {
  const issuedAt = options.issuedAt ?? new Date('2025-01-15T09:30:00.000Z');
  const tenantId = options.tenantId ?? stableGuid('tenant');
  const audience = options.audience ?? 'spn:6a7e3c1d-8f4b-4e2a-9c5d-0b1f2e3d4c5a';
  const recipient = options.recipient ?? 'https://app.example/signin-wsfed';
  const groupCount = options.groupCount ?? 6;
  const trustNs = WS_TRUST_NS[options.wsTrust ?? '2005'];
  const issuer = `https://sts.windows.net/${tenantId}/`;
  const notBefore = new Date(issuedAt.getTime() - 5 * 60_000);
  const notOnOrAfter = new Date(issuedAt.getTime() + 60 * 60_000);
  const assertionId = options.assertionId ?? `_${stableGuid(`assertion-${issuedAt.getTime()}`)}`;
  const subject = createHash('sha256').update('bob-pairwise').digest('base64url').slice(0, 43);
  const claims = azureAdClaims(tenantId, groupCount);

  const unsigned =
    `<Assertion ID="${assertionId}" IssueInstant="${instant(issuedAt)}" Version="2.0" xmlns="${SAML2_ASSERTION_NS}">` +
    `<Issuer>${issuer}</Issuer>` +
    `<Subject><NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${subject}</NameID>` +
    `<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<SubjectConfirmationData NotOnOrAfter="${instant(notOnOrAfter)}" Recipient="${escapeXml(recipient)}"/>` +
    `</SubjectConfirmation></Subject>` +
    `<Conditions NotBefore="${instant(notBefore)}" NotOnOrAfter="${instant(notOnOrAfter)}">` +
    `<AudienceRestriction><Audience>${escapeXml(audience)}</Audience></AudienceRestriction></Conditions>` +
    `<AttributeStatement>${renderAttributes(claims)}</AttributeStatement>` +
    `<AuthnStatement AuthnInstant="${instant(new Date(issuedAt.getTime() - 2_000))}" SessionIndex="${assertionId}">` +
    `<AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef>` +
    `</AuthnContext></AuthnStatement></Assertion>`;
  const assertion = signAssertion(unsigned, signer);

  const wresult =
    `<t:RequestSecurityTokenResponse xmlns:t="${trustNs}">` +
    `<t:Lifetime><wsu:Created xmlns:wsu="${WSU_NS}">${instant(notBefore)}</wsu:Created>` +
    `<wsu:Expires xmlns:wsu="${WSU_NS}">${instant(notOnOrAfter)}</wsu:Expires></t:Lifetime>` +
    `<wsp:AppliesTo xmlns:wsp="${WSP_NS}"><wsa:EndpointReference xmlns:wsa="${WSA_NS}">` +
    `<wsa:Address>${escapeXml(audience)}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>` +
    `<t:RequestedSecurityToken>${assertion}</t:RequestedSecurityToken>` +
    `<t:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</t:TokenType>` +
    `<t:RequestType>${trustNs}/Issue</t:RequestType>` +
    `<t:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</t:KeyType>` +
    `</t:RequestSecurityTokenResponse>`;

  const samlResponse =
    `<samlp:Response ID="_${stableGuid(`response-${issuedAt.getTime()}`)}" Version="2.0" ` +
    `IssueInstant="${instant(issuedAt)}" Destination="${escapeXml(recipient)}" xmlns:samlp="${SAML2_PROTOCOL_NS}">` +
    `<Issuer xmlns="${SAML2_ASSERTION_NS}">${issuer}</Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `${assertion}</samlp:Response>`;

  return {
    wresult,
    assertion,
    samlResponse,
    samlResponseBase64: Buffer.from(samlResponse, 'utf8').toString('base64'),
    issuer,
    tenantId,
    audience,
    recipient,
    subject,
    assertionId,
    issuedAt,
    notBefore,
    notOnOrAfter,
    claims,
  };
}
