import type { OidcClientConfig } from '../config/config-schema.js';
import { ClaimsgateError } from '../lib/errors.js';
import { isLoopbackUrl } from '../metadata/metadata-url.js';
import { parseOidcDiscovery } from '../metadata/parse-oidc-metadata.js';
import { readOidcSnapshot } from '../rollover/oidc-snapshot.js';
import type { IssuerRecord } from '../store/model.js';
import { isStoreUnreachable } from '../store/store-errors.js';
import type { GatewayServices } from './gateway-services.js';

/** What the gateway needs to sign a user in at one OpenID Connect issuer. */
export interface OidcProvider {
  /** claimsgate's registration at the issuer (`oidc.clients.<issuer name>`). */
  readonly client: OidcClientConfig;
  /** `authorization_endpoint` of the issuer's discovery document. */
  readonly authorizationEndpoint: string;
  /** `token_endpoint` of the discovery document; present whenever the client uses the code flow. */
  readonly tokenEndpoint: string | undefined;
}

function unavailable(issuer: IssuerRecord, message: string, hint: string, expected: string): ClaimsgateError {
  return new ClaimsgateError('CG_CONFIG_SIGN_IN_UNAVAILABLE', message, {
    hint,
    detail: { issuer: issuer.name, expected },
  });
}

/**
 * claimsgate's client registration at `issuer`, from `oidc.clients`.
 *
 * @throws ClaimsgateError CG_CONFIG_SIGN_IN_UNAVAILABLE when there is none.
 */
export function oidcClientOf(services: GatewayServices, issuer: IssuerRecord): OidcClientConfig {
  const clients = services.config.oidc.clients;
  // SECURITY: own entries only — an issuer named `constructor` or `__proto__`
  // must not find something on Object.prototype.
  const client = Object.hasOwn(clients, issuer.name) ? clients[issuer.name] : undefined;
  if (client === undefined) {
    throw unavailable(
      issuer,
      `Issuer ${issuer.name} has no OpenID Connect client registration.`,
      `Register claimsgate as a client at the issuer (redirect URI ${services.config.server.publicUrl}/signin/oidc), then add it to the setting oidc.clients: ` +
        `CLAIMSGATE_OIDC_CLIENTS='{"${issuer.name}":{"clientId":"<application (client) ID>"}}', or oidc.clients.${issuer.name}.clientId in the configuration file (docs/oidc.md).`,
      `oidc.clients.${issuer.name}`,
    );
  }
  return client;
}

interface Endpoints {
  readonly authorization?: string;
  readonly token?: string;
}

/**
 * The endpoints last read for each issuer (by ID, with its issuer URI), per
 * store: what answers while the store cannot be reached. Small: two URLs per
 * issuer signed in to.
 */
const lastRead = new WeakMap<
  object,
  Map<string, { readonly issuerUri: string; readonly endpoints: Endpoints }>
>();

/**
 * The endpoints of the issuer's last-known-good discovery document, or
 * undefined when it has none. While the store cannot be reached, those last
 * read for the issuer answer, so sign-ins at an issuer already used go on.
 *
 * @throws ClaimsgateError `CG_STORE_*` when the store fails (unreachable: and nothing was read before).
 */
async function readEndpoints(
  services: GatewayServices,
  issuer: IssuerRecord,
): Promise<Endpoints | undefined> {
  let remembered = lastRead.get(services.store);
  if (remembered === undefined) {
    remembered = new Map();
    lastRead.set(services.store, remembered);
  }
  let record;
  try {
    record = await services.store.getMetadataSnapshot(issuer.id);
  } catch (error) {
    const last = remembered.get(issuer.id);
    if (!isStoreUnreachable(error) || last?.issuerUri !== issuer.issuerUri) throw error;
    return last.endpoints;
  }
  const endpoints = endpointsOf(record);
  if (endpoints === undefined) remembered.delete(issuer.id);
  else remembered.set(issuer.id, { issuerUri: issuer.issuerUri, endpoints });
  return endpoints;
}

