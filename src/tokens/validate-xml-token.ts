import { ClaimsgateError } from '../lib/errors.js';
import { NS, attribute, descendantElements, firstChildElement, ownText } from '../xml/dom.js';
import { parseCanonicalXml } from '../xml/parse-canonical-xml.js';
import { inspectEnvelopedSignature, type SignatureInspection } from '../xmldsig/inspect-signature.js';
import type { AssertionContent } from './assertion-content.js';
import type { VerifiedIdentity } from './identity.js';
import type { ParsedXmlToken } from './parse-xml-token.js';
import { readSaml11Assertion } from './read-saml11-assertion.js';
import { readSaml2Assertion } from './read-saml2-assertion.js';
import { earliest } from './saml-values.js';
import { checkAudienceGroups, checkTokenLifetime } from './token-conditions.js';
import { someTrustedIssuers, type TrustedIssuer } from './trust-snapshot.js';
import type { ValidationContext } from './validation-context.js';
import { verifyWithTrust, type TrustedSignature } from './verify-with-trust.js';
import type { XmlElement } from '../xml/light-dom.js';

/** The issuer an element names, before anything is verified: used only to choose whose keys to try. */
function claimedIssuer(element: XmlElement, version: '2.0' | '1.1'): string | undefined {
  if (version === '1.1') return attribute(element, 'Issuer')?.trim();
  const issuer = firstChildElement(element, NS.saml2, 'Issuer');
  return issuer === undefined ? undefined : ownText(issuer).trim();
}

function resolveIssuer(context: ValidationContext, issuerName: string): TrustedIssuer {
  const trusted = context.trust.findIssuer(issuerName);
  if (trusted === undefined) {
    throw new ClaimsgateError(
      'CG_TRUST_ISSUER_UNKNOWN',
      `The token names the issuer ${issuerName}, which is not trusted.`,
      {
        detail: { issuer: issuerName, expected: someTrustedIssuers(context.trust) },
      },
    );
  }
  return trusted;
}

/**
 * SECURITY: the identity is read from the bytes the digest covered, parsed
 * again — never from the surrounding DOM (node-saml CVE-2025-54369 class).
 * Canonical XML has a narrow grammar; its strict parser is differential-tested
 * against the general one.
 */
function reparse(canonical: string): XmlElement {
  return parseCanonicalXml(canonical);
}

/**
 * SECURITY (cross-protocol replay): WS-Federation sends no request to
 * answer, and binds a token to the relying party by its audience. A signed
 * bearer confirmation that answers a request (InResponseTo) or names another
 * endpoint as its Recipient was issued for a SAML 2.0 sign-in: wrapped in a
 * WS-Trust response, it must not sign anyone in through WS-Federation. A
 * Recipient is accepted when it is this relying party's WS-Federation reply
 * URL (`context.recipient`) or one of its audiences (the realm).
 *
 * @see SAML Profiles 2.0 §4.1.4.2; WS-Federation 1.2 §13.2
 */
function checkWsFedConfirmations(content: AssertionContent, context: ValidationContext): void {
  const answering = content.bearerConfirmations.find((c) => c.inResponseTo !== undefined);
  if (answering !== undefined) {
    throw new ClaimsgateError(
      'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
      'The assertion answers a SAML 2.0 request (its bearer confirmation has an InResponseTo); a WS-Federation token answers none.',
      { detail: { observed: answering.inResponseTo, expected: 'no InResponseTo (WS-Federation)' } },
    );
  }
  if (context.recipient === undefined) return;
  const allowed = new Set([context.recipient, ...context.audiences]);
  const foreign = content.bearerConfirmations.find(
    (c) => c.recipient !== undefined && !allowed.has(c.recipient),
  );
  if (foreign !== undefined) {
    throw new ClaimsgateError(
      'CG_TOKEN_RECIPIENT_MISMATCH',
      `A bearer confirmation of the assertion names the recipient ${foreign.recipient}, not this relying party's WS-Federation endpoint.`,
      { detail: { observed: foreign.recipient, expected: [...allowed] } },
    );
  }
}

