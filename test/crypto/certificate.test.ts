import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  daysUntilExpiry,
  parseCertificateBase64,
  parseCertificateDer,
  readCertificates,
} from '../../src/crypto/certificate.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { createTestCertificate } from '../helpers/certificates.js';
import { readFixture } from '../helpers/fixtures.js';

describe('readCertificates', () => {
  it('reads a PEM file holding several certificates, in order', async () => {
    const a = await createTestCertificate({ commonName: 'first' });
    const b = await createTestCertificate({ commonName: 'second', keyType: 'ec' });
    const certs = readCertificates(`${a.pem}\n# a comment between blocks\n${b.pem}`);
    assert.deepEqual(
      certs.map((c) => c.subject),
      ['CN=first', 'CN=second'],
    );
    assert.equal(certs[0]!.keyType, 'rsa');
    assert.equal(certs[0]!.keySize, 2048);
    assert.equal(certs[1]!.keyType, 'ec');
    assert.equal(certs[1]!.curve, 'prime256v1');
    assert.equal(certs[1]!.keySize, 256);
  });

  it('reads bare base64 with line breaks and spaces, as copied out of an <X509Certificate> element', async () => {
    const cert = await createTestCertificate();
    const wrapped = `  ${cert.base64.match(/.{1,64}/g)!.join('\r\n    ')}  \n`;
    const [parsed] = readCertificates(wrapped);
    assert.deepEqual(parsed!.der, cert.der);
  });

  it('reads DER bytes', async () => {
    const cert = await createTestCertificate();
    assert.deepEqual(readCertificates(cert.der)[0]!.der, cert.der);
  });

  it('reports subject, issuer, serial, validity and both thumbprints of a real AD FS certificate', () => {
    const [cert] = readCertificates(readFixture('interop/adfs-my-local.pem').toString('utf8'));
    assert.ok(cert);
    assert.match(cert.subject, /CN=/);
    assert.match(cert.serialNumber, /^[0-9A-F]+$/);
    assert.match(cert.sha1, /^[0-9A-F]{40}$/);
    assert.match(cert.sha256, /^[0-9A-F]{64}$/);
    assert.ok(cert.notBefore < cert.notAfter);
  });

  it('agrees with the fixture manifest on every interop certificate thumbprint', () => {
    const entries = JSON.parse(readFixture('interop/certificates.json').toString('utf8')) as Array<{
      file: string;
      subject: string;
      validTo: string;
      thumbprintSha1: string;
    }>;
    let checked = 0;
    for (const entry of entries) {
      const [cert] = readCertificates(readFixture(`interop/${entry.file}`).toString('utf8'));
      assert.equal(cert!.sha1, entry.thumbprintSha1, entry.file);
      assert.equal(cert!.notAfter.toISOString(), entry.validTo, entry.file);
      checked += 1;
    }
    assert.ok(checked >= 10, `checked ${checked} certificates`);
  });

  it('refuses garbage with a coded error and never throws anything else', () => {
    const cases: Array<[string | Buffer, string]> = [
      ['', 'CG_CERT_NOT_FOUND'],
      ['hello world!', 'CG_CERT_NOT_FOUND'],
      ['QUJD', 'CG_CERT_INVALID'],
      ['not=base64=', 'CG_CERT_INVALID'],
      ['-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----', 'CG_CERT_INVALID'],
      ['-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----', 'CG_CERT_NOT_FOUND'],
      [Buffer.from([0x30, 0x82, 0x01, 0x00, 0x01, 0x02]), 'CG_CERT_INVALID'],
      [Buffer.from([0xff, 0xfe, 0x00]), 'CG_CERT_NOT_FOUND'],
    ];
    for (const [input, code] of cases) {
      assert.throws(
        () => readCertificates(input),
        (error: unknown) => isClaimsgateError(error) && error.code === code,
        JSON.stringify(input.toString()),
      );
    }
  });

  it('refuses base64 whose length cannot be whole bytes', () => {
    assert.throws(
      () => parseCertificateBase64('QUJDR'),
      (e: unknown) => isClaimsgateError(e, 'CG_CERT_INVALID'),
    );
  });
});

describe('daysUntilExpiry', () => {
  it('counts whole days and goes negative after expiry', async () => {
    const cert = parseCertificateDer(
      (await createTestCertificate({ notAfter: new Date('2030-01-11T00:00:00Z') })).der,
    );
    assert.equal(daysUntilExpiry(cert, new Date('2030-01-01T00:00:00Z')), 10);
    assert.equal(daysUntilExpiry(cert, new Date('2030-01-12T00:00:00Z')), -1);
  });
});
