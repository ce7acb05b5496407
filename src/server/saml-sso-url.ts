import { isClaimsgateError } from '../lib/errors.js';
import { parseMetadata } from '../metadata/parse-metadata.js';
import type { IssuerRecord, MetadataSnapshotRecord } from '../store/model.js';
import { isStoreUnreachable } from '../store/store-errors.js';
import type { Store } from '../store/store.js';
import { SAML } from './saml-xml.js';

const TENANT_PLACEHOLDER = /\{tenant(?:id)?\}/i;

/** Where an issuer's SAML single sign-on URL came from. */
export interface SamlSsoEndpoint {
  readonly url: string;
  readonly source: 'metadata' | 'login-url';
}

/** The URL when it is an absolute http(s) URL, else undefined. */
function httpUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** What a stored metadata document says of the issuer's single sign-on endpoints. */
interface SsoEndpoints {
  /** The first HTTP-Redirect SingleSignOnService that is an http(s) URL. */
  readonly redirect: string | undefined;
  /** SingleSignOnService URLs listed for other bindings only (HTTP-POST, Artifact, SOAP). */
  readonly otherBindingsOnly: ReadonlySet<string>;
}

const NO_ENDPOINTS: SsoEndpoints = { redirect: undefined, otherBindingsOnly: new Set() };

/**
 * The single sign-on endpoints of the issuer's IdP role in a stored metadata
 * document. A document that does not parse as XML metadata (an OpenID
 * Connect snapshot, an aggregate without the issuer's entity) has none.
 */
function ssoEndpointsInSnapshot(snapshot: MetadataSnapshotRecord, issuer: IssuerRecord): SsoEndpoints {
  // As the refresh does: the configured entityID selects the entity of an
  // aggregate, except for a `{tenantid}` template, which no entity spells.
  const entityId = TENANT_PLACEHOLDER.test(issuer.issuerUri) ? undefined : issuer.issuerUri;
  let endpoints;
  try {
    ({
      metadata: { endpoints },
    } = parseMetadata(snapshot.document, entityId === undefined ? {} : { entityId }));
  } catch (error) {
    if (isClaimsgateError(error)) return NO_ENDPOINTS;
    throw error;
  }
  const sso = endpoints.filter((endpoint) => endpoint.kind === 'saml-sso');
  const redirectUrls = sso.filter((endpoint) => endpoint.binding === SAML.httpRedirect).map((e) => e.url);
  return {
    redirect: redirectUrls.map(httpUrl).find((url) => url !== undefined),
    otherBindingsOnly: new Set(sso.map((e) => e.url).filter((url) => !redirectUrls.includes(url))),
  };
}

/**
 * Finds where to send an AuthnRequest for `issuer` by the HTTP-Redirect
 * binding: the SingleSignOnService of that binding in the issuer's
 * last-known-good metadata (the snapshot the rollover engine stored), else
 * the issuer's login URL when SAML 2.0 is its first protocol (a login URL of
 * an issuer that speaks WS-Federation first is its passive endpoint, not a
 * SAML one) and the metadata does not list it for another binding only (a
 * login URL inferred from an HTTP-POST endpoint does not take a Redirect).
 * Only absolute http(s) URLs are returned.
 *
 * Parsing is cached per issuer, document digest and issuer URI, so a sign-in reparses
 * metadata only after a refresh changed it. While the store cannot be
 * reached, the endpoints last read for the issuer (same issuer URI) answer,
 * so sign-ins at an issuer already used keep starting.
 *
 * @throws ClaimsgateError `CG_STORE_*` when the store cannot be read (and,
 *   for an unreachable store, nothing was read for the issuer before).
 * @see SAML Metadata 2.0 §2.4.3 (SingleSignOnService)
 */
export function createSamlSsoFinder(
  store: Store,
): (issuer: IssuerRecord) => Promise<SamlSsoEndpoint | undefined> {
  const parsed = new Map<
    string,
    { readonly version: string; readonly issuerUri: string; readonly endpoints: SsoEndpoints }
  >();
  /** The endpoints in the issuer's stored snapshot (none without one), or the last read while the store is unreachable. */
  async function read(issuer: IssuerRecord): Promise<SsoEndpoints> {
    let snapshot: MetadataSnapshotRecord | undefined;
    try {
      snapshot = await store.getMetadataSnapshot(issuer.id);
    } catch (error) {
      const last = parsed.get(issuer.id);
      if (!isStoreUnreachable(error) || last?.issuerUri !== issuer.issuerUri) throw error;
      return last.endpoints;
    }
    // The entity chosen depends on the issuer URI as well as on the document.
    const version = `${snapshot?.sha256 ?? 'none'} ${issuer.issuerUri}`;
    let cached = parsed.get(issuer.id);
    if (cached?.version !== version) {
      const endpoints = snapshot === undefined ? NO_ENDPOINTS : ssoEndpointsInSnapshot(snapshot, issuer);
      cached = { version, issuerUri: issuer.issuerUri, endpoints };
      parsed.set(issuer.id, cached);
    }
    return cached.endpoints;
  }
  return async (issuer) => {
    const endpoints = await read(issuer);
    if (endpoints.redirect !== undefined) return { url: endpoints.redirect, source: 'metadata' };
    if (issuer.protocols[0] !== 'saml2' || issuer.loginUrl === null) return undefined;
    if (endpoints.otherBindingsOnly.has(issuer.loginUrl)) return undefined;
    const url = httpUrl(issuer.loginUrl);
    return url === undefined ? undefined : { url, source: 'login-url' };
  };
}
