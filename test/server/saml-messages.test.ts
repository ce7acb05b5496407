import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { buildAuthnRequest, newRequestId, redirectBindingUrl } from '../../src/server/saml-authn-request.js';
import { decodeSamlResponse } from '../../src/server/saml-sign-in.js';
import { renderSpMetadata } from '../../src/server/saml-sp-metadata.js';
import { createSamlSsoFinder } from '../../src/server/saml-sso-url.js';
import type { IssuerRecord, MetadataSnapshotRecord } from '../../src/store/model.js';
import type { Store } from '../../src/store/store.js';
import { NS, attribute, firstChildElement, forEachDescendantElement, ownText } from '../../src/xml/dom.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { entitiesDescriptor, entityDescriptor, keyDescriptor } from '../helpers/metadata-xml.js';
import { issuerRecord } from '../helpers/rollover-records.js';

/** A value with every character that could break out of XML text or an attribute. */
const HOSTILE = `urn:x?a=1&b="2"<c>'d'\tline\nend`;
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

describe('the AuthnRequest and SP metadata the gateway writes', () => {
  it('escapes every value of an AuthnRequest so that it parses back unchanged', () => {
    const xml = buildAuthnRequest({
      id: '_0123456789abcdef0123456789abcdef',
      issueInstant: new Date('2026-03-02T09:30:00.123Z'),
      destination: `https://idp.test/sso?x=${HOSTILE}`,
      assertionConsumerServiceUrl: `https://sp.test/acs?${HOSTILE}`,
      issuer: HOSTILE,
    });
    const { root } = parseXml(xml);
    assert.equal(attribute(root, 'Destination'), `https://idp.test/sso?x=${HOSTILE}`);
    assert.equal(attribute(root, 'AssertionConsumerServiceURL'), `https://sp.test/acs?${HOSTILE}`);
    assert.equal(attribute(root, 'IssueInstant'), '2026-03-02T09:30:00Z');
    assert.equal(ownText(firstChildElement(root, NS.saml2, 'Issuer')!), HOSTILE);
    let elements = 0;
    forEachDescendantElement(root, () => (elements += 1));
    assert.equal(elements, 2, 'no element was injected');
  });

  it('escapes the entity ID and ACS URL of the SP metadata so that it parses back unchanged', () => {
    const { root } = parseXml(
      renderSpMetadata({
        entityId: HOSTILE,
        assertionConsumerServiceUrl: HOSTILE,
        wantAssertionsSigned: true,
      }),
    );
    assert.equal(attribute(root, 'entityID'), HOSTILE);
    const sp = firstChildElement(root, NS.md, 'SPSSODescriptor')!;
    assert.equal(attribute(firstChildElement(sp, NS.md, 'AssertionConsumerService')!, 'Location'), HOSTILE);
  });

  it('makes request IDs that are xs:IDs with 128 random bits', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newRequestId()));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, /^_[0-9a-f]{32}$/);
  });

  it('deflates and base64-encodes the request into the SSO URL, keeping its own query parameters', () => {
    const request = buildAuthnRequest({
      id: '_abc',
      issueInstant: new Date('2026-03-02T09:30:00Z'),
      destination: 'https://idp.test/sso?tenant=a+b',
      assertionConsumerServiceUrl: 'https://sp.test/acs',
      issuer: 'https://sp.test/',
    });
    const url = new URL(redirectBindingUrl('https://idp.test/sso?tenant=a+b', request, 'v1.x+y/z='));
    assert.equal(url.searchParams.get('tenant'), 'a b');
    assert.equal(url.searchParams.get('RelayState'), 'v1.x+y/z=');
    const encoded = url.searchParams.get('SAMLRequest')!;
    assert.equal(inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8'), request);
  });
});

describe('decoding the SAMLResponse form field', () => {
  const xml = '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>';

  it('decodes base64 wrapped over lines, with a byte-order mark or leading whitespace before the XML', () => {
    const wrapped = Buffer.from(`\uFEFF \n${xml}`)
      .toString('base64')
      .replace(/(.{8})/g, '$1\r\n');
    assert.equal(decodeSamlResponse(wrapped, 1024).toString('utf8'), `\uFEFF \n${xml}`);
  });

  it('refuses a missing field, characters outside base64, bad padding and non-XML content', () => {
    for (const value of [undefined, '', 'PHNhbWw+*', 'PHNhbWw', Buffer.from('{"a":1}').toString('base64')]) {
      assert.throws(() => decodeSamlResponse(value, 1024), { code: 'CG_TOKEN_FORMAT_UNKNOWN' });
    }
  });

  it('refuses before decoding a value that would exceed the token size limit', () => {
    const large = Buffer.from(`<a>${'x'.repeat(2000)}</a>`).toString('base64');
    assert.throws(() => decodeSamlResponse(large, 1024), { code: 'CG_TOKEN_TOO_LARGE' });
  });
});

