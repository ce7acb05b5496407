import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509, createPrivateKey, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A generated certificate with its private key, for tests. */
export interface TestCertificate {
  readonly der: Buffer;
  readonly pem: string;
  /** The base64 text as it appears in an `<X509Certificate>` element. */
  readonly base64: string;
  readonly privateKey: KeyObject;
  readonly privateKeyPem: string;
}

export interface TestCertificateOptions {
  readonly commonName?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly keyType?: 'rsa' | 'ec';
  readonly rsaBits?: number;
}

/** Creates a self-signed certificate (RSA 2048 by default). */
export async function createTestCertificate(options: TestCertificateOptions = {}): Promise<TestCertificate> {
  const algorithm =
    options.keyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          publicExponent: new Uint8Array([1, 0, 1]),
          modulusLength: options.rsaBits ?? 2048,
        };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notBefore = options.notBefore ?? new Date('2024-01-01T00:00:00Z');
  const notAfter = options.notAfter ?? new Date('2034-01-01T00:00:00Z');
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto
      .getRandomValues(new Uint8Array(8))
      .reduce((s, b) => s + b.toString(16).padStart(2, '0'), '01'),
    name: `CN=${options.commonName ?? 'claimsgate test'}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: algorithm,
  });
  const der = Buffer.from(certificate.rawData);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return {
    der,
    pem: new NodeX509(der).toString(),
    base64: der.toString('base64'),
    privateKey,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
