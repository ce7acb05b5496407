import { ClaimsgateError } from '../lib/errors.js';
import { detectToken } from './detect-token.js';
import type { TokenKind, VerifiedIdentity } from './identity.js';
import { parseXmlToken, type ParsedXmlToken } from './parse-xml-token.js';
import { createMemoryReplayCache, type ReplayCache } from './replay-cache.js';
import type { TrustSnapshot } from './trust-snapshot.js';
import { validateJwt } from './validate-jwt.js';
import { validateXmlToken } from './validate-xml-token.js';
import {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_TOKEN_BYTES,
  type ValidationContext,
} from './validation-context.js';

/** What the validator knows of a key it could not map, for the unknown-key hook. */
export interface UnknownKeyEvent {
  /** The issuer the token names. */
  readonly issuer: string;
  readonly sha1: string | undefined;
  readonly sha256: string | undefined;
  readonly kid: string | undefined;
}

export interface TokenValidatorOptions {
  /** The trust to validate against: a snapshot, or a function returning the current one. */
  readonly trust: TrustSnapshot | (() => TrustSnapshot);
  /**
   * The audiences (realms, client IDs) this relying party accepts. Optional
   * when every call names its own (`ValidateOptions.audiences`): one
   * validator then serves several endpoints, as the gateway's does.
   */
  readonly audiences?: string | readonly string[];
  /** Tolerated clock difference, in seconds. Default 300. */
  readonly clockSkewSeconds?: number;
  /** The clock. Default the system clock. */
  readonly now?: () => Date;
  /** Where used token IDs are remembered; `false` turns replay detection off. Default in memory. */
  readonly replayCache?: ReplayCache | false;
  /** SAML 2.0: the assertion consumer URL that bearer confirmations must name. */
  readonly recipient?: string;
  /** SAML 2.0: the URL a Response's Destination must name, when it has one. */
  readonly destination?: string;
  /** Largest accepted token in bytes. Default 128 KiB. */
  readonly maxTokenBytes?: number;
  /**
   * Called at most once per validation when a token is signed by a key its
   * (known) issuer is not trusted with — unknown everywhere
   * (`CG_TRUST_KEY_UNKNOWN`), or trusted for other issuers only
   * (`CG_TRUST_KEY_WRONG_ISSUER`: one key often signs for several issuers,
   * and the token's issuer may publish it by now), or published only in a
   * document held for an administrator's approval
   * (`CG_TRUST_KEY_PENDING_APPROVAL`: the endpoint may serve a continuous
   * document by now). It may return a fresher
   * snapshot (the rollover engine refreshes the issuer's metadata there); the
   * token is then retried against it in the same call, and the outcome of
   * that retry stands.
   */
  readonly onUnknownKey?: (
    event: UnknownKeyEvent,
  ) => Promise<TrustSnapshot | undefined> | TrustSnapshot | undefined;
  /**
   * Runs each CPU-bound step of a validation (reading the token; checking it
   * against one trust snapshot). A server passes one gate shared by all its
   * requests (`createCpuGate`) so that validations take turns with the rest
   * of its work. Default: run at once.
   */
  readonly runStep?: <T>(step: () => T | Promise<T>) => Promise<T>;
}

export interface ValidateOptions {
  /** SAML 2.0: the ID of the AuthnRequest this response must answer. */
  readonly inResponseTo?: string;
  /** Validate at this instant instead of the validator's clock (e.g. a captured token at its own time). */
  readonly now?: Date;
  /**
   * The token kinds this call accepts (an endpoint's protocol). Another kind
   * is refused with `CG_TOKEN_FORMAT_UNKNOWN` as soon as it is recognised:
   * before any key lookup, refresh or replay record. Default: every kind.
   */
  readonly kinds?: readonly TokenKind[];
  /** The audiences this call accepts (an endpoint's realm or client ID), instead of the validator's. */
  readonly audiences?: string | readonly string[];
  /** SAML 2.0: the recipient this call's bearer confirmations must name, instead of the validator's. */
  readonly recipient?: string;
  /** SAML 2.0: the Destination this call's Response must name, instead of the validator's. */
  readonly destination?: string;
}

export interface TokenValidator {
  /**
   * Validates a WS-Federation wresult, a SAML 2.0 Response or assertion, a
   * SAML 1.1 assertion or a JWT, detected automatically.
   *
   * @throws ClaimsgateError with a `CG_TOKEN_*`, `CG_TRUST_*`, `CG_SIG_*` or `CG_XML_*` code.
   */
  validate(input: string | Uint8Array, options?: ValidateOptions): Promise<VerifiedIdentity>;
}

