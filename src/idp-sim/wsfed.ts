import type { FastifyInstance, FastifyReply } from 'fastify';
import { html } from '../lib/html.js';
import { renderAutoPostPage, renderPage, sendHtml } from './html-pages.js';
import {
  httpUrlParameter,
  optionalParameter,
  parametersOf,
  requestError,
  requiredParameter,
  type RequestParameters,
} from './request-parameters.js';
import { buildSaml11Assertion, buildSaml2Assertion } from './saml-assertions.js';
import { renderSignInPage } from './sign-in-page.js';
import { findTenant, findUser, type SimContext, type SimTenant } from './sim-context.js';
import { buildRequestSecurityTokenResponse } from './wsfed-response.js';

type TokenType = 'saml2' | 'saml11';

const TOKEN_LIFETIME_MS = 3_600_000;
const PROTOCOL = 'WS-Federation';

/** A WS-Federation sign-in request, checked. */
interface SignInRequest {
  readonly wtrealm: string;
  readonly wreply: string;
  readonly wctx: string | undefined;
  readonly tokenType: TokenType | undefined;
}

function readTokenType(parameters: RequestParameters): TokenType | undefined {
  const value = optionalParameter(parameters, 'tokenType');
  if (value === undefined || value === 'saml2' || value === 'saml11') return value;
  throw requestError('tokenType', 'The parameter tokenType must be saml2 or saml11.', 'saml2 or saml11');
}

/**
 * Reads wtrealm (required: the audience of the token), wreply (where the
 * token is posted; without one, the realm when it is an http(s) URL, as an
 * application registered with its realm URL as reply URL gets) and wctx.
 *
 * @throws ClaimsgateError `CG_TOKEN_REQUEST_INVALID`.
 * @see WS-Federation 1.2 §13.2.1 (sign-in request parameters)
 */
function readSignInRequest(parameters: RequestParameters): SignInRequest {
  const wtrealm = requiredParameter(
    parameters,
    'wtrealm',
    PROTOCOL,
    "the relying party's realm (its audience URI)",
  );
  const explicitReply = optionalParameter(parameters, 'wreply');
  let wreply: string;
  if (explicitReply !== undefined) wreply = httpUrlParameter(explicitReply, 'wreply');
  else if (/^https?:\/\//i.test(wtrealm)) wreply = httpUrlParameter(wtrealm, 'wtrealm');
  else {
    throw requestError(
      'wreply',
      'The WS-Federation request has no wreply and its wtrealm is not a URL to post the token to.',
      'wreply, an absolute http(s) URL',
    );
  }
  return {
    wtrealm,
    wreply,
    wctx: optionalParameter(parameters, 'wctx'),
    tokenType: readTokenType(parameters),
  };
}

function showSignIn(
  context: SimContext,
  tenant: SimTenant,
  request: SignInRequest,
  reply: FastifyReply,
): FastifyReply {
  return sendHtml(
    reply,
    renderSignInPage({
      tenant: tenant.id,
      protocol: PROTOCOL,
      relyingParty: request.wtrealm,
      action: tenant.urls().wsfed,
      fields: { wa: 'wsignin1.0', wtrealm: request.wtrealm, wreply: request.wreply, wctx: request.wctx },
      users: context.users,
      tokenType: request.tokenType ?? (context.saml11 ? 'saml11' : 'saml2'),
    }),
  );
}

function showSignedOut(parameters: RequestParameters, reply: FastifyReply): FastifyReply {
  const explicitReply = optionalParameter(parameters, 'wreply');
  const wreply = explicitReply === undefined ? undefined : httpUrlParameter(explicitReply, 'wreply');
  const link = wreply !== undefined && html`<p><a href="${wreply}">Return to the application</a></p>`;
  const refresh = wreply !== undefined && html`<meta http-equiv="refresh" content="1;url=${wreply}">`;
  return sendHtml(
    reply,
    renderPage('Signed out', html`<h1>You are signed out</h1>${link}`, html`${refresh}`),
  );
}

function readAction(parameters: RequestParameters): string {
  const wa = requiredParameter(parameters, 'wa', PROTOCOL, 'wa=wsignin1.0 or wa=wsignout1.0');
  if (wa !== 'wsignin1.0' && wa !== 'wsignout1.0') {
    throw requestError(
      'wa',
      `The WS-Federation action "${wa.slice(0, 40)}" is not supported.`,
      'wsignin1.0 or wsignout1.0',
    );
  }
  return wa;
}

interface TenantParams {
  readonly tenant: string;
}

/**
 * Registers the WS-Federation passive requestor endpoint: `GET` shows the
 * test-user page for `wa=wsignin1.0` (or a signed-out page for
 * `wa=wsignout1.0`); `POST` of a user's choice answers with a page that
 * posts `wa`, `wresult` (an RSTR carrying a SAML 2.0 or 1.1 assertion signed
 * by the current key, audience = wtrealm) and `wctx` to wreply.
 *
 * @see WS-Federation 1.2 §13 (passive requestor profile)
 */
export function registerWsFedRoutes(app: FastifyInstance, context: SimContext): void {
  app.get<{ Params: TenantParams }>('/:tenant/wsfed', (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    const parameters = parametersOf(request.query);
    if (readAction(parameters) === 'wsignout1.0') return showSignedOut(parameters, reply);
    return showSignIn(context, tenant, readSignInRequest(parameters), reply);
  });

  app.post<{ Params: TenantParams }>('/:tenant/wsfed', (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    const parameters = parametersOf(request.body);
    if (readAction(parameters) === 'wsignout1.0') return showSignedOut(parameters, reply);
    const signIn = readSignInRequest(parameters);
    const userId = optionalParameter(parameters, 'user');
    if (userId === undefined) return showSignIn(context, tenant, signIn, reply);
    const user = findUser(context, userId);
    const tokenType = signIn.tokenType ?? (context.saml11 ? 'saml11' : 'saml2');
    const key = tenant.ring.current();
    const input = {
      key,
      issuer: tenant.urls().entityId,
      tenant: tenant.id,
      user,
      audience: signIn.wtrealm,
      issuedAt: context.now(),
      lifetimeMs: TOKEN_LIFETIME_MS,
    };
    const assertion = tokenType === 'saml11' ? buildSaml11Assertion(input) : buildSaml2Assertion(input);
    const wresult = buildRequestSecurityTokenResponse(assertion, tokenType, signIn.wtrealm);
    context.logger({
      level: 'info',
      event: 'idp-sim.wsfed.issued',
      tenant: tenant.id,
      user: user.id,
      audience: signIn.wtrealm,
      tokenType,
      kid: key.kid,
      assertionId: assertion.id,
    });
    return sendHtml(
      reply,
      renderAutoPostPage(signIn.wreply, { wa: 'wsignin1.0', wresult, wctx: signIn.wctx }),
    );
  });
}
