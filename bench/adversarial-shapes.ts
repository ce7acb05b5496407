/**
 * Hostile document shapes for `npm run bench -- shapes`: each fills the size
 * limit (a token's, or a metadata document's) with one shape — namespace-heavy,
 * attribute-heavy, deep, wide, long text, many signatures, many certificates —
 * as far as the parser's count limits let it, so that what is measured is the
 * most work a document of that shape can cause, not a refusal at the door.
 * The shapes refused at a limit (issue 11's documents) are included too, to
 * show the refusal is cheap.
 *
 * Token shapes are built around the bench's Azure-AD-shaped token, in two
 * places: inside the signed assertion (the digest then fails, after the
 * signature value was verified and the assertion canonicalised: what anyone
 * holding one genuine token of the issuer can make a validator do) and beside
 * it in the RSTR, outside what is signed (the token is then accepted).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { XmlLimits } from '../src/xml/parse-xml.js';
import { buildBenchToken, type BenchSigner, type BenchToken } from './make-token.js';

/** One hostile (or honest) document to measure. */
export interface Shape {
  /** The shape, e.g. `namespace-heavy`. */
  readonly name: string;
  /** Where the shape sits: in the signed assertion, beside it, or the whole document. */
  readonly placement: 'signed' | 'unsigned' | 'document';
  readonly text: string;
  /** One line on what it is. */
  readonly note: string;
}

/** Counts that a document's content may still use before a parser limit. */
interface Room {
  bytes: number;
  elements: number;
  nodes: number;
  declarations: number;
}

/** A repeatable piece of content with what it costs against the limits. */
interface Unit {
  readonly text: string;
  readonly elements: number;
  readonly nodes: number;
  readonly declarations: number;
}

const unit = (text: string, elements: number, nodes: number, declarations = 0): Unit => ({
  text,
  elements,
  nodes,
  declarations,
});

/** As many copies of `piece` as `room` allows, then text padding up to the byte budget. */
function fill(room: Room, piece: Unit, pad = true): string {
  const byBytes = Math.floor(room.bytes / piece.text.length);
  const byElements = piece.elements === 0 ? byBytes : Math.floor(room.elements / piece.elements);
  // One node is kept for the padding text.
  const byNodes = piece.nodes === 0 ? byBytes : Math.floor((room.nodes - (pad ? 1 : 0)) / piece.nodes);
  const byDeclarations =
    piece.declarations === 0 ? byBytes : Math.floor(room.declarations / piece.declarations);
  const copies = Math.max(0, Math.min(byBytes, byElements, byNodes, byDeclarations));
  const body = piece.text.repeat(copies);
  const rest = room.bytes - body.length;
  return pad && rest > 0 ? body + 'z'.repeat(rest) : body;
}

/** Room left once `used` is spent, with a margin for the host document's own counts. */
function roomFor(limits: Required<XmlLimits>, bytes: number, host: HostCounts): Room {
  return {
    bytes,
    elements: limits.maxElements - host.elements - 8,
    nodes: limits.maxNodes - host.nodes - 16,
    declarations: limits.maxNamespaceDeclarations - host.declarations - 4,
  };
}

/** What a host document already holds, counted by a rough scan of its text (deliberately over-counting). */
interface HostCounts {
  readonly elements: number;
  readonly nodes: number;
  readonly declarations: number;
}

