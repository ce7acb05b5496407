/**
 * Building blocks of the adversarial XML-token corpus
 * (scripts/generate-adversarial-corpus.ts): token templates shaped like the
 * ones Entra ID and AD FS send, a signer (xml-crypto's SignedXml, an
 * independent implementation of XML-DSig) and DOM edits for the attacks.
 * Everything is deterministic: fixed keys, IDs and instants in, the same
 * bytes out.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml, type CanonicalizationOrTransformationAlgorithm } from 'xml-crypto';

export const NS = {
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml1: 'urn:oasis:names:tc:SAML:1.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  trust2005: 'http://schemas.xmlsoap.org/ws/2005/02/trust',
  trust13: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsp: 'http://schemas.xmlsoap.org/ws/2004/09/policy',
  wsa: 'http://www.w3.org/2005/08/addressing',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
} as const;

export const ALGORITHM = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  excC14nWithComments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  xpath: 'http://www.w3.org/TR/1999/REC-xpath-19991116',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  hmacSha1: 'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
} as const;

/** A committed corpus key: its private key and self-signed certificate. */
export interface CorpusKey {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly certificatePem: string;
  /** The certificate as the text of an `<X509Certificate>` element. */
  readonly certificateBase64: string;
}

/** Reads `<name>.key.pem` and `<name>.cert.pem` from `keysDir`. */
export function loadCorpusKey(keysDir: string, name: string): CorpusKey {
  const certificatePem = readFileSync(join(keysDir, `${name}.cert.pem`), 'utf8');
  return {
    name,
    privateKey: createPrivateKey(readFileSync(join(keysDir, `${name}.key.pem`), 'utf8')),
    certificatePem,
    certificateBase64: new X509Certificate(certificatePem).raw.toString('base64'),
  };
}

// --- Templates ----------------------------------------------------------------

/** The fields of a SAML 2.0 assertion that cases vary. */
export interface Saml2AssertionFields {
  readonly id: string;
  readonly issuer: string;
  readonly issueInstant: string;
  readonly nameId: string;
  readonly notBefore: string;
  readonly notOnOrAfter: string;
  /** SubjectConfirmationData NotOnOrAfter. */
  readonly confirmationNotOnOrAfter: string;
  /** Audience, or `undefined` for a Conditions without AudienceRestriction. */
  readonly audience: string | undefined;
  /** SubjectConfirmationData Recipient; `undefined` for a bare bearer confirmation (WS-Fed). */
  readonly recipient: string | undefined;
  readonly inResponseTo: string | undefined;
  readonly tenantId: string;
  readonly role: string;
  readonly sessionIndex: string;
}

const attr = (name: string, value: string | undefined): string =>
  value === undefined ? '' : ` ${name}="${value}"`;

/** A SAML 2.0 assertion in Entra ID's layout (default namespace, no prefixes). */
export function saml2Assertion(f: Saml2AssertionFields): string {
  const confirmationData =
    f.recipient === undefined
      ? ''
      : `<SubjectConfirmationData${attr('InResponseTo', f.inResponseTo)} NotOnOrAfter="${f.confirmationNotOnOrAfter}" Recipient="${f.recipient}"/>`;
  const audience =
    f.audience === undefined
      ? ''
      : `<AudienceRestriction><Audience>${f.audience}</Audience></AudienceRestriction>`;
  const claim = (name: string, value: string): string =>
    `<Attribute Name="${name}"><AttributeValue>${value}</AttributeValue></Attribute>`;
  return (
    `<Assertion xmlns="${NS.saml2}" ID="${f.id}" IssueInstant="${f.issueInstant}" Version="2.0">` +
    `<Issuer>${f.issuer}</Issuer>` +
    `<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${f.nameId}</NameID>` +
    `<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">${confirmationData}</SubjectConfirmation></Subject>` +
    `<Conditions NotBefore="${f.notBefore}" NotOnOrAfter="${f.notOnOrAfter}">${audience}</Conditions>` +
    `<AttributeStatement>` +
    claim('http://schemas.microsoft.com/identity/claims/tenantid', f.tenantId) +
    claim(
      'http://schemas.microsoft.com/identity/claims/objectidentifier',
      '0a4b7c2e-5d1f-4e3a-9b8c-7d6e5f4a3b2c',
    ) +
    claim('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', f.nameId) +
    claim('http://schemas.microsoft.com/ws/2008/06/identity/claims/role', f.role) +
    `</AttributeStatement>` +
    `<AuthnStatement AuthnInstant="${f.issueInstant}" SessionIndex="${f.sessionIndex}"><AuthnContext>` +
    `<AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef>` +
    `</AuthnContext></AuthnStatement></Assertion>`
  );
}

