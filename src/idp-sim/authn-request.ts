import { inflateRawSync } from 'node:zlib';
import { ClaimsgateError } from '../lib/errors.js';
import { parseXml } from '../xml/parse-xml.js';
import { httpUrlParameter, requestError } from './request-parameters.js';
import type { XmlElement } from '../xml/light-dom.js';

/** Largest AuthnRequest accepted, in bytes once decoded (and inflated). */
export const MAX_AUTHN_REQUEST_BYTES = 64 * 1024;

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}[\r\n]*$/;

/** How the AuthnRequest arrived: deflated in a query string, or plain in a form. */
export type RequestBinding = 'redirect' | 'post';

function attribute(element: XmlElement, name: string): string | undefined {
  return element.getAttributeNode(name)?.value;
}

/** The text of the first `saml:Issuer` child, trimmed, or '' when there is none. */
function issuerOf(root: XmlElement): string {
  for (let node = root.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 1 && node.namespaceURI === SAML && node.localName === 'Issuer')
      return node.textContent.trim();
  }
  return '';
}

/** What the simulator reads from an AuthnRequest. */
export interface AuthnRequestFacts {
  readonly id: string;
  /** The service provider's entity ID: the audience of the assertion. */
  readonly issuer: string;
  readonly assertionConsumerServiceUrl: string;
}

function tooLarge(observed: string): ClaimsgateError {
  return new ClaimsgateError(
    'CG_XML_TOO_LARGE',
    `The SAMLRequest decodes to more than ${MAX_AUTHN_REQUEST_BYTES} bytes; it was not parsed.`,
    { detail: { parameter: 'SAMLRequest', observed, expected: `<= ${MAX_AUTHN_REQUEST_BYTES} bytes` } },
  );
}

/**
 * The XML bytes of a SAMLRequest: base64, then raw DEFLATE for the Redirect
 * binding, with the output capped so that a small request cannot inflate
 * into gigabytes.
 *
 * @throws ClaimsgateError `CG_XML_TOO_LARGE` past the cap; `CG_TOKEN_REQUEST_INVALID`
 *   for text that is not base64 or bytes that do not inflate.
 * @see SAML Bindings 2.0 §3.4.4.1 (DEFLATE encoding), §3.5.4 (POST)
 */
export function decodeSamlRequest(value: string, binding: RequestBinding): Buffer {
  if (value.length > MAX_AUTHN_REQUEST_BYTES * 2) throw tooLarge(`${value.length} characters of base64`);
  if (!BASE64.test(value)) {
    throw requestError('SAMLRequest', 'The SAMLRequest is not base64.', 'base64 text');
  }
  const bytes = Buffer.from(value, 'base64');
  if (binding === 'post') {
    if (bytes.length > MAX_AUTHN_REQUEST_BYTES) throw tooLarge(`${bytes.length} bytes`);
    return bytes;
  }
  try {
    // SECURITY: maxOutputLength stops a deflate bomb while it inflates.
    return inflateRawSync(bytes, { maxOutputLength: MAX_AUTHN_REQUEST_BYTES });
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('more after inflating');
    throw new ClaimsgateError(
      'CG_TOKEN_REQUEST_INVALID',
      'The SAMLRequest does not inflate: the Redirect binding sends raw DEFLATE, then base64.',
      { cause, detail: { parameter: 'SAMLRequest', expected: 'base64 of raw DEFLATE' } },
    );
  }
}

/**
 * Reads the ID, Issuer and AssertionConsumerServiceURL of an AuthnRequest,
 * parsed with the hardened parser. The simulator has no registrations, so the
 * ACS URL must be in the request; a Destination, when present, must be this
 * endpoint. Request signatures are not checked: the simulator trusts every
 * service provider.
 *
 * @throws ClaimsgateError the `CG_XML_*` codes of parseXml; `CG_TOKEN_REQUEST_INVALID`
 *   for another root element or a missing or bad ID, Issuer, ACS URL, binding or Destination.
 * @see SAML Core 2.0 §3.4.1 (AuthnRequest)
 */
export function readAuthnRequest(xml: Uint8Array, ssoUrl: string): AuthnRequestFacts {
  const { root } = parseXml(xml, { maxBytes: MAX_AUTHN_REQUEST_BYTES, maxDepth: 16 });
  if (root.namespaceURI !== SAMLP || root.localName !== 'AuthnRequest') {
    throw requestError(
      'SAMLRequest',
      `The SAMLRequest holds a <${root.nodeName.slice(0, 64)}>, not an AuthnRequest.`,
      'samlp:AuthnRequest',
    );
  }
  const id = attribute(root, 'ID');
  if (id === undefined || !/^[A-Za-z_][\w.-]{0,255}$/.test(id)) {
    throw requestError(
      'SAMLRequest',
      'The AuthnRequest has no ID, or one that is not an xs:ID.',
      'an ID attribute',
    );
  }
  const issuer = issuerOf(root);
  if (issuer === '') {
    throw requestError(
      'SAMLRequest',
      'The AuthnRequest names no Issuer: the simulator uses it as the audience.',
      'saml:Issuer',
    );
  }
  const acs = attribute(root, 'AssertionConsumerServiceURL');
  if (acs === undefined) {
    throw requestError(
      'SAMLRequest',
      'The AuthnRequest has no AssertionConsumerServiceURL; the simulator has no registered one to fall back on.',
      'AssertionConsumerServiceURL',
    );
  }
  const binding = attribute(root, 'ProtocolBinding');
  if (binding !== undefined && binding !== HTTP_POST) {
    throw requestError(
      'SAMLRequest',
      'The AuthnRequest asks for a response binding other than HTTP-POST.',
      HTTP_POST,
    );
  }
  const destination = attribute(root, 'Destination');
  if (destination !== undefined && destination !== ssoUrl) {
    throw requestError(
      'SAMLRequest',
      'The AuthnRequest is addressed to another endpoint (Destination).',
      ssoUrl,
    );
  }
  return { id, issuer, assertionConsumerServiceUrl: httpUrlParameter(acs, 'AssertionConsumerServiceURL') };
}
