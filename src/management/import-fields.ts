import type { IssuerMetadata } from '../metadata/model.js';
import type { Protocol } from '../store/model.js';

/*
 * What an issuer's fields should be, read from its metadata: shared by the
 * admin import and `claimsgate issuers add`, so both propose the same issuer.
 */

/** `{tenant}` or `{tenantid}` in an issuer URI: a multi-tenant template. */
export const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/i;

/**
 * The URL users are sent to: the WS-Fed passive endpoint, else SAML SSO
 * (HTTP-POST, then HTTP-Redirect), else the OpenID Connect authorization
 * endpoint; undefined when the document advertises none.
 */
export function inferLoginUrl(metadata: IssuerMetadata): string | undefined {
  const find = (kind: string, binding?: string): string | undefined =>
    metadata.endpoints.find(
      (endpoint) => endpoint.kind === kind && (binding === undefined || endpoint.binding?.endsWith(binding)),
    )?.url;
  return (
    find('wsfed-passive') ??
    find('saml-sso', 'HTTP-POST') ??
    find('saml-sso', 'HTTP-Redirect') ??
    find('oidc-authorization')
  );
}

/** The protocols a document's format implies: WS-Fed metadata with a SAML SSO endpoint speaks both. */
export function inferProtocols(metadata: IssuerMetadata): Protocol[] {
  switch (metadata.format) {
    case 'wsfed-metadata':
      return metadata.endpoints.some((endpoint) => endpoint.kind === 'saml-sso')
        ? ['wsfed', 'saml2']
        : ['wsfed'];
    case 'saml-metadata':
      return ['saml2'];
    case 'oidc-discovery':
    case 'jwks':
      return ['oidc'];
  }
}
