import { createHash } from 'node:crypto';
import { ClaimsgateError } from '../lib/errors.js';
import { DEFAULT_XML_MAX_BYTES, parseXml, type ParsedXml } from '../xml/parse-xml.js';
import type { IssuerMetadata } from './model.js';
import { parseJwks, parseOidcDiscovery } from './parse-oidc-metadata.js';
import { parseXmlMetadata } from './parse-xml-metadata.js';

/** Options of {@link parseMetadata}. */
export interface ParseMetadataOptions {
  /** For XML metadata: the entity to read from an EntitiesDescriptor, or the entityID the document must describe. */
  readonly entityId?: string;
  /** Largest accepted document, in bytes (UTF-8 for a string). Default 5 MiB. */
  readonly maxBytes?: number;
}

/** A metadata document, parsed. */
export interface ParsedMetadata {
  readonly metadata: IssuerMetadata;
  /** The parsed XML, for XML metadata: what a check of the document's own signature works on. */
  readonly xml?: ParsedXml;
  /** SHA-256 of the input bytes (a string as UTF-8), lowercase hex: identifies the exact document seen. */
  readonly rawSha256: string;
}

type Kind = 'json' | 'xml' | 'unknown';

/** The kind of document, from its first significant byte: `{` JSON, `<` XML (UTF-16 XML by its byte-order mark). */
function detectKind(bytes: Uint8Array): Kind {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return 'xml';
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[start]!)) start += 1;
  if (bytes[start] === 0x7b) return 'json';
  if (bytes[start] === 0x3c) return 'xml';
  return 'unknown';
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    // RFC 8259 §8.1: JSON exchanged between systems is UTF-8.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new ClaimsgateError('CG_META_JSON_INVALID', 'The JSON document is not valid UTF-8.', {
      cause,
      detail: { member: '(root)', expected: 'UTF-8 JSON' },
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ClaimsgateError(
      'CG_META_JSON_INVALID',
      'The document starts like JSON but is not valid JSON.',
      {
        cause,
        detail: {
          member: '(root)',
          expected: 'valid JSON',
          observed: cause instanceof Error ? cause.message : String(cause),
        },
      },
    );
  }
}

function parseJsonMetadata(json: unknown): IssuerMetadata {
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    if (Object.hasOwn(json, 'keys')) return parseJwks(json);
    if (
      Object.hasOwn(json, 'issuer') &&
      (Object.hasOwn(json, 'jwks_uri') || Object.hasOwn(json, 'authorization_endpoint'))
    ) {
      return parseOidcDiscovery(json);
    }
  }
  throw new ClaimsgateError(
    'CG_META_FORMAT_UNKNOWN',
    'The JSON document is neither a JWKS (no "keys") nor an OpenID Connect discovery document (no "issuer" with "jwks_uri" or "authorization_endpoint").',
    {
      detail: {
        observed:
          typeof json === 'object' && json !== null && !Array.isArray(json)
            ? { members: Object.keys(json).slice(0, 20) }
            : Array.isArray(json)
              ? 'array'
              : typeof json,
        expected: ['{"keys": [...]}', '{"issuer": ..., "jwks_uri": ...}'],
      },
    },
  );
}

/**
 * Parses an issuer's metadata whatever its format, told apart by its first
 * significant character: `{` is JSON (a JWKS when it has `keys`, an OpenID
 * Connect discovery document when it has `issuer` with `jwks_uri` or
 * `authorization_endpoint`), `<` is XML (SAML 2.0 or WS-Federation metadata,
 * parsed with the hardened XML parser). Pure: no network, no clock.
 *
 * The parsed XML is returned beside the metadata so that the document's own
 * signature can be checked on the same DOM, never a second parse.
 *
 * @throws TypeError when `maxBytes` is not a positive integer.
 * @throws ClaimsgateError `CG_META_TOO_LARGE` past `maxBytes`; `CG_META_FORMAT_UNKNOWN`
 *   for anything else than the formats above; `CG_META_JSON_INVALID` for
 *   broken JSON; the `CG_XML_*` codes of parseXml; and the codes of
 *   parseXmlMetadata, parseOidcDiscovery and parseJwks.
 */
export function parseMetadata(
  input: string | Uint8Array,
  options: ParseMetadataOptions = {},
): ParsedMetadata {
  const maxBytes = options.maxBytes ?? DEFAULT_XML_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new TypeError('options.maxBytes must be a positive integer.');
  }
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (bytes.byteLength > maxBytes) {
    throw new ClaimsgateError(
      'CG_META_TOO_LARGE',
      `The metadata document is ${bytes.byteLength} bytes; the limit is ${maxBytes}.`,
      { detail: { observed: bytes.byteLength, expected: `<= ${maxBytes}` } },
    );
  }
  const rawSha256 = createHash('sha256').update(bytes).digest('hex');
  switch (detectKind(bytes)) {
    case 'json':
      return { metadata: parseJsonMetadata(parseJson(bytes)), rawSha256 };
    case 'xml': {
      const xml = parseXml(input, { maxBytes });
      const metadata = parseXmlMetadata(
        xml.root,
        options.entityId === undefined ? {} : { entityId: options.entityId },
      );
      return { metadata, xml, rawSha256 };
    }
    case 'unknown':
      throw new ClaimsgateError(
        'CG_META_FORMAT_UNKNOWN',
        'The document is neither XML nor JSON: it starts with neither "<" nor "{".',
        { detail: { expected: ['XML metadata', 'JSON (discovery or JWKS)'] } },
      );
  }
}
