import { buildDom } from './build-dom.js';
import type { XmlElement } from './light-dom.js';

/**
 * Parses the output of exclusive XML canonicalisation — the exact bytes a
 * signature's digest covers — so that identity is read from those bytes alone.
 *
 * Canonical XML has a narrow grammar (XML-C14N 1.0 §1.1, Exclusive XML-C14N
 * §3): no declaration, DTD, comment, processing instruction or CDATA; every
 * element with start and end tags; attributes in double quotes; only the
 * references `&amp; &lt; &gt; &quot; &#x9; &#xA; &#xD;`; every prefix declared
 * where it is used. Anything else is refused: bytes that are not canonical
 * were not produced by the canonicaliser and must not be read.
 *
 * @throws ClaimsgateError `CG_XML_MALFORMED` for text that is not canonical XML.
 */
export function parseCanonicalXml(text: string): XmlElement {
  return buildDom(text, { canonical: true }).documentElement;
}
