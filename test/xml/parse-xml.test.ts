import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { childElements } from '../../src/xml/dom.js';
import { DEFAULT_XML_LIMITS, parseXml } from '../../src/xml/parse-xml.js';
import { fixturesDir, readFixture } from '../helpers/fixtures.js';

function assertCode(input: string | Uint8Array, code: string, limits = {}): void {
  assert.throws(
    () => parseXml(input, limits),
    (error: unknown) => isClaimsgateError(error) && error.code === code,
    `expected ${code}`,
  );
}

describe('parseXml', () => {
  it('parses real metadata that starts with a UTF-8 byte order mark', () => {
    const { root } = parseXml(readFixture('metadata/aad-tenant.federationmetadata.xml'));
    assert.equal(root.localName, 'EntityDescriptor');
  });

  it('parses CRLF line endings and keeps text as written', () => {
    const { root } = parseXml('<a>\r\n<b>x</b>\r\n</a>');
    assert.equal(childElements(root, undefined, 'b')[0]?.textContent, 'x');
  });

  it('allows comments and an XML declaration around the root', () => {
    const { root } = parseXml('<?xml version="1.0" encoding="utf-8"?>\n<!-- c --><a/>\n<!-- d -->\n');
    assert.equal(root.localName, 'a');
  });

  it('refuses an external entity (XXE) before parsing', () => {
    assertCode(
      '<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]><a>&xxe;</a>',
      'CG_XML_DTD_FORBIDDEN',
    );
  });

  it('refuses a parameter-entity DTD that would fetch a remote document', () => {
    assertCode(
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % dtd SYSTEM "http://127.0.0.1:9/evil.dtd">%dtd;]><r/>',
      'CG_XML_DTD_FORBIDDEN',
    );
  });

  it('refuses billion laughs quickly', () => {
    const lol = [
      '<!DOCTYPE lolz [<!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']><lolz>&lol9;</lolz>',
    ].join('');
    const started = process.hrtime.bigint();
    assertCode(lol, 'CG_XML_DTD_FORBIDDEN');
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n);
  });

  it('refuses a bare DOCTYPE without entities', () => {
    assertCode('<!DOCTYPE Response><Response/>', 'CG_XML_DTD_FORBIDDEN');
    assertCode('<!doctype Response><Response/>', 'CG_XML_DTD_FORBIDDEN');
  });

  it('refuses two root elements', () => {
    assertCode('<Response/><Response>evil</Response>', 'CG_XML_MULTIPLE_ROOTS');
  });

  it('refuses text or a processing instruction outside the root', () => {
    assertCode('<a/>trailing', 'CG_XML_MULTIPLE_ROOTS');
    assertCode('<a/><?evil data?>', 'CG_XML_MULTIPLE_ROOTS');
  });

  it('refuses a document over the size limit before parsing', () => {
    assertCode(`<a>${'x'.repeat(2000)}</a>`, 'CG_XML_TOO_LARGE', { maxBytes: 1000 });
  });

  it('refuses deep nesting, including a hundred thousand levels, quickly', () => {
    assertCode(`${'<a>'.repeat(65)}${'</a>'.repeat(65)}`, 'CG_XML_TOO_DEEP');
    const started = process.hrtime.bigint();
    assertCode(`${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`, 'CG_XML_TOO_DEEP');
    assert.ok(process.hrtime.bigint() - started < 2_000_000_000n);
  });

  it('accepts nesting up to the limit', () => {
    const { root } = parseXml(`${'<a>'.repeat(64)}${'</a>'.repeat(64)}`);
    assert.equal(root.localName, 'a');
  });

  it('refuses truncated, broken and non-XML input', () => {
    assertCode('<EntityDescriptor><RoleDescriptor>', 'CG_XML_MALFORMED');
    assertCode('<a><b></a>', 'CG_XML_MALFORMED');
    assertCode('{"issuer":"x"}', 'CG_XML_MALFORMED');
    assertCode('', 'CG_XML_MALFORMED');
    assertCode('   ', 'CG_XML_MALFORMED');
    assertCode('<a b="1" b="2"/>', 'CG_XML_MALFORMED');
    assertCode('<a>&undefined;</a>', 'CG_XML_MALFORMED');
  });

  it('refuses bytes that are not valid in the declared encoding', () => {
    assertCode(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), 'CG_XML_MALFORMED');
    assertCode(Buffer.from('<?xml version="1.0" encoding="EBCDIC"?><a/>'), 'CG_XML_MALFORMED');
  });

  it('decodes an ISO-8859-1 document as declared', () => {
    const bytes = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>'),
      Buffer.from([0xfc]),
      Buffer.from('</a>'),
    ]);
    assert.equal(parseXml(bytes).root.textContent, 'ü');
  });

  it('never throws anything but a coded error on random garbage', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const alphabet = '<>/="\' abc:!?-[]&;#x\n';
    for (let i = 0; i < 500; i += 1) {
      const length = random() % 80;
      let text = '';
      for (let j = 0; j < length; j += 1) text += alphabet[random() % alphabet.length];
      try {
        parseXml(text);
      } catch (error) {
        assert.ok(isClaimsgateError(error), `non-coded error for ${JSON.stringify(text)}: ${String(error)}`);
      }
    }
  });

  it('parses every real metadata document in the fixtures with a tenth of each count limit', () => {
    const tenth = Object.fromEntries(
      Object.entries(DEFAULT_XML_LIMITS)
        .filter(([name]) => name !== 'maxBytes' && name !== 'maxDepth')
        .map(([name, value]) => [name, Math.floor(value / 10)]),
    );
    const files = readdirSync(join(fixturesDir, 'metadata')).filter((file) => file.endsWith('.xml'));
    assert.ok(files.length >= 5);
    for (const file of files) assert.ok(parseXml(readFixture(`metadata/${file}`), tenth).root, file);
  });

  it('applies its default count limits', () => {
    const attributes = Array.from({ length: 65 }, (_, i) => ` a${i}="v"`).join('');
    assertCode(`<a${attributes}/>`, 'CG_XML_TOO_MANY_ATTRIBUTES');
    const declarations = Array.from({ length: 33 }, (_, i) => ` xmlns:p${i}="u"`).join('');
    assertCode(`<a${declarations}/>`, 'CG_XML_TOO_MANY_NAMESPACES');
    assertCode(`<a>${'<b/>'.repeat(100_000)}</a>`, 'CG_XML_TOO_MANY_ELEMENTS');
    assertCode(`<a>${'x<!---->'.repeat(125_000)}</a>`, 'CG_XML_TOO_MANY_NODES');
    assertCode(`<a>${'<b xmlns="u"/>'.repeat(20_001)}</a>`, 'CG_XML_TOO_MANY_NAMESPACES');
  });

  it('takes tighter or looser limits, and refuses a limit that is not a positive integer', () => {
    assertCode('<a><b/><b/></a>', 'CG_XML_TOO_MANY_ELEMENTS', { maxElements: 2 });
    assert.equal(parseXml('<a b="1"/>', { maxAttributesPerElement: 1 }).root.localName, 'a');
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => parseXml('<a/>', { maxNodes: bad }), TypeError);
    }
    assert.throws(() => parseXml('<a/>', { maxWidgets: 1 } as never), TypeError);
  });
});
