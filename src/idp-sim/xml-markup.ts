/** Markup that is already well-formed and escaped: only {@link xmlElement} and {@link xmlText} make it. */
export type XmlMarkup = string & { readonly __xmlMarkup: true };

/** Escapes text for an XML text node or a double-quoted attribute value. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

/** A text node. */
export function xmlText(text: string): XmlMarkup {
  return escapeXml(text) as XmlMarkup;
}

/**
 * One element: its qualified name, its attributes (undefined values left
 * out, every value escaped) and its children, which are markup built the same
 * way. Nothing unescaped can reach the output.
 */
export function xmlElement(
  name: string,
  attributes: Readonly<Record<string, string | undefined>>,
  ...children: ReadonlyArray<XmlMarkup | readonly XmlMarkup[]>
): XmlMarkup {
  const attributeText = Object.entries(attributes)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([attribute, value]) => ` ${attribute}="${escapeXml(value)}"`)
    .join('');
  const content = children.flat().join('');
  return (
    content === '' ? `<${name}${attributeText}/>` : `<${name}${attributeText}>${content}</${name}>`
  ) as XmlMarkup;
}
