/**
 * Generates the adversarial XML-token corpus under test/fixtures/adversarial/:
 * valid baselines signed by xml-crypto, and one file per attack, named after
 * its structure, with manifest.json (trust, validator options and the
 * expected verdict of each case) and README.md. The output is deterministic:
 * the keys are committed PEM files, IDs and instants are fixed, and RSA
 * PKCS#1 v1.5 signatures depend only on the key and the bytes.
 *
 * Run with `npm run corpus`; test/tokens/adversarial-corpus.test.ts checks
 * that the committed files are exactly what this script writes.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ALGORITHM,
  byName,
  childOf,
  children,
  cloneWithoutSignature,
  editXml,
  element,
  elements,
  insertAfter,
  loadCorpusKey,
  parseDocument,
  NS,
  rstr,
  saml11Assertion,
  saml2Assertion,
  samlResponse,
  setText,
  signatureOf,
  signXml,
  splitTextWith,
  type CorpusKey,
  type Saml2AssertionFields,
  type SignOptions,
} from '../test/helpers/adversarial-xml.js';

// --- Fixed values ------------------------------------------------------------------

/** The instant every case is validated at. */
export const CORPUS_NOW = '2025-03-01T12:00:00.000Z';
const TENANT_A = 'a1b2c3d4-0000-4000-8000-00000000000a';
const ISSUER_A = `https://sts.windows.net/${TENANT_A}/`;
const ISSUER_B = 'http://adfs.contoso.example/adfs/services/trust';
const ISSUER_UNKNOWN = 'https://idp.unknown.example/';
const AUDIENCE = 'https://sp.example/';
const ACS = 'https://sp.example/acs';
/** The relying party's WS-Federation reply URL (wreply). */
const WSFED_REPLY = 'https://sp.example/signin/wsfed';
const REQUEST_ID = '_req-6c1f2a7e-0d4b-4c55-9f3e-2b7a1c9d8e01';
const RESPONSE_ID = '_resp-9d2e4f60-1a3b-4c5d-8e7f-0a1b2c3d4e5f';
const ASSERTION_ID = '_3f8e9b2a-6c1d-4e5f-8a7b-9c0d1e2f3a4b';
const SAML11_ASSERTION_ID = '_8c8a1b2e-7ed4-4b32-82ce-83c6d72bb297';
const EVIL_RESPONSE_ID = '_evil_response_ID';
const EVIL_ASSERTION_ID = '_evil_assertion_ID';
const ALICE = 'alice@contoso.example';
const ADMIN = 'admin@contoso.example';
const ROLE_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
const NAME_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';

/** Minutes from CORPUS_NOW, as an xs:dateTime. */
const at = (minutes: number): string => new Date(Date.parse(CORPUS_NOW) + minutes * 60_000).toISOString();

// --- Manifest model ----------------------------------------------------------------

type KeyName = 'issuer-a' | 'issuer-b' | 'attacker';

/**
 * One trusted issuer for a case: its URI, the corpus keys trusted for it, its
 * SHA-1 policy, and whether its assertions must be signed themselves.
 */
interface TrustSpec {
  readonly issuer: string;
  readonly keys: readonly KeyName[];
  readonly allowSha1: boolean;
  readonly requireSignedAssertion?: boolean;
}

interface ValidatorOptionsSpec {
  readonly audiences: readonly string[];
  readonly recipient?: string | undefined;
  readonly destination?: string | undefined;
  readonly inResponseTo?: string | undefined;
  readonly now: string;
}

interface ExpectedIdentity {
  readonly kind: string;
  readonly issuer: string;
  readonly subject: string;
  readonly tokenId: string;
  readonly claims?: Readonly<Record<string, readonly string[]>>;
}

/** A manifest entry, as written to manifest.json. */
export interface CorpusCase {
  /** Unique; the file name without extension, plus `#variant` when a file serves several cases. */
  readonly id: string;
  readonly file: string;
  /** How the file is handed to the validator: its text (XML) or its text as the POST binding's base64. */
  readonly encoding: 'xml' | 'base64';
  readonly description: string;
  /** Entries of the security catalogue (Part 1) the case exercises, by number. */
  readonly catalogue: readonly string[];
  readonly trust: readonly TrustSpec[];
  readonly options: ValidatorOptionsSpec;
  readonly expected: 'accept' | 'reject';
  readonly expectedCode?: string;
  /** Why this code, where check order could legitimately have produced another. */
  readonly codeRationale?: string;
  /** For accepted cases: identity fields the validator must return. */
  readonly expectedIdentity?: ExpectedIdentity;
  /** Validate the same bytes this many times with one validator; only the last attempt gives the verdict. */
  readonly repeat?: number;
  /** A string the error detail (JSON) must contain. */
  readonly expectedDetailIncludes?: string;
}

interface CaseDefinition extends Omit<CorpusCase, 'id' | 'file' | 'encoding' | 'trust' | 'options'> {
  readonly file: string;
  /** Builds the file's content; absent when the case reuses a file another case builds. */
  readonly build?: () => string;
  /** Tells apart the cases that share one file (`<file>#<variant>`). */
  readonly variant?: string;
  readonly encoding?: 'xml' | 'base64';
  readonly trust?: readonly TrustSpec[];
  readonly options?: Partial<ValidatorOptionsSpec>;
}

const DEFAULT_TRUST: readonly TrustSpec[] = [
  { issuer: ISSUER_A, keys: ['issuer-a'], allowSha1: false },
  { issuer: ISSUER_B, keys: ['issuer-b'], allowSha1: false },
];
const SAML2_OPTIONS: ValidatorOptionsSpec = {
  audiences: [AUDIENCE],
  recipient: ACS,
  destination: ACS,
  inResponseTo: REQUEST_ID,
  now: CORPUS_NOW,
};
/** WS-Federation has no ACS URL, Destination or InResponseTo: realm (audience) and lifetime carry the checks. */
const WSFED_OPTIONS: ValidatorOptionsSpec = {
  audiences: [AUDIENCE],
  recipient: undefined,
  destination: undefined,
  inResponseTo: undefined,
  now: CORPUS_NOW,
};

// --- Token builders ------------------------------------------------------------------

function assertionFields(overrides: Partial<Saml2AssertionFields> = {}): Saml2AssertionFields {
  return {
    id: ASSERTION_ID,
    issuer: ISSUER_A,
    issueInstant: at(-1),
    nameId: ALICE,
    notBefore: at(-6),
    notOnOrAfter: at(59),
    confirmationNotOnOrAfter: at(4),
    audience: AUDIENCE,
    recipient: ACS,
    inResponseTo: REQUEST_ID,
    tenantId: TENANT_A,
    role: 'user',
    sessionIndex: ASSERTION_ID,
    ...overrides,
  };
}

interface ResponseShape {
  readonly assertion?: Partial<Saml2AssertionFields>;
  readonly issuer?: string;
  readonly destination?: string;
  readonly inResponseTo?: string;
  readonly id?: string;
}

function unsignedResponse(shape: ResponseShape = {}): string {
  return samlResponse({
    id: shape.id ?? RESPONSE_ID,
    issuer: shape.issuer ?? shape.assertion?.issuer ?? ISSUER_A,
    issueInstant: at(-1),
    destination: shape.destination ?? ACS,
    inResponseTo: shape.inResponseTo ?? REQUEST_ID,
    body: saml2Assertion(assertionFields(shape.assertion)),
  });
}

const ASSERTION = byName('Assertion');
const RESPONSE = '/*';

/** Signs the (first) SAML 2.0 assertion in `xml`, the signature right after its Issuer. */
function signAssertion(xml: string, key: CorpusKey, options: Partial<SignOptions> = {}): string {
  return signXml(xml, {
    key: key.privateKey,
    certificatePem: key.certificatePem,
    references: [ASSERTION],
    location: { reference: childOf(ASSERTION, 'Issuer'), action: 'after' },
    ...options,
  });
}

/** Signs the Response (the document element), the signature right after its Issuer. */
function signResponse(xml: string, key: CorpusKey): string {
  return signXml(xml, {
    key: key.privateKey,
    certificatePem: key.certificatePem,
    references: [RESPONSE],
    location: { reference: childOf(RESPONSE, 'Issuer'), action: 'after' },
  });
}

/** Signs a SAML 1.1 assertion (ID attribute `AssertionID`), the signature as its last child as AD FS does. */
function signSaml11(xml: string, key: CorpusKey): string {
  return signXml(xml, {
    key: key.privateKey,
    certificatePem: key.certificatePem,
    references: [ASSERTION],
    location: { reference: ASSERTION, action: 'append' },
    idAttribute: 'AssertionID',
  });
}