/** The fields of a SAML 2.0 Response around its assertion (or anything else). */
export interface ResponseFields {
  readonly id: string;
  readonly issuer: string;
  readonly issueInstant: string;
  readonly destination: string | undefined;
  readonly inResponseTo: string | undefined;
  /** Top-level and second-level status codes, the message; default Success. */
  readonly status?: { readonly code: string; readonly subCode?: string; readonly message?: string };
  /** What follows the Status: usually one assertion. */
  readonly body: string;
}

/** A SAML 2.0 samlp:Response in Entra ID's layout. */
export function samlResponse(f: ResponseFields): string {
  const status = f.status ?? { code: 'urn:oasis:names:tc:SAML:2.0:status:Success' };
  const subCode = status.subCode === undefined ? '' : `<samlp:StatusCode Value="${status.subCode}"/>`;
  const message =
    status.message === undefined ? '' : `<samlp:StatusMessage>${status.message}</samlp:StatusMessage>`;
  return (
    `<samlp:Response xmlns:samlp="${NS.samlp}" ID="${f.id}" Version="2.0" IssueInstant="${f.issueInstant}"` +
    `${attr('Destination', f.destination)}${attr('InResponseTo', f.inResponseTo)}>` +
    `<Issuer xmlns="${NS.saml2}">${f.issuer}</Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${status.code}">${subCode}</samlp:StatusCode>${message}</samlp:Status>` +
    `${f.body}</samlp:Response>`
  );
}

/** The fields of a SAML 1.1 assertion (AD FS WS-Federation layout). */
export interface Saml11AssertionFields {
  readonly id: string;
  readonly issuer: string;
  readonly issueInstant: string;
  readonly nameId: string;
  readonly notBefore: string;
  readonly notOnOrAfter: string;
  readonly audience: string;
  readonly role: string;
}

/** A SAML 1.1 assertion as AD FS issues it for WS-Federation. */
export function saml11Assertion(f: Saml11AssertionFields): string {
  const claim = (name: string, value: string): string =>
    `<saml:Attribute AttributeName="${name}" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims">` +
    `<saml:AttributeValue>${value}</saml:AttributeValue></saml:Attribute>`;
  const subject =
    `<saml:Subject><saml:NameIdentifier>${f.nameId}</saml:NameIdentifier><saml:SubjectConfirmation>` +
    `<saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:bearer</saml:ConfirmationMethod>` +
    `</saml:SubjectConfirmation></saml:Subject>`;
  return (
    `<saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="${f.id}" Issuer="${f.issuer}" ` +
    `IssueInstant="${f.issueInstant}" xmlns:saml="${NS.saml1}">` +
    `<saml:Conditions NotBefore="${f.notBefore}" NotOnOrAfter="${f.notOnOrAfter}">` +
    `<saml:AudienceRestrictionCondition><saml:Audience>${f.audience}</saml:Audience></saml:AudienceRestrictionCondition>` +
    `</saml:Conditions>` +
    `<saml:AttributeStatement>${subject}${claim('upn', f.nameId)}` +
    `<saml:Attribute AttributeName="role" AttributeNamespace="http://schemas.microsoft.com/ws/2008/06/identity/claims">` +
    `<saml:AttributeValue>${f.role}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
    `<saml:AuthenticationStatement AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password" ` +
    `AuthenticationInstant="${f.issueInstant}">${subject}</saml:AuthenticationStatement></saml:Assertion>`
  );
}

