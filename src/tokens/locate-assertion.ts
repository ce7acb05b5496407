import { ClaimsgateError } from '../lib/errors.js';
import {
  NS,
  attribute,
  childElements,
  firstChildElement,
  forEachDescendantElement,
  ownText,
} from '../xml/dom.js';
import type { TokenKind } from './identity.js';
import type { XmlElement } from '../xml/light-dom.js';

/** Where the assertion of an XML token sits, and what wraps it. */
export interface LocatedAssertion {
  readonly kind: Exclude<TokenKind, 'jwt'>;
  /** The samlp:Response that carries the assertion, if any. */
  readonly response: XmlElement | undefined;
  readonly assertion: XmlElement;
  readonly version: '2.0' | '1.1';
}

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

function isElement(element: XmlElement, namespace: string, localName: string): boolean {
  return element.namespaceURI === namespace && element.localName === localName;
}

function isTrust(element: XmlElement, localName: string): boolean {
  return isElement(element, NS.wst13, localName) || isElement(element, NS.wst2005, localName);
}

function structureError(message: string, detail: Record<string, unknown> = {}): ClaimsgateError {
  return new ClaimsgateError('CG_TOKEN_STRUCTURE_INVALID', message, { detail });
}

function issuerFault(fault: XmlElement): ClaimsgateError {
  // SOAP 1.1: faultcode / faultstring; SOAP 1.2: Code/Value (+ Subcode) / Reason/Text.
  const soap12 = fault.namespaceURI === NS.soap12;
  let code: string | undefined;
  let reason: string | undefined;
  if (soap12) {
    const codeElement = firstChildElement(fault, NS.soap12, 'Code');
    const values: string[] = [];
    for (
      let current = codeElement;
      current !== undefined;
      current = firstChildElement(current, NS.soap12, 'Subcode')
    ) {
      const value = firstChildElement(current, NS.soap12, 'Value');
      if (value !== undefined) values.push(ownText(value).trim());
    }
    code = values.join(' / ') || undefined;
    const reasonElement = firstChildElement(fault, NS.soap12, 'Reason');
    const text =
      reasonElement === undefined ? undefined : firstChildElement(reasonElement, NS.soap12, 'Text');
    reason = text === undefined ? undefined : ownText(text).trim();
  } else {
    const codeElement = childElements(fault).find((child) => child.localName === 'faultcode');
    const reasonElement = childElements(fault).find((child) => child.localName === 'faultstring');
    code = codeElement === undefined ? undefined : ownText(codeElement).trim();
    reason = reasonElement === undefined ? undefined : ownText(reasonElement).trim();
  }
  const shortReason = reason?.slice(0, 500);
  return new ClaimsgateError(
    'CG_TOKEN_ISSUER_FAULT',
    `The issuer answered with a SOAP fault${code === undefined ? '' : ` ${code}`}${shortReason === undefined ? '' : `: ${shortReason}`}.`,
    { detail: { observed: { code, reason: shortReason } } },
  );
}

/**
 * SAML Core 2.0 §3.2.2 and §2.3.3: a Response and an Assertion carry
 * `Version="2.0"`; anything else is not a SAML 2.0 message, whatever its namespace.
 */
function checkVersion(element: XmlElement, name: string): void {
  const version = attribute(element, 'Version');
  if (version !== '2.0') {
    throw structureError(
      `The ${name} has Version ${version === undefined ? '(none)' : JSON.stringify(version.slice(0, 16))}, not 2.0.`,
      {
        element: name,
        observed: version?.slice(0, 16) ?? null,
        expected: '2.0',
      },
    );
  }
}

function checkStatus(response: XmlElement): void {
  const status = firstChildElement(response, NS.samlp, 'Status');
  const statusCode = status === undefined ? undefined : firstChildElement(status, NS.samlp, 'StatusCode');
  const value = statusCode === undefined ? undefined : attribute(statusCode, 'Value');
  if (value === SUCCESS) return;
  const second = statusCode === undefined ? undefined : firstChildElement(statusCode, NS.samlp, 'StatusCode');
  const messageElement =
    status === undefined ? undefined : firstChildElement(status, NS.samlp, 'StatusMessage');
  const message = messageElement === undefined ? undefined : ownText(messageElement).trim().slice(0, 500);
  throw new ClaimsgateError(
    'CG_TOKEN_STATUS_NOT_SUCCESS',
    `The SAML Response reports status ${value ?? '(none)'}${second === undefined ? '' : ` / ${attribute(second, 'Value') ?? ''}`}${message === undefined ? '' : `: ${message}`}.`,
    {
      detail: {
        observed: {
          status: value,
          subStatus: second === undefined ? undefined : attribute(second, 'Value'),
          message,
        },
        expected: SUCCESS,
      },
    },
  );
}

function rejectEncrypted(container: XmlElement): void {
  if (childElements(container, NS.saml2, 'EncryptedAssertion').length > 0) {
    throw new ClaimsgateError('CG_TOKEN_ENCRYPTED_UNSUPPORTED', 'The token carries an encrypted assertion.', {
      detail: { observed: 'EncryptedAssertion' },
    });
  }
}