/** The attacker's edit in a wrapping attack: Alice becomes an administrator. */
function makeEvil(assertion: Element): void {
  const saml1 = assertion.namespaceURI === NS.saml1;
  for (const nameId of elements(assertion, saml1 ? NS.saml1 : NS.saml2, saml1 ? 'NameIdentifier' : 'NameID'))
    setText(nameId, ADMIN);
  for (const attribute of elements(assertion, saml1 ? NS.saml1 : NS.saml2, 'Attribute')) {
    const name = attribute.getAttribute(saml1 ? 'AttributeName' : 'Name') ?? '';
    const value = element(attribute, saml1 ? NS.saml1 : NS.saml2, 'AttributeValue');
    if (name === 'role' || name === ROLE_CLAIM) setText(value, 'admin');
    if (name === NAME_CLAIM || name === 'upn') setText(value, ADMIN);
  }
}

const assertionIn = (document: Document, index = 0): Element =>
  element(document, NS.saml2, 'Assertion', index);

function saml11Fields(overrides: Partial<Parameters<typeof saml11Assertion>[0]> = {}) {
  return {
    id: SAML11_ASSERTION_ID,
    issuer: ISSUER_B,
    issueInstant: at(-1),
    nameId: 'bob@contoso.example',
    notBefore: at(-1),
    notOnOrAfter: at(59),
    audience: AUDIENCE,
    role: 'user',
    ...overrides,
  };
}

const SAML11_TOKEN_TYPE = 'urn:oasis:names:tc:SAML:1.0:assertion';
const SAML2_TOKEN_TYPE = 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0';

function adfsRstr(tokens: readonly string[]): string {
  return rstr({
    version: '1.3',
    created: at(-1),
    expires: at(59),
    appliesTo: AUDIENCE,
    tokenType: SAML11_TOKEN_TYPE,
    tokens,
  });
}

function entraRstr(token: string): string {
  return rstr({
    version: '2005/02',
    created: at(-1),
    expires: at(59),
    appliesTo: AUDIENCE,
    tokenType: SAML2_TOKEN_TYPE,
    tokens: [token],
  });
}

/** A deterministic base64 blob standing for ciphertext. */
const pseudoCipher = (label: string, bytes: number): string => {
  let out = Buffer.alloc(0);
  for (let i = 0; out.length < bytes; i += 1) {
    out = Buffer.concat([out, createHash('sha256').update(`${label}/${i}`).digest()]);
  }
  return out.subarray(0, bytes).toString('base64');
};

// --- The cases -------------------------------------------------------------------------