describe('finding the SAML single sign-on URL of an issuer', () => {
  const ENTITY = 'https://idp.example/';
  let keys: string;
  before(async () => {
    keys = keyDescriptor((await createTestCertificate()).base64, 'signing');
  });

  function idpRole(services: ReadonlyArray<[binding: string, location: string]>): string {
    const sso = services.map(
      ([binding, location]) => `<md:SingleSignOnService Binding="${binding}" Location="${location}"/>`,
    );
    return `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keys}${sso.join('')}</md:IDPSSODescriptor>`;
  }

  /** A store holding one metadata snapshot, which a test may replace. */
  function storeWith(
    document: string | undefined,
    sha256 = 'a'.repeat(64),
  ): {
    store: Store;
    replace: (document: string, sha256: string) => void;
  } {
    let snapshot: MetadataSnapshotRecord | undefined;
    const replace = (text: string, digest: string): void => {
      snapshot = {
        issuerId: 'issuer-1',
        url: 'https://idp.example/metadata',
        fetchedAt: new Date('2026-03-02T09:00:00Z'),
        etag: null,
        lastModified: null,
        sha256: digest,
        document: Buffer.from(text),
        signerSha1: null,
      };
    };
    if (document !== undefined) replace(document, sha256);
    const store = {
      getMetadataSnapshot: (): Promise<MetadataSnapshotRecord | undefined> => Promise.resolve(snapshot),
    } as unknown as Store;
    return { store, replace };
  }

  function issuer(overrides: Partial<IssuerRecord> = {}): IssuerRecord {
    return issuerRecord({
      id: 'issuer-1',
      issuerUri: ENTITY,
      protocols: ['saml2'],
      loginUrl: null,
      ...overrides,
    });
  }

  it('takes the HTTP-Redirect endpoint of the metadata, not an earlier HTTP-POST one', async () => {
    const document = entityDescriptor(
      ENTITY,
      idpRole([
        [POST, 'https://idp.example/sso/post'],
        [REDIRECT, 'https://idp.example/sso/redirect'],
      ]),
    );
    const find = createSamlSsoFinder(storeWith(document).store);
    assert.deepEqual(await find(issuer({ loginUrl: 'https://idp.example/login' })), {
      url: 'https://idp.example/sso/redirect',
      source: 'metadata',
    });
  });

  it('skips an endpoint that is not an http(s) URL', async () => {
    const document = entityDescriptor(
      ENTITY,
      idpRole([
        [REDIRECT, 'javascript:alert(1)'],
        [REDIRECT, 'https://idp.example/sso'],
      ]),
    );
    const find = createSamlSsoFinder(storeWith(document).store);
    assert.equal((await find(issuer()))?.url, 'https://idp.example/sso');
  });

  it('reads the issuer entity of an aggregate', async () => {
    const document = entitiesDescriptor(
      entityDescriptor(
        'https://other.example/',
        idpRole([[REDIRECT, 'https://other.example/sso']]),
        {},
        false,
      ) + entityDescriptor(ENTITY, idpRole([[REDIRECT, 'https://idp.example/sso']]), {}, false),
    );
    const find = createSamlSsoFinder(storeWith(document).store);
    assert.equal((await find(issuer()))?.url, 'https://idp.example/sso');
  });

  it('falls back to the login URL when SAML 2.0 is the first protocol and the metadata has no Redirect endpoint', async () => {
    const postOnly = entityDescriptor(ENTITY, idpRole([[POST, 'https://idp.example/sso/post']]));
    const oidcPair = JSON.stringify({ format: 'oidc-pair', discovery: {}, keySet: {} });
    for (const document of [postOnly, oidcPair, undefined]) {
      const find = createSamlSsoFinder(storeWith(document).store);
      assert.deepEqual(await find(issuer({ loginUrl: 'https://idp.example/login' })), {
        url: 'https://idp.example/login',
        source: 'login-url',
      });
      assert.equal(
        await find(issuer({ protocols: ['wsfed', 'saml2'], loginUrl: 'https://idp.example/wsfed' })),
        undefined,
      );
      assert.equal(await find(issuer({ loginUrl: 'ftp://idp.example/login' })), undefined);
    }
  });

  it('does not send a Redirect-binding request to a login URL the metadata lists for HTTP-POST only', async () => {
    const document = entityDescriptor(
      ENTITY,
      idpRole([
        [POST, 'https://idp.example/sso/post'],
        // A Redirect endpoint that is no http(s) URL does not count.
        [REDIRECT, 'javascript:void(0)'],
      ]),
    );
    const find = createSamlSsoFinder(storeWith(document).store);
    assert.equal(await find(issuer({ loginUrl: 'https://idp.example/sso/post' })), undefined);
    assert.equal((await find(issuer({ loginUrl: 'https://idp.example/login' })))?.source, 'login-url');
  });

  it('parses a stored document again only when its digest or the issuer URI changes', async () => {
    const sso = (path: string): string =>
      entityDescriptor(ENTITY, idpRole([[REDIRECT, `https://idp.example/${path}`]]));
    const { store, replace } = storeWith(sso('first'), '1'.repeat(64));
    const find = createSamlSsoFinder(store);
    assert.equal((await find(issuer()))?.url, 'https://idp.example/first');
    // Other bytes under the same digest: the cached answer stands.
    replace(sso('second'), '1'.repeat(64));
    assert.equal((await find(issuer()))?.url, 'https://idp.example/first');
    // Another issuer URI selects another entity, which this document lacks.
    assert.equal(await find(issuer({ issuerUri: 'https://renamed.example/' })), undefined);
    replace(sso('third'), '3'.repeat(64));
    assert.equal((await find(issuer()))?.url, 'https://idp.example/third');
  });
});
