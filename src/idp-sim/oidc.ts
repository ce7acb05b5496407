import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClaimsgateError } from '../lib/errors.js';
import type { AuthorizationCodes } from './authorization-codes.js';
import { renderAutoPostPage, sendHtml } from './html-pages.js';
import { signAccessToken, signIdToken } from './oidc-tokens.js';
import {
  httpUrlParameter,
  optionalParameter,
  parametersOf,
  requestError,
  requiredParameter,
  type RequestParameters,
} from './request-parameters.js';
import { renderSignInPage } from './sign-in-page.js';
import { findTenant, findUser, type SimContext, type SimTenant } from './sim-context.js';

const TOKEN_LIFETIME_SECONDS = 3600;
const PROTOCOL = 'OpenID Connect';

/** An authorization request, checked. */
interface AuthorizeRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly responseType: 'code' | 'id_token';
  readonly responseMode: 'query' | 'form_post';
  readonly scope: string;
  readonly state: string | undefined;
  readonly nonce: string | undefined;
}

/**
 * Reads an authorization request: client_id, redirect_uri (an http(s) URL),
 * response_type `code` or `id_token`, response_mode `query` or `form_post`
 * (default: query for a code, form_post for an id_token, which is never sent
 * in a query), a scope with `openid`, state, and nonce (required for an id_token).
 *
 * @throws ClaimsgateError `CG_TOKEN_REQUEST_INVALID`.
 * @see OpenID Connect Core 1.0 §3.1.2.1, §3.2.2.1; OAuth 2.0 Form Post Response Mode
 */
function readAuthorizeRequest(parameters: RequestParameters): AuthorizeRequest {
  const clientId = requiredParameter(parameters, 'client_id', PROTOCOL, "the application's client ID");
  const redirectUri = httpUrlParameter(
    requiredParameter(parameters, 'redirect_uri', PROTOCOL, 'an absolute http(s) URL'),
    'redirect_uri',
  );
  const responseType = requiredParameter(parameters, 'response_type', PROTOCOL, 'code or id_token');
  if (responseType !== 'code' && responseType !== 'id_token') {
    throw requestError('response_type', 'The response_type must be code or id_token.', 'code or id_token');
  }
  const mode =
    optionalParameter(parameters, 'response_mode') ?? (responseType === 'code' ? 'query' : 'form_post');
  if (mode !== 'query' && mode !== 'form_post') {
    throw requestError(
      'response_mode',
      'The response_mode must be query or form_post.',
      'query or form_post',
    );
  }
  if (responseType === 'id_token' && mode === 'query') {
    throw requestError(
      'response_mode',
      'An id_token is never returned in a query string: use form_post.',
      'form_post',
    );
  }
  const scope = requiredParameter(parameters, 'scope', PROTOCOL, 'a scope including openid');
  if (!scope.split(' ').includes('openid')) {
    throw requestError('scope', 'The scope must include openid.', 'a scope including openid');
  }
  const nonce = optionalParameter(parameters, 'nonce');
  if (responseType === 'id_token' && nonce === undefined) {
    throw requestError('nonce', 'An id_token request must carry a nonce.', 'a nonce');
  }
  return {
    clientId,
    redirectUri,
    responseType,
    responseMode: mode,
    scope,
    state: optionalParameter(parameters, 'state'),
    nonce,
  };
}

function showSignIn(
  context: SimContext,
  tenant: SimTenant,
  request: AuthorizeRequest,
  reply: FastifyReply,
): FastifyReply {
  return sendHtml(
    reply,
    renderSignInPage({
      tenant: tenant.id,
      protocol: PROTOCOL,
      relyingParty: request.clientId,
      action: tenant.urls().authorize,
      fields: {
        client_id: request.clientId,
        redirect_uri: request.redirectUri,
        response_type: request.responseType,
        response_mode: request.responseMode,
        scope: request.scope,
        state: request.state,
        nonce: request.nonce,
      },
      users: context.users,
    }),
  );
}

/** The client_id of a token request: from HTTP Basic authentication or the form (RFC 6749 §2.3.1). */
function tokenClientId(request: FastifyRequest, parameters: RequestParameters): string {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Basic ') === true) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const user = decoded.slice(0, Math.max(decoded.indexOf(':'), 0));
    if (user !== '') return decodeURIComponent(user);
  }
  return requiredParameter(parameters, 'client_id', 'token', "the application's client ID");
}

interface TenantParams {
  readonly tenant: string;
}

