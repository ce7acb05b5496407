import { parseCertificateDer } from '../src/crypto/certificate.js';
import { ClaimsgateError } from '../src/lib/errors.js';
import { createTokenValidator } from '../src/tokens/create-token-validator.js';
import type { BenchSigner, BenchToken } from './make-token.js';
import { createNodeSamlValidation, createSamlifyValidation, type PeerResult } from './peers.js';
import { createClaimsgateTrust, peerTrustedPems, type OtherCertificate } from './trust-keys.js';

/** Something timed: a validator with a given number of trusted keys, or a reference operation. */
export interface Contender {
  readonly group: 'floor' | 'context' | 'claimsgate' | 'node-saml' | 'samlify';
  readonly name: string;
  /** Trusted keys, for validators. */
  readonly keys: number | undefined;
  readonly run: () => unknown;
}

/** What the bench shares with every contender it builds. */
export interface BenchSetup {
  readonly token: BenchToken;
  readonly signer: BenchSigner;
  readonly others: readonly OtherCertificate[];
  /** claimsgate's frozen clock; the peers read the system clock, which the token's window covers. */
  readonly validationInstant: Date;
}

/** The same token with one claim value changed inside the signed assertion, in every form. */
export function tamperToken(token: BenchToken): BenchToken {
  const change = (xml: string): string => {
    if (!xml.includes('>Bob Jansen<')) throw new Error('the token has no displayname to tamper with');
    return xml.replace('>Bob Jansen<', '>Eve Jansen<');
  };
  const samlResponse = change(token.samlResponse);
  return {
    ...token,
    wresult: change(token.wresult),
    assertion: change(token.assertion),
    samlResponse,
    samlResponseBase64: Buffer.from(samlResponse, 'utf8').toString('base64'),
  };
}

function createClaimsgateValidation(setup: BenchSetup, token: BenchToken, keys: number) {
  const validator = createTokenValidator({
    trust: createClaimsgateTrust(setup.token, setup.signer, setup.others, keys),
    audiences: [token.audience],
    recipient: token.recipient,
    now: () => setup.validationInstant,
    // The same token is validated again and again: replay detection would reject the second.
    replayCache: false,
  });
  return () => validator.validate(token.wresult);
}

/**
 * claimsgate with `keys` trusted keys, validating the wresult. Checked first:
 * it must accept the token with the right subject, claims and signing key.
 *
 * @throws Error when claimsgate rejects the token or reads it wrongly.
 */
export async function claimsgateContender(setup: BenchSetup, keys: number): Promise<Contender> {
  const run = createClaimsgateValidation(setup, setup.token, keys);
  const identity = await run().catch((error: unknown) => {
    throw new Error(`claimsgate with ${keys} keys rejected the token: ${describe(error)}`, { cause: error });
  });
  const expectedSha1 = parseCertificateDer(setup.signer.der).sha1;
  const claimCount = Object.keys(identity.claims).length;
  if (
    identity.kind !== 'wsfed-saml20' ||
    identity.subject !== setup.token.subject ||
    identity.issuer !== setup.token.issuer ||
    identity.signingKey.sha1 !== expectedSha1 ||
    claimCount !== Object.keys(setup.token.claims).length
  ) {
    throw new Error(`claimsgate with ${keys} keys accepted the token but read it wrongly`);
  }
  return { group: 'claimsgate', name: 'claimsgate (wresult)', keys, run };
}

/**
 * Checks that claimsgate rejects the token with a claim value changed.
 *
 * @returns the error code it rejected with.
 * @throws Error when it accepts the tampered token or fails with something other than a ClaimsgateError.
 */
export async function claimsgateRejectsTampered(setup: BenchSetup): Promise<string> {
  const run = createClaimsgateValidation(setup, tamperToken(setup.token), 1);
  try {
    await run();
  } catch (error) {
    if (error instanceof ClaimsgateError) return error.code;
    throw new Error(`claimsgate failed on the tampered token without a coded error: ${describe(error)}`, {
      cause: error,
    });
  }
  throw new Error('claimsgate ACCEPTED a tampered token');
}

type PeerFactory = (token: BenchToken, pems: readonly string[]) => () => Promise<PeerResult>;

const PEERS: Record<'node-saml' | 'samlify', { factory: PeerFactory; name: string }> = {
  'node-saml': { factory: createNodeSamlValidation, name: 'node-saml (SAMLResponse)' },
  samlify: { factory: createSamlifyValidation, name: 'samlify (SAMLResponse)' },
};

/**
 * A peer with `keys` trusted certificates (the signing one last). Checked
 * first: it must accept the token and read its subject and issuer, and
 * reject the tampered copy.
 *
 * @throws Error when the peer rejects the token or accepts the tampered one.
 */
export async function peerContender(
  setup: BenchSetup,
  peer: 'node-saml' | 'samlify',
  keys: number,
): Promise<Contender> {
  const { factory, name } = PEERS[peer];
  const pems = peerTrustedPems(setup.signer, setup.others, keys);
  const run = factory(setup.token, pems);
  const result = await run().catch((error: unknown) => {
    throw new Error(`${peer} with ${keys} certificates rejected the token: ${describe(error)}`, {
      cause: error,
    });
  });
  if (result.subject !== setup.token.subject || result.issuer !== setup.token.issuer) {
    throw new Error(`${peer} accepted the token but read subject ${result.subject} from ${result.issuer}`);
  }
  const tampered = await factory(tamperToken(setup.token), pems)().then(
    () => false,
    () => true,
  );
  if (!tampered) throw new Error(`${peer} ACCEPTED a tampered token`);
  return { group: peer, name, keys, run };
}

function describe(error: unknown): string {
  if (error instanceof ClaimsgateError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
