/** The URLs of one simulated tenant, all under the simulator's base URL. */
export interface TenantUrls {
  /** entityID of the metadata and Issuer of SAML tokens: `<base>/<tenant>/` (Azure AD: `https://sts.windows.net/<tenant>/`). */
  readonly entityId: string;
  readonly federationMetadata: string;
  /** WS-Federation passive requestor endpoint. */
  readonly wsfed: string;
  /** SAML 2.0 single sign-on endpoint (Redirect and POST bindings). */
  readonly saml2: string;
  /** `iss` of OpenID Connect tokens: `<base>/<tenant>/v2.0`. */
  readonly oidcIssuer: string;
  readonly openIdConfiguration: string;
  readonly jwks: string;
  readonly authorize: string;
  readonly token: string;
}

/** The URLs of `tenant` under `base` (`http://127.0.0.1:8788`, no trailing slash). */
export function tenantUrls(base: string, tenant: string): TenantUrls {
  const root = `${base}/${tenant}`;
  return {
    entityId: `${root}/`,
    federationMetadata: `${root}/federationmetadata/2007-06/federationmetadata.xml`,
    wsfed: `${root}/wsfed`,
    saml2: `${root}/saml2`,
    oidcIssuer: `${root}/v2.0`,
    openIdConfiguration: `${root}/v2.0/.well-known/openid-configuration`,
    jwks: `${root}/discovery/v2.0/keys`,
    authorize: `${root}/oauth2/v2.0/authorize`,
    token: `${root}/oauth2/v2.0/token`,
  };
}
