import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClaimsgateError } from '../lib/errors.js';
import type { SignInProtocol, SignInState, SignInStatePurpose } from '../session/sign-in-state.js';
import type { IssuerRecord, RealmRecord } from '../store/model.js';
import type { TokenKind, VerifiedIdentity } from '../tokens/identity.js';

/** Where a sign-in starts: the chosen issuer and realm, and the checked return URL. */
export interface SignInStart {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly issuer: IssuerRecord;
  readonly realm: RealmRecord;
  /** Already checked against the allowed return origins. */
  readonly returnUrl: string;
  /** The digest of the binding cookie set on this reply; seal it into the state (`bindingDigest`). */
  readonly bindingDigest: string;
}

/** A callback whose sign-in state the pipeline has opened, bound, burnt and matched to its issuer. */
export interface SignInCallback {
  readonly request: FastifyRequest;
  readonly state: SignInState;
  /** The issuer the sign-in was sent to (named in the state). */
  readonly issuer: IssuerRecord;
}

/**
 * What a protocol's answer carries, read by its strategy: the token, what it
 * must be addressed to and answer, and the protocol's own checks of the
 * verified identity. The pipeline validates the token; the strategy never does.
 */
export interface ProtocolAnswer {
  /** The token as posted (or redeemed): a wresult, a samlp:Response, an id_token. */
  readonly token: string | Uint8Array;
  /** The audiences it must name: the realm URI (WS-Federation, SAML 2.0) or the client ID (OIDC). */
  readonly audiences: readonly string[];
  /** SAML: the URL bearer confirmations must name (this protocol's callback, never another's). */
  readonly recipient?: string;
  /** SAML 2.0: the URL a Response's Destination must name. */
  readonly destination?: string;
  /** SAML 2.0: the AuthnRequest ID the Response must answer. */
  readonly inResponseTo?: string;
  /**
   * The protocol's checks of the verified identity against this answer
   * (OIDC: the authorized party is the client, the nonce is this sign-in's).
   * @throws ClaimsgateError when the identity does not answer this sign-in.
   */
  confirm?(identity: VerifiedIdentity): void;
}

/**
 * One sign-in protocol, as a strategy of the sign-in pipeline
 * (sign-in-pipeline.ts): how to send the browser to the issuer, and how to
 * read the issuer's answer. Everything security decides in common — state,
 * binding, accepted token kinds, token validation, issuer match, key use,
 * mapping, session, redirect — is the pipeline's, in one order for every
 * protocol. A new protocol is a new strategy, and nothing else.
 */
export interface SignInStrategy {
  readonly protocol: SignInProtocol;
  /** The callback the issuer posts its answer to, `/signin/<protocol>`. */
  readonly callbackPath: string;
  /** The form field of the callback that carries the sealed state, and the purpose it was sealed for. */
  readonly stateField: string;
  readonly statePurpose: SignInStatePurpose;
  /**
   * The token kinds the callback accepts. SECURITY: another protocol's token
   * (a samlp:Response as a wresult, an assertion re-wrapped in an RSTR) would
   * skip the checks its own endpoint makes; it is refused before any key
   * lookup, refresh or replay record.
   */
  readonly acceptedKinds: readonly TokenKind[];
  /**
   * Sends the browser to the issuer with sealed, single-use state bound to
   * the browser (`start.bindingDigest`; the caller has set the cookie).
   * @throws ClaimsgateError when the issuer lacks what the protocol needs
   *   (an endpoint, a client ID); the caller shows the error page.
   */
  start(start: SignInStart): Promise<FastifyReply>;
  /**
   * The refusal the answer itself carries, checked before its state is
   * opened: an identity provider's error answer (OIDC), a response that
   * answers no request (SAML without RelayState). Undefined to go on.
   */
  refusalOf?(request: FastifyRequest): ClaimsgateError | undefined;
  /**
   * Reads the token and what it must match from a callback whose state the
   * pipeline has checked (OIDC: redeems the authorization code).
   * @throws ClaimsgateError when the answer or the state lacks what the protocol needs.
   */
  readAnswer(callback: SignInCallback): Promise<ProtocolAnswer>;
  /** Registers the protocol's other routes (SAML: the service provider metadata). */
  registerRoutes?(app: FastifyInstance): void;
}
