import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import type { IssuerMetadata } from '../../src/metadata/model.js';
import { parseXmlMetadata, type ParseXmlMetadataOptions } from '../../src/metadata/parse-xml-metadata.js';
import { parseXml } from '../../src/xml/parse-xml.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { readFixture } from '../helpers/fixtures.js';
import {
  DS_NS,
  certificatesByUse,
  entitiesDescriptor,
  entityDescriptor,
  hasOpenssl,
  keyDescriptor,
  opensslSha1,
  stsRole,
  wsfedEndpoint,
} from '../helpers/metadata-xml.js';

function parseText(xml: string, options?: ParseXmlMetadataOptions): IssuerMetadata {
  return parseXmlMetadata(parseXml(xml).root, options);
}

function parseFixture(name: string, options?: ParseXmlMetadataOptions): IssuerMetadata {
  return parseXmlMetadata(parseXml(readFixture(`metadata/${name}`)).root, options);
}

function sha1s(keys: IssuerMetadata['signingKeys']): string[] {
  return keys.map((key) => key.sha1!).sort();
}

function endpointsOf(metadata: IssuerMetadata, kind: string): Array<[string | undefined, string]> {
  return metadata.endpoints.filter((e) => e.kind === kind).map((e) => [e.binding, e.url]);
}

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const ALL_THREE = ['fed:SecurityTokenServiceType', 'fed:ApplicationServiceType', 'IDPSSODescriptor'];

