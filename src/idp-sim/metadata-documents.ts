import type { FastifyInstance } from 'fastify';
import { sendCacheable } from './cacheable-response.js';
import type { SimSigningKey } from './key-ring.js';
import { signEnveloped } from './sign-xml.js';
import { findTenant, type SimContext, type SimTenant } from './sim-context.js';
import { CLAIM_TYPES } from './user-claims.js';
import { xmlElement, xmlText, type XmlMarkup } from './xml-markup.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const FED = 'http://docs.oasis-open.org/wsfed/federation/200706';
const AUTH = 'http://docs.oasis-open.org/wsfed/authorization/200706';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const WSA = 'http://www.w3.org/2005/08/addressing';
const SAML2P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function keyDescriptors(keys: readonly SimSigningKey[]): XmlMarkup[] {
  return keys.map((key) =>
    xmlElement(
      'KeyDescriptor',
      { use: 'signing' },
      xmlElement(
        'KeyInfo',
        { xmlns: DS },
        xmlElement('X509Data', {}, xmlElement('X509Certificate', {}, xmlText(key.certificateBase64))),
      ),
    ),
  );
}

function endpointReference(element: string, address: string): XmlMarkup {
  return xmlElement(
    element,
    {},
    xmlElement(
      'wsa:EndpointReference',
      { 'xmlns:wsa': WSA },
      xmlElement('wsa:Address', {}, xmlText(address)),
    ),
  );
}

function claimTypesOffered(): XmlMarkup {
  return xmlElement(
    'fed:ClaimTypesOffered',
    {},
    Object.values(CLAIM_TYPES).map((uri) =>
      xmlElement('auth:ClaimType', { Uri: uri, Optional: 'true', 'xmlns:auth': AUTH }),
    ),
  );
}

/**
 * The tenant's WS-Federation 2007-06 metadata, shaped like Azure AD's: an
 * EntityDescriptor with an ID, every published key (next, current, previous)
 * in the `fed:SecurityTokenServiceType`, `fed:ApplicationServiceType` and
 * `IDPSSODescriptor` sections, the passive requestor and SAML SSO endpoints,
 * no validUntil — enveloped-signed by the current key with its certificate in
 * KeyInfo.
 *
 * @see WS-Federation 1.2 §3.1; SAML Metadata 2.0 §2.3, §2.4.3
 */
export function renderFederationMetadata(tenant: SimTenant): string {
  const urls = tenant.urls();
  const keys = keyDescriptors(tenant.ring.published());
  const roleAttributes = (type: string): Record<string, string> => ({
    'xsi:type': type,
    protocolSupportEnumeration: FED,
    'xmlns:xsi': XSI,
    'xmlns:fed': FED,
  });
  const document = xmlElement(
    'EntityDescriptor',
    // Stable for one key-ring version, so that the document (and its ETag) is too.
    { xmlns: MD, ID: `_${tenant.id}-v${tenant.ring.version()}`, entityID: urls.entityId },
    xmlElement(
      'RoleDescriptor',
      roleAttributes('fed:SecurityTokenServiceType'),
      keys,
      claimTypesOffered(),
      endpointReference('fed:SecurityTokenServiceEndpoint', urls.wsfed),
      endpointReference('fed:PassiveRequestorEndpoint', urls.wsfed),
    ),
    xmlElement(
      'RoleDescriptor',
      roleAttributes('fed:ApplicationServiceType'),
      keys,
      endpointReference('fed:TargetScopes', urls.entityId),
      endpointReference('fed:ApplicationServiceEndpoint', urls.wsfed),
      endpointReference('fed:PassiveRequestorEndpoint', urls.wsfed),
    ),
    xmlElement(
      'IDPSSODescriptor',
      { protocolSupportEnumeration: SAML2P },
      keys,
      xmlElement('SingleSignOnService', { Binding: REDIRECT, Location: urls.saml2 }),
      xmlElement('SingleSignOnService', { Binding: POST, Location: urls.saml2 }),
    ),
  );
  return `<?xml version="1.0" encoding="utf-8"?>${signEnveloped(document, tenant.ring.current(), 'first')}`;
}

/** The tenant's OpenID Connect discovery document, shaped like Entra ID's v2.0 one. */
export function renderOpenIdConfiguration(tenant: SimTenant): Record<string, unknown> {
  const urls = tenant.urls();
  return {
    issuer: urls.oidcIssuer,
    authorization_endpoint: urls.authorize,
    token_endpoint: urls.token,
    jwks_uri: urls.jwks,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
    response_types_supported: ['code', 'id_token'],
    response_modes_supported: ['query', 'form_post'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'profile', 'email'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nbf',
      'nonce',
      'tid',
      'oid',
      'name',
      'preferred_username',
      'email',
      'groups',
      'roles',
      'ver',
    ],
    request_uri_parameter_supported: false,
    tenant_region_scope: null,
  };
}

/** The tenant's JWKS: every published key with kid, x5t (base64url SHA-1), x5c, n, e, as Entra ID publishes. */
export function renderJwks(tenant: SimTenant): { keys: Array<Record<string, unknown>> } {
  const issuer = tenant.urls().oidcIssuer;
  return {
    keys: tenant.ring.published().map((key) => {
      const jwk = key.certificate.publicKey.export({ format: 'jwk' });
      return {
        kty: 'RSA',
        use: 'sig',
        kid: key.kid,
        x5t: key.kid,
        n: jwk.n,
        e: jwk.e,
        x5c: [key.certificateBase64],
        issuer,
      };
    }),
  };
}

interface TenantParams {
  readonly tenant: string;
}

/**
 * Registers the metadata routes: federation metadata (cached per key-ring
 * version and base URL, served with ETag / Last-Modified / 304), OpenID
 * Connect discovery and JWKS.
 */
export function registerMetadataRoutes(app: FastifyInstance, context: SimContext): void {
  const cache = new Map<string, { key: string; body: string }>();
  app.get<{ Params: TenantParams }>(
    '/:tenant/federationmetadata/2007-06/federationmetadata.xml',
    (request, reply) => {
      const tenant = findTenant(context, request.params.tenant);
      const cacheKey = `${tenant.ring.version()} ${tenant.urls().entityId}`;
      let entry = cache.get(tenant.id);
      if (entry?.key !== cacheKey) {
        entry = { key: cacheKey, body: renderFederationMetadata(tenant) };
        cache.set(tenant.id, entry);
      }
      return sendCacheable(request, reply, {
        body: entry.body,
        contentType: 'application/samlmetadata+xml; charset=utf-8',
        lastModified: tenant.ring.changedAt(),
      });
    },
  );
  app.get<{ Params: TenantParams }>('/:tenant/v2.0/.well-known/openid-configuration', (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    return sendCacheable(request, reply, {
      body: JSON.stringify(renderOpenIdConfiguration(tenant)),
      contentType: 'application/json; charset=utf-8',
      lastModified: tenant.ring.changedAt(),
    });
  });
  app.get<{ Params: TenantParams }>('/:tenant/discovery/v2.0/keys', (request, reply) => {
    const tenant = findTenant(context, request.params.tenant);
    return sendCacheable(request, reply, {
      body: JSON.stringify(renderJwks(tenant)),
      contentType: 'application/json; charset=utf-8',
      lastModified: tenant.ring.changedAt(),
    });
  });
}
