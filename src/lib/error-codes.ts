/**
 * The registry of every error code claimsgate can produce.
 *
 * Codes are `CG_<AREA>_<CONDITION>`. They are never renamed or reused: a code
 * that is no longer produced stays here, marked as such. `docs/errors.md` is
 * generated from this registry (`npm run docs:errors`) and a test keeps the
 * two in step.
 */

/** What the registry says about one code. */
export interface ErrorCodeSpec {
  /** One sentence: what the code means. */
  readonly meaning: string;
  /** The operator's next step, used when the thrower gives no more specific hint. */
  readonly hint: string;
}

export const ERROR_CODES = {
  // --- XML: the hardened parser shared by metadata and tokens ---------------
  CG_XML_TOO_LARGE: {
    meaning: 'The XML document is larger than the configured size limit; it was not parsed.',
    hint: 'Check that the right document was supplied. Federation metadata is rarely above 1 MB; raise the limit only for a source you trust.',
  },
  CG_XML_DTD_FORBIDDEN: {
    meaning:
      'The XML document contains a DOCTYPE or an entity declaration, which is refused before parsing (XXE, entity expansion).',
    hint: 'Legitimate federation metadata and tokens never carry a DTD. Treat the source as hostile or misconfigured.',
  },
  CG_XML_MALFORMED: {
    meaning: 'The input is not well-formed XML (truncated, not XML at all, or broken markup).',
    hint: 'Check that the whole document was received (a proxy or a size limit may have cut it) and that it is XML.',
  },
  CG_XML_MULTIPLE_ROOTS: {
    meaning:
      'The XML document has more than one root element or content outside its root element (a processing instruction or text).',
    hint: 'A document must have exactly one root element. Treat the source as hostile or misconfigured.',
  },
  CG_XML_TOO_DEEP: {
    meaning: 'The XML document nests elements deeper than the limit.',
    hint: 'Legitimate metadata and tokens nest a few dozen levels at most. Treat the source as hostile.',
  },
  CG_XML_TOO_MANY_ATTRIBUTES: {
    meaning:
      'An element of the XML document has more attributes than the limit (namespace declarations not counted).',
    hint: 'Legitimate metadata and tokens put a handful of attributes on an element. Treat the source as hostile.',
  },
  CG_XML_TOO_MANY_NAMESPACES: {
    meaning:
      'The XML document declares more namespaces than the limit, on one element or in the whole document (detail.scope says which).',
    hint: 'Legitimate metadata and tokens declare a few namespaces per element. Treat the source as hostile.',
  },
  CG_XML_TOO_MANY_ELEMENTS: {
    meaning: 'The XML document has more elements than the limit.',
    hint: 'Check that the right document was supplied; raise the limit only for a source you trust. A token with that many elements is hostile.',
  },
  CG_XML_TOO_MANY_NODES: {
    meaning:
      'The XML document has more nodes (elements, attributes, text, comments, processing instructions) than the limit.',
    hint: 'Check that the right document was supplied; raise the limit only for a source you trust. A token with that many nodes is hostile.',
  },

  // --- Certificates ---------------------------------------------------------
  CG_CERT_INVALID: {
    meaning: 'The input looked like a certificate (PEM, base64 or DER) but could not be decoded as X.509.',
    hint: 'Paste the whole value of the <X509Certificate> element or the whole PEM block, including the BEGIN/END lines.',
  },
  CG_CERT_NOT_FOUND: {
    meaning: 'No certificate was found in the input.',
    hint: 'Supply a PEM file, the base64 text of an <X509Certificate> element, a DER file or a federation metadata document.',
  },

  // --- Trust ----------------------------------------------------------------
  CG_TRUST_THUMBPRINT_INVALID: {
    meaning:
      'A thumbprint is not 40 (SHA-1) or 64 (SHA-256) hexadecimal digits once whitespace, separators and invisible format characters are removed.',
    hint: 'Copy the thumbprint again, or compute it from the certificate with `claimsgate thumbprint`. The error detail names each offending character and its position.',
  },

  CG_TRUST_ISSUER_UNKNOWN: {
    meaning:
      'The token names an issuer that is not trusted (or a tenant not allowed under a multi-tenant issuer template).',
    hint: 'Add the issuer (its exact issuer URI / entityID) to the trusted issuers, or check that the token comes from the expected tenant.',
  },
  CG_TRUST_KEY_UNKNOWN: {
    meaning:
      "The token is signed by a key that is not trusted for its issuer (claimsgate's answer to WIF10201: No valid key mapping found).",
    hint: "Compare the token's thumbprint with the issuer's published keys (`claimsgate metadata <url>`); refresh the issuer's metadata if it rolled its key over.",
  },
  CG_TRUST_KEY_WRONG_ISSUER: {
    meaning: 'The key that signed the token is trusted, but for another issuer than the one the token names.',
    hint: 'A key trusted for one issuer never vouches for another. Treat the token as forged unless both issuers are really the same party.',
  },
  CG_TRUST_LABEL_SHARED: {
    meaning:
      "The issuer's identity label (its own, or one of its claim mappings') is also another issuer's, in a store written before labels were unique: users of both would reach applications as the same user, so its sign-ins are refused.",
    hint: 'Give each issuer its own label: claimsgate issuers edit <name> --label <new label> (or claimsgate mappings edit). The detail names the label and the issuers that share it.',
  },
  CG_TRUST_KEY_NO_MATERIAL: {
    meaning:
      'The issuer is trusted by thumbprint only and the token carries no certificate to check the thumbprint against.',
    hint: "Trust the issuer by its certificate or metadata instead of a bare thumbprint, or have the issuer include its certificate in the signature's KeyInfo.",
  },
  CG_TRUST_KEY_PENDING_APPROVAL: {
    meaning:
      "The token is signed by a key that arrived in a metadata document replacing the issuer's keys without continuity; the document waits for an administrator's approval, and the issuer's current keys stay trusted meanwhile.",
    hint: 'Review the pending change (`claimsgate issuers pending <name>`, the issuer page of the admin site, or GET /admin/api/issuers/<name>/pending-change). Approve it only if the issuer really replaced its keys (an emergency rollover); otherwise the endpoint or the path to it may be compromised.',
  },

  // --- XML signatures -------------------------------------------------------
  CG_SIG_STRUCTURE_INVALID: {
    meaning:
      'The XML signature is not shaped as an enveloped signature must be (several SignedInfo or references, a signature not a direct child of the signed element, missing parts).',
    hint: 'The signer must sign the element with exactly one enveloped signature with one reference to it. Treat an unexpected shape as an attack.',
  },
  CG_SIG_REFERENCE_INVALID: {
    meaning:
      'The signature reference does not point at the element that carries the signature, or the ID it names is missing or not unique.',
    hint: 'This is the shape of a signature-wrapping attack. Refuse the document and investigate its source.',
  },
  CG_SIG_ALGORITHM_FORBIDDEN: {
    meaning:
      'The signature uses a canonicalisation, transform, digest or signature algorithm outside the allow-list.',
    hint: 'Allowed: exclusive c14n, enveloped-signature, RSA-SHA256/384/512, ECDSA-SHA256/384/512, SHA-256/384/512 digests; SHA-1 only where the issuer is configured to allow it.',
  },
  CG_SIG_DIGEST_MISMATCH: {
    meaning:
      'The digest of the signed element does not match the DigestValue: the content was changed after signing.',
    hint: 'The document was altered in transit or by an attacker. Refuse it.',
  },
  CG_SIG_VALUE_INVALID: {
    meaning: 'The SignatureValue does not verify with the key it was checked against.',
    hint: 'Either the document was altered or it was signed by another key than the one trusted. Compare the signer thumbprint with the trusted ones.',
  },
  CG_SIG_KEY_INVALID: {
    meaning:
      'The key a signature was checked against is unusable (wrong key type for the algorithm, or undecodable).',
    hint: 'Check the trusted certificate; an RSA signature needs an RSA key, an ECDSA signature an EC key.',
  },
  CG_SIG_CANONICAL_TOO_LARGE: {
    meaning:
      'The canonical form of the signed content would be far larger than the document (a namespace declared once and re-declared by canonicalisation on many elements); it was refused before the digest.',
    hint: 'No real issuer signs such content: treat the token or document as hostile.',
  },

  // --- Federation metadata ---------------------------------------------------
  CG_META_URL_INVALID: {
    meaning: 'The metadata location is not a valid absolute URL.',
    hint: 'Give the full https:// URL of the federation metadata or OpenID configuration document.',
  },
  CG_META_URL_INSECURE: {
    meaning: 'The metadata URL is not https and its host is not a loopback address.',
    hint: 'Use the https:// URL. Plain http is accepted for loopback hosts, or with --allow-http (allowHttp) for a network you control.',
  },
  CG_META_FETCH_FAILED: {
    meaning: 'The metadata could not be fetched: the connection failed or the server closed it.',
    hint: 'Check the URL, DNS and the network path (proxy, firewall) from this host to the issuer.',
  },
  CG_META_FETCH_TIMEOUT: {
    meaning: 'The metadata server did not answer completely within the timeout.',
    hint: 'Check that the issuer is reachable from this host; raise the timeout if the path is slow.',
  },
  CG_META_HTTP_STATUS: {
    meaning:
      'The metadata server answered with an HTTP status other than 200 (or 304 to a conditional request).',
    hint: 'Check the URL (tenant ID, path) and that the issuer publishes metadata there.',
  },
  CG_META_TOO_LARGE: {
    meaning: 'The metadata response is larger than the size limit; reading it was stopped.',
    hint: 'Check the URL. Raise the limit only if the issuer really publishes a document that large.',
  },
  CG_META_TOO_MANY_REDIRECTS: {
    meaning: 'The metadata URL redirected more than 3 times.',
    hint: 'Configure the final URL of the document directly.',
  },
  CG_META_FORMAT_UNKNOWN: {
    meaning:
      'The document is neither SAML 2.0 / WS-Federation metadata, an OpenID Connect discovery document nor a JWKS.',
    hint: 'Check the URL: for Azure AD / Entra ID use …/federationmetadata/2007-06/federationmetadata.xml or …/v2.0/.well-known/openid-configuration.',
  },
  CG_META_JSON_INVALID: {
    meaning:
      'The JSON document (OpenID Connect discovery or JWKS) is not valid JSON or lacks required members.',
    hint: 'Check that the URL serves the discovery document or key set and that it was received whole.',
  },
  CG_META_KEY_INVALID: {
    meaning:
      'A key in the metadata is not a valid certificate or public key, or its stated thumbprint (x5t) does not match its certificate.',
    hint: 'The error detail names the section and position of the key. A truncated or altered document, or a thumbprint that does not match its certificate, is a sign of tampering: keep the last good metadata and check the source.',
  },
  CG_META_XML_INVALID: {
    meaning:
      'The XML metadata breaks a rule of the SAML 2.0 metadata schema that claimsgate relies on (an entity without entityID, an unreadable validUntil or cacheDuration).',
    hint: 'Check that the document is the metadata of the issuer, unaltered; the error detail names the element and attribute.',
  },
  CG_META_ENTITY_NOT_FOUND: {
    meaning: 'The metadata does not describe the requested entityID.',
    hint: 'Check the entityID (issuer URI) against the entities the document lists in the error detail.',
  },
  CG_META_ENTITY_AMBIGUOUS: {
    meaning: 'The metadata is an EntitiesDescriptor with several entities and none was selected.',
    hint: 'Select one entity by its entityID (--entity-id); the error detail lists them.',
  },
  CG_META_SIGNATURE_INVALID: {
    meaning: "The metadata document's own signature is present but does not verify, or its shape is refused.",
    hint: 'The document was altered or signed by an unexpected key. Do not trust keys from it; the detail gives the reason code.',
  },
  CG_META_SIGNATURE_MISSING: {
    meaning:
      'A signed metadata document is required (signer thumbprints are pinned) but the document is unsigned.',
    hint: 'Check that the issuer signs its metadata, or remove the pinned signers if it does not.',
  },
  CG_META_SIGNER_NOT_PINNED: {
    meaning: 'The metadata signature verifies, but its signer is not one of the pinned signer thumbprints.',
    hint: 'If the issuer changed its metadata-signing certificate on purpose, pin the new thumbprint (shown in the detail). Never pin for Azure AD, whose metadata signer rolls.',
  },
  CG_META_NO_SIGNING_KEYS: {
    meaning: "The metadata parses but publishes no signing key, so it cannot become the issuer's trust.",
    hint: "Check that the URL serves the issuer's own metadata (for OpenID Connect, the JWKS at jwks_uri). The last good keys stay trusted meanwhile.",
  },
  CG_META_EXPIRED: {
    meaning: 'The metadata document is past its own validUntil, so it is refused as stale or replayed.',
    hint: 'Check that the server publishes a fresh document; a cached or replayed copy must not replace newer trust. The last good keys stay trusted meanwhile.',
  },
  CG_META_SIGNING_KEYS_EXPIRED: {
    meaning:
      'Every signing key the metadata publishes has a certificate past its notAfter, and the issuer has no usable key: an issuer trusting only these keys could sign nobody in, so it is not created (or the refresh fails and stores nothing).',
    hint: "The detail names each key and when it expired. Check that the URL serves the issuer's current metadata; an identity provider whose token-signing certificates have all expired must renew them (AD FS: Update-AdfsCertificate -CertificateType Token-Signing) before it can be trusted.",
  },
  CG_META_KEYS_DISCONTINUOUS: {
    meaning:
      "The metadata would replace the issuer's keys without continuity (unsigned or signed by an unknown key and sharing no key with the current trust, or unsigned from an issuer that used to sign), and the issuer's discontinuity policy holds such a document for an administrator's approval.",
    hint: 'The current keys stay trusted. Review the pending change (`claimsgate issuers pending <name>` or the issuer page) and approve it if the issuer really replaced its keys; reject it, and check the metadata endpoint and the path to it, if not.',
  },
  CG_META_TOO_MANY_KEYS: {
    meaning:
      'The metadata names more certificates for one entity (in its KeyDescriptors) than the limit; each would be parsed.',
    hint: "Real issuers publish a handful of keys. Check that the URL serves the issuer's own metadata; keep the last good metadata.",
  },

  // --- Tokens ---------------------------------------------------------------
  CG_TOKEN_TOO_LARGE: {
    meaning: 'The token is larger than the configured size limit (maxTokenBytes); it was not decoded.',
    hint: 'Check what the client sent. Legitimate tokens are a few kilobytes; raise the limit (validation.maxTokenBytes, default 128 KiB) only if your issuer really emits tokens that large.',
  },
  CG_TOKEN_JWT_MALFORMED: {
    meaning:
      'The JWT is not a compact JWS of three base64url segments with a JSON object header and payload, or a claim has the wrong JSON type (an encrypted 5-segment JWE is refused here too).',
    hint: 'Check that the whole token was received and that it is a signed JWT (id_token or access token); the detail names the part or claim that is wrong.',
  },
  CG_TOKEN_ALGORITHM_FORBIDDEN: {
    meaning:
      'The JWT header names a signature algorithm outside the allow-list (RS256, RS384, RS512, PS256, ES256).',
    hint: 'Issuers such as Entra ID and AD FS sign with RS256. "none" or an HMAC algorithm (HS256) in a token for an asymmetric issuer is a forgery attempt.',
  },
  CG_TOKEN_HEADER_FORBIDDEN: {
    meaning:
      'The JWT header carries a member that claimsgate refuses: a key source (jku, x5u, jwk), a critical extension (crit) or an unencoded payload (b64).',
    hint: 'Keys come only from the trusted issuer, never from the token. A legitimate issuer does not send these headers: treat the token as an attack.',
  },
  CG_TOKEN_KEY_TYPE_MISMATCH: {
    meaning:
      "The token's signature algorithm does not fit the trusted key it names (an RSA algorithm with an EC key, ES256 with a key other than EC P-256, or an RSA key under 2048 bits).",
    hint: 'A token that pairs a trusted key with an algorithm for another key type is an algorithm-confusion attempt unless the issuer changed its key type; compare with its published keys.',
  },
  CG_TOKEN_SIGNATURE_INVALID: {
    meaning: "The token's signature does not verify with the trusted key of its issuer that it names.",
    hint: 'The token was altered or signed by another key than the trusted one (for example a key with a trusted kid but different material). Refuse it; refresh the issuer metadata if the issuer may have re-keyed.',
  },
  CG_TOKEN_TENANT_MISMATCH: {
    meaning:
      "Under a multi-tenant issuer template ({tenantid}), the token's tenant claim (tid) is missing or differs from the tenant its issuer names.",
    hint: 'A multi-tenant issuer must name the tenant in both iss and tid. Treat a disagreement as a forgery; check the allowed tenants of the issuer.',
  },
  CG_TOKEN_LIFETIME_MISSING: {
    meaning: 'The token states no expiry (JWT exp, SAML NotOnOrAfter), so it would be valid forever.',
    hint: 'claimsgate refuses tokens without an expiry. Configure the issuer to emit one.',
  },
  CG_TOKEN_EXPIRED: {
    meaning:
      'The token expired before now, beyond the allowed clock skew, or says it was issued (iat, IssueInstant) more than a day ago.',
    hint: 'Sign in again for a fresh token. If fresh tokens are refused too, check the clocks of this host and the issuer (NTP) and the clock skew setting.',
  },
  CG_TOKEN_NOT_YET_VALID: {
    meaning:
      'The token is not valid yet (JWT nbf, SAML NotBefore), or says it was issued (iat, IssueInstant) in the future, beyond the allowed clock skew.',
    hint: 'Check the clocks of this host and the issuer (NTP); raise the clock skew only if they cannot be brought in step.',
  },
  CG_TOKEN_AUDIENCE_MISMATCH: {
    meaning:
      'The token is addressed to none of the audiences (realms, client IDs) this relying party accepts.',
    hint: 'Compare the audiences in the detail with the configured ones: the application may be registered at the issuer under another identifier (App ID URI vs client ID), or the token is meant for another application.',
  },

  CG_TOKEN_FORMAT_UNKNOWN: {
    meaning:
      'The input is not a recognised token: not a WS-Federation wresult / RSTR, a SAML 2.0 Response or assertion, a SAML 1.1 assertion, or a JWT.',
    hint: 'Pass the wresult form field, the SAMLResponse (base64 or XML) or the id_token / access token as received.',
  },
  CG_TOKEN_ISSUER_FAULT: {
    meaning: 'The issuer answered the sign-in with a SOAP fault instead of a token.',
    hint: "Read the fault code and reason in the detail: the issuer refused the sign-in (user not allowed, relying party unknown to the issuer, …). Fix it at the issuer's side.",
  },
  CG_TOKEN_STRUCTURE_INVALID: {
    meaning:
      'The token is not shaped as its protocol requires: several assertions, none, a missing Issuer, or elements where they must not be.',
    hint: 'A legitimate issuer sends exactly one assertion with its Issuer. Extra or misplaced elements are the shape of signature-wrapping attacks; refuse the token.',
  },
  CG_TOKEN_UNSIGNED: {
    meaning:
      'Neither the assertion nor the response carries an enveloped signature as a direct child (a signature nested elsewhere does not count).',
    hint: 'Configure the issuer to sign its assertions (or responses). An unsigned token is never accepted.',
  },
  CG_TOKEN_ASSERTION_UNSIGNED: {
    meaning:
      "The SAML Response is signed but its assertion is not, and the issuer's policy requires the assertion itself to be signed (as the gateway's SP metadata asks with WantAssertionsSigned).",
    hint: 'Have the identity provider sign the assertion (Keycloak: "Sign assertions"; Okta, Azure AD and AD FS sign it by default), or accept a signed Response around an unsigned assertion for this issuer: claimsgate issuers edit <name> --no-require-signed-assertion.',
  },
  CG_TOKEN_ENCRYPTED_UNSUPPORTED: {
    meaning: 'The token carries an encrypted assertion, which this relying party cannot decrypt.',
    hint: 'Turn token encryption off for this relying party at the issuer (claimsgate does not yet hold a decryption key).',
  },
  CG_TOKEN_STATUS_NOT_SUCCESS: {
    meaning: 'The SAML Response reports a status other than Success.',
    hint: 'The issuer did not authenticate the user; the status code and message in the detail say why.',
  },
  CG_TOKEN_ISSUER_MISMATCH: {
    meaning:
      'The signed content names another issuer than the one the token was checked against (for example a Response and its Assertion from different issuers).',
    hint: 'All parts of a token must come from one issuer. Treat the token as forged.',
  },
  CG_TOKEN_RECIPIENT_MISMATCH: {
    meaning:
      "The assertion's bearer SubjectConfirmationData Recipient is not this relying party's assertion consumer URL, or no bearer confirmation is valid.",
    hint: 'Check the reply / ACS URL registered at the issuer against the configured recipient.',
  },
  CG_TOKEN_DESTINATION_MISMATCH: {
    meaning: "The SAML Response's Destination is not this relying party's assertion consumer URL.",
    hint: 'Check the ACS URL registered at the issuer against the configured destination.',
  },
  CG_TOKEN_IN_RESPONSE_TO_MISMATCH: {
    meaning: 'The SAML Response answers another request than the one this relying party sent (InResponseTo).',
    hint: 'Start the sign-in again. Repeated mismatches mean responses are being replayed or injected.',
  },
  CG_TOKEN_REPLAYED: {
    meaning: 'The assertion or token ID was already used; a token is accepted once until it expires.',
    hint: 'Sign in again. If a user hits this on every sign-in, check for a proxy or browser that posts the form twice.',
  },
  CG_TOKEN_REQUEST_INVALID: {
    meaning:
      'A request to the IdP simulator (WS-Federation sign-in, SAML AuthnRequest, OpenID Connect authorize or token, or a control call) lacks a required parameter or carries a bad one.',
    hint: 'The detail names the parameter and what is expected. Check the sign-in URL the relying party builds (wtrealm, wreply, SAMLRequest, client_id, redirect_uri).',
  },
  CG_TOKEN_REQUEST_TENANT_UNKNOWN: {
    meaning: 'The IdP simulator does not serve the tenant named in the request path.',
    hint: 'Use one of the tenants the simulator printed at start, or start it with --tenant <id>.',
  },
  CG_TOKEN_NONCE_MISMATCH: {
    meaning:
      'The OpenID Connect id_token carries no nonce, or not the nonce the gateway sent with this sign-in (a token injected from another sign-in).',
    hint: 'Start the sign-in again. Repeated failures from one client suggest a replayed or injected id_token; check that the identity provider echoes the nonce.',
  },
  CG_TOKEN_CODE_EXCHANGE_FAILED: {
    meaning:
      "Redeeming the OpenID Connect authorization code at the issuer's token endpoint failed (network error, timeout, an error answer, or no id_token in the answer).",
    hint: 'Read the detail for the token endpoint and its answer (invalid_client usually means a wrong client ID or secret; invalid_grant a code used twice or expired). Start the sign-in again.',
  },
  CG_TOKEN_AUTHORIZATION_DENIED: {
    meaning:
      'The OpenID Connect identity provider answered the sign-in with an error (error, error_description) instead of an id_token or a code.',
    hint: 'Read the OAuth error in the detail: access_denied means the user declined or is not assigned to the application; invalid_client or unauthorized_client a client ID or redirect URI the identity provider does not know; consent_required an administrator must grant consent. Fix it at the identity provider, then start the sign-in again.',
  },
  CG_TOKEN_GRANT_INVALID: {
    meaning:
      'The IdP simulator does not know the authorization code presented at its token endpoint, or it was already used, has expired, or was issued to another client or redirect URI (OAuth invalid_grant).',
    hint: 'Codes are one-time and live 60 seconds: start the sign-in again and redeem the new code once, with the same client_id and redirect_uri.',
  },

  // --- Store ------------------------------------------------------------------
  CG_STORE_NOT_FOUND: {
    meaning: 'The issuer, key, realm or claim mapping named does not exist.',
    hint: 'List what exists (`claimsgate issuers list`, `keys list`, …) and use its name or ID.',
  },
  CG_STORE_DUPLICATE: {
    meaning:
      'An issuer, key, realm or claim mapping with the same unique name, URI or thumbprint already exists.',
    hint: 'Edit the existing record instead, or choose another name; the detail names the field.',
  },
  CG_STORE_CONFLICT: {
    meaning: 'The record was changed by someone else since it was read (optimistic concurrency).',
    hint: 'Reload the record, check the other change in the audit log, and apply yours again.',
  },
  CG_STORE_INVALID: {
    meaning:
      'A value given for a record is not acceptable (empty name, bad URL, unknown protocol, negative interval, …).',
    hint: 'The detail names the field and what is expected.',
  },
  CG_STORE_UNAVAILABLE: {
    meaning: 'The database cannot be opened or reached.',
    hint: 'Check CLAIMSGATE_DATABASE_URL / --db, that the server is running and reachable, and the credentials.',
  },
  CG_STORE_IN_USE: {
    meaning: 'The SQLite database file is already open for writing by another claimsgate process.',
    hint: 'SQLite serves one process. Stop the other process, or use PostgreSQL (CLAIMSGATE_DATABASE_URL=postgres://…) for several instances.',
  },
  CG_STORE_QUERY_FAILED: {
    meaning:
      'A database statement failed for a reason other than the input: a table or schema missing, a permission refused, a database that is read-only, full or damaged.',
    hint: "The gateway log has the database's own error (SQLSTATE or SQLite code) under the request's ID. Check the database, that its schema is claimsgate's (migrations run at start) and the rights of its role.",
  },
  CG_STORE_MIGRATION_FAILED: {
    meaning: 'Bringing the database schema up to date failed; nothing was changed.',
    hint: 'Read the cause in the detail. A database written by a newer claimsgate cannot be opened by an older one.',
  },
  CG_STORE_TIMEOUT: {
    meaning:
      "A database statement ran longer than the store's statement timeout and was cancelled by the server; a change it belonged to was rolled back whole.",
    hint: 'Look for what held it up (locks, load: pg_stat_activity). Raise the timeout (?statement_timeout=<ms> in the database URL, 0 for none) only if statements legitimately take that long.',
  },
  CG_STORE_REFERENCED: {
    meaning:
      'The issuer cannot be removed: a realm allows it alone, and a realm without allowed issuers would accept every issuer. Nothing was removed.',
    hint: 'The detail names the realms. Allow another issuer on each (claimsgate realms edit <realm> --allow-issuer <issuer>) or remove them, then remove the issuer.',
  },

  // --- Sessions ---------------------------------------------------------------
  CG_SESSION_MALFORMED: {
    meaning:
      'A session cookie or sealed sign-in state (wctx, RelayState, OIDC state) is not a well-formed sealed value: wrong shape, unknown version, bad encoding or too long.',
    hint: 'The browser sent something claimsgate did not issue (a stale cookie from another application on the same host, or a truncated value). The user signs in again; a steady stream from one client is probing.',
  },
  CG_SESSION_KEY_UNKNOWN: {
    meaning: 'A sealed value names a sealing key that is not in the key ring.',
    hint: 'A key was probably removed before the values sealed with it expired: keep a retired key in the ring for at least the absolute session lifetime (or the sign-in state lifetime). Check that every instance has the same keys.',
  },
  CG_SESSION_INVALID: {
    meaning:
      'A sealed value failed authentication: it was altered, sealed with another key of the same name, or sealed for another purpose (a wctx used as a session cookie).',
    hint: 'Treat it as tampering unless the sealing secret of a key ID was changed in place; to replace a secret, add a key with a new ID instead. Check that every instance has the same keys.',
  },
  CG_SESSION_EXPIRED: {
    meaning:
      'A sealed value is authentic but has expired (session idle timeout or absolute lifetime, or sign-in state older than its lifetime).',
    hint: 'Expected in normal use: the user signs in again. Frequent expiries of sign-in state suggest its lifetime is shorter than users take at the identity provider, or a clock that is wrong.',
  },
  CG_SESSION_BINDING_MISMATCH: {
    meaning:
      'A sign-in callback (wctx, RelayState, OIDC state) came from a browser that did not start that sign-in: its sign-in binding cookie is missing or belongs to another sign-in (login CSRF, or a sign-in started in another tab afterwards).',
    hint: 'The user starts again at /signin and finishes in the same tab. If it happens to every user, the binding cookie does not reach the callback: over plain http it is SameSite=Lax and only an identity provider on the same site can post it back; serve the gateway over https (session.secureCookies) so it is SameSite=None; Secure.',
  },
  CG_SESSION_TOO_LARGE: {
    meaning:
      'The sealed value would be larger than fits in a cookie or URL parameter (4,000 characters); it was not issued.',
    hint: 'Map fewer claims into the session (drop group lists and large claims in the claim mapping), or shorten the return URL.',
  },

  // --- Admin API and site -----------------------------------------------------
  CG_ADMIN_UNAUTHENTICATED: {
    meaning: 'An admin page or API route was called without a signed-in session.',
    hint: 'Sign in at /admin/login with a local admin account (claimsgate admin create) or through an issuer that asserts the configured admin claim.',
  },
  CG_ADMIN_FORBIDDEN: {
    meaning: 'The signed-in user is not an administrator.',
    hint: 'Sign in with a local admin account, or have the issuer assert the claim set in admin.adminClaim (type and value) for this user.',
  },
  CG_ADMIN_CSRF_INVALID: {
    meaning:
      'A state-changing admin request carried no CSRF token, or one that was not issued for this session (cross-site request forgery, or a page older than the session).',
    hint: 'Reload the admin page and submit again. API clients read the token from GET /admin/api/session and send it in the X-CSRF-Token header.',
  },
  CG_ADMIN_LOGIN_FAILED: {
    meaning: 'The admin user name or password is wrong, or the account does not exist.',
    hint: 'Check the user name and password. An administrator with shell access can set a new password with claimsgate admin set-password.',
  },
  CG_ADMIN_PASSWORD_WEAK: {
    meaning: 'The new admin password is too short, too long or too simple.',
    hint: 'Use at least 12 characters (a passphrase of several words works), or let claimsgate admin create generate one.',
  },
  CG_ADMIN_LOGIN_THROTTLED: {
    meaning:
      'Admin sign-in is refused for a while: too many wrong passwords were given in a short time for this user name from this address, from this address, or for this user name from everywhere (password guessing defence).',
    hint: "Wait until the time given has passed, then sign in with the right password; every further attempt meanwhile is refused unchecked. The log's lockedBy says which counter (pair, address, account); an account locked from everywhere still admits the addresses it signed in from before. If nobody you know made those attempts, look at the gateway log for their source.",
  },
  CG_ADMIN_INPUT_INVALID: {
    meaning:
      'An admin request is malformed: a missing or extra field, a value of the wrong type, or a body that is not JSON.',
    hint: 'The detail names the field and what was expected; the OpenAPI document at /admin/api/openapi.json describes every request.',
  },

  // --- Gateway mode (reverse proxy) --------------------------------------------
  CG_GATEWAY_UPSTREAM_UNAVAILABLE: {
    meaning:
      'The upstream application could not be reached (connection refused, reset or name not resolved), so the request was not passed on.',
    hint: 'Check that the application is running at gateway.upstream and reachable from the gateway host.',
  },
  CG_GATEWAY_UPSTREAM_TIMEOUT: {
    meaning: 'The upstream application did not answer in time.',
    hint: 'Check the application for slow requests; the time allowed is set by gateway.upstreamTimeoutMs.',
  },
  CG_GATEWAY_SIGN_IN_REQUIRED: {
    meaning:
      'A request for the protected application came without a valid session (no session cookie, or one that expired or did not open), so it was not passed on.',
    hint: 'Sign in at /signin first; browsers asking for a page are sent there by themselves. API and WebSocket clients must send the session cookie of a signed-in user.',
  },
  CG_GATEWAY_ORIGIN_FORBIDDEN: {
    meaning:
      'A WebSocket handshake came from a page whose Origin is not one of the allowed origins, so it was refused (cross-site WebSocket hijacking defence).',
    hint: 'If the page is legitimately served from that origin, add it to gateway.allowedReturnOrigins; the origin of server.publicUrl is always allowed.',
  },
  CG_GATEWAY_REQUEST_INVALID: {
    meaning:
      'A request for the protected application was refused before it was passed on: a GET, HEAD or TRACE request with a body, a body in a transfer coding other than chunked, or a path with a "." or ".." segment (also percent-encoded) that could reach outside the upstream URL\'s path (request smuggling and path traversal defence).',
    hint: 'Send GET, HEAD and TRACE without a body, and request the resource by its plain path (without ./ or ../ segments). The detail says which rule the request broke.',
  },
  CG_GATEWAY_METRICS_UNAUTHORIZED: {
    meaning:
      'A scrape of /metrics came without the bearer token set in metrics.bearerToken, or with another one, so the metrics were not shown.',
    hint: "Give the scraper the token: in Prometheus, authorization: { credentials_file: <a file holding metrics.bearerToken> } in the job's scrape config.",
  },

  // --- Configuration and command input ------------------------------------------
  CG_CONFIG_INPUT_UNREADABLE: {
    meaning: 'A file named on the command line cannot be read (missing, a directory, or no permission).',
    hint: 'Check the path, or pass - to read from standard input.',
  },
  CG_CONFIG_INPUT_INVALID: {
    meaning:
      'A file given to a command is not in the format the command takes (a line of `issuers add-many` that is not a JSON object naming an issuer, a name listed twice); nothing was changed.',
    hint: 'Fix the line the message names (see the command’s --help for the format) and run the command again.',
  },
  CG_CONFIG_CONFIRMATION_REQUIRED: {
    meaning:
      'A command that changes trust asks for confirmation, but there is no terminal to ask on (standard input is not a TTY).',
    hint: 'Review what the command shows, then run it again with --yes to confirm without a prompt.',
  },
  CG_CONFIG_SIGN_IN_UNAVAILABLE: {
    meaning:
      'The issuer chosen for sign-in lacks what its protocol needs: a login URL (WS-Federation), a single sign-on endpoint (SAML 2.0), or a client ID and endpoints (OpenID Connect); or it speaks none of the protocols asked for.',
    hint: "The detail names the issuer and what is missing. Set it with claimsgate issuers edit, or refresh the issuer so its metadata's endpoints are known.",
  },
  CG_CONFIG_INVALID: {
    meaning:
      'The gateway configuration (defaults, file, CLAIMSGATE_* environment variables and flags) has one or more bad settings; every problem is listed with its path and source.',
    hint: 'Fix each setting listed in the detail (path, and whether it came from the file, the environment or a flag); docs/configuration.md describes every setting.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

/** Every error code claimsgate produces, as a string-literal union. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The area of a code: the word after `CG_`. */
export type ErrorArea = ErrorCode extends `CG_${infer A}_${string}` ? A : never;

/** True when `value` is a registered error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