describe('parseXmlMetadata on real federation metadata', () => {
  it('reads the 3 distinct Azure AD common signing keys, each published in all three sections', () => {
    const metadata = parseFixture('aad-common-2017.federationmetadata.xml');
    assert.equal(metadata.format, 'wsfed-metadata');
    assert.equal(metadata.issuer, 'https://sts.windows.net/{tenantid}/');
    assert.deepEqual(metadata.entityIds, ['https://sts.windows.net/{tenantid}/']);
    assert.deepEqual(sha1s(metadata.signingKeys), [
      '6B740DD01652EECE2737E05DAE36C5D18FCB74C3',
      'CF4DFDCDDB05BA2CE905F0552B54E7DB940760ED',
      'D92E120951ACF1283D2D2E80A8B22AE83A56FA0F',
    ]);
    for (const key of metadata.signingKeys) {
      assert.deepEqual(key.sections, ALL_THREE);
      assert.ok(key.certificate);
      assert.equal(key.sha256, key.certificate.sha256);
      assert.equal(key.kid, undefined);
      assert.equal(key.jwk, undefined);
    }
    assert.deepEqual(metadata.encryptionKeys, []);
    assert.deepEqual(metadata.skippedKeys, []);
    assert.equal(metadata.validUntil, undefined);
    assert.equal(metadata.cacheDuration, undefined);
    assert.deepEqual(endpointsOf(metadata, 'wsfed-passive'), [
      [undefined, 'https://login.microsoftonline.com/common/wsfed'],
    ]);
    assert.deepEqual(endpointsOf(metadata, 'wsfed-sts'), [
      [undefined, 'https://login.microsoftonline.com/common/wsfed'],
    ]);
    assert.deepEqual(endpointsOf(metadata, 'saml-sso'), [
      [REDIRECT, 'https://login.microsoftonline.com/common/saml2'],
      [POST, 'https://login.microsoftonline.com/common/saml2'],
    ]);
    assert.deepEqual(endpointsOf(metadata, 'saml-slo'), [
      [REDIRECT, 'https://login.microsoftonline.com/common/saml2'],
    ]);
  });

  it('reads the 2 signing keys of an Azure AD tenant document that starts with a byte-order mark', () => {
    const metadata = parseFixture('aad-tenant.federationmetadata.xml');
    const tenant = '8bd6e98d-e212-4022-b13f-a244fab4c253';
    assert.equal(metadata.format, 'wsfed-metadata');
    assert.equal(metadata.issuer, `https://sts.windows.net/${tenant}/`);
    assert.deepEqual(sha1s(metadata.signingKeys), [
      '3270BF5597004DF339A4E62224731B6BD82810A6',
      '92B88C3DD981BF1EBCB244FCFA63C007706C79E0',
    ]);
    for (const key of metadata.signingKeys) assert.deepEqual(key.sections, ALL_THREE);
    assert.deepEqual(endpointsOf(metadata, 'wsfed-passive'), [
      [undefined, `https://login.windows.net/${tenant}/wsfed`],
    ]);
    assert.deepEqual(endpointsOf(metadata, 'saml-sso'), [
      [REDIRECT, `https://login.windows.net/${tenant}/saml2`],
      [POST, `https://login.windows.net/${tenant}/saml2`],
    ]);
  });

  const adfs = [
    {
      file: 'adfs-v2.federationmetadata.xml',
      host: 'fs.msidlab7.com',
      signing: '28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708',
      encryption: '7C72CBF56255A068C51DCA32D2CBD90D89ACB009',
    },
    {
      file: 'adfs-v3.federationmetadata.xml',
      host: 'fs.msidlab2.com',
      signing: '8C3B60F1C93FA3E52AFD41885E7B6C6C4A61C65A',
      encryption: '03EA0A1F4904EA83ED0499F9B1B168C41B04E35C',
    },
    {
      file: 'adfs2016.federationmetadata.xml',
      host: 'fs.msidlab11.com',
      signing: 'D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB',
      encryption: '5CC6722B351E6BC48C1D54701487D1AD8BECEDE9',
    },
  ];
  for (const { file, host, signing, encryption } of adfs) {
    it(`reads the one token-signing key of ${file} and keeps its encryption key out of the signing keys`, () => {
      const metadata = parseFixture(file);
      assert.equal(metadata.format, 'wsfed-metadata');
      assert.equal(metadata.issuer, `http://${host}/adfs/services/trust`);
      assert.deepEqual(sha1s(metadata.signingKeys), [signing]);
      // The SPSSODescriptor repeats the token-signing certificate; it is not a section the key is trusted from.
      assert.deepEqual(metadata.signingKeys[0]!.sections, [
        'fed:SecurityTokenServiceType',
        'IDPSSODescriptor',
      ]);
      assert.deepEqual(sha1s(metadata.encryptionKeys), [encryption]);
      assert.deepEqual(metadata.encryptionKeys[0]!.sections, [
        'fed:ApplicationServiceType',
        'SPSSODescriptor',
        'IDPSSODescriptor',
      ]);
      assert.deepEqual(endpointsOf(metadata, 'wsfed-passive'), [[undefined, `https://${host}/adfs/ls/`]]);
      // Only the endpoint reference's own Address, not the mex address nested in its metadata.
      assert.deepEqual(endpointsOf(metadata, 'wsfed-sts'), [
        [undefined, `https://${host}/adfs/services/trust/2005/certificatemixed`],
      ]);
      assert.deepEqual(endpointsOf(metadata, 'saml-sso'), [
        [REDIRECT, `https://${host}/adfs/ls/`],
        [POST, `https://${host}/adfs/ls/`],
      ]);
      // The SP role's logout service is not the issuer's; the IdP one appears once per binding.
      assert.deepEqual(endpointsOf(metadata, 'saml-slo'), [
        [REDIRECT, `https://${host}/adfs/ls/`],
        [POST, `https://${host}/adfs/ls/`],
      ]);
      assert.ok(metadata.endpoints.every((e) => e.section !== 'SPSSODescriptor'));
    });
  }

  it(
    'agrees with openssl on the signing and encryption thumbprints of every XML fixture',
    {
      skip: !hasOpenssl && 'openssl is not installed',
    },
    () => {
      const files = [
        'aad-common-2017.federationmetadata.xml',
        'aad-tenant.federationmetadata.xml',
        ...adfs.map((entry) => entry.file),
      ];
      for (const file of files) {
        const text = readFixture(`metadata/${file}`).toString('utf8');
        const expected = (use: string): string[] => [
          ...new Set(certificatesByUse(text, use).map((b64) => opensslSha1(Buffer.from(b64, 'base64')))),
        ];
        const metadata = parseFixture(file);
        assert.deepEqual(sha1s(metadata.signingKeys), expected('signing').sort(), file);
        assert.deepEqual(sha1s(metadata.encryptionKeys), expected('encryption').sort(), file);
      }
    },
  );
});

