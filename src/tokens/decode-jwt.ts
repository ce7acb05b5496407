import { ClaimsgateError } from '../lib/errors.js';

/** The JWS algorithms a JWT may be signed with; everything else is refused. */
export type JwtAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256';

/** The allow-list, in the order it is reported. */
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
]);

/**
 * Header members refused outright. `jku`, `x5u` and `jwk` name or carry a
 * key chosen by whoever made the token; `crit` asks for extensions
 * claimsgate does not implement; `b64` (RFC 7797) changes what the
 * signature covers.
 */
const FORBIDDEN_HEADERS: readonly string[] = ['jku', 'x5u', 'jwk', 'crit', 'b64'];

/** A compact JWS, structurally checked, not yet verified. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly alg: JwtAlgorithm;
  /** The header `kid`, when present. */
  readonly kid: string | undefined;
  /** The header `x5t` (base64url SHA-1 of the signer's certificate), when present. */
  readonly x5t: string | undefined;
  /** The header `x5t#S256`, when present. */
  readonly x5tS256: string | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const PREVIEW_LENGTH = 64;

/** A short, printable rendering of an untrusted value for the error detail. */
export function previewValue(value: unknown): string {
  if (typeof value !== 'string')
    return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const escaped = JSON.stringify(value);
  return escaped.length > PREVIEW_LENGTH ? `${escaped.slice(0, PREVIEW_LENGTH)}…` : escaped;
}

/** The error for a token that is not a compact JWS, or a member of the wrong JSON type. */
export function jwtMalformed(message: string, detail: Record<string, unknown>): ClaimsgateError {
  return new ClaimsgateError('CG_TOKEN_JWT_MALFORMED', message, { detail });
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeSegment(segment: string, part: 'header' | 'payload'): Record<string, unknown> {
  // SECURITY: Buffer's base64url decoder skips characters it does not know;
  // checking the alphabet first means the bytes decoded are exactly the
  // bytes the signature covers, with nothing smuggled around them.
  if (segment === '' || !BASE64URL.test(segment) || segment.length % 4 === 1) {
    throw jwtMalformed(`The JWT ${part} is not base64url.`, { part, expected: 'base64url without padding' });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url'));
  } catch (cause) {
    throw new ClaimsgateError('CG_TOKEN_JWT_MALFORMED', `The JWT ${part} is not valid UTF-8.`, {
      detail: { part, expected: 'UTF-8 JSON' },
      cause,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ClaimsgateError('CG_TOKEN_JWT_MALFORMED', `The JWT ${part} is not JSON.`, {
      detail: { part, expected: 'a JSON object' },
      cause,
    });
  }
  if (!isJsonObject(value)) {
    throw jwtMalformed(`The JWT ${part} is not a JSON object.`, {
      part,
      observed: previewValue(value),
      expected: 'a JSON object',
    });
  }
  return value;
}

function optionalHeaderString(header: Record<string, unknown>, name: string): string | undefined {
  if (!Object.hasOwn(header, name)) return undefined;
  const value = header[name];
  if (typeof value !== 'string') {
    // SECURITY: a non-string kid must not reach a lookup that would coerce it.
    throw jwtMalformed(`The JWT header member "${name}" is not a string.`, {
      part: 'header',
      member: name,
      observed: previewValue(value),
      expected: 'a string',
    });
  }
  return value;
}

/**
 * Checks a compact JWT's structure and header before any key is looked up:
 * size cap, three base64url segments, JSON object header and payload, the
 * algorithm allow-list and the refused header members.
 *
 * @throws ClaimsgateError `CG_TOKEN_TOO_LARGE` above `maxTokenBytes`;
 *   `CG_TOKEN_JWT_MALFORMED` for anything but three base64url segments with
 *   JSON object header and payload (a 5-segment JWE included) or a non-string
 *   `kid` / `x5t` / `x5t#S256`; `CG_TOKEN_ALGORITHM_FORBIDDEN` for an `alg`
 *   outside {@link JWT_ALGORITHMS}; `CG_TOKEN_HEADER_FORBIDDEN` for `jku`,
 *   `x5u`, `jwk`, `crit` or `b64`.
 * @see RFC 7515 §3.1, §4.1 (JWS compact serialization, header parameters); RFC 8725 §3.1–3.2
 */
export function decodeCompactJwt(token: string, maxTokenBytes: number): DecodedJwt {
  if (typeof token !== 'string') {
    throw jwtMalformed('The JWT is not a string.', { observed: previewValue(token), expected: 'a string' });
  }
  // SECURITY: the cap comes before any split, decode or parse (resource exhaustion).
  const bytes = Buffer.byteLength(token, 'utf8');
  if (bytes > maxTokenBytes) {
    throw new ClaimsgateError(
      'CG_TOKEN_TOO_LARGE',
      `The JWT is ${bytes} bytes long; the limit is ${maxTokenBytes} bytes.`,
      { detail: { observed: bytes, expected: maxTokenBytes } },
    );
  }
  const segments = token.split('.');
  if (segments.length !== 3) {
    throw jwtMalformed(
      segments.length === 5
        ? 'The token is an encrypted JWT (JWE, 5 segments); only signed JWTs (JWS, 3 segments) are accepted.'
        : `The JWT has ${segments.length} segments; a signed JWT has 3.`,
      { observed: segments.length, expected: 3 },
    );
  }
  const [headerSegment, payloadSegment, signatureSegment] = segments as [string, string, string];
  const header = decodeSegment(headerSegment, 'header');
  const payload = decodeSegment(payloadSegment, 'payload');
  if (!BASE64URL.test(signatureSegment)) {
    throw jwtMalformed('The JWT signature is not base64url.', {
      part: 'signature',
      expected: 'base64url without padding',
    });
  }

  const alg = header['alg'];
  // SECURITY: an exact, case-sensitive allow-list closes "none" (and "None",
  // "NONE"), HMAC with a public key as the secret (RS256 → HS256), and any
  // algorithm the issuer never uses.
  if (!Object.hasOwn(header, 'alg') || !(JWT_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw new ClaimsgateError(
      'CG_TOKEN_ALGORITHM_FORBIDDEN',
      `The JWT header names the algorithm ${previewValue(alg)}; allowed: ${JWT_ALGORITHMS.join(', ')}.`,
      { detail: { observed: previewValue(alg), expected: JWT_ALGORITHMS } },
    );
  }
  for (const member of FORBIDDEN_HEADERS) {
    if (Object.hasOwn(header, member)) {
      // SECURITY: never fetch or trust a key the token points at or embeds
      // (jku/x5u are also SSRF); refuse instead of ignoring, as no legitimate
      // issuer of ours sends them.
      throw new ClaimsgateError(
        'CG_TOKEN_HEADER_FORBIDDEN',
        `The JWT header carries "${member}", which is refused.`,
        {
          detail: { member, expected: `no ${FORBIDDEN_HEADERS.join(', ')} header` },
        },
      );
    }
  }
  return {
    header,
    payload,
    alg: alg as JwtAlgorithm,
    kid: optionalHeaderString(header, 'kid'),
    x5t: optionalHeaderString(header, 'x5t'),
    x5tS256: optionalHeaderString(header, 'x5t#S256'),
  };
}
