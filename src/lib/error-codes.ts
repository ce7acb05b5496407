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
} as const satisfies Record<string, ErrorCodeSpec>;

/** Every error code claimsgate produces, as a string-literal union. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The area of a code: the word after `CG_`. */
export type ErrorArea = ErrorCode extends `CG_${infer A}_${string}` ? A : never;

/** True when `value` is a registered error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