/**
 * The refusals that a fresher trust of the token's issuer may lift: its key
 * is not (yet) trusted for that issuer. A key held for approval
 * (`CG_TRUST_KEY_PENDING_APPROVAL`) is one of them: a fetch that begins now
 * may find the endpoint fixed, or serving a document that is continuous and
 * publishes the key, and it costs what an unknown key costs (one fetch per
 * issuer per spacing window, shared by every token waiting).
 */
function isKeyUnknownToIssuer(error: unknown): error is ClaimsgateError {
  return (
    error instanceof ClaimsgateError &&
    (error.code === 'CG_TRUST_KEY_UNKNOWN' ||
      error.code === 'CG_TRUST_KEY_WRONG_ISSUER' ||
      error.code === 'CG_TRUST_KEY_PENDING_APPROVAL')
  );
}

/**
 * Audiences as a frozen list.
 *
 * @throws TypeError unless they are a non-empty string or a non-empty list of them.
 */
function audienceList(value: string | readonly string[]): readonly string[] {
  const audiences = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    audiences.some((a) => typeof a !== 'string' || a === '')
  ) {
    throw new TypeError('audiences must be a non-empty string or a non-empty list of them');
  }
  return Object.freeze(typeof value === 'string' ? [value] : [...value]);
}

function checkOptions(options: TokenValidatorOptions): void {
  if (options.audiences !== undefined) audienceList(options.audiences);
  const skew = options.clockSkewSeconds;
  if (skew !== undefined && (!Number.isFinite(skew) || skew < 0 || skew > 3600)) {
    throw new TypeError('clockSkewSeconds must be between 0 and 3600');
  }
  const max = options.maxTokenBytes;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1024)) {
    throw new TypeError('maxTokenBytes must be an integer of at least 1024');
  }
  if (options.trust === undefined || options.trust === null) throw new TypeError('trust is required');
  if (options.runStep !== undefined && typeof options.runStep !== 'function') {
    throw new TypeError('runStep must be a function');
  }
}

/**
 * Whether a trust may hold the key a refusal named: trusted for some issuer,
 * or in an issuer's pending change (which changes the refusal's code). A
 * signature that names no key (no KeyInfo, no kid or x5t) may match any.
 */
function mayKnowKey(trust: TrustSnapshot, event: UnknownKeyEvent): boolean {
  const { sha1, sha256, kid } = event;
  if (sha1 === undefined && sha256 === undefined && kid === undefined) return true;
  if (sha1 !== undefined && trust.keysBySha1(sha1).length > 0) return true;
  if (sha256 !== undefined && trust.keysBySha256(sha256).length > 0) return true;
  if (kid !== undefined && trust.keysByKid(kid).length > 0) return true;
  const pending = trust.findIssuer(event.issuer)?.pendingChange?.keys ?? [];
  return pending.some(
    (key) =>
      (sha1 !== undefined && key.sha1 === sha1) ||
      (sha256 !== undefined && key.sha256 === sha256) ||
      (kid !== undefined && key.kid === kid),
  );
}

/** A token recognised and, when XML, parsed with its assertion located. */
type ReadToken =
  | { readonly format: 'jwt'; readonly token: string }
  | { readonly format: 'xml'; readonly xml: ParsedXmlToken };

/**
 * Recognises and parses a token, once per validation, and refuses a kind the
 * call does not accept before anything else is done with it.
 *
 * @throws ClaimsgateError `CG_TOKEN_TOO_LARGE`, `CG_TOKEN_FORMAT_UNKNOWN`, the
 *   `CG_XML_*` codes of the parser and the codes of locateAssertion.
 */
function readToken(
  input: string | Uint8Array,
  maxTokenBytes: number,
  kinds: readonly TokenKind[] | undefined,
): ReadToken {
  const detected = detectToken(input, maxTokenBytes);
  // An XML token where only JWTs are taken is refused before it is parsed.
  if (detected.format === 'xml' && kinds !== undefined && kinds.every((kind) => kind === 'jwt')) {
    throw kindRefused('XML', kinds);
  }
  const token: ReadToken =
    detected.format === 'jwt' ? detected : { format: 'xml', xml: parseXmlToken(detected.xml, maxTokenBytes) };
  const kind = token.format === 'jwt' ? 'jwt' : token.xml.located.kind;
  if (kinds !== undefined && !kinds.includes(kind)) throw kindRefused(kind, kinds);
  return token;
}

function kindRefused(observed: string, kinds: readonly TokenKind[]): ClaimsgateError {
  return new ClaimsgateError(
    'CG_TOKEN_FORMAT_UNKNOWN',
    `The token is a ${observed} token; this endpoint takes ${kinds.join(', ')} only.`,
    {
      hint: 'Check which endpoint the identity provider posts to: WS-Federation answers go to /signin/wsfed, SAML 2.0 Responses to /signin/saml2, OpenID Connect to /signin/oidc.',
      detail: { observed, expected: kinds },
    },
  );
}