describe('parseXmlMetadata on synthetic documents', () => {
  let a: TestCertificate;
  let b: TestCertificate;
  let c: TestCertificate;
  before(async () => {
    [a, b, c] = await Promise.all([
      createTestCertificate({ commonName: 'a' }),
      createTestCertificate({ commonName: 'b', keyType: 'ec' }),
      createTestCertificate({ commonName: 'c' }),
    ]);
  });

  const idp = (body: string): string =>
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${body}</md:IDPSSODescriptor>`;
  const sp = (body: string): string =>
    `<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${body}</md:SPSSODescriptor>`;

  function assertCode(action: () => unknown, code: string): Record<string, unknown> {
    let detail: Record<string, unknown> = {};
    assert.throws(action, (error: unknown) => {
      assert.ok(isClaimsgateError(error), `expected a ClaimsgateError, got ${String(error)}`);
      assert.equal(error.code, code);
      detail = error.detail;
      return true;
    });
    return detail;
  }

  it('takes a KeyDescriptor without use as a signing key, and reads SAML metadata as saml-metadata', () => {
    const metadata = parseText(entityDescriptor('https://idp.example/', idp(keyDescriptor(a.base64))));
    assert.equal(metadata.format, 'saml-metadata');
    assert.deepEqual(sha1s(metadata.signingKeys), [
      createHash('sha1').update(a.der).digest('hex').toUpperCase(),
    ]);
    assert.deepEqual(metadata.signingKeys[0]!.certificate!.der, a.der);
    assert.deepEqual(metadata.signingKeys[0]!.sections, ['IDPSSODescriptor']);
    assert.deepEqual(metadata.encryptionKeys, []);
  });

  it('reads certificate text wrapped over several lines with spaces, as metadata often carries it', () => {
    const wrapped = `\n    ${a.base64.match(/.{1,64}/g)!.join('\r\n    ')}\n  `;
    const metadata = parseText(
      entityDescriptor('https://idp.example/', idp(keyDescriptor(wrapped, 'signing'))),
    );
    assert.deepEqual(metadata.signingKeys[0]!.certificate!.der, a.der);
  });

  it('resolves xsi:type against the namespaces in scope, whatever the prefixes', () => {
    const xml = entityDescriptor(
      'https://sts.example/',
      stsRole(keyDescriptor(a.base64, 'signing') + wsfedEndpoint('https://sts.example/wsfed'), {
        prefix: 'wsf',
      })
        .replaceAll('xmlns:xsi=', 'xmlns:schemainstance=')
        .replaceAll('xsi:type=', 'schemainstance:type='),
    );
    const metadata = parseText(xml);
    assert.equal(metadata.format, 'wsfed-metadata');
    assert.deepEqual(metadata.signingKeys[0]!.sections, ['fed:SecurityTokenServiceType']);
    assert.deepEqual(endpointsOf(metadata, 'wsfed-passive'), [[undefined, 'https://sts.example/wsfed']]);
  });

  it('does not take a RoleDescriptor whose fed prefix is bound to another namespace as an STS role', () => {
    const xml = entityDescriptor(
      'https://sts.example/',
      stsRole(keyDescriptor(a.base64, 'signing'), { namespace: 'urn:not-federation' }),
    );
    const metadata = parseText(xml);
    assert.equal(metadata.format, 'saml-metadata');
    assert.deepEqual(metadata.signingKeys, []);
  });

  it('reads the ApplicationServiceType and AttributeAuthorityDescriptor keys and merges them by certificate', () => {
    const xml = entityDescriptor(
      'https://sts.example/',
      stsRole(keyDescriptor(a.base64, 'signing'), { localName: 'ApplicationServiceType' }) +
        `<md:AttributeAuthorityDescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keyDescriptor(a.base64)}${keyDescriptor(b.base64, 'signing')}</md:AttributeAuthorityDescriptor>`,
    );
    const metadata = parseText(xml);
    assert.equal(metadata.format, 'wsfed-metadata');
    assert.equal(metadata.signingKeys.length, 2);
    assert.deepEqual(metadata.signingKeys[0]!.sections, [
      'fed:ApplicationServiceType',
      'AttributeAuthorityDescriptor',
    ]);
    assert.deepEqual(metadata.signingKeys[1]!.sections, ['AttributeAuthorityDescriptor']);
    assert.equal(metadata.signingKeys[1]!.certificate!.keyType, 'ec');
  });

  it('ignores SPSSODescriptor signing keys and reports its encryption keys', () => {
    const xml = entityDescriptor(
      'https://both.example/',
      sp(
        keyDescriptor(a.base64, 'signing') + keyDescriptor(b.base64, 'encryption') + keyDescriptor(c.base64),
      ) + idp(keyDescriptor(c.base64, 'signing')),
    );
    const metadata = parseText(xml);
    assert.equal(metadata.signingKeys.length, 1);
    assert.deepEqual(metadata.signingKeys[0]!.certificate!.der, c.der);
    assert.deepEqual(metadata.signingKeys[0]!.sections, ['IDPSSODescriptor']);
    assert.equal(metadata.encryptionKeys.length, 1);
    assert.deepEqual(metadata.encryptionKeys[0]!.certificate!.der, b.der);
    assert.deepEqual(metadata.encryptionKeys[0]!.sections, ['SPSSODescriptor']);
  });

  it('puts use="encryption" keys of an STS role in encryptionKeys, never in signingKeys', () => {
    const xml = entityDescriptor('https://sts.example/', stsRole(keyDescriptor(a.base64, 'encryption')));
    const metadata = parseText(xml);
    assert.deepEqual(metadata.signingKeys, []);
    assert.deepEqual(metadata.encryptionKeys[0]!.sections, ['fed:SecurityTokenServiceType']);
  });

  it("does not publish the certificate of the document's own signature as a key", () => {
    const signature = `<ds:Signature xmlns:ds="${DS_NS}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${b.base64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`;
    const metadata = parseText(
      entityDescriptor('https://idp.example/', signature + idp(keyDescriptor(a.base64, 'signing'))),
    );
    assert.equal(metadata.signingKeys.length, 1);
    assert.deepEqual(metadata.signingKeys[0]!.certificate!.der, a.der);
  });

  it('reports a KeyDescriptor without certificate and one with an unknown use as skipped', () => {
    const keyName = `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="${DS_NS}"><ds:KeyName>k1</ds:KeyName></ds:KeyInfo></md:KeyDescriptor>`;
    const metadata = parseText(
      entityDescriptor('https://idp.example/', idp(keyName + keyDescriptor(a.base64, 'verification'))),
    );
    assert.deepEqual(metadata.signingKeys, []);
    assert.deepEqual(metadata.skippedKeys, [
      { section: 'IDPSSODescriptor', position: 1, kid: undefined, reason: 'no-certificate' },
      { section: 'IDPSSODescriptor', position: 2, kid: undefined, reason: 'unsupported-use' },
    ]);
  });

  it('refuses a KeyDescriptor whose certificate does not decode, naming its section and position', () => {
    const broken = a.base64.slice(0, 200);
    const xml = entityDescriptor(
      'https://sts.example/',
      stsRole(keyDescriptor(a.base64, 'signing') + keyDescriptor(broken, 'signing')),
    );
    const detail = assertCode(() => parseText(xml), 'CG_META_KEY_INVALID');
    assert.equal(detail['section'], 'fed:SecurityTokenServiceType');
    assert.equal(detail['index'], 2);
  });

  it('refuses a KeyDescriptor whose certificate text is not base64', () => {
    const xml = entityDescriptor('https://idp.example/', idp(keyDescriptor('not base64!', 'signing')));
    assertCode(() => parseText(xml), 'CG_META_KEY_INVALID');
  });

  it('lists each endpoint once, even when the document repeats it', () => {
    const sso = `<md:SingleSignOnService Binding="${POST}" Location="https://idp.example/sso"/>`;
    const metadata = parseText(entityDescriptor('https://idp.example/', idp(sso + sso)));
    assert.deepEqual(endpointsOf(metadata, 'saml-sso'), [[POST, 'https://idp.example/sso']]);
  });

  describe('EntitiesDescriptor', () => {
    const three = (): string =>
      entitiesDescriptor(
        entityDescriptor('https://one.example/', idp(keyDescriptor(a.base64)), {}, false) +
          entitiesDescriptor(
            entityDescriptor('https://two.example/', idp(keyDescriptor(b.base64)), {}, false),
            {},
            false,
          ) +
          entityDescriptor('https://three.example/', idp(keyDescriptor(c.base64)), {}, false),
      );

    it('reads the only entity of an EntitiesDescriptor without being told its entityID', () => {
      const metadata = parseText(
        entitiesDescriptor(entityDescriptor('https://one.example/', idp(keyDescriptor(a.base64)), {}, false)),
      );
      assert.equal(metadata.issuer, 'https://one.example/');
      assert.deepEqual(metadata.entityIds, ['https://one.example/']);
      assert.equal(metadata.signingKeys.length, 1);
    });

    it('selects the requested entity among three, nested ones included, and lists every entityID', () => {
      const metadata = parseText(three(), { entityId: 'https://two.example/' });
      assert.equal(metadata.issuer, 'https://two.example/');
      assert.deepEqual(metadata.entityIds, [
        'https://one.example/',
        'https://two.example/',
        'https://three.example/',
      ]);
      assert.equal(metadata.signingKeys.length, 1);
      assert.deepEqual(metadata.signingKeys[0]!.certificate!.der, b.der);
    });

    it('refuses to choose among several entities when none is selected', () => {
      const detail = assertCode(() => parseText(three()), 'CG_META_ENTITY_AMBIGUOUS');
      assert.deepEqual(detail['available'], [
        'https://one.example/',
        'https://two.example/',
        'https://three.example/',
      ]);
    });

    it('reports a requested entity that is not there, with the ones that are', () => {
      const detail = assertCode(
        () => parseText(three(), { entityId: 'https://four.example/' }),
        'CG_META_ENTITY_NOT_FOUND',
      );
      assert.deepEqual(detail['available'], [
        'https://one.example/',
        'https://two.example/',
        'https://three.example/',
      ]);
    });

    it('refuses an aggregate that describes the requested entity twice', () => {
      const xml = entitiesDescriptor(
        entityDescriptor('https://one.example/', idp(keyDescriptor(a.base64)), {}, false) +
          entityDescriptor('https://one.example/', idp(keyDescriptor(b.base64)), {}, false),
      );
      assertCode(() => parseText(xml, { entityId: 'https://one.example/' }), 'CG_META_ENTITY_AMBIGUOUS');
    });

    it('reports an empty EntitiesDescriptor as holding no entity', () => {
      const detail = assertCode(() => parseText(entitiesDescriptor('')), 'CG_META_ENTITY_NOT_FOUND');
      assert.deepEqual(detail['available'], []);
    });

    it('takes the earliest validUntil and the shortest cacheDuration along the path to the entity', () => {
      const xml = entitiesDescriptor(
        entityDescriptor(
          'https://one.example/',
          idp(keyDescriptor(a.base64)),
          {
            validUntil: '2031-01-01T00:00:00Z',
            cacheDuration: 'P1D',
          },
          false,
        ),
        { validUntil: '2030-06-01T12:00:00Z', cacheDuration: 'PT6H' },
      );
      const metadata = parseText(xml);
      assert.deepEqual(metadata.validUntil, new Date('2030-06-01T12:00:00Z'));
      assert.equal(metadata.cacheDuration, 'PT6H');
    });
  });

  it('refuses a single EntityDescriptor whose entityID is not the requested one', () => {
    const xml = entityDescriptor('https://idp.example/', idp(keyDescriptor(a.base64)));
    const detail = assertCode(
      () => parseText(xml, { entityId: 'https://other.example/' }),
      'CG_META_ENTITY_NOT_FOUND',
    );
    assert.deepEqual(detail['available'], ['https://idp.example/']);
    assert.equal(parseText(xml, { entityId: 'https://idp.example/' }).issuer, 'https://idp.example/');
  });

  it('reads validUntil without a time zone as UTC, and cacheDuration as written', () => {
    const xml = entityDescriptor('https://idp.example/', idp(keyDescriptor(a.base64)), {
      validUntil: '2030-01-02T03:04:05',
      cacheDuration: 'PT1H30M',
    });
    const metadata = parseText(xml);
    assert.deepEqual(metadata.validUntil, new Date('2030-01-02T03:04:05Z'));
    assert.equal(metadata.cacheDuration, 'PT1H30M');
  });

  it('refuses an unreadable validUntil or cacheDuration', () => {
    for (const attributes of [
      { validUntil: 'next tuesday' },
      { cacheDuration: '1 hour' },
      { cacheDuration: 'P' },
    ]) {
      const xml = entityDescriptor('https://idp.example/', idp(keyDescriptor(a.base64)), attributes);
      assertCode(() => parseText(xml), 'CG_META_XML_INVALID');
    }
  });

  it('refuses an EntityDescriptor without entityID', () => {
    assertCode(
      () => parseText(entityDescriptor(undefined, idp(keyDescriptor(a.base64)))),
      'CG_META_XML_INVALID',
    );
  });

  it('refuses XML that is not metadata, or metadata elements in the wrong namespace', () => {
    assertCode(
      () => parseText('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'),
      'CG_META_FORMAT_UNKNOWN',
    );
    assertCode(
      () => parseText('<EntityDescriptor xmlns="urn:example:not-saml" entityID="https://idp.example/"/>'),
      'CG_META_FORMAT_UNKNOWN',
    );
  });
});