/** The endpoints of a stored discovery document; undefined when there is none or it no longer parses. */
function endpointsOf(record: Parameters<typeof readOidcSnapshot>[0]): Endpoints | undefined {
  const snapshot = readOidcSnapshot(record);
  if (snapshot === undefined) return undefined;
  let endpoints;
  try {
    endpoints = parseOidcDiscovery(JSON.parse(snapshot.discovery.body)).endpoints;
  } catch {
    // The refresh stored it only after parsing it; a copy that no longer
    // parses is as good as none, and the caller says how to get a new one.
    return undefined;
  }
  const find = (kind: string): string | undefined =>
    endpoints.find((endpoint) => endpoint.kind === kind)?.url;
  const authorization = find('oidc-authorization');
  const token = find('oidc-token');
  return {
    ...(authorization === undefined ? {} : { authorization }),
    ...(token === undefined ? {} : { token }),
  };
}

/**
 * The client registration and endpoints for signing in at `issuer`: the
 * client from `oidc.clients`, the endpoints from the discovery document the
 * rollover engine stored for it (so sign-in keeps working while the issuer's
 * metadata endpoint is down). The token endpoint is required for the code
 * flow, and must be https unless its host is loopback or
 * `rollover.allowHttpMetadata` is on.
 *
 * @throws ClaimsgateError CG_CONFIG_SIGN_IN_UNAVAILABLE naming what is missing
 *   (the client registration, a stored discovery document, an endpoint).
 * @see OpenID Connect Discovery 1.0 §3 (authorization_endpoint, token_endpoint)
 */
export async function resolveOidcProvider(
  services: GatewayServices,
  issuer: IssuerRecord,
): Promise<OidcProvider> {
  const client = oidcClientOf(services, issuer);
  const endpoints = await readEndpoints(services, issuer);
  if (endpoints === undefined) {
    throw unavailable(
      issuer,
      `Issuer ${issuer.name} has no stored OpenID Connect discovery document, so its endpoints are unknown.`,
      issuer.metadataUrl === null
        ? `Set its discovery URL and refresh it: claimsgate issuers edit ${issuer.name} --metadata-url <issuer>/.well-known/openid-configuration, then claimsgate issuers refresh ${issuer.name}`
        : `Refresh it so its discovery document (${issuer.metadataUrl}) is stored: claimsgate issuers refresh ${issuer.name}`,
      'a stored discovery document',
    );
  }
  if (endpoints.authorization === undefined || !/^https?:$/.test(new URL(endpoints.authorization).protocol)) {
    throw unavailable(
      issuer,
      `The discovery document of issuer ${issuer.name} names no http(s) authorization_endpoint.`,
      `Check that the metadata URL of ${issuer.name} is its OpenID Connect discovery document, then refresh it: claimsgate issuers refresh ${issuer.name}`,
      'an authorization_endpoint',
    );
  }
  if (client.responseType === 'code') {
    if (endpoints.token === undefined) {
      throw unavailable(
        issuer,
        `The discovery document of issuer ${issuer.name} names no token_endpoint, which the code flow needs.`,
        `Use the id_token flow for this issuer (oidc.clients.${issuer.name}.responseType: id_token), or check its discovery document.`,
        'a token_endpoint',
      );
    }
    const token = new URL(endpoints.token);
    // SECURITY (SSRF): the token endpoint is linked from the discovery document
    // like a jwks_uri, under the same rule: a remote document may not send the
    // code, the verifier and the client secret to this machine's own services.
    if (issuer.metadataUrl !== null && !isLoopbackUrl(new URL(issuer.metadataUrl)) && isLoopbackUrl(token)) {
      throw unavailable(
        issuer,
        `The discovery document of issuer ${issuer.name} (${issuer.metadataUrl}) names a token endpoint on this machine (${token.href}).`,
        `A remote discovery document may not point the gateway at a loopback service. Check the discovery document of ${issuer.name}.`,
        'a token_endpoint on the issuer’s own host',
      );
    }
    // SECURITY: the code, the PKCE verifier and the client secret travel to the
    // token endpoint; over plain http anyone on the path could take them.
    if (
      token.protocol !== 'https:' &&
      !(token.protocol === 'http:' && (isLoopbackUrl(token) || services.config.rollover.allowHttpMetadata))
    ) {
      throw unavailable(
        issuer,
        `The token endpoint of issuer ${issuer.name} (${token.href}) is not https.`,
        'The code and the client secret would travel in the clear. Use an https token endpoint (rollover.allowHttpMetadata permits http on a network you control).',
        'an https token_endpoint',
      );
    }
  }
  return { client, authorizationEndpoint: endpoints.authorization, tokenEndpoint: endpoints.token };
}
