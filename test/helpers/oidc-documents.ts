/**
 * OpenID Connect discovery documents and key sets shaped like Entra ID's
 * (see fixtures/metadata/entra-common.*.json), built around generated
 * certificates so that tests hold the private keys.
 */
import { X509Certificate } from 'node:crypto';
import { parseCertificateDer } from '../../src/crypto/certificate.js';
import { thumbprintToX5t } from '../../src/crypto/thumbprint.js';
import type { TestCertificate } from './certificates.js';
import { readFixture } from './fixtures.js';

/** The `kid` of a generated certificate's JWK: its `x5t`, as Entra ID does. */
export function kidOf(certificate: TestCertificate): string {
  return thumbprintToX5t(parseCertificateDer(certificate.der).sha1);
}

/** A JWK for a certificate as Entra ID publishes one: kty, use, kid, x5t, n, e, x5c and a per-key issuer. */
export function entraJwk(certificate: TestCertificate, issuer?: string): Record<string, unknown> {
  const publicJwk = new X509Certificate(certificate.der).publicKey.export({ format: 'jwk' });
  return {
    kty: publicJwk.kty,
    use: 'sig',
    kid: kidOf(certificate),
    x5t: kidOf(certificate),
    n: publicJwk.n,
    e: publicJwk.e,
    x5c: [certificate.base64],
    ...(issuer === undefined ? {} : { issuer }),
  };
}

/** A JWKS text for the certificates. */
export function jwksText(certificates: readonly TestCertificate[], issuer?: string): string {
  return JSON.stringify({ keys: certificates.map((certificate) => entraJwk(certificate, issuer)) });
}

/** Entra ID's `common` discovery document with its issuer and jwks_uri replaced. */
export function discoveryText(issuer: string, jwksUri: string): string {
  const document = JSON.parse(
    readFixture('metadata/entra-common.openid-configuration.json').toString('utf8'),
  ) as Record<string, unknown>;
  return JSON.stringify({ ...document, issuer, jwks_uri: jwksUri });
}