/**
 * Creates a token validator: the key mapping done right. Options are checked
 * once here; `validate` then decides whether a token was issued by a trusted
 * issuer, and by which key, or says exactly why not.
 *
 * @throws TypeError for a bad option.
 */
export function createTokenValidator(options: TokenValidatorOptions): TokenValidator {
  checkOptions(options);
  const audiences = options.audiences === undefined ? undefined : audienceList(options.audiences);
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const clock = options.now ?? (() => new Date());
  const replayCache =
    options.replayCache === false
      ? undefined
      : (options.replayCache ?? createMemoryReplayCache({ now: clock }));
  const currentTrust =
    typeof options.trust === 'function' ? options.trust : () => options.trust as TrustSnapshot;
  const runStep = options.runStep ?? (async <T>(step: () => T | Promise<T>): Promise<T> => step());

  /**
   * The audiences a call accepts: its own, else the validator's.
   *
   * @throws TypeError when neither names any.
   */
  function callAudiences(call: ValidateOptions): readonly string[] {
    if (call.audiences !== undefined) return audienceList(call.audiences);
    if (audiences === undefined) {
      throw new TypeError('audiences must be given to createTokenValidator or to validate');
    }
    return audiences;
  }

  async function validateAgainst(
    token: ReadToken,
    trust: TrustSnapshot,
    call: ValidateOptions,
    now: Date,
  ): Promise<VerifiedIdentity> {
    const context: ValidationContext = {
      trust,
      audiences: callAudiences(call),
      now,
      clockSkewSeconds,
      recipient: call.recipient ?? options.recipient,
      destination: call.destination ?? options.destination,
      inResponseTo: call.inResponseTo,
      maxTokenBytes,
    };
    return token.format === 'jwt' ? validateJwt(token.token, context) : validateXmlToken(token.xml, context);
  }

  /**
   * Reads the token and validates it against the current trust. A refusal
   * that fresher trust of the token's issuer may lift comes back with the
   * event for the unknown-key hook instead of being thrown; its own function,
   * so that nothing of the parsed token outlives it.
   */
  async function firstAttempt(
    input: string | Uint8Array,
    call: ValidateOptions,
    now: Date,
  ): Promise<
    | { readonly identity: VerifiedIdentity }
    | { readonly error: ClaimsgateError; readonly event: UnknownKeyEvent }
  > {
    const token = await runStep(() => readToken(input, maxTokenBytes, call.kinds));
    try {
      return { identity: await runStep(() => validateAgainst(token, currentTrust(), call, now)) };
    } catch (error) {
      if (!isKeyUnknownToIssuer(error) || options.onUnknownKey === undefined) throw error;
      const observed = (error.detail.observed ?? {}) as { sha1?: string; sha256?: string; kid?: string };
      return {
        error,
        event: {
          issuer: error.detail.issuer ?? '',
          sha1: observed.sha1,
          sha256: observed.sha256,
          kid: observed.kid,
        },
      };
    }
  }

  return {
    async validate(input: string | Uint8Array, call: ValidateOptions = {}): Promise<VerifiedIdentity> {
      const now = call.now ?? clock();
      // A programming mistake is reported before the token is looked at.
      callAudiences(call);
      const first = await firstAttempt(input, call, now);
      let identity: VerifiedIdentity;
      if ('identity' in first) {
        identity = first.identity;
      } else {
        // SECURITY (memory): the token may now wait seconds for a metadata
        // fetch, with thousands of others in a flood. The first attempt's
        // frame is gone, and with it the parsed tree (several times the
        // token's size); only the raw input waits. The token is read again
        // only when the fresher trust names its key somewhere, so a flood of
        // tokens naming random keys is parsed once each.
        const fresher = await options.onUnknownKey!(first.event);
        if (fresher === undefined || !mayKnowKey(fresher, first.event)) throw first.error;
        const reread = await runStep(() => readToken(input, maxTokenBytes, call.kinds));
        identity = await runStep(() => validateAgainst(reread, fresher, call, now));
      }
      if (replayCache !== undefined && identity.tokenId !== undefined) {
        const expiresAt = new Date(
          (identity.notOnOrAfter ?? new Date(now.getTime() + 3_600_000)).getTime() + clockSkewSeconds * 1000,
        );
        // Scoped by issuer: two issuers may mint the same ID; neither may replay its own.
        const fresh = await replayCache.checkAndStore(
          `${identity.trustedIssuer}\u0000${identity.tokenId}`,
          expiresAt,
        );
        if (!fresh) {
          throw new ClaimsgateError(
            'CG_TOKEN_REPLAYED',
            `The token ${identity.tokenId} from ${identity.issuer} was already used.`,
            {
              detail: { issuer: identity.issuer, observed: identity.tokenId },
            },
          );
        }
      }
      return identity;
    },
  };
}