/**
 * Registers the OpenID Connect endpoints: `authorize` (GET shows the
 * test-user page; the choice answers with a one-time code or an id_token, by
 * query redirect or form_post) and `token` (authorization_code grant → an
 * id_token and an access token signed by the current key). Token endpoint
 * errors use OAuth's JSON shape with the claimsgate code beside it.
 *
 * @see OpenID Connect Core 1.0 §3.1 (code flow), §3.2 (implicit flow); RFC 6749 §4.1, §5.2
 */
export function registerOidcRoutes(
  app: FastifyInstance,
  context: SimContext,
  codes: AuthorizationCodes,
): void {
  app.get<{ Params: TenantParams }>('/:tenant/oauth2/v2.0/authorize', (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    return showSignIn(context, tenant, readAuthorizeRequest(parametersOf(request.query)), reply);
  });

  app.post<{ Params: TenantParams }>('/:tenant/oauth2/v2.0/authorize', async (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    const parameters = parametersOf(request.body);
    const authorize = readAuthorizeRequest(parameters);
    const userId = optionalParameter(parameters, 'user');
    if (userId === undefined) return showSignIn(context, tenant, authorize, reply);
    const user = findUser(context, userId);
    let fields: Record<string, string | undefined>;
    if (authorize.responseType === 'code') {
      const code = codes.issue({
        tenant: tenant.id,
        clientId: authorize.clientId,
        redirectUri: authorize.redirectUri,
        user,
        scope: authorize.scope,
        nonce: authorize.nonce,
      });
      fields = { code, state: authorize.state };
    } else {
      const key = tenant.ring.current();
      const idToken = await signIdToken({
        key,
        issuer: tenant.urls().oidcIssuer,
        tenant: tenant.id,
        user,
        clientId: authorize.clientId,
        issuedAt: context.now(),
        lifetimeSeconds: TOKEN_LIFETIME_SECONDS,
        nonce: authorize.nonce,
      });
      fields = { id_token: idToken, state: authorize.state };
    }
    context.logger({
      level: 'info',
      event: 'idp-sim.oidc.authorized',
      tenant: tenant.id,
      user: user.id,
      clientId: authorize.clientId,
      responseType: authorize.responseType,
    });
    if (authorize.responseMode === 'form_post')
      return sendHtml(reply, renderAutoPostPage(authorize.redirectUri, fields));
    const target = new URL(authorize.redirectUri);
    for (const [name, value] of Object.entries(fields))
      if (value !== undefined) target.searchParams.set(name, value);
    return reply.header('cache-control', 'no-store').redirect(target.href, 302);
  });

  app.post<{ Params: TenantParams }>('/:tenant/oauth2/v2.0/token', async (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    const parameters = parametersOf(request.body);
    const grantType = requiredParameter(parameters, 'grant_type', 'token', 'authorization_code');
    if (grantType !== 'authorization_code') {
      throw requestError(
        'grant_type',
        'The simulator supports only the authorization_code grant.',
        'authorization_code',
      );
    }
    const clientId = tokenClientId(request, parameters);
    const grant = codes.redeem(requiredParameter(parameters, 'code', 'token', 'the authorization code'), {
      tenant: tenant.id,
      clientId,
      redirectUri: requiredParameter(
        parameters,
        'redirect_uri',
        'token',
        'the redirect_uri of the authorization request',
      ),
    });
    const key = tenant.ring.current();
    const input = {
      key,
      issuer: tenant.urls().oidcIssuer,
      tenant: tenant.id,
      user: grant.user,
      clientId,
      issuedAt: context.now(),
      lifetimeSeconds: TOKEN_LIFETIME_SECONDS,
      nonce: grant.nonce,
      scope: grant.scope,
    };
    const [idToken, accessToken] = await Promise.all([signIdToken(input), signAccessToken(input)]);
    context.logger({
      level: 'info',
      event: 'idp-sim.oidc.token',
      tenant: tenant.id,
      user: grant.user.id,
      clientId,
      kid: key.kid,
    });
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
      token_type: 'Bearer',
      scope: grant.scope,
      expires_in: TOKEN_LIFETIME_SECONDS,
      access_token: accessToken,
      id_token: idToken,
    });
  });
}

/** OAuth's error name for a coded error raised at the token endpoint (RFC 6749 §5.2). */
export function oauthErrorName(error: ClaimsgateError): string {
  if (error.code === 'CG_TOKEN_GRANT_INVALID') return 'invalid_grant';
  if (error.detail.parameter === 'grant_type') return 'unsupported_grant_type';
  return 'invalid_request';
}