/** The WS-Trust version of an RSTR: Entra ID answers in 2005/02, AD FS in 1.3 inside a Collection. */
export type TrustVersion = '2005/02' | '1.3';

/** A WS-Federation sign-in response (the `wresult`): an RSTR carrying `tokens` (usually one). */
export function rstr(options: {
  readonly version: TrustVersion;
  readonly created: string;
  readonly expires: string;
  readonly appliesTo: string;
  readonly tokenType: string;
  readonly tokens: readonly string[];
}): string {
  const t = options.version === '1.3' ? 'trust' : 't';
  const ns = options.version === '1.3' ? NS.trust13 : NS.trust2005;
  const one =
    `<${t}:RequestSecurityTokenResponse${options.version === '1.3' ? '' : ` xmlns:${t}="${ns}"`}>` +
    `<${t}:Lifetime><wsu:Created xmlns:wsu="${NS.wsu}">${options.created}</wsu:Created>` +
    `<wsu:Expires xmlns:wsu="${NS.wsu}">${options.expires}</wsu:Expires></${t}:Lifetime>` +
    `<wsp:AppliesTo xmlns:wsp="${NS.wsp}"><wsa:EndpointReference xmlns:wsa="${NS.wsa}">` +
    `<wsa:Address>${options.appliesTo}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>` +
    `<${t}:RequestedSecurityToken>${options.tokens.join('')}</${t}:RequestedSecurityToken>` +
    `<${t}:TokenType>${options.tokenType}</${t}:TokenType>` +
    `<${t}:RequestType>${ns}/Issue</${t}:RequestType>` +
    `<${t}:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</${t}:KeyType>` +
    `</${t}:RequestSecurityTokenResponse>`;
  if (options.version === '2005/02') return one;
  return (
    `<trust:RequestSecurityTokenResponseCollection xmlns:trust="${ns}">` +
    one +
    `</trust:RequestSecurityTokenResponseCollection>`
  );
}

// --- Signing --------------------------------------------------------------------

/** XPath (local names, as xml-crypto evaluates it) of the n-th element named `localName`, document order. */
export const byName = (localName: string, index = 1): string =>
  `(//*[local-name(.)='${localName}'])[${index}]`;

/** XPath of the `childName` child of the element `parentXPath` selects. */
export const childOf = (parentXPath: string, childName: string): string =>
  `${parentXPath}/*[local-name(.)='${childName}']`;

/** An "XPath filter" that keeps everything: enough to put the XPath transform's URI in a signature. */
class KeepAllXPathTransform implements CanonicalizationOrTransformationAlgorithm {
  process(node: Node): Node {
    return node;
  }
  getAlgorithmName(): string {
    return ALGORITHM.xpath;
  }
}

export interface SignOptions {
  /** The signing key; for HMAC, the secret text. */
  readonly key: KeyObject | string;
  /** Published in KeyInfo/X509Data; no KeyInfo when absent. */
  readonly certificatePem?: string | undefined;
  /** XPath of each referenced element (one Reference each). */
  readonly references: readonly string[];
  /** Where the Signature goes. */
  readonly location: {
    readonly reference: string;
    readonly action: 'append' | 'prepend' | 'before' | 'after';
  };
  readonly signatureAlgorithm?: string;
  readonly canonicalizationAlgorithm?: string;
  readonly digestAlgorithm?: string;
  readonly transforms?: readonly string[];
  /** Reference the whole document (`URI=""`). */
  readonly emptyUri?: boolean;
  /** The ID attribute of the signed element besides Id/ID/id (`AssertionID` for SAML 1.1). */
  readonly idAttribute?: string;
  readonly hmac?: boolean;
}

