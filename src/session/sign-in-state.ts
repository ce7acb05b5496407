import { randomBytes } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';
import { open, seal } from './seal.js';
import type { SealingKeyRing } from './sealing-keys.js';

/** The purposes sign-in state is sealed for: WS-Federation `wctx`, SAML `RelayState`, OIDC `state`. */
export type SignInStatePurpose = 'wctx' | 'relay-state' | 'oidc-state';

/** The sign-in protocols. */
export type SignInProtocol = 'wsfed' | 'saml2' | 'oidc';

/** What the gateway remembers across the round trip to the identity provider. */
export interface SignInStateInput {
  /** Where to send the user afterwards. Validate it (same origin) before encoding and again after decoding. */
  readonly returnUrl: string;
  /** The configured issuer the user was sent to. */
  readonly issuerName: string;
  readonly protocol: SignInProtocol;
  /**
   * base64url SHA-256 of the random value in the browser's sign-in binding
   * cookie (`createSignInBinding` in sign-in-binding.ts): the callback is
   * accepted only from the browser holding that value (login CSRF).
   */
  readonly bindingDigest: string;
  /** The SAML AuthnRequest ID, to match InResponseTo. */
  readonly requestId?: string;
  /** The OIDC nonce, to match the id_token's `nonce`. */
  readonly nonce?: string;
  /** The OIDC PKCE `code_verifier`, sent with the authorization code to the token endpoint (RFC 7636 §4.1). */
  readonly codeVerifier?: string;
}

