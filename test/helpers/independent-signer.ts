import { createRequire } from 'node:module';
import { mock } from 'node:test';

/**
 * Tokens minted by an independent signer: auth0's `saml` package (its own
 * xmldom and xml-crypto 2, none of claimsgate's code), wrapped the way
 * identity providers post them. The assertion bytes are never re-serialised:
 * every wrapper inserts them as a string, exactly as minted.
 */

/** The options of `saml`'s `Saml11.create` / `Saml20.create` that these tests use. */
interface SamlCreateOptions {
  readonly cert: string;
  readonly key: string;
  readonly uid?: string;
  readonly issuer: string;
  readonly lifetimeInSeconds: number;
  readonly audiences: string | readonly string[];
  readonly recipient?: string;
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
  readonly nameIdentifier: string;
  readonly nameIdentifierFormat?: string;
  readonly sessionIndex?: string;
  readonly signatureAlgorithm: 'rsa-sha256' | 'rsa-sha1';
  readonly digestAlgorithm: 'sha256' | 'sha1';
}

interface SamlSigner {
  create(options: SamlCreateOptions): string;
}

// The package is CommonJS without type declarations; its shape is declared above.
const saml = createRequire(import.meta.url)('saml') as { Saml11: SamlSigner; Saml20: SamlSigner };

export type SamlVersion = '1.1' | '2.0';

/** What to mint. */
export interface MintOptions {
  readonly version: SamlVersion;
  /** PEM certificate and PKCS#8 PEM private key of the signer. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The instant the signer takes as "now" (IssueInstant, NotBefore). */
  readonly issuedAt: Date;
  readonly lifetimeSeconds: number;
  readonly id: string;
  readonly issuer: string;
  readonly audience: string;
  /** SAML 2.0 only: the bearer confirmation's Recipient. */
  readonly recipient?: string;
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
  readonly nameIdentifier: string;
  readonly nameIdentifierFormat?: string;
  readonly sessionIndex?: string;
  readonly algorithm?: 'sha256' | 'sha1';
}

/**
 * Mints a signed assertion with the `saml` package. The package reads the
 * clock through `Date.now()` (moment); it is frozen at `issuedAt` for the
 * duration of the synchronous call.
 */
export function mintAssertion(options: MintOptions): string {
  const signer = options.version === '2.0' ? saml.Saml20 : saml.Saml11;
  const algorithm = options.algorithm ?? 'sha256';
  const clock = mock.method(Date, 'now', () => options.issuedAt.getTime());
  try {
    return signer.create({
      cert: options.certificatePem,
      key: options.privateKeyPem,
      // The package prefixes the uid with '_'.
      uid: options.id.replace(/^_/, ''),
      issuer: options.issuer,
      lifetimeInSeconds: options.lifetimeSeconds,
      audiences: options.audience,
      ...(options.recipient === undefined ? {} : { recipient: options.recipient }),
      attributes: options.attributes,
      nameIdentifier: options.nameIdentifier,
      ...(options.nameIdentifierFormat === undefined
        ? {}
        : { nameIdentifierFormat: options.nameIdentifierFormat }),
      ...(options.sessionIndex === undefined ? {} : { sessionIndex: options.sessionIndex }),
      signatureAlgorithm: algorithm === 'sha256' ? 'rsa-sha256' : 'rsa-sha1',
      digestAlgorithm: algorithm,
    });
  } finally {
    clock.mock.restore();
  }
}

/** The WS-Trust dialect of a wresult. */
export type TrustDialect = 'ws-trust-1.3' | 'ws-trust-2005';

const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const WSP = 'http://schemas.xmlsoap.org/ws/2004/09/policy';
const WSA = 'http://www.w3.org/2005/08/addressing';

const TOKEN_TYPES: Record<SamlVersion, string> = {
  '2.0': 'urn:oasis:names:tc:SAML:2.0:assertion',
  '1.1': 'urn:oasis:names:tc:SAML:1.0:assertion',
};

const DIALECTS: Record<TrustDialect, { namespace: string; requestType: string; keyType: string }> = {
  'ws-trust-1.3': {
    namespace: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
    requestType: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue',
    keyType: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer',
  },
  'ws-trust-2005': {
    namespace: 'http://schemas.xmlsoap.org/ws/2005/02/trust',
    requestType: 'http://schemas.xmlsoap.org/ws/2005/02/trust/Issue',
    keyType: 'http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey',
  },
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

/** Where and when a wrapped token applies. */
export interface WrapOptions {
  readonly version: SamlVersion;
  readonly appliesTo: string;
  readonly created: Date;
  readonly expires: Date;
}

/**
 * Wraps an assertion in a RequestSecurityTokenResponse as AD FS and Azure AD
 * post it in `wresult`: Lifetime, AppliesTo, RequestedSecurityToken,
 * TokenType, RequestType, KeyType.
 */
export function wrapInRstr(assertion: string, dialect: TrustDialect, options: WrapOptions): string {
  const trust = DIALECTS[dialect];
  return (
    `<t:RequestSecurityTokenResponse xmlns:t="${trust.namespace}">` +
    `<t:Lifetime><wsu:Created xmlns:wsu="${WSU}">${options.created.toISOString()}</wsu:Created>` +
    `<wsu:Expires xmlns:wsu="${WSU}">${options.expires.toISOString()}</wsu:Expires></t:Lifetime>` +
    `<wsp:AppliesTo xmlns:wsp="${WSP}"><wsa:EndpointReference xmlns:wsa="${WSA}">` +
    `<wsa:Address>${escapeXml(options.appliesTo)}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>` +
    `<t:RequestedSecurityToken>${assertion}</t:RequestedSecurityToken>` +
    `<t:TokenType>${TOKEN_TYPES[options.version]}</t:TokenType>` +
    `<t:RequestType>${trust.requestType}</t:RequestType>` +
    `<t:KeyType>${trust.keyType}</t:KeyType>` +
    `</t:RequestSecurityTokenResponse>`
  );
}

/** Wraps an RSTR in a RequestSecurityTokenResponseCollection, as AD FS does for WS-Trust 1.3. */
export function wrapInRstrCollection(rstr: string): string {
  return (
    `<t:RequestSecurityTokenResponseCollection xmlns:t="${DIALECTS['ws-trust-1.3'].namespace}">` +
    `${rstr}</t:RequestSecurityTokenResponseCollection>`
  );
}

/** The form body a WS-Federation sign-in POSTs to the relying party. */
export function wsFedFormBody(wresult: string, wctx: string): string {
  return new URLSearchParams({ wa: 'wsignin1.0', wresult, wctx }).toString();
}

/** What an unsigned samlp:Response carrying the assertion says. */
export interface ResponseOptions {
  readonly id: string;
  readonly issuer: string;
  readonly issuedAt: Date;
  readonly destination: string;
  readonly inResponseTo?: string;
}

/** Wraps an assertion in an unsigned SAML 2.0 Response with status Success. */
export function wrapInSamlResponse(assertion: string, options: ResponseOptions): string {
  const inResponseTo =
    options.inResponseTo === undefined ? '' : ` InResponseTo="${escapeXml(options.inResponseTo)}"`;
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${escapeXml(options.id)}"` +
    ` Version="2.0" IssueInstant="${options.issuedAt.toISOString()}"` +
    ` Destination="${escapeXml(options.destination)}"${inResponseTo}>` +
    `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${escapeXml(options.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `${assertion}</samlp:Response>`
  );
}