/** Signs with xml-crypto's SignedXml (enveloped, `ds:` prefix) and returns the signed document. */
export function signXml(xml: string, options: SignOptions): string {
  const signer = new SignedXml({
    privateKey: options.key,
    ...(options.certificatePem === undefined ? {} : { publicCert: options.certificatePem }),
    signatureAlgorithm: options.signatureAlgorithm ?? ALGORITHM.rsaSha256,
    canonicalizationAlgorithm: options.canonicalizationAlgorithm ?? ALGORITHM.excC14n,
    ...(options.idAttribute === undefined ? {} : { idAttribute: options.idAttribute }),
  });
  signer.CanonicalizationAlgorithms[ALGORITHM.xpath] = KeepAllXPathTransform;
  if (options.hmac === true) signer.enableHMAC();
  for (const xpath of options.references) {
    signer.addReference({
      xpath,
      transforms: [...(options.transforms ?? [ALGORITHM.enveloped, ALGORITHM.excC14n])],
      digestAlgorithm: options.digestAlgorithm ?? ALGORITHM.sha256,
      isEmptyUri: options.emptyUri ?? false,
    });
  }
  signer.computeSignature(xml, { prefix: 'ds', location: { ...options.location } });
  return signer.getSignedXml();
}

// --- DOM edits ------------------------------------------------------------------

/** Parses our own (trusted, generated) XML for editing. */
export function parseDocument(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

export function serializeDocument(document: Document): string {
  return new XMLSerializer().serializeToString(document);
}

/** Parses, lets `edit` change the document, serialises. */
export function editXml(xml: string, edit: (document: Document) => void): string {
  const document = parseDocument(xml);
  edit(document);
  return serializeDocument(document);
}

/** Every element named `localName` in `namespace`, document order. */
export function elements(root: Document | Element, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName));
}

/** The `index`-th element named `localName` in `namespace` (it must exist). */
export function element(root: Document | Element, namespace: string, localName: string, index = 0): Element {
  const found = elements(root, namespace, localName)[index];
  if (found === undefined) throw new Error(`no <${localName}> #${index} in ${namespace}`);
  return found;
}

/** The direct-child elements of `parent` named `localName` in `namespace`. */
export function children(parent: Element, namespace: string, localName: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (node): node is Element =>
      node.nodeType === 1 &&
      (node as Element).namespaceURI === namespace &&
      (node as Element).localName === localName,
  );
}

/** The one direct-child `ds:Signature` of `parent`. */
export function signatureOf(parent: Element): Element {
  const [signature] = children(parent, NS.ds, 'Signature');
  if (signature === undefined) throw new Error(`<${parent.nodeName}> has no ds:Signature child`);
  return signature;
}

/** Replaces the text of an element. */
export function setText(target: Element, text: string): void {
  while (target.firstChild !== null) target.removeChild(target.firstChild);
  target.appendChild(target.ownerDocument.createTextNode(text));
}

/** A deep copy of `source` without its direct-child ds:Signature. */
export function cloneWithoutSignature(source: Element): Element {
  const clone = source.cloneNode(true) as Element;
  for (const signature of children(clone, NS.ds, 'Signature')) clone.removeChild(signature);
  return clone;
}

/** Inserts `node` right after `reference`. */
export function insertAfter(node: Node, reference: Node): void {
  reference.parentNode!.insertBefore(node, reference.nextSibling);
}

/** Splits the text of `target` after `prefix` and puts `node` there (`ab` → `a<node/>b`). */
export function splitTextWith(target: Element, prefix: string, makeNode: (document: Document) => Node): void {
  const text = target.textContent ?? '';
  if (!text.startsWith(prefix)) throw new Error(`"${text}" does not start with "${prefix}"`);
  setText(target, prefix);
  target.appendChild(makeNode(target.ownerDocument));
  target.appendChild(target.ownerDocument.createTextNode(text.slice(prefix.length)));
}
