/**
 * A record of what the XML parser makes of a broad set of inputs, to show a
 * change to src/xml/ leaves its behaviour exactly as it was:
 *
 *   npx tsx scripts/xml-parse-snapshot.ts --write /tmp/before.json   # before the change
 *   npx tsx scripts/xml-parse-snapshot.ts --check /tmp/before.json   # after it
 *
 * The inputs: every .xml file under test/fixtures (the adversarial corpus
 * included), read by parseXml with its default limits and by buildDom with
 * tight ones; the exclusive canonical form of each that parses, read by
 * parseCanonicalXml, and each raw file read as if canonical (refused, at a
 * definite offset); and truncations at every 97th character of a few
 * documents, plain and canonical. Each input id maps to the SHA-256 of the
 * tree (every node's type, namespace, prefix, local name, attributes in
 * order, value) or to the error's code, message and detail, so the record
 * stays small and any difference in the tree or in the error is caught.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isClaimsgateError } from '../src/lib/errors.js';
import { canonicalizeExclusive } from '../src/xmldsig/canonicalize.js';
import { buildDom } from '../src/xml/build-dom.js';
import { parseCanonicalXml } from '../src/xml/parse-canonical-xml.js';
import type { XmlNode } from '../src/xml/light-dom.js';
import { parseXml } from '../src/xml/parse-xml.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures', import.meta.url));
const TRUNCATION_STEP = 97;
/** Documents cut at every 97th character (paths under test/fixtures). */
const TRUNCATED = [
  'metadata/adfs-v2.federationmetadata.xml',
  'interop/okta.saml20-response.xml',
  'interop/adfs.saml11-assertion.xml',
  'adversarial/assertion.signed.xml',
];
/** Small enough that the larger fixtures pass some of them; each set reaches different limits first. */
const TIGHT_LIMITS = {
  tight: {
    maxDepth: 6,
    maxAttributesPerElement: 4,
    maxNamespaceDeclarationsPerElement: 3,
    maxNamespaceDeclarations: 12,
  },
  elements: { maxElements: 40 },
  nodes: { maxNodes: 150 },
};

/** Every node below and including `node`, in document order, as one line each. */
function serialize(node: XmlNode, lines: string[]): void {
  switch (node.nodeType) {
    case 1: {
      const element = node;
      const attributes: string[] = [];
      for (const a of element.attributes) {
        attributes.push(JSON.stringify([a.namespaceURI, a.prefix, a.localName, a.name, a.value]));
      }
      lines.push(
        `E ${JSON.stringify([element.namespaceURI, element.prefix, element.localName, element.tagName])} ${attributes.join(' ')}`,
      );
      break;
    }
    case 9:
      lines.push('D');
      break;
    default:
      lines.push(`${node.nodeType} ${JSON.stringify([node.nodeName, node.nodeValue])}`);
  }
  if (node.nodeType === 1 || node.nodeType === 9)
    for (let child = node.firstChild; child !== null; child = child.nextSibling) serialize(child, lines);
  lines.push(')');
}

function outcome(read: () => XmlNode): { result: string; node?: XmlNode } {
  let node: XmlNode;
  try {
    node = read();
  } catch (error) {
    if (!isClaimsgateError(error)) return { result: `THROWN ${String(error)}` };
    return { result: `${error.code} ${error.message} ${JSON.stringify(error.detail)}` };
  }
  const lines: string[] = [];
  serialize(node, lines);
  return { result: `DOM ${createHash('sha256').update(lines.join('\n')).digest('hex')}`, node };
}

function xmlFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return xmlFiles(path);
    return entry.name.endsWith('.xml') ? [path] : [];
  });
}

function record(): Record<string, string> {
  const results: Record<string, string> = {};
  const canonicalForms = new Map<string, string>();
  for (const path of xmlFiles(FIXTURES).sort()) {
    const id = relative(FIXTURES, path);
    const bytes = readFileSync(path);
    const plain = outcome(() => parseXml(bytes).document);
    results[`plain ${id}`] = plain.result;
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    for (const [name, limits] of Object.entries(TIGHT_LIMITS))
      results[`${name} ${id}`] = outcome(() => buildDom(text, limits)).result;
    results[`raw-as-canonical ${id}`] = outcome(() => parseCanonicalXml(text)).result;
    if (plain.node?.nodeType === 9) {
      const root = plain.node.documentElement;
      const canonical = canonicalizeExclusive(root, [], undefined, Number.POSITIVE_INFINITY);
      canonicalForms.set(id, canonical);
      results[`canonical ${id}`] = outcome(() => parseCanonicalXml(canonical)).result;
    }
  }
  for (const id of TRUNCATED) {
    const text = readFileSync(join(FIXTURES, id), 'utf8').replace(/^\uFEFF/, '');
    for (let end = TRUNCATION_STEP; end < text.length; end += TRUNCATION_STEP)
      results[`cut ${end} ${id}`] = outcome(() => parseXml(text.slice(0, end)).document).result;
    const canonical = canonicalForms.get(id) ?? '';
    for (let end = TRUNCATION_STEP; end < canonical.length; end += TRUNCATION_STEP)
      results[`canonical cut ${end} ${id}`] = outcome(() =>
        parseCanonicalXml(canonical.slice(0, end)),
      ).result;
  }
  return results;
}

const [mode, file] = process.argv.slice(2);
if ((mode !== '--write' && mode !== '--check') || file === undefined) {
  console.error('Usage: npx tsx scripts/xml-parse-snapshot.ts --write|--check FILE');
  process.exit(2);
}
const now = record();
if (mode === '--write') {
  writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
  console.log(`${Object.keys(now).length} inputs recorded in ${file}`);
} else {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const ids = new Set([...Object.keys(before), ...Object.keys(now)]);
  let differences = 0;
  for (const id of ids) {
    if (before[id] === now[id]) continue;
    differences += 1;
    console.log(`${id}\n  before: ${before[id]}\n  now:    ${now[id]}`);
  }
  console.log(`${ids.size} inputs, ${differences} different`);
  process.exitCode = differences === 0 ? 0 : 1;
}
