import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parseCertificateDer } from '../src/crypto/certificate.js';
import { createTrustSnapshot } from '../src/trust/create-trust-snapshot.js';
import { trustedKeyFromCertificate } from '../src/trust/trusted-key.js';
import type { TrustSnapshot, TrustedKey } from '../src/tokens/trust-snapshot.js';
import type { BenchSigner, BenchToken } from './make-token.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA_2048: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/** A certificate that is trusted but did not sign the token. */
export interface OtherCertificate {
  readonly der: Buffer;
  readonly pem: string;
}

/**
 * Creates `count` distinct, real, self-signed RSA-2048 certificates (each its
 * own subject, serial and thumbprint) for the issuer's other keys. Generating
 * an RSA key pair takes ~170 ms here, so the certificates share `keyPairs`
 * key pairs; whether a verifier tries a wrong key costs the same either way.
 */
export async function createOtherCertificates(count: number, keyPairs = 12): Promise<OtherCertificate[]> {
  const pairs = await Promise.all(
    Array.from({ length: Math.min(count, keyPairs) }, () =>
      webcrypto.subtle.generateKey(RSA_2048, true, ['sign', 'verify']),
    ),
  );
  const certificates: OtherCertificate[] = [];
  for (let index = 0; index < count; index += 1) {
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: `02${index.toString(16).padStart(8, '0')}`,
      name: `CN=accounts.accesscontrol.windows.net other key ${index}`,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2034-01-01T00:00:00Z'),
      keys: pairs[index % pairs.length]!,
      signingAlgorithm: RSA_2048,
    });
    certificates.push({
      der: Buffer.from(certificate.rawData),
      pem: certificate.toString('pem'),
    });
  }
  return certificates;
}

function trustedKeyFromDer(issuer: string, der: Buffer): TrustedKey {
  return trustedKeyFromCertificate(issuer, parseCertificateDer(der), 'metadata');
}

/** A copy of a real key under fresh random thumbprints: it occupies the index like any other key. */
function synthesizedKey(template: TrustedKey): TrustedKey {
  return {
    ...template,
    sha1: randomBytes(20).toString('hex').toUpperCase(),
    sha256: randomBytes(32).toString('hex').toUpperCase(),
  };
}

/**
 * claimsgate's trust for the token's issuer with `keyCount` keys: the
 * signing certificate plus `keyCount - 1` others. The real other certificates
 * are used first; past them, keys are synthesized copies with random
 * thumbprints (100,000 real certificates would take hours to generate). The
 * signing key is added last.
 */
export function createClaimsgateTrust(
  token: BenchToken,
  signer: BenchSigner,
  others: readonly OtherCertificate[],
  keyCount: number,
): TrustSnapshot {
  const realOthers = others.slice(0, keyCount - 1).map((other) => trustedKeyFromDer(token.issuer, other.der));
  const keys: TrustedKey[] = [...realOthers];
  for (let index = keys.length; index < keyCount - 1; index += 1) {
    keys.push(synthesizedKey(realOthers[index % realOthers.length]!));
  }
  keys.push(trustedKeyFromDer(token.issuer, signer.der));
  return createTrustSnapshot({
    issuers: [
      {
        issuer: token.issuer,
        allowedTenants: [],
        audiences: [],
        allowSha1: false,
        lastRefresh: undefined,
      },
    ],
    keys,
    builtAt: token.issuedAt,
  });
}

/** The PEMs a peer trusts with `keyCount` keys: the other certificates first, the signing one last. */
export function peerTrustedPems(
  signer: BenchSigner,
  others: readonly OtherCertificate[],
  keyCount: number,
): string[] {
  if (keyCount - 1 > others.length) {
    throw new RangeError(`only ${others.length} other certificates exist; ${keyCount - 1} were asked for`);
  }
  return [...others.slice(0, keyCount - 1).map((other) => other.pem), signer.pem];
}