function checkConfirmations(
  content: AssertionContent,
  context: ValidationContext,
  viaWsFederation: boolean,
): void {
  if (content.version === '1.1') return;
  if (viaWsFederation) checkWsFedConfirmations(content, context);
  const skewMs = context.clockSkewSeconds * 1000;
  const now = context.now.getTime();
  // SAML Profiles §4.1.4.3: at least one bearer confirmation must be
  // satisfied — its window open, its Recipient this relying party's ACS URL.
  const usable = content.bearerConfirmations.filter(
    (confirmation) =>
      (confirmation.notOnOrAfter === undefined || now < confirmation.notOnOrAfter.getTime() + skewMs) &&
      (confirmation.notBefore === undefined || now + skewMs >= confirmation.notBefore.getTime()),
  );
  if (content.bearerConfirmations.length > 0 && usable.length === 0) {
    const ends = content.bearerConfirmations.flatMap((c) =>
      c.notOnOrAfter === undefined ? [] : [c.notOnOrAfter],
    );
    throw new ClaimsgateError(
      'CG_TOKEN_EXPIRED',
      "The assertion's bearer subject confirmation has expired.",
      {
        detail: { notOnOrAfter: ends.map((d) => d.toISOString()), now: context.now.toISOString() },
      },
    );
  }
  // WS-Federation binds a token to the relying party by its audience (wtrealm);
  // Azure AD and AD FS send bearer confirmations without a Recipient there.
  if (
    !viaWsFederation &&
    context.recipient !== undefined &&
    !usable.some((confirmation) => confirmation.recipient === context.recipient)
  ) {
    throw new ClaimsgateError(
      'CG_TOKEN_RECIPIENT_MISMATCH',
      `No bearer confirmation of the assertion names the recipient ${context.recipient}.`,
      {
        detail: {
          observed: content.bearerConfirmations.map((c) => c.recipient),
          expected: context.recipient,
        },
      },
    );
  }
  if (context.inResponseTo !== undefined) {
    const mismatched = usable.find(
      (c) => c.inResponseTo !== undefined && c.inResponseTo !== context.inResponseTo,
    );
    if (mismatched !== undefined) {
      throw new ClaimsgateError(
        'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
        'The assertion answers another request.',
        {
          detail: { observed: mismatched.inResponseTo, expected: context.inResponseTo },
        },
      );
    }
    // SAML Profiles §4.1.4.2: in a response to an AuthnRequest the bearer
    // confirmation's InResponseTo MUST be the request's ID. SECURITY: only the
    // signed confirmation can bind the assertion to the request — a Response's
    // InResponseTo is unsigned when only the assertion is signed, so an
    // unsolicited assertion re-wrapped in a Response naming our request must fail.
    const answering = usable.some(
      (c) =>
        c.inResponseTo === context.inResponseTo &&
        (viaWsFederation || context.recipient === undefined || c.recipient === context.recipient),
    );
    if (!answering) {
      throw new ClaimsgateError(
        'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
        "No bearer confirmation of the assertion answers this relying party's request (InResponseTo).",
        {
          detail: { observed: usable.map((c) => c.inResponseTo ?? null), expected: context.inResponseTo },
        },
      );
    }
  }
}

function checkResponse(
  response: XmlElement,
  context: ValidationContext,
): { inResponseTo: string | undefined } {
  const destination = attribute(response, 'Destination');
  if (context.destination !== undefined && destination !== undefined && destination !== context.destination) {
    throw new ClaimsgateError(
      'CG_TOKEN_DESTINATION_MISMATCH',
      `The SAML Response is addressed to ${destination}.`,
      {
        detail: { observed: destination, expected: context.destination },
      },
    );
  }
  const inResponseTo = attribute(response, 'InResponseTo');
  if (context.inResponseTo !== undefined && inResponseTo !== context.inResponseTo) {
    throw new ClaimsgateError(
      'CG_TOKEN_IN_RESPONSE_TO_MISMATCH',
      `The SAML Response answers ${inResponseTo === undefined ? 'no request' : `request ${inResponseTo}`}, not ${context.inResponseTo}.`,
      { detail: { observed: inResponseTo, expected: context.inResponseTo } },
    );
  }
  return { inResponseTo };
}