function defineCases(keys: Record<KeyName, CorpusKey>): CaseDefinition[] {
  const a = keys['issuer-a'];
  const b = keys['issuer-b'];
  const attacker = keys.attacker;

  const baseline = (): string => signAssertion(unsignedResponse(), a);
  const rootSigned = (): string => signResponse(unsignedResponse(), a);
  const bareAssertion = (): string => signAssertion(saml2Assertion(assertionFields()), a);
  const saml11Signed = (): string => signSaml11(saml11Assertion(saml11Fields()), b);
  const alice = (kind: string, tokenId = ASSERTION_ID): ExpectedIdentity => ({
    kind,
    issuer: ISSUER_A,
    subject: ALICE,
    tokenId,
    claims: { [ROLE_CLAIM]: ['user'] },
  });
  const bob: ExpectedIdentity = {
    kind: 'wsfed-saml11',
    issuer: ISSUER_B,
    subject: 'bob@contoso.example',
    tokenId: SAML11_ASSERTION_ID,
  };
  const withDoctype = (doctype: string, edit: (xml: string) => string = (x) => x): string =>
    `${doctype}\n${edit(baseline())}`;

  return [
    // --- Baselines: the harness must accept good tokens --------------------------------
    {
      file: 'response.root-unsigned.assertion-signed.xml',
      description:
        'Baseline: an Entra-ID-like samlp:Response whose Assertion is signed (RSA-SHA256, exc-c14n, enveloped, signature after Issuer, certificate in KeyInfo).',
      catalogue: ['V0'],
      build: baseline,
      expected: 'accept',
      expectedIdentity: alice('saml20-response'),
    },
    {
      file: 'response.root-unsigned.assertion-signed.b64',
      encoding: 'base64',
      description: 'Baseline, base64-encoded as the HTTP-POST binding sends SAMLResponse.',
      catalogue: ['V0'],
      build: () => Buffer.from(baseline(), 'utf8').toString('base64'),
      expected: 'accept',
      expectedIdentity: alice('saml20-response'),
    },
    {
      file: 'response.root-signed.assertion-signed.xml',
      description: 'Baseline: the Assertion is signed, then the whole Response is signed too.',
      catalogue: ['V0'],
      build: () => signResponse(baseline(), a),
      expected: 'accept',
      expectedIdentity: alice('saml20-response'),
    },
    {
      file: 'response.root-signed.assertion-unsigned.xml',
      description: 'Baseline: only the Response is signed; its signature covers the Assertion.',
      catalogue: ['V0', 'B1b'],
      build: rootSigned,
      expected: 'accept',
      expectedIdentity: alice('saml20-response'),
    },
    {
      file: 'response.root-signed.assertion-unsigned.assertion-signature-required.xml',
      description:
        "Only the Response is signed, and the issuer's policy (requireSignedAssertion) wants the assertion signed itself, as the SP metadata's WantAssertionsSigned says.",
      catalogue: ['B1b'],
      build: rootSigned,
      trust: [
        { issuer: ISSUER_A, keys: ['issuer-a'], allowSha1: false, requireSignedAssertion: true },
        { issuer: ISSUER_B, keys: ['issuer-b'], allowSha1: false },
      ],
      expected: 'reject',
      expectedCode: 'CG_TOKEN_ASSERTION_UNSIGNED',
    },
    {
      file: 'assertion.signed.xml',
      description: 'Baseline: a bare signed SAML 2.0 Assertion.',
      catalogue: ['V0'],
      build: bareAssertion,
      options: { inResponseTo: undefined },
      expected: 'accept',
      expectedIdentity: alice('saml20-assertion'),
    },
    {
      file: 'rstr-saml20.assertion-signed.xml',
      description:
        'Baseline: an Entra-ID-like WS-Federation wresult (WS-Trust 2005/02 RSTR) carrying a signed SAML 2.0 assertion with a bare bearer confirmation.',
      catalogue: ['V0'],
      build: () => entraRstr(signAssertion(saml2Assertion(assertionFields({ recipient: undefined })), a)),
      options: WSFED_OPTIONS,
      expected: 'accept',
      expectedIdentity: alice('wsfed-saml20'),
    },
    {
      file: 'rstr-saml11.assertion-signed.xml',
      description:
        'Baseline: an AD-FS-like WS-Federation wresult (WS-Trust 1.3 RSTR collection) carrying a signed SAML 1.1 assertion (AssertionID, signature last).',
      catalogue: ['V0'],
      build: () => adfsRstr([saml11Signed()]),
      options: WSFED_OPTIONS,
      expected: 'accept',
      expectedIdentity: bob,
    },
    {
      file: 'saml11-assertion.signed.xml',
      description: 'Baseline: a bare signed SAML 1.1 assertion.',
      catalogue: ['V0'],
      build: saml11Signed,
      options: WSFED_OPTIONS,
      expected: 'accept',
      expectedIdentity: { ...bob, kind: 'saml11-assertion' },
    },

    // --- A. XML parsing layer ---------------------------------------------------------
    {
      file: 'response.doctype-external-entity-in-issuer.xml',
      description:
        'XXE: a DOCTYPE declares a SYSTEM entity (a loopback URL) and the Response Issuer references it. Must be refused before any parsing or fetching.',
      catalogue: ['A1'],
      build: () =>
        withDoctype('<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/xxe">]>', (xml) =>
          xml.replace(
            `<Issuer xmlns="${NS.saml2}">${ISSUER_A}</Issuer>`,
            `<Issuer xmlns="${NS.saml2}">&xxe;</Issuer>`,
          ),
        ),
      expected: 'reject',
      expectedCode: 'CG_XML_DTD_FORBIDDEN',
    },
    {
      file: 'response.doctype-external-parameter-entity.xml',
      description: "XXE with a parameter entity expanded inside the DTD (SAML Raider's payload).",
      catalogue: ['A1'],
      build: () => withDoctype('<!DOCTYPE foo [<!ENTITY % xxe SYSTEM "http://127.0.0.1:9/xxe.dtd"> %xxe;]>'),
      expected: 'reject',
      expectedCode: 'CG_XML_DTD_FORBIDDEN',
    },
    {
      file: 'response.doctype-internal-entity-in-nameid.xml',
      description:
        'An internal entity supplies the NameID text (a parser-differential and canonicalisation trick); any DTD is refused.',
      catalogue: ['A3', 'D11'],
      build: () =>
        withDoctype(`<!DOCTYPE samlp:Response [<!ENTITY who "${ADMIN}">]>`, (xml) =>
          xml.replace(`>${ALICE}</NameID>`, '>&who;</NameID>'),
        ),
      expected: 'reject',
      expectedCode: 'CG_XML_DTD_FORBIDDEN',
    },
    {
      file: 'response.doctype-billion-laughs.xml',
      description: 'Billion laughs: ten levels of nested internal entities referenced from the NameID.',
      catalogue: ['A2'],
      build: () => {
        const levels = ['<!ENTITY lol0 "lol">'];
        for (let i = 1; i <= 9; i += 1) {
          levels.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
        }
        return withDoctype(`<!DOCTYPE lolz [${levels.join('')}]>`, (xml) =>
          xml.replace(`>${ALICE}</NameID>`, '>&lol9;</NameID>'),
        );
      },
      expected: 'reject',
      expectedCode: 'CG_XML_DTD_FORBIDDEN',
    },
    {
      file: 'response.doctype-without-entities.xml',
      description: 'A bare DOCTYPE with no entities: refused by policy, as no token carries one.',
      catalogue: ['A3'],
      build: () => withDoctype('<!DOCTYPE samlp:Response>'),
      expected: 'reject',
      expectedCode: 'CG_XML_DTD_FORBIDDEN',
    },
    {
      file: 'response.two-roots.evil-unsigned-response-second.xml',
      description:
        'Two root elements: the signed baseline followed by an unsigned evil Response (xmldom keeps both unless told otherwise, CVE-2022-39353).',
      catalogue: ['A4'],
      build: () => {
        const evil = editXml(
          unsignedResponse({ id: EVIL_RESPONSE_ID, assertion: { id: EVIL_ASSERTION_ID } }),
          (d) => makeEvil(assertionIn(d)),
        );
        return `${baseline()}${evil}`;
      },
      expected: 'reject',
      expectedCode: 'CG_XML_MULTIPLE_ROOTS',
      codeRationale: 'The parser refuses the document before any token logic runs.',
    },
    {
      file: 'rstr-saml20.assertion-signed.root-declares-33-namespaces.xml',
      description:
        'Resource exhaustion (issue 11): the RSTR root declares 33 namespaces, one past the per-element limit. Each declaration once cost a copy of the whole namespace map for every element below it.',
      catalogue: ['A5'],
      build: () =>
        entraRstr(signAssertion(saml2Assertion(assertionFields({ recipient: undefined })), a)).replace(
          '<t:RequestSecurityTokenResponse ',
          `<t:RequestSecurityTokenResponse${Array.from({ length: 33 }, (_, i) => ` xmlns:n${i}="urn:n${i}"`).join('')} `,
        ),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_XML_TOO_MANY_NAMESPACES',
      codeRationale:
        'Refused by the parser at the 33rd declaration, before the rest of the document is read.',
    },
    {
      file: 'rstr-saml20.assertion-signed.element-with-65-attributes.xml',
      description:
        'Resource exhaustion (issue 11): an element of the RSTR carries 65 attributes, one past the limit. Each attribute once cost a rescan of the ones before it.',
      catalogue: ['A5'],
      build: () =>
        entraRstr(signAssertion(saml2Assertion(assertionFields({ recipient: undefined })), a)).replace(
          '<t:Lifetime>',
          `<t:Lifetime${Array.from({ length: 65 }, (_, i) => ` a${i}=""`).join('')}>`,
        ),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_XML_TOO_MANY_ATTRIBUTES',
    },
    {
      file: 'rstr-saml20.assertion-signed.8193-elements.xml',
      description:
        'Resource exhaustion: 8,193 empty elements beside the assertion, past the element limit of a token (one element per 32 bytes of the token size limit: 4,096 at the default 128 KiB, 8,192 at 256 KiB).',
      catalogue: ['A5'],
      build: () =>
        entraRstr(signAssertion(saml2Assertion(assertionFields({ recipient: undefined })), a)).replace(
          '</t:RequestSecurityTokenResponse>',
          `<t:Padding>${'<b/>'.repeat(8193)}</t:Padding></t:RequestSecurityTokenResponse>`,
        ),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_XML_TOO_MANY_ELEMENTS',
    },
    {
      file: 'response.root-unsigned.assertion-signed.namespace-amplification.xml',
      description:
        'Canonicalisation amplification: inside the signed assertion an AttributeValue declares a prefix bound to a 16,000-character URI and holds 80 empty elements in it. Exclusive c14n writes the declaration on each of them (1.3 MB from 16 KB); the signature value still verifies.',
      catalogue: ['A5'],
      build: () =>
        baseline().replace(
          '</AttributeValue>',
          `<v xmlns:p="urn:${'u'.repeat(16_000)}">${'<p:x/>'.repeat(80)}</v></AttributeValue>`,
        ),
      expected: 'reject',
      expectedCode: 'CG_SIG_CANONICAL_TOO_LARGE',
      codeRationale:
        'The SignatureValue verifies (SignedInfo is untouched); the canonical form of the assertion passes four times the token size limit while it is written, before any digest.',
    },

    // --- B. Signature presence and key trust ---------------------------------------------
    {
      file: 'response.root-unsigned.assertion-unsigned.xml',
      description: 'Signature exclusion: neither the Response nor the Assertion is signed.',
      catalogue: ['B1a'],
      build: () => unsignedResponse(),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_UNSIGNED',
    },
    {
      file: 'assertion.unsigned.xml',
      description: 'Signature exclusion: a bare SAML 2.0 assertion without a signature.',
      catalogue: ['B1a'],
      build: () => saml2Assertion(assertionFields()),
      options: { inResponseTo: undefined },
      expected: 'reject',
      expectedCode: 'CG_TOKEN_UNSIGNED',
    },
    {
      file: 'rstr-saml11.assertion-unsigned.xml',
      description: 'Signature exclusion: a WS-Federation RSTR carrying an unsigned SAML 1.1 assertion.',
      catalogue: ['B1c'],
      build: () => adfsRstr([saml11Assertion(saml11Fields())]),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_UNSIGNED',
    },
    {
      file: 'response.root-unsigned.assertion-signature-moved-into-attributevalue.xml',
      description:
        "A valid enveloped signature over the Assertion moved into the role AttributeValue (the interop fixture's shape): it still verifies cryptographically, but it is not the Assertion's signature.",
      catalogue: ['C6'],
      build: () =>
        editXml(baseline(), (d) => {
          const assertion = assertionIn(d);
          const signature = signatureOf(assertion);
          assertion.removeChild(signature);
          element(assertion, NS.saml2, 'AttributeValue', 3).appendChild(signature);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_UNSIGNED',
      codeRationale:
        'The Assertion has no direct-child signature and the Response none either, so the token is unsigned; the stray signature is reported in the detail (observed: "a signature elsewhere"). CG_TOKEN_STRUCTURE_INVALID would be right too, but "unsigned" tells the operator what is missing.',
    },
    {
      file: 'response.root-unsigned.assertion-signed-by-attacker.no-keyinfo.xml',
      description:
        "Signed by the attacker's key under the trusted issuer's name, with no KeyInfo, so the validator can only try the issuer's trusted keys.",
      catalogue: ['B2', 'B4e'],
      build: () => signAssertion(unsignedResponse(), attacker, { certificatePem: undefined }),
      expected: 'reject',
      expectedCode: 'CG_TRUST_KEY_UNKNOWN',
      codeRationale:
        "With no KeyInfo the validator tries every trusted key of the named issuer and none verifies: that is the unknown-key situation (WIF10201), which also lets the rollover engine refresh the issuer's metadata once. CG_SIG_VALUE_INVALID would blame a key the token never named.",
    },
    {
      file: 'response.root-unsigned.assertion-signed-by-attacker.attacker-cert-in-keyinfo.xml',
      description:
        "xml-crypto CVE-2024-32962: a valid signature by the attacker's key with the attacker's certificate in KeyInfo. The certificate copies the subject DN of the real signing certificate (certificate faking); only its thumbprint counts.",
      catalogue: ['B2', 'B3'],
      build: () => signAssertion(unsignedResponse({ assertion: { nameId: ADMIN, role: 'admin' } }), attacker),
      expected: 'reject',
      expectedCode: 'CG_TRUST_KEY_UNKNOWN',
    },
    {
      file: 'response.root-unsigned.assertion-signed-by-attacker.trusted-cert-in-keyinfo.xml',
      description:
        "Signed by the attacker's key but KeyInfo names the trusted certificate: the key lookup succeeds and the signature must then fail with the trusted key.",
      catalogue: ['B2', 'B4'],
      build: () =>
        signAssertion(unsignedResponse({ assertion: { nameId: ADMIN, role: 'admin' } }), attacker, {
          certificatePem: a.certificatePem,
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_VALUE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed-by-attacker.keyinfo-attacker-cert-then-trusted-cert.xml',
      description:
        "Signed by the attacker's key; KeyInfo holds the attacker's certificate first and the trusted one second, hoping the lookup and the verification pick different certificates.",
      catalogue: ['B4a'],
      build: () =>
        editXml(
          signAssertion(unsignedResponse({ assertion: { nameId: ADMIN, role: 'admin' } }), attacker),
          (d) => {
            const data = element(d, NS.ds, 'X509Data');
            const second = d.createElementNS(NS.ds, 'ds:X509Certificate');
            second.appendChild(d.createTextNode(a.certificateBase64));
            data.appendChild(second);
          },
        ),
      expected: 'reject',
      expectedCode: 'CG_SIG_VALUE_INVALID',
      codeRationale:
        'The validator picks, among the KeyInfo certificates, the one whose thumbprint is trusted for the issuer and verifies with that trusted key only (catalogue B4a, second option); the attacker signature then fails. The untrusted first certificate is never used.',
    },
    {
      file: 'response.root-signed-by-attacker.assertion-unsigned.xml',
      description:
        "The Response (carrying an evil, unsigned Assertion) signed by the attacker's key with the attacker's certificate in KeyInfo.",
      catalogue: ['B2', 'B1b'],
      build: () => signResponse(unsignedResponse({ assertion: { nameId: ADMIN, role: 'admin' } }), attacker),
      expected: 'reject',
      expectedCode: 'CG_TRUST_KEY_UNKNOWN',
    },
    {
      file: 'response.root-signed-by-attacker.assertion-signed.xml',
      description:
        "A genuine signed Assertion inside a Response signed by the attacker's key: every signature present must verify with a trusted key, not just one.",
      catalogue: ['B2', 'C6'],
      build: () => signResponse(baseline(), attacker),
      expected: 'reject',
      expectedCode: 'CG_TRUST_KEY_UNKNOWN',
      codeRationale:
        'Both signatures are verified, the Response one first; its key is not trusted for the issuer. The genuine assertion signature does not excuse an untrusted Response signature.',
    },
    {
      file: 'response.root-unsigned.assertion-signed.keyinfo-comment-inside-x509certificate.xml',
      description:
        'A comment splits the (unsigned) KeyInfo X509Certificate text: a reader taking only the first text node sees a truncated certificate; the whole text is the trusted certificate.',
      catalogue: ['B4b'],
      build: () =>
        editXml(baseline(), (d) => {
          const certificate = element(d, NS.ds, 'X509Certificate');
          splitTextWith(certificate, (certificate.textContent ?? '').slice(0, 64), (doc) =>
            doc.createComment(' x '),
          );
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_STRUCTURE_INVALID',
      codeRationale:
        'ds:X509Certificate must be text only, like DigestValue and SignatureValue (detail.reason "unexpected-content"): the catalogue asks to reject B4 (a) to (c) rather than guess which text is the certificate.',
    },
    {
      file: 'response.root-unsigned.assertion-signed.signature-copy-in-extensions.xml',
      description:
        'A copy of the valid Assertion signature placed in a samlp:Extensions of the Response (a stray signature outside the signed elements).',
      catalogue: ['C6', 'C3'],
      build: () =>
        editXml(baseline(), (d) => {
          const response = d.documentElement;
          const extensions = d.createElementNS(NS.samlp, 'samlp:Extensions');
          extensions.appendChild(signatureOf(assertionIn(d)).cloneNode(true));
          insertAfter(extensions, children(response, NS.saml2, 'Issuer')[0]!);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
      codeRationale:
        'The Assertion signature is well formed; the document-wide count then finds a ds:Signature that no signed element carries, before any cryptography. CG_SIG_* codes are kept for the signature being verified, which is sound.',
    },
    {
      file: 'response.issuer-b.assertion-signed-by-issuer-a-key.xml',
      description:
        'Cross-issuer key confusion: the token names issuer B (trusted) but is signed, validly, by the key trusted only for issuer A.',
      catalogue: ['B7'],
      build: () => signAssertion(unsignedResponse({ assertion: { issuer: ISSUER_B } }), a),
      expected: 'reject',
      expectedCode: 'CG_TRUST_KEY_WRONG_ISSUER',
    },
    {
      file: 'response.issuer-unknown.assertion-signed-by-attacker.xml',
      description: 'A token from an issuer that is not trusted at all, signed by its own key.',
      catalogue: ['B2', 'F2'],
      build: () => signAssertion(unsignedResponse({ assertion: { issuer: ISSUER_UNKNOWN } }), attacker),
      expected: 'reject',
      expectedCode: 'CG_TRUST_ISSUER_UNKNOWN',
    },
    {
      file: 'response.root-unsigned.assertion-signed.hmac-sha1-keyed-with-public-cert.xml',
      description:
        "HMAC key confusion: SignatureMethod hmac-sha1 with the trusted certificate's PEM as the HMAC secret, and that certificate in KeyInfo.",
      catalogue: ['B5'],
      build: () =>
        signAssertion(unsignedResponse({ assertion: { nameId: ADMIN, role: 'admin' } }), a, {
          key: a.certificatePem,
          hmac: true,
          signatureAlgorithm: ALGORITHM.hmacSha1,
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_ALGORITHM_FORBIDDEN',
    },
    {
      file: 'response.root-unsigned.assertion-signed.rsa-sha1.xml',
      variant: 'sha1-not-allowed',
      description:
        'Downgrade: RSA-SHA1 with a SHA-1 digest from an issuer that is not configured to allow SHA-1.',
      catalogue: ['B6'],
      build: () =>
        signAssertion(unsignedResponse(), a, {
          signatureAlgorithm: ALGORITHM.rsaSha1,
          digestAlgorithm: ALGORITHM.sha1,
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_ALGORITHM_FORBIDDEN',
    },
    {
      file: 'response.root-unsigned.assertion-signed.rsa-sha1.xml',
      variant: 'sha1-allowed',
      description: 'The same RSA-SHA1 token is accepted from an issuer explicitly configured to allow SHA-1.',
      catalogue: ['B6'],
      trust: [
        { issuer: ISSUER_A, keys: ['issuer-a'], allowSha1: true },
        { issuer: ISSUER_B, keys: ['issuer-b'], allowSha1: false },
      ],
      expected: 'accept',
      expectedIdentity: alice('saml20-response'),
    },

    // --- C. Signature structure --------------------------------------------------------
    {
      file: 'response.root-unsigned.assertion-signed.two-signedinfo.xml',
      description:
        'xml-crypto CVE-2025-29774: a second SignedInfo (a copy) right after the first inside the Signature.',
      catalogue: ['C1'],
      build: () =>
        editXml(baseline(), (d) => {
          const signedInfo = element(d, NS.ds, 'SignedInfo');
          insertAfter(signedInfo.cloneNode(true), signedInfo);
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.second-signedinfo-in-object.xml',
      description:
        'CVE-2025-29774 variant: a second SignedInfo, referencing an evil element, hidden in a ds:Object of the Signature.',
      catalogue: ['C1'],
      build: () =>
        editXml(baseline(), (d) => {
          const signature = element(d, NS.ds, 'Signature');
          const copy = element(d, NS.ds, 'SignedInfo').cloneNode(true) as Element;
          element(copy, NS.ds, 'Reference').setAttribute('URI', `#${EVIL_ASSERTION_ID}`);
          const object = d.createElementNS(NS.ds, 'ds:Object');
          object.appendChild(copy);
          signature.appendChild(object);
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.comment-in-digestvalue.xml',
      description:
        'xml-crypto CVE-2025-29775: NameID changed to admin, the digest of the changed Assertion put in a comment before the original DigestValue text.',
      catalogue: ['C2'],
      build: () => {
        const forged = signAssertion(unsignedResponse({ assertion: { nameId: ADMIN, role: 'admin' } }), a);
        const forgedDigest = element(parseDocument(forged), NS.ds, 'DigestValue').textContent ?? '';
        return editXml(baseline(), (d) => {
          const assertion = assertionIn(d);
          makeEvil(assertion);
          const digest = element(d, NS.ds, 'DigestValue');
          digest.insertBefore(d.createComment(forgedDigest), digest.firstChild);
        });
      },
      expected: 'reject',
      expectedCode: 'CG_SIG_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.nameid-edited-after-signing.xml',
      description: 'Plain tampering: the NameID and role changed after signing, nothing else.',
      catalogue: ['C2', 'F'],
      build: () => editXml(baseline(), (d) => makeEvil(assertionIn(d))),
      expected: 'reject',
      expectedCode: 'CG_SIG_DIGEST_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.reference-to-response.xml',
      description:
        'The Assertion\'s signature references the Response (URI="#<Response ID>"), another element than the one that carries it.',
      catalogue: ['C4a'],
      build: () =>
        signXml(unsignedResponse(), {
          key: a.privateKey,
          certificatePem: a.certificatePem,
          references: [RESPONSE],
          location: { reference: childOf(ASSERTION, 'Issuer'), action: 'after' },
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_REFERENCE_INVALID',
    },
    {
      file: 'assertion.signed.empty-reference-uri.xml',
      description: 'Reference URI="" (the whole document): legal XML-DSig, forbidden by the SAML profile.',
      catalogue: ['C4b'],
      build: () => signAssertion(saml2Assertion(assertionFields()), a, { emptyUri: true }),
      options: { inResponseTo: undefined },
      expected: 'reject',
      expectedCode: 'CG_SIG_REFERENCE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.two-references.xml',
      description: 'SignedInfo with two References (both to the Assertion).',
      catalogue: ['C4f'],
      build: () => signAssertion(unsignedResponse(), a, { references: [ASSERTION, ASSERTION] }),
      expected: 'reject',
      expectedCode: 'CG_SIG_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.two-signatures.xml',
      description: 'Two ds:Signature children of the Assertion (the same signature twice).',
      catalogue: ['C6'],
      build: () =>
        editXml(baseline(), (d) => {
          const signature = signatureOf(assertionIn(d));
          insertAfter(signature.cloneNode(true), signature);
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.response-id-duplicates-assertion-id.xml',
      description:
        "Duplicate IDs: the (unsigned) Response carries the Assertion's ID, so '#ID' resolves to two elements.",
      catalogue: ['C5'],
      build: () => signAssertion(unsignedResponse({ id: ASSERTION_ID }), a),
      expected: 'reject',
      expectedCode: 'CG_SIG_REFERENCE_INVALID',
      codeRationale:
        'The reference "#ID" must resolve to exactly one element (detail.reason "id-duplicate"); there is one Assertion, so no structural gate fires first.',
    },
    {
      file: 'rstr-saml11.assertion-signed.rstr-id-duplicates-assertionid.xml',
      description:
        'Duplicate IDs in WS-Federation: the RequestSecurityTokenResponse carries Id equal to the SAML 1.1 AssertionID.',
      catalogue: ['C5'],
      build: () =>
        editXml(adfsRstr([saml11Signed()]), (d) => {
          element(d, NS.trust13, 'RequestSecurityTokenResponse').setAttribute('Id', SAML11_ASSERTION_ID);
        }),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_SIG_REFERENCE_INVALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.inclusive-c14n.xml',
      description: 'Inclusive c14n as CanonicalizationMethod and transform.',
      catalogue: ['C7', 'C8'],
      build: () =>
        signAssertion(unsignedResponse(), a, {
          canonicalizationAlgorithm: ALGORITHM.c14n,
          transforms: [ALGORITHM.enveloped, ALGORITHM.c14n],
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_ALGORITHM_FORBIDDEN',
    },
    {
      file: 'response.root-unsigned.assertion-signed.exc-c14n-with-comments.xml',
      description:
        'Exclusive c14n #WithComments as CanonicalizationMethod and transform (lets comments into what is signed).',
      catalogue: ['C7e', 'E1'],
      build: () =>
        signAssertion(unsignedResponse(), a, {
          canonicalizationAlgorithm: ALGORITHM.excC14nWithComments,
          transforms: [ALGORITHM.enveloped, ALGORITHM.excC14nWithComments],
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_ALGORITHM_FORBIDDEN',
    },
    {
      file: 'response.root-unsigned.assertion-signed.xpath-transform.xml',
      description: 'An XPath filter transform between enveloped-signature and exc-c14n.',
      catalogue: ['C7b'],
      build: () =>
        signAssertion(unsignedResponse(), a, {
          transforms: [ALGORITHM.enveloped, ALGORITHM.xpath, ALGORITHM.excC14n],
        }),
      expected: 'reject',
      expectedCode: 'CG_SIG_ALGORITHM_FORBIDDEN',
    },

    // --- D. Signature wrapping (SAML Raider XSW1–XSW8) ---------------------------------
    {
      file: 'response.root-signed.xsw1.evil-root.signed-clone-inside-signature.xml',
      description:
        'XSW1: the signed Response cloned (without its Signature) into its own ds:Signature; the outer Response made evil with ID _evil_response_ID.',
      catalogue: ['D XSW1', 'C9'],
      build: () =>
        editXml(rootSigned(), (d) => {
          const response = d.documentElement;
          const signature = signatureOf(response);
          signature.appendChild(cloneWithoutSignature(response));
          response.setAttribute('ID', EVIL_RESPONSE_ID);
          makeEvil(children(response, NS.saml2, 'Assertion')[0]!);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
      codeRationale:
        'The document holds two Assertion elements (the outer one and the one in the clone). Counting assertions is the first structural gate, before any signature is inspected; the signature shape (an element inside ds:Signature) would otherwise give CG_SIG_STRUCTURE_INVALID.',
    },
    {
      file: 'response.root-signed.xsw2.evil-root.signed-clone-before-signature.xml',
      description:
        'XSW2: as XSW1, but the signed clone is inserted as the previous sibling of the ds:Signature (detached style).',
      catalogue: ['D XSW2', 'C9'],
      build: () =>
        editXml(rootSigned(), (d) => {
          const response = d.documentElement;
          const signature = signatureOf(response);
          response.insertBefore(cloneWithoutSignature(response), signature);
          response.setAttribute('ID', EVIL_RESPONSE_ID);
          makeEvil(children(response, NS.saml2, 'Assertion')[0]!);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
      codeRationale:
        'Two Assertion elements in the document; the assertion count runs before the reference check that would otherwise give CG_SIG_REFERENCE_INVALID (#original ID is not the parent).',
    },
    {
      file: 'assertion.signed.xsw1.evil-root.signed-clone-inside-signature.xml',
      description:
        'XSW1 on a bare Assertion: the signed clone inside the signature, the outer Assertion evil with a new ID.',
      catalogue: ['D XSW1'],
      build: () =>
        editXml(bareAssertion(), (d) => {
          const assertion = d.documentElement;
          signatureOf(assertion).appendChild(cloneWithoutSignature(assertion));
          assertion.setAttribute('ID', EVIL_ASSERTION_ID);
          makeEvil(assertion);
        }),
      options: { inResponseTo: undefined },
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
      codeRationale:
        'Two Assertion elements in the document; the assertion count runs before the signature shape check (CG_SIG_STRUCTURE_INVALID).',
    },
    {
      file: 'assertion.signed.xsw2.evil-root.signed-clone-before-signature.xml',
      description: 'XSW2 on a bare Assertion: the signed clone right before the signature.',
      catalogue: ['D XSW2'],
      build: () =>
        editXml(bareAssertion(), (d) => {
          const assertion = d.documentElement;
          assertion.insertBefore(cloneWithoutSignature(assertion), signatureOf(assertion));
          assertion.setAttribute('ID', EVIL_ASSERTION_ID);
          makeEvil(assertion);
        }),
      options: { inResponseTo: undefined },
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
      codeRationale:
        'Two Assertion elements in the document; the assertion count runs before the reference check (CG_SIG_REFERENCE_INVALID).',
    },
    {
      file: 'response.root-unsigned.xsw3.evil-assertion-before-signed-assertion.xml',
      description:
        'XSW3: an unsigned evil copy of the Assertion (ID _evil_assertion_ID) inserted before the signed original.',
      catalogue: ['D XSW3', 'D10'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const evil = cloneWithoutSignature(original);
          evil.setAttribute('ID', EVIL_ASSERTION_ID);
          makeEvil(evil);
          original.parentNode!.insertBefore(evil, original);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.xsw4.evil-assertion-wrapping-signed-assertion.xml',
      description:
        'XSW4: the evil unsigned copy appended to the Response, the signed original moved inside it.',
      catalogue: ['D XSW4'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const evil = cloneWithoutSignature(original);
          evil.setAttribute('ID', EVIL_ASSERTION_ID);
          makeEvil(evil);
          original.parentNode!.appendChild(evil);
          evil.appendChild(original);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.xsw5.evil-signed-assertion.unsigned-copy-appended.xml',
      description:
        'XSW5: the original (still carrying its Signature) made evil with ID _evil_assertion_ID; an unmodified unsigned copy appended to the Response.',
      catalogue: ['D XSW5'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const copy = cloneWithoutSignature(original);
          makeEvil(original);
          original.setAttribute('ID', EVIL_ASSERTION_ID);
          original.parentNode!.appendChild(copy);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.xsw6.evil-signed-assertion.unsigned-copy-inside-signature.xml',
      description: "XSW6: as XSW5, but the unmodified copy goes inside the original's ds:Signature.",
      catalogue: ['D XSW6'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const copy = cloneWithoutSignature(original);
          makeEvil(original);
          original.setAttribute('ID', EVIL_ASSERTION_ID);
          signatureOf(original).appendChild(copy);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.xsw7.evil-assertion-same-id-in-extensions.xml',
      description:
        'XSW7: a samlp:Extensions before the Assertion holding an evil unsigned copy with the same ID.',
      catalogue: ['D XSW7', 'C5'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const evil = cloneWithoutSignature(original);
          makeEvil(evil);
          const extensions = d.createElementNS(NS.samlp, 'samlp:Extensions');
          extensions.appendChild(evil);
          original.parentNode!.insertBefore(extensions, original);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
      codeRationale:
        'Two Assertion elements in the document; the assertion count runs before the duplicate-ID check (CG_SIG_REFERENCE_INVALID).',
    },
    {
      file: 'response.root-unsigned.xsw8.evil-signed-assertion.unsigned-copy-same-id-in-object.xml',
      description:
        "XSW8: the original made evil (keeping Signature and ID); an unmodified unsigned copy with the same ID inside a new ds:Object in the original's Signature.",
      catalogue: ['D XSW8', 'C5'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const copy = cloneWithoutSignature(original);
          makeEvil(original);
          const object = d.createElementNS(NS.ds, 'ds:Object');
          object.appendChild(copy);
          signatureOf(original).appendChild(object);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
      codeRationale:
        'Two Assertion elements in the document; the assertion count runs before the ds:Object and duplicate-ID checks (CG_SIG_*).',
    },
    {
      file: 'response.root-unsigned.assertion-signed.evil-assertion-appended.xml',
      description:
        'Several assertions (crewjam/saml CVE-2022-41912): an unsigned evil copy with another ID appended after the signed one.',
      catalogue: ['D10'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const evil = cloneWithoutSignature(original);
          evil.setAttribute('ID', EVIL_ASSERTION_ID);
          makeEvil(evil);
          insertAfter(evil, original);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'response.root-unsigned.lookalike-namespace-assertion-before-signed-assertion.xml',
      description:
        'Namespace confusion: an evil Assertion whose namespace is the SAML 2.0 one with a trailing space, placed before the signed Assertion. Refused like any second element named Assertion.',
      catalogue: ['D12'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const evil = parseDocument(
            saml2Assertion(assertionFields({ id: EVIL_ASSERTION_ID, nameId: ADMIN, role: 'admin' })).replace(
              `xmlns="${NS.saml2}"`,
              `xmlns="${NS.saml2} "`,
            ),
          ).documentElement;
          original.parentNode!.insertBefore(d.importNode(evil, true), original);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'response.version-3.0.assertion-signed.xml',
      description:
        'A samlp:Response that says Version="3.0": not a SAML 2.0 message, whatever its namespace.',
      catalogue: ['D12'],
      build: () => signAssertion(unsignedResponse().replace('Version="2.0"', 'Version="3.0"'), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'rstr-saml20.assertion-signed.answers-saml-request.xml',
      description:
        'Cross-protocol replay: an assertion issued for SAML 2.0 sign-in (its signed bearer confirmation answers an AuthnRequest and names the ACS) wrapped in a WS-Trust response and posted as a WS-Federation wresult.',
      catalogue: ['F4'],
      build: () => entraRstr(signAssertion(saml2Assertion(assertionFields()), a)),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    },
    {
      file: 'rstr-saml20.assertion-signed.recipient-is-acs.xml',
      description:
        'Cross-protocol replay: an assertion whose signed bearer confirmation names the SAML ACS as Recipient (no InResponseTo: IdP-initiated), wrapped in a WS-Trust response for a relying party whose WS-Federation reply URL is another.',
      catalogue: ['F4'],
      build: () => entraRstr(signAssertion(saml2Assertion(assertionFields({ inResponseTo: undefined })), a)),
      options: { ...WSFED_OPTIONS, recipient: WSFED_REPLY },
      expected: 'reject',
      expectedCode: 'CG_TOKEN_RECIPIENT_MISMATCH',
    },
    {
      file: 'response.root-unsigned.foreign-namespace-assertion-before-signed-assertion.xml',
      description:
        'Namespace confusion: an evil element named Assertion in a foreign namespace placed before the signed Assertion, for local-name() selectors. Refused: an element named Assertion in any namespace counts, so a reader selecting by local name can never see two.',
      catalogue: ['D12'],
      build: () =>
        editXml(baseline(), (d) => {
          const original = assertionIn(d);
          const evil = parseDocument(
            saml2Assertion(assertionFields({ id: EVIL_ASSERTION_ID, nameId: ADMIN, role: 'admin' })).replace(
              `xmlns="${NS.saml2}"`,
              'xmlns="urn:evil:assertion"',
            ),
          ).documentElement;
          original.parentNode!.insertBefore(d.importNode(evil, true), original);
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'rstr-saml11.two-responses.evil-unsigned-first.xml',
      description:
        'WS-Federation wrapping: a RequestSecurityTokenResponseCollection with an evil unsigned RSTR first and the signed one second.',
      catalogue: ['D13a'],
      build: () => {
        const evil = editXml(saml11Assertion(saml11Fields({ id: EVIL_ASSERTION_ID })), (d) =>
          makeEvil(d.documentElement),
        );
        return adfsRstr([evil]).replace(
          '</trust:RequestSecurityTokenResponseCollection>',
          adfsRstr([saml11Signed()]).replace(/^<[^>]+>/, ''),
        );
      },
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'rstr-saml11.xsw4.evil-assertion-wrapping-signed-assertion.xml',
      description:
        'WS-Federation XSW4 analogue: an evil unsigned SAML 1.1 assertion in RequestedSecurityToken with the signed original moved inside it.',
      catalogue: ['D13b', 'D XSW4'],
      build: () =>
        editXml(adfsRstr([saml11Signed()]), (d) => {
          const original = element(d, NS.saml1, 'Assertion');
          const evil = cloneWithoutSignature(original);
          evil.setAttribute('AssertionID', EVIL_ASSERTION_ID);
          makeEvil(evil);
          original.parentNode!.appendChild(evil);
          evil.appendChild(original);
        }),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },
    {
      file: 'rstr-saml11.two-assertions.evil-unsigned-first.xml',
      description:
        'WS-Federation: RequestedSecurityToken holding an evil unsigned assertion before the signed one.',
      catalogue: ['D10', 'D13'],
      build: () => {
        const evil = editXml(saml11Assertion(saml11Fields({ id: EVIL_ASSERTION_ID })), (d) =>
          makeEvil(d.documentElement),
        );
        return adfsRstr([evil, saml11Signed()]);
      },
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STRUCTURE_INVALID',
    },

    // --- E. Content extraction -----------------------------------------------------------
    {
      file: 'response.root-unsigned.assertion-signed.comment-inside-nameid.xml',
      description:
        'Comment injection (CVE-2017-11427 class): the IdP signed NameID admin@contoso.example.evil.example; the attacker splits it with <!----> after admin@contoso.example. The signature stays valid (c14n drops comments) and the subject must be the full signed value, never the text before the comment.',
      catalogue: ['E1', 'C9'],
      build: () =>
        editXml(signAssertion(unsignedResponse({ assertion: { nameId: `${ADMIN}.evil.example` } }), a), (d) =>
          splitTextWith(element(d, NS.saml2, 'NameID'), ADMIN, (doc) => doc.createComment('')),
        ),
      expected: 'accept',
      expectedIdentity: { ...alice('saml20-response'), subject: `${ADMIN}.evil.example` },
    },
    {
      file: 'response.root-unsigned.assertion-signed.processing-instruction-inside-nameid.xml',
      description:
        'A processing instruction inserted after signing inside the NameID (admin@contoso.example<?evil x?>.evil.example). Exclusive c14n keeps processing instructions, so a lax verifier would see a digest change, and a lax reader might stop at the PI.',
      catalogue: ['E1', 'C8'],
      build: () =>
        editXml(signAssertion(unsignedResponse({ assertion: { nameId: `${ADMIN}.evil.example` } }), a), (d) =>
          splitTextWith(element(d, NS.saml2, 'NameID'), ADMIN, (doc) =>
            doc.createProcessingInstruction('evil', 'x'),
          ),
        ),
      expected: 'reject',
      expectedCode: 'CG_SIG_STRUCTURE_INVALID',
      codeRationale:
        'Processing instructions are refused anywhere in signed content before the digest is computed (detail.reason "processing-instruction"), so the digest mismatch they would cause is never reached.',
    },

    // --- F. Protocol checks ----------------------------------------------------------------
    {
      file: 'response.root-unsigned.assertion-signed.expired-beyond-skew.xml',
      description: 'Conditions and bearer confirmation ended 6 minutes ago; the clock skew is 5 minutes.',
      catalogue: ['F7'],
      build: () =>
        signAssertion(
          unsignedResponse({
            assertion: {
              issueInstant: at(-61),
              notBefore: at(-66),
              notOnOrAfter: at(-6),
              confirmationNotOnOrAfter: at(-6),
            },
          }),
          a,
        ),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_EXPIRED',
    },
    {
      file: 'response.root-unsigned.assertion-signed.expired-within-skew.xml',
      description:
        'Conditions and bearer confirmation ended 4 minutes ago: within the 5-minute skew, accepted.',
      catalogue: ['F7'],
      build: () =>
        signAssertion(
          unsignedResponse({
            assertion: {
              issueInstant: at(-61),
              notBefore: at(-66),
              notOnOrAfter: at(-4),
              confirmationNotOnOrAfter: at(-4),
            },
          }),
          a,
        ),
      expected: 'accept',
      expectedIdentity: alice('saml20-response'),
    },
    {
      file: 'response.root-unsigned.assertion-signed.confirmation-expired.xml',
      description:
        'Conditions still valid but the bearer SubjectConfirmationData NotOnOrAfter ended 6 minutes ago.',
      catalogue: ['F7', 'F9'],
      build: () => signAssertion(unsignedResponse({ assertion: { confirmationNotOnOrAfter: at(-6) } }), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_EXPIRED',
      codeRationale:
        'The only bearer confirmation is past its NotOnOrAfter: the token is expired for this use. CG_TOKEN_RECIPIENT_MISMATCH ("no bearer confirmation is valid") would point the operator at the ACS URL instead of the clock.',
    },
    {
      file: 'response.root-unsigned.assertion-signed.not-yet-valid.xml',
      description: 'NotBefore is 6 minutes ahead, beyond the 5-minute skew.',
      catalogue: ['F7'],
      build: () =>
        signAssertion(
          unsignedResponse({
            assertion: {
              issueInstant: at(6),
              notBefore: at(6),
              notOnOrAfter: at(66),
              confirmationNotOnOrAfter: at(11),
            },
          }),
          a,
        ),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_NOT_YET_VALID',
    },
    {
      file: 'response.root-unsigned.assertion-signed.wrong-audience.xml',
      description: 'The signed AudienceRestriction names another relying party.',
      catalogue: ['F3'],
      build: () =>
        signAssertion(unsignedResponse({ assertion: { audience: 'https://other-app.example/' } }), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_AUDIENCE_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.no-audience-restriction.xml',
      description: 'Conditions without any AudienceRestriction: a token for anyone.',
      catalogue: ['F3'],
      build: () => signAssertion(unsignedResponse({ assertion: { audience: undefined } }), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_AUDIENCE_MISMATCH',
      codeRationale:
        'The token names no audience (detail.observed is empty), so it is addressed to none of ours; CG_TOKEN_STRUCTURE_INVALID would also be defensible, but the audience code names the missing guarantee.',
    },
    {
      file: 'rstr-saml11.assertion-signed.wrong-audience.xml',
      description:
        'WS-Federation: the signed SAML 1.1 AudienceRestrictionCondition names another realm (the unsigned wsp:AppliesTo still names ours).',
      catalogue: ['F3', 'D13d'],
      build: () => adfsRstr([signSaml11(saml11Assertion(saml11Fields({ audience: 'urn:other:realm' })), b)]),
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_AUDIENCE_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.wrong-recipient.xml',
      description: 'The bearer SubjectConfirmationData Recipient is another ACS URL.',
      catalogue: ['F4'],
      build: () =>
        signAssertion(unsignedResponse({ assertion: { recipient: 'https://evil.example/acs' } }), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_RECIPIENT_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.wrong-destination.xml',
      description: 'The Response Destination is another ACS URL.',
      catalogue: ['F5'],
      build: () => signAssertion(unsignedResponse({ destination: 'https://evil.example/acs' }), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_DESTINATION_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.in-response-to-other-request.xml',
      description:
        'The Response and its bearer confirmation answer another AuthnRequest than the one this relying party sent.',
      catalogue: ['F6'],
      build: () =>
        signAssertion(
          unsignedResponse({ inResponseTo: '_req-other', assertion: { inResponseTo: '_req-other' } }),
          a,
        ),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.unsolicited-no-in-response-to.xml',
      description:
        'An unsolicited (IdP-initiated) Response with no InResponseTo anywhere, while this relying party is waiting for the answer to its own request.',
      catalogue: ['F6'],
      build: () =>
        signAssertion(
          editXml(unsignedResponse({ assertion: { inResponseTo: undefined } }), (d) =>
            d.documentElement.removeAttribute('InResponseTo'),
          ),
          a,
        ),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.confirmation-in-response-to-other-request.xml',
      description:
        'The (unsigned) Response InResponseTo names our request but the signed bearer confirmation answers another one: the signed value decides.',
      catalogue: ['F6', 'C9'],
      build: () => signAssertion(unsignedResponse({ assertion: { inResponseTo: '_req-other' } }), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
    },
    {
      file: 'response.root-unsigned.assertion-signed.xml',
      variant: 'replayed',
      description: 'Replay: the valid baseline presented twice to one validator; the second use is refused.',
      catalogue: ['F11'],
      repeat: 2,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_REPLAYED',
    },
    {
      file: 'rstr-saml11.assertion-signed.xml',
      variant: 'replayed',
      description: 'Replay of a WS-Federation token (no InResponseTo to bind it): the second use is refused.',
      catalogue: ['F11'],
      options: WSFED_OPTIONS,
      repeat: 2,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_REPLAYED',
    },
    {
      file: 'response.root-unsigned.encrypted-assertion.xml',
      description:
        'An EncryptedAssertion (AES-256-CBC, RSA-OAEP key transport), which this relying party cannot decrypt.',
      catalogue: ['F14', 'F15'],
      build: () =>
        samlResponse({
          id: RESPONSE_ID,
          issuer: ISSUER_A,
          issueInstant: at(-1),
          destination: ACS,
          inResponseTo: REQUEST_ID,
          body:
            `<EncryptedAssertion xmlns="${NS.saml2}"><xenc:EncryptedData xmlns:xenc="${NS.xenc}" Type="${NS.xenc}Element">` +
            `<xenc:EncryptionMethod Algorithm="${NS.xenc}aes256-cbc"/><ds:KeyInfo xmlns:ds="${NS.ds}">` +
            `<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${NS.xenc}rsa-oaep-mgf1p"/>` +
            `<xenc:CipherData><xenc:CipherValue>${pseudoCipher('key', 256)}</xenc:CipherValue></xenc:CipherData>` +
            `</xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>${pseudoCipher('assertion', 1024)}` +
            `</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></EncryptedAssertion>`,
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_ENCRYPTED_UNSUPPORTED',
      codeRationale:
        'Reported before the assertion count and signature checks (which would say CG_TOKEN_STRUCTURE_INVALID or CG_TOKEN_UNSIGNED): the fix is a setting at the issuer.',
    },
    {
      file: 'wresult.soap-fault.xml',
      description:
        'The issuer answered the WS-Federation sign-in with a SOAP 1.2 fault (Sender / fed:BadRequest); the fault code must reach the error detail.',
      catalogue: ['F1'],
      build: () =>
        `<env:Envelope xmlns:env="${NS.soap12}" xmlns:fed="http://schemas.xmlsoap.org/ws/2006/12/federation">` +
        '<env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>fed:BadRequest</env:Value>' +
        '</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">MSIS7012: An error occurred while processing the request.</env:Text>' +
        '</env:Reason></env:Fault></env:Body></env:Envelope>',
      options: WSFED_OPTIONS,
      expected: 'reject',
      expectedCode: 'CG_TOKEN_ISSUER_FAULT',
      expectedDetailIncludes: 'fed:BadRequest',
    },
    {
      file: 'response.status-requester-authnfailed.no-assertion.xml',
      description: 'An error Response: status Requester / AuthnFailed with a message and no assertion.',
      catalogue: ['F1'],
      build: () =>
        samlResponse({
          id: RESPONSE_ID,
          issuer: ISSUER_A,
          issueInstant: at(-1),
          destination: ACS,
          inResponseTo: REQUEST_ID,
          status: {
            code: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
            subCode: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
            message: 'AADSTS50105: The signed in user is not assigned to a role for the application.',
          },
          body: '',
        }),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_STATUS_NOT_SUCCESS',
      codeRationale:
        "The status is read before the assertion count or the signature: an error Response carries no assertion, and the IdP's reason (in detail) is what the operator needs, not CG_TOKEN_STRUCTURE_INVALID or CG_TOKEN_UNSIGNED.",
      expectedDetailIncludes: 'AuthnFailed',
    },
    {
      file: 'response.issuer-b.assertion-issuer-a-signed.xml',
      description:
        'The (unsigned) Response names issuer B while its validly signed Assertion comes from issuer A; both issuers are trusted.',
      catalogue: ['F2'],
      build: () => signAssertion(unsignedResponse({ issuer: ISSUER_B }), a),
      expected: 'reject',
      expectedCode: 'CG_TOKEN_ISSUER_MISMATCH',
      codeRationale:
        'The issuers are compared before trust is looked up, so the disagreement is reported as such rather than as a key problem.',
    },
  ];
}

// --- Output ------------------------------------------------------------------------------

const KEY_NAMES: readonly KeyName[] = ['issuer-a', 'issuer-b', 'attacker'];

/** The manifest entry of a definition: options completed, fields in a stable order. */
function resolveCase(definition: CaseDefinition): CorpusCase {
  const merged: Record<string, unknown> = { ...SAML2_OPTIONS, ...definition.options };
  const options = Object.fromEntries(
    Object.entries(merged).filter(([, value]) => value !== undefined),
  ) as unknown as ValidatorOptionsSpec;
  const base = definition.file.replace(/\.xml$/, '');
  const optional = <K extends keyof CorpusCase & keyof CaseDefinition>(
    key: K,
  ): Partial<Pick<CorpusCase, K>> =>
    definition[key] === undefined ? {} : ({ [key]: definition[key] } as Partial<Pick<CorpusCase, K>>);
  return {
    id: definition.variant === undefined ? base : `${base}#${definition.variant}`,
    file: definition.file,
    encoding: definition.encoding ?? 'xml',
    description: definition.description,
    catalogue: definition.catalogue,
    trust: definition.trust ?? DEFAULT_TRUST,
    options,
    expected: definition.expected,
    ...optional('expectedCode'),
    ...optional('codeRationale'),
    ...optional('expectedIdentity'),
    ...optional('repeat'),
    ...optional('expectedDetailIncludes'),
  };
}

const README_HEAD = `# Adversarial XML-token corpus

Generated by \`scripts/generate-adversarial-corpus.ts\` — do not edit these files by hand.
\`test/tokens/adversarial-corpus.test.ts\` validates every case with \`createTokenValidator\` and checks
that running the script reproduces every file here byte for byte.

## Regenerate

    npm run corpus

The output is deterministic: the keys are the committed PEM files in \`keys/\`, every ID and instant
is fixed (cases are validated at ${CORPUS_NOW}), and RSA PKCS#1 v1.5 signatures depend only on the key
and the signed bytes. Tokens are signed by xml-crypto's \`SignedXml\` (RSA-SHA256, SHA-256, exclusive
c14n, enveloped; SAML 2.0 signature right after Issuer, SAML 1.1 signature last), an implementation
independent of claimsgate's own verifier.

The keys were generated once (RSA 2048, self-signed, valid 2024–2034) with
\`test/helpers/certificates.ts\` and are test material only. Regenerating them changes every
signature. \`issuer-a\` plays an Entra ID tenant, \`issuer-b\` an AD FS farm, and \`attacker\` is
trusted for nothing; its certificate copies the subject DN of \`issuer-a\`'s, so only the thumbprint
tells them apart.

## Naming

\`<input>.<signature layout>.<mutation>.xml\`, after node-saml's fixtures, e.g.
\`response.root-signed-by-attacker.assertion-unsigned.xml\`:

- input: \`response\` (samlp:Response), \`assertion\` (bare SAML 2.0), \`saml11-assertion\`,
  \`rstr-saml20\` / \`rstr-saml11\` (a WS-Federation wresult carrying that assertion), \`wresult\`;
- layout: \`root-signed\` / \`root-unsigned\` for the Response signature, \`assertion-signed\` /
  \`assertion-unsigned\`, with \`-by-attacker\` when the attacker's key signed;
- mutation: what was done, in structural terms (\`xsw3.evil-assertion-before-signed-assertion\`).

A file that serves several cases has one manifest entry per case, with ids \`<file>#<variant>\`.

## Manifest

\`manifest.json\` lists the keys (with thumbprints) and, per case: \`id\`, \`file\`, \`encoding\`
(\`xml\`, or \`base64\` as the POST binding sends it), \`description\`, \`catalogue\` (entries of the
security catalogue, Part 1), \`trust\` (each trusted issuer, the keys trusted for it, whether it
allows SHA-1), \`options\` (audiences, recipient, destination, inResponseTo, now), \`expected\`
(\`accept\` or \`reject\`), \`expectedCode\`, \`codeRationale\` (why that code, where check order could
have produced another), \`expectedIdentity\` (fields an accepted token must yield, read from the
signed bytes), \`repeat\` (validate the same bytes that many times with one validator; the last attempt
gives the verdict) and \`expectedDetailIncludes\`.

## Cases

| case | verdict | catalogue |
| --- | --- | --- |
`;

function renderReadme(cases: readonly CorpusCase[]): string {
  const rows = cases.map((entry) => {
    const verdict = entry.expected === 'accept' ? 'accept' : `\`${entry.expectedCode}\``;
    const repeat = entry.repeat === undefined ? '' : ` (use ${entry.repeat})`;
    return `| \`${entry.id}\` | ${verdict}${repeat} | ${entry.catalogue.join(', ')} |`;
  });
  return `${README_HEAD}${rows.join('\n')}\n`;
}

/**
 * Writes the corpus (case files, manifest.json, README.md) into `outputDir`,
 * removes any other file at its top level (not `keys/`), and returns the
 * file names written.
 */
export function generateAdversarialCorpus(options: { outputDir: string; keysDir: string }): string[] {
  const keys = Object.fromEntries(
    KEY_NAMES.map((name) => [name, loadCorpusKey(options.keysDir, name)]),
  ) as Record<KeyName, CorpusKey>;
  const definitions = defineCases(keys);
  mkdirSync(options.outputDir, { recursive: true });
  const written: string[] = [];
  const ids = new Set<string>();
  for (const definition of definitions) {
    if (definition.build !== undefined) {
      writeFileSync(join(options.outputDir, definition.file), definition.build());
      written.push(definition.file);
    }
  }
  const cases = definitions.map(resolveCase);
  for (const entry of cases) {
    if (ids.has(entry.id)) throw new Error(`duplicate case id ${entry.id}`);
    ids.add(entry.id);
  }
  const manifest = {
    generatedBy: 'scripts/generate-adversarial-corpus.ts',
    now: CORPUS_NOW,
    keys: Object.fromEntries(
      KEY_NAMES.map((name) => {
        const certificate = new X509Certificate(keys[name].certificatePem);
        return [
          name,
          {
            certificate: `keys/${name}.cert.pem`,
            privateKey: `keys/${name}.key.pem`,
            subject: certificate.subject,
            sha1: certificate.fingerprint.replace(/:/g, ''),
            sha256: certificate.fingerprint256.replace(/:/g, ''),
          },
        ];
      }),
    ),
    cases,
  };
  writeFileSync(join(options.outputDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  written.push('manifest.json');
  writeFileSync(join(options.outputDir, 'README.md'), renderReadme(cases));
  written.push('README.md');
  // The directory is generated: a file no case writes any more (a renamed case) goes.
  for (const entry of readdirSync(options.outputDir, { withFileTypes: true })) {
    if (entry.isFile() && !written.includes(entry.name)) rmSync(join(options.outputDir, entry.name));
  }
  return written;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outputDir = join(root, 'test', 'fixtures', 'adversarial');
  const written = generateAdversarialCorpus({ outputDir, keysDir: join(outputDir, 'keys') });
  console.log(`Wrote ${written.length} files to ${outputDir}`);
}