/** Decoded sign-in state. */
export interface SignInState extends SignInStateInput {
  /**
   * A random ID, unique per encoded value. The state is single-use: after
   * decoding it, record the ID in the replay cache until `expiresAt`
   * (`replayCache.checkAndStore(jti, expiresAt)`) and refuse the sign-in when
   * it was already there. This codec keeps no storage.
   */
  readonly jti: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export interface SignInStateCodecOptions {
  readonly ring: SealingKeyRing;
  /** How long a sign-in may take at the identity provider. Default 600 seconds. */
  readonly ttlSeconds?: number;
  readonly now?: () => Date;
}

/** Seals and opens sign-in state. */
export interface SignInStateCodec {
  /** How long sealed state stays valid, in seconds (the binding cookie lives as long). */
  readonly ttlSeconds: number;
  /**
   * Seals sign-in state for one parameter; the value is URL safe.
   * @throws ClaimsgateError CG_SESSION_TOO_LARGE when the return URL makes it too long.
   * @throws TypeError for malformed state or an unknown purpose.
   */
  encode(state: SignInStateInput, purpose: SignInStatePurpose): string;
  /**
   * Opens sign-in state sealed for the same purpose and not yet expired.
   * @throws ClaimsgateError CG_SESSION_MALFORMED, CG_SESSION_KEY_UNKNOWN,
   *   CG_SESSION_INVALID or CG_SESSION_EXPIRED (see `open`).
   */
  decode(value: unknown, purpose: SignInStatePurpose): SignInState;
}

const PROTOCOLS: readonly string[] = ['wsfed', 'saml2', 'oidc'];
const PURPOSES: readonly string[] = ['wctx', 'relay-state', 'oidc-state'];

/** The state as sealed. */
interface SealedState {
  readonly jti: string;
  readonly ru: string;
  readonly is: string;
  readonly pr: string;
  readonly bd: string;
  readonly rid?: string;
  readonly n?: string;
  readonly cv?: string;
}

function checkPurpose(purpose: unknown): SignInStatePurpose {
  if (typeof purpose !== 'string' || !PURPOSES.includes(purpose)) {
    throw new TypeError(`Unknown sign-in state purpose ${JSON.stringify(purpose)}.`);
  }
  return purpose as SignInStatePurpose;
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function readSealedState(payload: unknown, purpose: SignInStatePurpose): SealedState {
  const state = payload as Partial<SealedState> | null;
  if (
    typeof state !== 'object' ||
    state === null ||
    typeof state.jti !== 'string' ||
    typeof state.ru !== 'string' ||
    typeof state.is !== 'string' ||
    typeof state.pr !== 'string' ||
    !PROTOCOLS.includes(state.pr) ||
    typeof state.bd !== 'string' ||
    !isOptionalString(state.rid) ||
    !isOptionalString(state.n) ||
    !isOptionalString(state.cv)
  ) {
    throw new ClaimsgateError('CG_SESSION_MALFORMED', `The ${purpose} value does not hold sign-in state.`, {
      detail: { purpose, reason: 'unexpected sign-in state shape' },
    });
  }
  return state as SealedState;
}

/**
 * Builds the codec for sign-in state (`wctx`, SAML `RelayState`, OIDC
 * `state`): sealed, so the identity provider and the browser can neither read
 * nor change it, bound to its parameter (a `wctx` value does not decode as
 * `RelayState`), and expiring after `ttlSeconds`. Each value carries a random
 * `jti` for the caller's replay cache and the digest of the browser's
 * binding cookie for the caller to check (`checkSignInBinding`).
 *
 * A sealed value is about 200 characters, longer than the 80 bytes SAML
 * Bindings §3.4.3 allows for `RelayState`; many identity providers accept
 * more, but a strict one needs a short server-side handle instead.
 *
 * @throws TypeError when `ttlSeconds` is not a positive whole number or `ring` is missing.
 * @see WS-Federation 1.2 §13.2.1 (wctx); SAML Bindings 2.0 §3.4.3, §3.5.3 (RelayState);
 *   OpenID Connect Core 1.0 §3.1.2.1 (state, nonce)
 */
export function createSignInStateCodec(options: SignInStateCodecOptions): SignInStateCodec {
  const { ring } = options;
  if (typeof ring?.purposeKey !== 'function') throw new TypeError('ring must be a sealing key ring.');
  const ttlSeconds = options.ttlSeconds ?? 600;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError('ttlSeconds must be a positive whole number of seconds.');
  }
  const clock = options.now ?? (() => new Date());

  return {
    ttlSeconds,

    encode(state: SignInStateInput, purpose: SignInStatePurpose): string {
      checkPurpose(purpose);
      if (typeof state?.returnUrl !== 'string') throw new TypeError('state.returnUrl must be a string.');
      if (typeof state.issuerName !== 'string' || state.issuerName.length === 0) {
        throw new TypeError('state.issuerName must be a non-empty string.');
      }
      if (!PROTOCOLS.includes(state.protocol)) {
        throw new TypeError(`state.protocol must be one of ${PROTOCOLS.join(', ')}.`);
      }
      if (typeof state.bindingDigest !== 'string' || state.bindingDigest.length === 0) {
        throw new TypeError('state.bindingDigest must be a non-empty string.');
      }
      if (!isOptionalString(state.requestId)) throw new TypeError('state.requestId must be a string.');
      if (!isOptionalString(state.nonce)) throw new TypeError('state.nonce must be a string.');
      if (!isOptionalString(state.codeVerifier)) throw new TypeError('state.codeVerifier must be a string.');
      const sealed: SealedState = {
        jti: randomBytes(16).toString('base64url'),
        ru: state.returnUrl,
        is: state.issuerName,
        pr: state.protocol,
        bd: state.bindingDigest,
        ...(state.requestId === undefined ? {} : { rid: state.requestId }),
        ...(state.nonce === undefined ? {} : { n: state.nonce }),
        ...(state.codeVerifier === undefined ? {} : { cv: state.codeVerifier }),
      };
      return seal(ring, purpose, sealed, { now: clock(), ttlSeconds });
    },

    decode(value: unknown, purpose: SignInStatePurpose): SignInState {
      checkPurpose(purpose);
      const opened = open(ring, purpose, value, { now: clock() });
      const state = readSealedState(opened.payload, purpose);
      return {
        returnUrl: state.ru,
        issuerName: state.is,
        protocol: state.pr as SignInProtocol,
        bindingDigest: state.bd,
        ...(state.rid === undefined ? {} : { requestId: state.rid }),
        ...(state.n === undefined ? {} : { nonce: state.n }),
        ...(state.cv === undefined ? {} : { codeVerifier: state.cv }),
        jti: state.jti,
        issuedAt: opened.issuedAt,
        expiresAt: opened.expiresAt,
      };
    },
  };
}