function countHost(text: string): HostCounts {
  const elements = (text.match(/<[^/!?]/g) ?? []).length;
  const attributes = (text.match(/\s[\w:.-]+\s*=\s*["']/g) ?? []).length;
  const declarations = (text.match(/\sxmlns(:[\w.-]+)?\s*=/g) ?? []).length;
  return { elements, nodes: 3 * elements + attributes, declarations };
}

const declarationsOf = (prefix: string, count: number): string =>
  Array.from({ length: count }, (_, i) => ` xmlns:${prefix}${i}="urn:bench:${prefix}${i}"`).join('');
const usesOf = (prefix: string, count: number): string =>
  Array.from({ length: count }, (_, i) => ` ${prefix}${i}:a=""`).join('');

/**
 * The content shapes, each a function of the room it may fill and of the
 * depth it starts at. Every one stays within the parser's limits.
 */
function contentShapes(
  limits: Required<XmlLimits>,
  depth: number,
  signatureText: string,
): Array<{ name: string; note: string; content: (room: Room) => string }> {
  const perElement = limits.maxNamespaceDeclarationsPerElement;
  const attributes = limits.maxAttributesPerElement;
  const levels = limits.maxDepth - depth - 1;
  return [
    {
      name: 'namespace-heavy',
      note: `elements declaring ${perElement} namespaces each and using every one, to the declaration limit`,
      content: (room) =>
        fill(
          room,
          unit(
            `<n:e xmlns:n="urn:bench:n"${declarationsOf('p', perElement - 1)} n:a=""${usesOf('p', perElement - 1)}/>`,
            1,
            1 + 2 * perElement,
            perElement,
          ),
        ),
    },
    {
      name: 'namespace-scope',
      note: `${levels} nested elements each declaring and using ${perElement} prefixes, then empty elements under them`,
      content: (room) => {
        const open: string[] = [];
        const close: string[] = [];
        let declarations = 0;
        for (let level = 0; level < levels && declarations + perElement <= room.declarations; level += 1) {
          open.push(
            `<q${level}:e xmlns:q${level}="urn:bench:q${level}"${declarationsOf(`r${level}x`, perElement - 1)}${usesOf(`r${level}x`, perElement - 1)}>`,
          );
          close.unshift(`</q${level}:e>`);
          declarations += perElement;
        }
        const head = open.join('');
        const tail = close.join('');
        const inner: Room = {
          bytes: room.bytes - head.length - tail.length,
          elements: room.elements - open.length,
          nodes: room.nodes - open.length * (2 * perElement),
          declarations: 0,
        };
        return head + fill(inner, unit('<b/>', 1, 1), false) + tail;
      },
    },
    {
      name: 'attribute-heavy',
      note: `elements with ${attributes} attributes each`,
      content: (room) =>
        fill(
          room,
          unit(
            `<b${Array.from({ length: attributes }, (_, i) => ` a${i}=""`).join('')}/>`,
            1,
            1 + attributes,
          ),
        ),
    },
    {
      name: 'deep',
      note: `chains of ${levels} nested elements, to the depth limit`,
      content: (room) => fill(room, unit(`${'<d>'.repeat(levels)}${'</d>'.repeat(levels)}`, levels, levels)),
    },
    {
      name: 'wide',
      note: 'empty elements side by side, to the element limit',
      content: (room) => fill(room, unit('<b/>', 1, 1)),
    },
    {
      name: 'many-nodes',
      note: 'text and comments side by side, to the node limit',
      content: (room) => fill(room, unit('x<!---->', 0, 2)),
    },
    {
      name: 'long-text',
      note: 'one text node',
      content: (room) => 'x'.repeat(room.bytes),
    },
    {
      name: 'long-text-escaped',
      note: 'one text node of ">" (4 bytes each in canonical form)',
      content: (room) => '>'.repeat(room.bytes),
    },
    {
      name: 'long-attribute-escaped',
      note: `one attribute value of '"' (6 bytes each in canonical form)`,
      content: (room) => `<b a='${'"'.repeat(room.bytes - 10)}'/>`,
    },
    {
      name: 'character-references',
      note: 'text of character references',
      content: (room) => fill(room, unit('&#x41;', 0, 0)),
    },
    {
      name: 'namespace-amplification',
      note: 'a long namespace URI declared once and used by many siblings (re-rendered by c14n on each)',
      content: (room) => {
        const uri = `urn:${'u'.repeat(Math.floor(room.bytes / 2))}`;
        const head = `<v xmlns:p="${uri}">`;
        const inner: Room = { ...room, bytes: room.bytes - head.length - 4, elements: room.elements - 1 };
        return head + fill(inner, unit('<p:x/>', 1, 1), false) + '</v>';
      },
    },
    {
      name: 'many-signatures',
      note: 'copies of the token signature',
      content: (room) => fill(room, unit(signatureText, 20, 60, 1)),
    },
  ];
}

const RSTR_CLOSE = '</t:RequestSecurityTokenResponse>';
const ATTRIBUTE_STATEMENT_END = /<\/((?:[A-Za-z_][\w.-]*:)?)AttributeStatement>/;

/**
 * Puts `content` in a new attribute value inside the signed assertion of a
 * token (in the same prefix as its AttributeStatement): the signature value
 * still verifies, the digest no longer does.
 */
function inSignedAssertion(token: string): { host: (content: string) => string; overhead: number } {
  const end = ATTRIBUTE_STATEMENT_END.exec(token);
  if (end === null) throw new Error('the token has no AttributeStatement');
  const prefix = end[1]!;
  const open = `<${prefix}Attribute Name="urn:bench:shape"><${prefix}AttributeValue>`;
  const close = `</${prefix}AttributeValue></${prefix}Attribute>`;
  return {
    host: (content) => token.replace(end[0], `${open}${content}${close}${end[0]}`),
    overhead: open.length + close.length,
  };
}

/** The names of the content shapes, for {@link hostileSignedToken}. */
export const CONTENT_SHAPES = [
  'namespace-heavy',
  'namespace-scope',
  'attribute-heavy',
  'deep',
  'wide',
  'many-nodes',
  'long-text',
  'long-text-escaped',
  'long-attribute-escaped',
  'character-references',
  'namespace-amplification',
  'many-signatures',
] as const;

/**
 * A genuine signed token (a wresult with a SAML 2.0 assertion) made hostile:
 * `shape` filled into its signed assertion up to `maxTokenBytes` and the count
 * limits. What an attacker holding one real token of the issuer can post.
 */
export function hostileSignedToken(
  token: string,
  shape: (typeof CONTENT_SHAPES)[number],
  maxTokenBytes: number,
  limits: Required<XmlLimits>,
): string {
  const signature = /<(?:[\w.-]+:)?Signature[\s>][\s\S]*<\/(?:[\w.-]+:)?Signature>/.exec(token)?.[0] ?? '';
  const { host, overhead } = inSignedAssertion(token);
  const room = roomFor(limits, maxTokenBytes - Buffer.byteLength(token) - overhead, countHost(token));
  const content = contentShapes(limits, 6, signature).find((candidate) => candidate.name === shape)!;
  return host(content.content(room));
}

/** Junk base64 of a certificate's size: looked up by thumbprint like any certificate, never parsed. */
function junkCertificate(index: number): string {
  const bytes = Buffer.alloc(1200);
  for (let offset = 0; offset < bytes.length; offset += 32) {
    createHash('sha256').update(`junk-${index}-${offset}`).digest().copy(bytes, offset);
  }
  return bytes.toString('base64');
}

/**
 * Every token shape at `maxTokenBytes`: the typical token, an honest token
 * as large as the limit, issue 11's documents, and each content shape inside
 * the signed assertion and beside it.
 */
export function buildTokenShapes(
  signer: BenchSigner,
  issuedAt: Date,
  maxTokenBytes: number,
  limits: Required<XmlLimits>,
): { typical: BenchToken; shapes: Shape[] } {
  const typical = buildBenchToken(signer, { issuedAt });
  const shapes: Shape[] = [
    { name: 'typical', placement: 'document', text: typical.wresult, note: 'the Azure-AD-shaped token' },
  ];

  // An honest token as large as the limit: Azure AD group claims.
  const perGroup = 69;
  let groupCount = Math.floor((maxTokenBytes - typical.wresult.length) / perGroup);
  let honest = buildBenchToken(signer, { issuedAt, groupCount });
  while (Buffer.byteLength(honest.wresult) > maxTokenBytes) {
    groupCount -= 8;
    honest = buildBenchToken(signer, { issuedAt, groupCount });
  }
  shapes.push({
    name: 'honest-maximum',
    placement: 'document',
    text: honest.wresult,
    note: `a genuine token with ${groupCount} group claims`,
  });

  // Issue 11's documents, as reported: refused at a limit.
  const issueDeclarations = Array.from({ length: 8_500 }, (_, i) => ` xmlns:n${i}="u"`).join('');
  const issueNamespaces = typical.wresult
    .replace('<t:RequestSecurityTokenResponse ', `<t:RequestSecurityTokenResponse${issueDeclarations} `)
    .replace(RSTR_CLOSE, `${'<b xmlns="u"/>'.repeat(9_300)}${RSTR_CLOSE}`);
  shapes.push({
    name: 'issue-11-namespaces',
    placement: 'document',
    text: trimTo(issueNamespaces, maxTokenBytes),
    note: '8,500 declarations on the root and 9,300 <b xmlns="u"/> (as reported)',
  });
  const issueAttributes = `<r${Array.from({ length: 32_000 }, (_, i) => ` a${i.toString(36)}=""`).join('')}/>`;
  shapes.push({
    name: 'issue-11-attributes',
    placement: 'document',
    text: trimTo(issueAttributes, maxTokenBytes),
    note: 'one element with 32,000 attributes (as reported, cut to the size limit)',
  });

  const signature = /<Signature[\s\S]*<\/Signature>/.exec(typical.assertion)?.[0];
  if (signature === undefined) throw new Error('the bench token has no Signature');
  const signatureUnit = signature.replace(/ Id="[^"]*"/, '');

  const signed = inSignedAssertion(typical.wresult);
  const placements = [
    { placement: 'signed' as const, depth: 6, ...signed },
    {
      placement: 'unsigned' as const,
      depth: 2,
      host: (content: string): string =>
        typical.wresult.replace(RSTR_CLOSE, `<t:Padding>${content}</t:Padding>${RSTR_CLOSE}`),
      overhead: '<t:Padding></t:Padding>'.length,
    },
  ];
  for (const { placement, depth, host, overhead } of placements) {
    const room = roomFor(
      limits,
      maxTokenBytes - Buffer.byteLength(typical.wresult) - overhead,
      countHost(typical.wresult),
    );
    for (const shape of contentShapes(limits, depth, signatureUnit)) {
      shapes.push({
        name: shape.name,
        placement,
        text: host(shape.content({ ...room })),
        note: shape.note,
      });
    }
  }

  // Many certificates in the signature's KeyInfo, the signer's own last: not
  // covered by the digest, so the token is accepted after every thumbprint is computed.
  const certificate = /<X509Certificate>([^<]*)<\/X509Certificate>/.exec(typical.wresult);
  if (certificate === null) throw new Error('the bench token has no X509Certificate');
  const junk: string[] = [];
  let size = Buffer.byteLength(typical.wresult);
  for (let index = 0; ; index += 1) {
    const element = `<X509Certificate>${junkCertificate(index)}</X509Certificate>`;
    if (size + element.length > maxTokenBytes) break;
    junk.push(element);
    size += element.length;
  }
  shapes.push({
    name: 'many-certificates',
    placement: 'signed',
    text: typical.wresult.replace(certificate[0], `${junk.join('')}${certificate[0]}`),
    note: `${junk.length} unknown certificates in KeyInfo before the signer's`,
  });
  return { typical, shapes };
}

/** Cuts a document to `bytes`: it is refused at a limit long before its end anyway. */
function trimTo(text: string, bytes: number): string {
  return text.length <= bytes ? text : text.slice(0, bytes);
}

const FIXTURES = join(fileURLToPath(new URL('..', import.meta.url)), 'test', 'fixtures', 'metadata');

/** The real, signed Azure AD tenant metadata the shapes are built in. */
export function readTypicalMetadata(): string {
  return readFileSync(join(FIXTURES, 'aad-tenant.federationmetadata.xml'), 'utf8').replace(/^\uFEFF/, '');
}

/**
 * Every metadata shape at `maxBytes`: the real document, each content shape
 * inside its signed EntityDescriptor, and many certificates in its STS role.
 */
export function buildMetadataShapes(
  maxBytes: number,
  limits: Required<XmlLimits>,
  certificates: readonly string[],
): Shape[] {
  const typical = readTypicalMetadata();
  const shapes: Shape[] = [
    { name: 'typical', placement: 'document', text: typical, note: 'Azure AD tenant federation metadata' },
  ];
  const open = '<Padding xmlns="urn:bench">';
  const close = '</Padding>';
  const host = (content: string): string =>
    typical.replace('</EntityDescriptor>', `${open}${content}${close}</EntityDescriptor>`);
  const room = roomFor(
    limits,
    maxBytes - Buffer.byteLength(typical) - open.length - close.length,
    countHost(typical),
  );
  const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(typical)?.[0];
  if (signature === undefined) throw new Error('the metadata has no signature');
  for (const shape of contentShapes(limits, 2, signature)) {
    shapes.push({
      name: shape.name,
      placement: 'signed',
      text: host(shape.content({ ...room })),
      note: shape.note,
    });
  }
  const roleClose = '</RoleDescriptor>';
  const descriptors: string[] = [];
  let size = Buffer.byteLength(typical);
  for (let index = 0; ; index += 1) {
    const descriptor =
      `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>` +
      `<X509Certificate>${certificates[index % certificates.length]!}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`;
    if (size + descriptor.length > maxBytes) break;
    descriptors.push(descriptor);
    size += descriptor.length;
  }
  // Many certificates in the document signature's KeyInfo, before the signer's.
  const signerCertificate = /<X509Certificate>[^<]*<\/X509Certificate>/.exec(typical)?.[0];
  if (signerCertificate === undefined) throw new Error('the metadata signature has no certificate');
  const others: string[] = [];
  size = Buffer.byteLength(typical);
  for (let index = 0; ; index += 1) {
    const element = `<X509Certificate>${certificates[index % certificates.length]!}</X509Certificate>`;
    if (size + element.length > maxBytes) break;
    others.push(element);
    size += element.length;
  }
  shapes.push({
    name: 'many-signature-certificates',
    placement: 'signed',
    text: typical.replace(signerCertificate, `${others.join('')}${signerCertificate}`),
    note: `${others.length} certificates in the signature's KeyInfo before the signer's`,
  });
  shapes.push({
    name: 'many-certificates',
    placement: 'signed',
    text: typical.replace(roleClose, `${descriptors.join('')}${roleClose}`),
    note: `${descriptors.length} signing KeyDescriptors (${Math.min(certificates.length, descriptors.length)} distinct certificates)`,
  });
  return shapes;
}
