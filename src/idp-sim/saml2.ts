import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  decodeSamlRequest,
  readAuthnRequest,
  type AuthnRequestFacts,
  type RequestBinding,
} from './authn-request.js';
import { renderAutoPostPage, sendHtml } from './html-pages.js';
import {
  optionalParameter,
  parametersOf,
  requestError,
  requiredParameter,
  type RequestParameters,
} from './request-parameters.js';
import { buildSaml2Assertion } from './saml-assertions.js';
import { buildSamlResponse } from './saml2-response.js';
import { renderSignInPage } from './sign-in-page.js';
import { findTenant, findUser, type SimContext, type SimTenant } from './sim-context.js';

const TOKEN_LIFETIME_MS = 3_600_000;
/** How long the bearer confirmation may be used: the time to post the form. */
const CONFIRMATION_LIFETIME_MS = 5 * 60_000;
const MAX_RELAY_STATE = 2048;

/** An AuthnRequest as received, and what it asks. */
interface SsoRequest {
  readonly samlRequest: string;
  readonly binding: RequestBinding;
  readonly relayState: string | undefined;
  readonly facts: AuthnRequestFacts;
}

function readSsoRequest(
  tenant: SimTenant,
  parameters: RequestParameters,
  binding: RequestBinding,
): SsoRequest {
  const samlRequest = requiredParameter(parameters, 'SAMLRequest', 'SAML 2.0', 'an AuthnRequest');
  const relayState = optionalParameter(parameters, 'RelayState');
  if (relayState !== undefined && relayState.length > MAX_RELAY_STATE) {
    throw requestError('RelayState', `The RelayState is longer than ${MAX_RELAY_STATE} characters.`);
  }
  const facts = readAuthnRequest(decodeSamlRequest(samlRequest, binding), tenant.urls().saml2);
  return { samlRequest, binding, relayState, facts };
}

function showSignIn(
  context: SimContext,
  tenant: SimTenant,
  sso: SsoRequest,
  reply: FastifyReply,
): FastifyReply {
  return sendHtml(
    reply,
    renderSignInPage({
      tenant: tenant.id,
      protocol: 'SAML 2.0',
      relyingParty: sso.facts.issuer,
      action: tenant.urls().saml2,
      // The request travels on as received; the choice POST reads it again.
      fields: { SAMLRequest: sso.samlRequest, RelayState: sso.relayState, binding: sso.binding },
      users: context.users,
    }),
  );
}

interface TenantParams {
  readonly tenant: string;
}

/**
 * Registers the SAML 2.0 single sign-on endpoint: an AuthnRequest by the
 * Redirect binding (`GET`, deflated) or the POST binding shows the test-user
 * page; the user's choice answers with a page that posts a samlp:Response
 * (Destination = ACS, InResponseTo = the request ID) carrying an assertion
 * signed by the current key (audience = the request's Issuer, bearer
 * confirmation with Recipient = ACS) and the RelayState to the ACS URL.
 *
 * @see SAML Profiles 2.0 §4.1 (Web Browser SSO); SAML Bindings 2.0 §3.4, §3.5
 */
export function registerSaml2Routes(app: FastifyInstance, context: SimContext): void {
  app.get<{ Params: TenantParams }>('/:tenant/saml2', (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    return showSignIn(
      context,
      tenant,
      readSsoRequest(tenant, parametersOf(request.query), 'redirect'),
      reply,
    );
  });

  app.post<{ Params: TenantParams }>('/:tenant/saml2', (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    const parameters = parametersOf(request.body);
    // The picker page says how the request first came; a service provider's POST binding does not.
    const binding = optionalParameter(parameters, 'binding') === 'redirect' ? 'redirect' : 'post';
    const sso = readSsoRequest(tenant, parameters, binding);
    const userId = optionalParameter(parameters, 'user');
    if (userId === undefined) return showSignIn(context, tenant, sso, reply);
    const user = findUser(context, userId);
    const key = tenant.ring.current();
    const issuedAt = context.now();
    const acs = sso.facts.assertionConsumerServiceUrl;
    const issuer = tenant.urls().entityId;
    const assertion = buildSaml2Assertion({
      key,
      issuer,
      tenant: tenant.id,
      user,
      audience: sso.facts.issuer,
      issuedAt,
      lifetimeMs: TOKEN_LIFETIME_MS,
      confirmation: {
        recipient: acs,
        inResponseTo: sso.facts.id,
        notOnOrAfter: new Date(issuedAt.getTime() + CONFIRMATION_LIFETIME_MS),
      },
    });
    const response = buildSamlResponse({
      assertion,
      issuer,
      issuedAt,
      destination: acs,
      inResponseTo: sso.facts.id,
    });
    context.logger({
      level: 'info',
      event: 'idp-sim.saml2.issued',
      tenant: tenant.id,
      user: user.id,
      audience: sso.facts.issuer,
      inResponseTo: sso.facts.id,
      kid: key.kid,
      assertionId: assertion.id,
    });
    return sendHtml(
      reply,
      renderAutoPostPage(acs, {
        SAMLResponse: Buffer.from(response, 'utf8').toString('base64'),
        RelayState: sso.relayState,
      }),
    );
  });
}