function inspect(
  element: XmlElement,
  issuer: TrustedIssuer,
  context: ValidationContext,
): SignatureInspection | undefined {
  // The canonical form of genuine signed content is about as long as the
  // token; four times its limit leaves room for c14n's own growth.
  return inspectEnvelopedSignature(element, {
    allowSha1: issuer.allowSha1,
    maxCanonicalLength: 4 * context.maxTokenBytes,
  });
}

/**
 * Validates an XML token — a WS-Federation wresult carrying a SAML 1.1 or 2.0
 * assertion, a SAML 2.0 Response (signed Response, signed Assertion, or both)
 * or a bare assertion — against the trust in `context`.
 *
 * The token comes parsed and its assertion located (parseXmlToken), once
 * per request however many times it is validated.
 *
 * Order: one assertion; signature structure and algorithms;
 * the signing key mapped to a trusted key of the issuer the token names and
 * the signature verified with that key; the signed element re-parsed from its
 * canonical bytes and the identity read from those alone; then issuer
 * agreement, lifetime, audience, confirmation, destination and InResponseTo.
 *
 * @throws ClaimsgateError `CG_SIG_*`, `CG_TRUST_*`, `CG_TOKEN_*`; `CG_XML_MALFORMED`
 *   when the signed bytes are not canonical XML.
 * @see SAML Core 2.0 §5 (signatures); SAML Profiles 2.0 §4.1.4.3; WS-Federation 1.2 §13
 */
