import { ClaimsgateError } from '../lib/errors.js';

/** A token input, recognised. */
export type DetectedToken =
  { readonly format: 'jwt'; readonly token: string } | { readonly format: 'xml'; readonly xml: Buffer };

const JWT_SHAPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2,4}$/;
const BASE64_SHAPE = /^[A-Za-z0-9+/=\s]+$/;
const FORM_FIELDS = ['wresult', 'SAMLResponse', 'id_token', 'access_token'] as const;

function startsWithMarkup(bytes: Buffer): boolean {
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[start]!)) start += 1;
  return bytes[start] === 0x3c;
}

/**
 * Recognises what was handed in: a JWT; XML (a wresult / RSTR, a SAML
 * Response or a bare assertion); a base64-encoded SAML Response as the POST
 * binding sends it; or a whole form body carrying one of `wresult`,
 * `SAMLResponse`, `id_token` or `access_token`.
 *
 * @throws ClaimsgateError `CG_TOKEN_TOO_LARGE`, `CG_TOKEN_FORMAT_UNKNOWN`.
 */
export function detectToken(input: string | Uint8Array, maxTokenBytes: number): DetectedToken {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (bytes.length > maxTokenBytes) {
    throw new ClaimsgateError(
      'CG_TOKEN_TOO_LARGE',
      `The token is ${bytes.length} bytes; the limit is ${maxTokenBytes}.`,
      {
        detail: { observed: bytes.length, expected: `<= ${maxTokenBytes}` },
      },
    );
  }
  if (startsWithMarkup(bytes)) return { format: 'xml', xml: bytes };
  const text = bytes.toString('utf8').trim();
  if (JWT_SHAPE.test(text)) return { format: 'jwt', token: text };
  if (/^[A-Za-z_]+=/.test(text) && text.includes('=')) {
    const form = new URLSearchParams(text);
    for (const field of FORM_FIELDS) {
      const value = form.get(field);
      if (value !== null && value !== '') return detectToken(value, maxTokenBytes);
    }
  }
  if (BASE64_SHAPE.test(text)) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64');
    if (startsWithMarkup(decoded)) return { format: 'xml', xml: decoded };
  }
  throw new ClaimsgateError('CG_TOKEN_FORMAT_UNKNOWN', 'The input is not a recognised token.', {
    detail: {
      observed: `${bytes.length} bytes`,
      expected: [
        'wresult / RSTR XML',
        'SAML Response (XML or base64)',
        'SAML assertion',
        'JWT',
        'a form body with one of these',
      ],
    },
  });
}
