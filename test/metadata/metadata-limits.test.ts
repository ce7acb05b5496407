import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { checkMetadataSignature } from '../../src/metadata/check-metadata-signature.js';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import { MAX_METADATA_CERTIFICATES } from '../../src/metadata/parse-xml-metadata.js';
import { readFixture } from '../helpers/fixtures.js';

const metadata = readFixture('metadata/aad-tenant.federationmetadata.xml')
  .toString('utf8')
  .replace(/^\uFEFF/, '');
const certificate = /<X509Certificate>([^<]*)<\/X509Certificate>/.exec(metadata)![1]!;

/** The Azure AD metadata with `count` more signing KeyDescriptors in its first role. */
function withKeyDescriptors(count: number): string {
  const descriptor =
    '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>' +
    `<X509Certificate>${certificate}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`;
  return metadata.replace('</RoleDescriptor>', `${descriptor.repeat(count)}</RoleDescriptor>`);
}

describe('metadata limits', () => {
  it('reads up to the certificate limit and refuses a document listing more', () => {
    const present = (metadata.match(/<KeyDescriptor[^>]*use="signing"/g) ?? []).length;
    assert.ok(present > 0 && present < 20);
    const atLimit = parseMetadata(withKeyDescriptors(MAX_METADATA_CERTIFICATES - present));
    assert.ok(atLimit.metadata.signingKeys.length > 0);
    assert.throws(
      () => parseMetadata(withKeyDescriptors(MAX_METADATA_CERTIFICATES - present + 1)),
      (error: unknown) => isClaimsgateError(error, 'CG_META_TOO_MANY_KEYS'),
    );
  });

  it("reports a signature whose KeyInfo holds more than a signer's chain of certificates as invalid", () => {
    const signer = /<X509Certificate>[^<]*<\/X509Certificate>/.exec(metadata)![0];
    const check = (text: string) => {
      const parsed = parseMetadata(text);
      return checkMetadataSignature(parsed.xml!.root, parsed.metadata);
    };
    assert.equal(check(metadata).status, 'valid');
    // The signer's certificate repeated: the KeyInfo is not covered by the signature.
    assert.equal(check(metadata.replace(signer, signer.repeat(8))).status, 'valid');
    const report = check(metadata.replace(signer, signer.repeat(9)));
    assert.equal(report.status, 'invalid');
    assert.equal(report.status === 'invalid' ? report.reason : undefined, 'CG_SIG_STRUCTURE_INVALID');
  });
});
