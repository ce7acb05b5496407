import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import { createTestCertificate, type TestCertificate } from '../helpers/certificates.js';
import { readFixture, fixturePath } from '../helpers/fixtures.js';
import { entitiesDescriptor, entityDescriptor, keyDescriptor } from '../helpers/metadata-xml.js';

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

const EXPECTED: Record<string, { format: string; issuer: string | undefined; signingKeys: number }> = {
  'aad-common-2017.federationmetadata.xml': {
    format: 'wsfed-metadata',
    issuer: 'https://sts.windows.net/{tenantid}/',
    signingKeys: 3,
  },
  'aad-tenant.federationmetadata.xml': {
    format: 'wsfed-metadata',
    issuer: 'https://sts.windows.net/8bd6e98d-e212-4022-b13f-a244fab4c253/',
    signingKeys: 2,
  },
  'adfs-v2.federationmetadata.xml': {
    format: 'wsfed-metadata',
    issuer: 'http://fs.msidlab7.com/adfs/services/trust',
    signingKeys: 1,
  },
  'adfs-v3.federationmetadata.xml': {
    format: 'wsfed-metadata',
    issuer: 'http://fs.msidlab2.com/adfs/services/trust',
    signingKeys: 1,
  },
  'adfs2016.federationmetadata.xml': {
    format: 'wsfed-metadata',
    issuer: 'http://fs.msidlab11.com/adfs/services/trust',
    signingKeys: 1,
  },
  'entra-common.jwks.json': { format: 'jwks', issuer: undefined, signingKeys: 7 },
  'entra-common.openid-configuration.json': {
    format: 'oidc-discovery',
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    signingKeys: 0,
  },
};