export function validateXmlToken(token: ParsedXmlToken, context: ValidationContext): VerifiedIdentity {
  const { root, located } = token;
  const { response, assertion, version } = located;

  const assertionIssuerName = claimedIssuer(assertion, version);
  const responseIssuerName = response === undefined ? undefined : claimedIssuer(response, '2.0');
  if (
    responseIssuerName !== undefined &&
    assertionIssuerName !== undefined &&
    responseIssuerName !== assertionIssuerName
  ) {
    throw new ClaimsgateError(
      'CG_TOKEN_ISSUER_MISMATCH',
      `The Response is from ${responseIssuerName} but its Assertion from ${assertionIssuerName}.`,
      {
        detail: { observed: [responseIssuerName, assertionIssuerName] },
      },
    );
  }
  const issuerName = assertionIssuerName ?? responseIssuerName;
  if (issuerName === undefined || issuerName === '') {
    throw new ClaimsgateError('CG_TOKEN_STRUCTURE_INVALID', 'The assertion names no Issuer.', {
      detail: { element: 'Issuer' },
    });
  }
  const trustedIssuer = resolveIssuer(context, issuerName);

  const assertionSignature = inspect(assertion, trustedIssuer, context);
  const responseSignature = response === undefined ? undefined : inspect(response, trustedIssuer, context);
  // The issuer's policy, and what the gateway's SP metadata says (WantAssertionsSigned):
  // a signed Response does not stand in for the assertion's own signature.
  if (
    assertionSignature === undefined &&
    responseSignature !== undefined &&
    trustedIssuer.requireSignedAssertion
  ) {
    throw new ClaimsgateError(
      'CG_TOKEN_ASSERTION_UNSIGNED',
      `The Response from ${issuerName} is signed, but its assertion is not, and this issuer's assertions must be signed themselves.`,
      {
        detail: {
          issuer: issuerName,
          observed: 'a signed Response, an unsigned Assertion',
          expected: 'a signed Assertion',
        },
      },
    );
  }
  if (assertionSignature === undefined && responseSignature === undefined) {
    throw new ClaimsgateError(
      'CG_TOKEN_UNSIGNED',
      `Neither the assertion${response === undefined ? '' : ' nor the response'} carries an enveloped signature.`,
      {
        detail: {
          issuer: issuerName,
          observed:
            descendantElements(root, NS.ds, 'Signature').length > 0
              ? 'a signature elsewhere'
              : 'no signature',
        },
      },
    );
  }
  // SECURITY: every ds:Signature must be one that is verified here; a stray
  // one (in an AttributeValue, an Extensions, wrapped inside another) is the
  // raw material of signature-wrapping attacks.
  const expectedSignatures =
    (assertionSignature === undefined ? 0 : 1) + (responseSignature === undefined ? 0 : 1);
  const allSignatures = descendantElements(root, NS.ds, 'Signature').length;
  if (allSignatures !== expectedSignatures) {
    throw new ClaimsgateError(
      'CG_TOKEN_STRUCTURE_INVALID',
      'The token carries a signature outside the signed elements.',
      {
        detail: { observed: allSignatures, expected: expectedSignatures },
      },
    );
  }

  let signedBy: TrustedSignature | undefined;
  let signedAssertion: XmlElement | undefined;
  let signedResponse: XmlElement | undefined;
  if (responseSignature !== undefined && response !== undefined) {
    signedBy = verifyWithTrust(responseSignature, response, context.trust, trustedIssuer, issuerName);
    signedResponse = reparse(signedBy.canonical);
  }
  if (assertionSignature !== undefined) {
    signedBy = verifyWithTrust(assertionSignature, assertion, context.trust, trustedIssuer, issuerName);
    signedAssertion = reparse(signedBy.canonical);
  } else if (signedResponse !== undefined) {
    signedAssertion = firstChildElement(signedResponse, NS.saml2, 'Assertion');
  }
  if (signedAssertion === undefined || signedBy === undefined) {
    throw new ClaimsgateError('CG_TOKEN_STRUCTURE_INVALID', 'The signed content holds no assertion.', {
      detail: {},
    });
  }

  const content =
    version === '2.0' ? readSaml2Assertion(signedAssertion) : readSaml11Assertion(signedAssertion);
  // The key was chosen by the issuer the unsigned DOM named; the signed bytes must name the same one.
  if (content.issuer !== issuerName) {
    throw new ClaimsgateError(
      'CG_TOKEN_ISSUER_MISMATCH',
      `The signed assertion names ${content.issuer}, not ${issuerName}.`,
      {
        detail: { observed: content.issuer, expected: issuerName },
      },
    );
  }
  const notOnOrAfter = checkTokenLifetime(
    {
      notBefore: content.notBefore,
      notOnOrAfter:
        content.notOnOrAfter ?? earliest(...content.bearerConfirmations.map((c) => c.notOnOrAfter)),
      issuedAt: content.issueInstant,
    },
    context,
    'The assertion',
  );
  checkAudienceGroups(content.audienceGroups, context, trustedIssuer, 'The assertion');
  checkConfirmations(content, context, located.kind.startsWith('wsfed-'));
  const { inResponseTo } =
    response === undefined ? { inResponseTo: undefined } : checkResponse(signedResponse ?? response, context);

  return {
    kind: located.kind,
    issuer: content.issuer,
    trustedIssuer: trustedIssuer.issuer,
    subject: content.subject,
    subjectFormat: content.subjectFormat,
    claims: content.claims,
    tokenId: content.id,
    issuedAt: content.issueInstant,
    notBefore: content.notBefore,
    notOnOrAfter,
    audiences: content.audienceGroups.flat(),
    signingKey: { sha1: signedBy.sha1, sha256: signedBy.sha256, kid: signedBy.key.kid },
    inResponseTo:
      inResponseTo ?? content.bearerConfirmations.find((c) => c.inResponseTo !== undefined)?.inResponseTo,
    sessionIndex: content.sessionIndex,
  };
}