function fromRequestedToken(rstr: XmlElement): LocatedAssertion {
  const requested = childElements(rstr).filter((child) => isTrust(child, 'RequestedSecurityToken'));
  if (requested.length !== 1) {
    throw structureError('The RequestSecurityTokenResponse must carry exactly one RequestedSecurityToken.', {
      observed: requested.length,
      expected: 1,
    });
  }
  const holder = requested[0]!;
  rejectEncrypted(holder);
  const tokens = childElements(holder);
  const token = tokens[0];
  if (tokens.length !== 1 || token === undefined) {
    throw structureError('The RequestedSecurityToken must hold exactly one token.', {
      observed: tokens.length,
      expected: 1,
    });
  }
  if (isElement(token, NS.saml2, 'Assertion')) {
    checkVersion(token, 'saml:Assertion');
    return { kind: 'wsfed-saml20', response: undefined, assertion: token, version: '2.0' };
  }
  if (isElement(token, NS.saml1, 'Assertion'))
    return { kind: 'wsfed-saml11', response: undefined, assertion: token, version: '1.1' };
  throw new ClaimsgateError(
    'CG_TOKEN_FORMAT_UNKNOWN',
    `The RequestedSecurityToken holds a <${token.nodeName}>, not a SAML assertion.`,
    {
      detail: { observed: token.nodeName, expected: ['saml2:Assertion', 'saml1:Assertion'] },
    },
  );
}

function locate(root: XmlElement): LocatedAssertion {
  if (isElement(root, NS.soap11, 'Envelope') || isElement(root, NS.soap12, 'Envelope')) {
    const body = firstChildElement(root, root.namespaceURI!, 'Body');
    const content = body === undefined ? [] : childElements(body);
    if (content.length !== 1)
      throw structureError('The SOAP Body must hold exactly one element.', { observed: content.length });
    return locate(content[0]!);
  }
  if (isElement(root, NS.soap11, 'Fault') || isElement(root, NS.soap12, 'Fault')) throw issuerFault(root);
  if (isTrust(root, 'RequestSecurityTokenResponseCollection')) {
    const responses = childElements(root).filter((child) => isTrust(child, 'RequestSecurityTokenResponse'));
    if (responses.length !== 1) {
      throw structureError('The RequestSecurityTokenResponseCollection must hold exactly one response.', {
        observed: responses.length,
        expected: 1,
      });
    }
    return fromRequestedToken(responses[0]!);
  }
  if (isTrust(root, 'RequestSecurityTokenResponse')) return fromRequestedToken(root);
  if (isElement(root, NS.samlp, 'Response')) {
    checkVersion(root, 'samlp:Response');
    checkStatus(root);
    rejectEncrypted(root);
    const assertions = childElements(root, NS.saml2, 'Assertion');
    if (assertions.length !== 1) {
      throw structureError('The SAML Response must carry exactly one Assertion.', {
        observed: assertions.length,
        expected: 1,
      });
    }
    checkVersion(assertions[0]!, 'saml:Assertion');
    return { kind: 'saml20-response', response: root, assertion: assertions[0]!, version: '2.0' };
  }
  if (isElement(root, NS.saml2, 'Assertion')) {
    checkVersion(root, 'saml:Assertion');
    return { kind: 'saml20-assertion', response: undefined, assertion: root, version: '2.0' };
  }
  if (isElement(root, NS.saml1, 'Assertion'))
    return { kind: 'saml11-assertion', response: undefined, assertion: root, version: '1.1' };
  throw new ClaimsgateError(
    'CG_TOKEN_FORMAT_UNKNOWN',
    `<${root.nodeName}> is not a token claimsgate validates.`,
    {
      detail: {
        observed: root.nodeName,
        expected: [
          'wst:RequestSecurityTokenResponse',
          'samlp:Response',
          'saml2:Assertion',
          'saml1:Assertion',
        ],
      },
    },
  );
}

/**
 * Finds the one assertion of an XML token: in a WS-Federation wresult
 * (RequestSecurityTokenResponse, WS-Trust 2005/02 or 1.3, or a collection of
 * one), a SAML 2.0 Response, or bare. A SOAP fault is the issuer's error.
 *
 * SECURITY: the document must hold exactly one element named Assertion
 * anywhere, in any namespace — signature-wrapping attacks hide a second one
 * (in Extensions, an Advice, a ds:Object, or inside the Signature) for a lax
 * validator to find. SAML 2.0 messages must say `Version="2.0"`.
 *
 * @throws ClaimsgateError `CG_TOKEN_ISSUER_FAULT`, `CG_TOKEN_STATUS_NOT_SUCCESS`,
 *   `CG_TOKEN_ENCRYPTED_UNSUPPORTED`, `CG_TOKEN_STRUCTURE_INVALID`, `CG_TOKEN_FORMAT_UNKNOWN`.
 * @see WS-Federation 1.2 §13.2.3 (wresult); SAML Bindings 2.0 §3.5 (POST)
 */
export function locateAssertion(root: XmlElement): LocatedAssertion {
  const located = locate(root);
  // One walk for both SAML versions. SECURITY: an element named Assertion in
  // any other namespace counts too — a look-alike namespace (a trailing
  // space, another case) is refused rather than trusted to be ignored by
  // every reader downstream.
  let everywhere = root.localName === 'Assertion' ? 1 : 0;
  forEachDescendantElement(root, (element) => {
    if (element.localName === 'Assertion') everywhere += 1;
  });
  if (everywhere !== 1) {
    throw structureError('The document holds more than one Assertion element.', {
      observed: everywhere,
      expected: 1,
    });
  }
  return located;
}
