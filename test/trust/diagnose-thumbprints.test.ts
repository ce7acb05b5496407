import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import { diagnoseThumbprints } from '../../src/trust/diagnose-thumbprints.js';
import { readFixture } from '../helpers/fixtures.js';

const aadTenant = parseMetadata(readFixture('metadata/aad-tenant.federationmetadata.xml')).metadata;
const adfs2016 = parseMetadata(readFixture('metadata/adfs2016.federationmetadata.xml')).metadata;
const in2015 = new Date('2015-06-01T00:00:00Z');
const ACTIVE = '3270BF5597004DF339A4E62224731B6BD82810A6';
const NEXT = '92B88C3DD981BF1EBCB244FCFA63C007706C79E0';

describe('diagnoseThumbprints', () => {
  it('is healthy when every published signing key is configured', () => {
    const diagnosis = diagnoseThumbprints(aadTenant, [ACTIVE, NEXT.toLowerCase()], in2015);
    assert.equal(diagnosis.verdict, 'healthy');
    assert.deepEqual(
      diagnosis.findings.map((f) => f.status),
      ['published', 'published'],
    );
    assert.equal(diagnosis.missing.length, 0);
  });

  it('is at risk when a published key is missing: the next rollover breaks sign-ins', () => {
    const diagnosis = diagnoseThumbprints(aadTenant, [`\u200e${ACTIVE}`], in2015);
    assert.equal(diagnosis.verdict, 'at-risk');
    assert.deepEqual(
      diagnosis.missing.map((k) => k.sha1),
      [NEXT],
    );
    assert.deepEqual(diagnosis.findings[0]!.removed, ['U+200E LEFT-TO-RIGHT MARK']);
  });

  it('is broken when no configured thumbprint is published any more', () => {
    const diagnosis = diagnoseThumbprints(aadTenant, ['0000000000000000000000000000000000000000'], in2015);
    assert.equal(diagnosis.verdict, 'broken');
    assert.equal(diagnosis.findings[0]!.status, 'not-published');
  });

  it('recognises an encryption certificate copied by mistake', () => {
    const diagnosis = diagnoseThumbprints(
      adfs2016,
      ['D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB', '5CC6722B351E6BC48C1D54701487D1AD8BECEDE9'],
      new Date('2017-06-01T00:00:00Z'),
    );
    assert.equal(diagnosis.findings[1]!.status, 'encryption-key');
    assert.equal(diagnosis.verdict, 'at-risk');
  });

  it('reports a configured key whose certificate has expired, and judges the rest at that instant', () => {
    const diagnosis = diagnoseThumbprints(
      adfs2016,
      ['D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB'],
      new Date('2019-01-01Z'),
    );
    assert.equal(diagnosis.findings[0]!.status, 'expired');
    assert.equal(diagnosis.verdict, 'broken');
  });

  it('accepts a configured SHA-256 thumbprint', () => {
    const sha256 = adfs2016.signingKeys[0]!.sha256!;
    const diagnosis = diagnoseThumbprints(adfs2016, [sha256.toLowerCase()], new Date('2017-06-01Z'));
    assert.equal(diagnosis.verdict, 'healthy');
  });

  it('reports a value that is not a thumbprint without throwing', () => {
    const diagnosis = diagnoseThumbprints(aadTenant, [ACTIVE, NEXT, 'not-a-thumbprint'], in2015);
    assert.equal(diagnosis.findings[2]!.status, 'invalid');
    assert.equal(diagnosis.findings[2]!.error?.code, 'CG_TRUST_THUMBPRINT_INVALID');
    assert.equal(diagnosis.verdict, 'at-risk');
  });

  it('warns about a key that expires within 30 days with no successor', () => {
    const diagnosis = diagnoseThumbprints(
      adfs2016,
      ['D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB'],
      new Date('2018-01-10T00:00:00Z'),
    );
    assert.equal(diagnosis.expiringSoon.length, 1);
    assert.ok(diagnosis.advice.some((sentence) => sentence.includes('no successor')));
  });
});
