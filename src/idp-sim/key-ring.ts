import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parseCertificateDer, type CertificateInfo } from '../crypto/certificate.js';
import { thumbprintToX5t } from '../crypto/thumbprint.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/**
 * Where a signing key is in its life:
 * - `next`: announced — published in metadata and the JWKS, not signing yet;
 * - `current`: published and signing every token and the metadata;
 * - `previous`: published for a while after a switch, no longer signing;
 * - `retired`: no longer published.
 */
export type SigningKeyState = 'next' | 'current' | 'previous' | 'retired';

/** One signing key of a simulated tenant. */
export interface SimSigningKey {
  /** The JWK `kid`: as Azure AD does, the base64url SHA-1 thumbprint (`x5t`). */
  readonly kid: string;
  readonly state: SigningKeyState;
  readonly certificate: CertificateInfo;
  /** The certificate as PEM (what xml-crypto puts in KeyInfo). */
  readonly certificatePem: string;
  /** The certificate as bare base64 (what `<X509Certificate>` and `x5c` carry). */
  readonly certificateBase64: string;
  readonly privateKey: KeyObject;
  readonly createdAt: Date;
  readonly stateChangedAt: Date;
}

/** The signing keys of one simulated tenant and their states. */
export interface KeyRing {
  readonly tenant: string;
  /** Every key still remembered (retired ones too, up to a few), newest first. */
  list(): readonly SimSigningKey[];
  /** The keys a metadata document publishes: current first, then next, then previous. */
  published(): readonly SimSigningKey[];
  /** The key that signs now. */
  current(): SimSigningKey;
  /** Increases by one at every change of state; identifies a version of the published documents. */
  version(): number;
  /** When the keys last changed state. */
  changedAt(): Date;
  /** Generates a new key in state `next`. Resolves `false` when a next key is already announced. */
  announce(): Promise<boolean>;
  /**
   * Makes the next key current and the current one previous. Without an
   * announced key this is an emergency roll: a new key becomes current at once.
   * Resolves whether it was an emergency roll.
   */
  switchKeys(): Promise<{ emergency: boolean }>;
  /** Retires the previous key. Returns `false` when there is none. */
  retire(): boolean;
}

/** Options of {@link createKeyRing}. */
export interface KeyRingOptions {
  readonly now: () => Date;
  /** How many retired keys to remember for `GET /control/keys`. Default 5. */
  readonly retiredKept?: number;
  /** Certificate validity, in days. Default 730. */
  readonly validityDays?: number;
}

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

/**
 * Generates an RSA-2048 key pair and a self-signed certificate for it, the
 * way Azure AD's token-signing certificates are: `CN=claimsgate-idp-sim <tenant>`,
 * SHA-256 with RSA, valid from an hour before `now`.
 */
export async function generateSigningKey(
  tenant: string,
  now: Date,
  validityDays = 730,
): Promise<Omit<SimSigningKey, 'state' | 'stateChangedAt'>> {
  const keys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive serial: the first byte's high bit cleared.
    serialNumber: `1${randomBytes(15).toString('hex')}`,
    name: `CN=claimsgate-idp-sim ${tenant}`,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + validityDays * 86_400_000),
    keys,
    signingAlgorithm: RSA,
  });
  const der = Buffer.from(certificate.rawData);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const info = parseCertificateDer(der);
  return {
    kid: thumbprintToX5t(info.sha1),
    certificate: info,
    certificatePem: certificate.toString('pem'),
    certificateBase64: der.toString('base64'),
    privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    createdAt: now,
  };
}

const PUBLISH_ORDER: readonly SigningKeyState[] = ['current', 'next', 'previous'];

/**
 * Creates a tenant's key ring with one current key.
 *
 * @throws TypeError when `retiredKept` or `validityDays` is not a positive integer.
 */
export async function createKeyRing(tenant: string, options: KeyRingOptions): Promise<KeyRing> {
  const retiredKept = options.retiredKept ?? 5;
  const validityDays = options.validityDays ?? 730;
  if (!Number.isSafeInteger(retiredKept) || retiredKept < 0)
    throw new TypeError('retiredKept must be an integer of 0 or more');
  if (!Number.isSafeInteger(validityDays) || validityDays < 1)
    throw new TypeError('validityDays must be a positive integer');

  const first = options.now();
  let keys: SimSigningKey[] = [
    { ...(await generateSigningKey(tenant, first, validityDays)), state: 'current', stateChangedAt: first },
  ];
  let version = 1;
  let changedAt = first;

  const find = (state: SigningKeyState): SimSigningKey | undefined => keys.find((k) => k.state === state);
  const move = (key: SimSigningKey, state: SigningKeyState, at: Date): SimSigningKey => ({
    ...key,
    state,
    stateChangedAt: at,
  });
  const commit = (next: SimSigningKey[], at: Date): void => {
    const retired = next.filter((k) => k.state === 'retired').slice(0, retiredKept);
    keys = [...next.filter((k) => k.state !== 'retired'), ...retired].sort(
      (a, b) => b.createdAt.getTime() - a.createdAt.getTime(),
    );
    version += 1;
    changedAt = at;
  };

  return {
    tenant,
    list: () => keys,
    published: () => PUBLISH_ORDER.flatMap((state) => keys.filter((key) => key.state === state)),
    current(): SimSigningKey {
      const current = find('current');
      // A ring always has a current key: every transition keeps one.
      if (current === undefined) throw new Error('the key ring has no current key');
      return current;
    },
    version: () => version,
    changedAt: () => changedAt,
    async announce(): Promise<boolean> {
      if (find('next') !== undefined) return false;
      const at = options.now();
      const generated = await generateSigningKey(tenant, at, validityDays);
      // Another announce may have finished while this key was generated.
      if (find('next') !== undefined) return false;
      commit([{ ...generated, state: 'next', stateChangedAt: at }, ...keys], at);
      return true;
    },
    async switchKeys(): Promise<{ emergency: boolean }> {
      let incoming = find('next');
      const emergency = incoming === undefined;
      const at = options.now();
      if (incoming === undefined) {
        incoming = {
          ...(await generateSigningKey(tenant, at, validityDays)),
          state: 'next',
          stateChangedAt: at,
        };
        keys = [incoming, ...keys];
      }
      const next = keys.map((key) => {
        if (key === incoming) return move(key, 'current', at);
        if (key.state === 'current') return move(key, 'previous', at);
        // Only one previous key is published: an older one is retired by the switch.
        if (key.state === 'previous') return move(key, 'retired', at);
        return key;
      });
      commit(next, at);
      return { emergency };
    },
    retire(): boolean {
      const previous = find('previous');
      if (previous === undefined) return false;
      const at = options.now();
      commit(
        keys.map((key) => (key === previous ? move(key, 'retired', at) : key)),
        at,
      );
      return true;
    },
  };
}