describe('parseMetadata on every real metadata fixture', () => {
  it('has an expectation for every document in the fixture folder', () => {
    const documents = readdirSync(fixturePath('metadata')).filter((name) => !name.endsWith('.md'));
    assert.deepEqual(documents.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`detects the format of ${name} and reads its issuer and keys`, () => {
      const bytes = readFixture(`metadata/${name}`);
      const parsed = parseMetadata(bytes);
      assert.equal(parsed.metadata.format, expected.format);
      assert.equal(parsed.metadata.issuer, expected.issuer);
      assert.equal(parsed.metadata.signingKeys.length, expected.signingKeys);
      assert.equal(parsed.rawSha256, createHash('sha256').update(bytes).digest('hex'));
      if (name.endsWith('.xml')) {
        assert.ok(parsed.xml);
        assert.equal(parsed.xml.root.localName, 'EntityDescriptor');
      } else {
        assert.equal(parsed.xml, undefined);
      }
    });
  }

  it('reads a document given as a string like the same document given as bytes', () => {
    for (const name of ['adfs2016.federationmetadata.xml', 'entra-common.jwks.json']) {
      const bytes = readFixture(`metadata/${name}`);
      const fromBytes = parseMetadata(bytes);
      const fromString = parseMetadata(bytes.toString('utf8'));
      assert.equal(fromString.rawSha256, fromBytes.rawSha256);
      assert.deepEqual(
        fromString.metadata.signingKeys.map((key) => key.sha1),
        fromBytes.metadata.signingKeys.map((key) => key.sha1),
      );
    }
  });

  it('reads the Azure AD tenant document, which starts with a byte-order mark, also as a string', () => {
    const text = readFixture('metadata/aad-tenant.federationmetadata.xml').toString('utf8');
    assert.equal(text.charCodeAt(0), 0xfeff);
    assert.equal(parseMetadata(text).metadata.signingKeys.length, 2);
  });
});

describe('parseMetadata on synthetic input', () => {
  let certificate: TestCertificate;
  before(async () => {
    certificate = await createTestCertificate();
  });
  const idp = (entityId: string): string =>
    entityDescriptor(
      entityId,
      `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keyDescriptor(certificate.base64)}</md:IDPSSODescriptor>`,
      {},
      false,
    );

  it('passes the entityID selection on to the XML reader', () => {
    const xml = entitiesDescriptor(idp('https://one.example/') + idp('https://two.example/'));
    assert.equal(
      parseMetadata(xml, { entityId: 'https://two.example/' }).metadata.issuer,
      'https://two.example/',
    );
    assertCode(() => parseMetadata(xml), 'CG_META_ENTITY_AMBIGUOUS');
    assertCode(() => parseMetadata(xml, { entityId: 'https://three.example/' }), 'CG_META_ENTITY_NOT_FOUND');
  });

  it('reads UTF-16 XML, recognised by its byte-order mark', () => {
    const xml = `<?xml version="1.0" encoding="utf-16"?>${entitiesDescriptor(idp('https://one.example/'))}`;
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    assert.equal(parseMetadata(bytes).metadata.issuer, 'https://one.example/');
  });

  it('reads JSON after leading whitespace and a byte-order mark', () => {
    const parsed = parseMetadata(`\uFEFF \n\t{"keys": []}`);
    assert.equal(parsed.metadata.format, 'jwks');
    assert.deepEqual(parsed.metadata.signingKeys, []);
  });

  it('hashes the input bytes, a string as UTF-8', () => {
    const text = '{"keys": [], "note": "café"}';
    assert.equal(parseMetadata(text).rawSha256, createHash('sha256').update(text, 'utf8').digest('hex'));
  });

  it('refuses text that starts like JSON but is not JSON', () => {
    assertCode(() => parseMetadata('{"keys": [}'), 'CG_META_JSON_INVALID');
    assertCode(() => parseMetadata(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'CG_META_JSON_INVALID');
  });

  it('refuses JSON that is neither a key set nor a discovery document', () => {
    assertCode(() => parseMetadata('{"issuer": "https://idp.example"}'), 'CG_META_FORMAT_UNKNOWN');
    assertCode(() => parseMetadata('{"hello": "world"}'), 'CG_META_FORMAT_UNKNOWN');
    assertCode(() => parseMetadata('[{"keys": []}]'), 'CG_META_FORMAT_UNKNOWN');
  });

  it('refuses a key set or discovery document of the wrong shape with a JSON error', () => {
    assert.equal(
      assertCode(() => parseMetadata('{"keys": "none"}'), 'CG_META_JSON_INVALID')['member'],
      'keys',
    );
    assert.equal(
      assertCode(
        () =>
          parseMetadata(
            '{"issuer": "https://idp.example", "authorization_endpoint": "https://idp.example/a"}',
          ),
        'CG_META_JSON_INVALID',
      )['member'],
      'jwks_uri',
    );
  });

  it('refuses input that is neither XML nor JSON', () => {
    assertCode(() => parseMetadata('MIIC2jCCAcKgAwIBAgIQ'), 'CG_META_FORMAT_UNKNOWN');
    assertCode(() => parseMetadata(''), 'CG_META_FORMAT_UNKNOWN');
  });

  it('refuses XML that is not metadata', () => {
    assertCode(() => parseMetadata('<html><body>Sign in</body></html>'), 'CG_META_FORMAT_UNKNOWN');
  });

  it('refuses XML with a DTD before reading it as metadata', () => {
    assertCode(
      () => parseMetadata(`<!DOCTYPE x [<!ENTITY e "e">]>${idp('https://one.example/')}`),
      'CG_XML_DTD_FORBIDDEN',
    );
  });

  it('refuses a document larger than maxBytes, whatever its format', () => {
    const xml = entitiesDescriptor(idp('https://one.example/'));
    assertCode(() => parseMetadata(xml, { maxBytes: 100 }), 'CG_META_TOO_LARGE');
    assertCode(
      () => parseMetadata(`{"keys": [], "pad": "${'x'.repeat(200)}"}`, { maxBytes: 100 }),
      'CG_META_TOO_LARGE',
    );
    assert.equal(
      parseMetadata(xml, { maxBytes: Buffer.byteLength(xml) }).metadata.issuer,
      'https://one.example/',
    );
  });

  it('treats a maxBytes that is not a positive integer as a programming error', () => {
    assert.throws(() => parseMetadata('{"keys": []}', { maxBytes: 0 }), TypeError);
    assert.throws(() => parseMetadata('{"keys": []}', { maxBytes: 1.5 }), TypeError);
  });
});
