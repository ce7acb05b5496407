/**
 * A small structural checker for the admin site's HTML: well-formed enough
 * (every element closed in order), one `<h1>`, a label for every control,
 * unique IDs, `aria-describedby` pointing at elements that exist, tables
 * with a caption and scoped headers, the shell's landmarks, a CSRF token in
 * every POST form, and nothing the Content-Security-Policy would block
 * (script, inline style, event handler attributes).
 */

const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
]);

/** One start or end tag. */
interface Tag {
  readonly name: string;
  readonly closing: boolean;
  readonly attributes: Readonly<Record<string, string>>;
  readonly raw: string;
}

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>/g;
const ATTRIBUTE = /\s+([^\s=>/]+)(?:="([^"]*)")?/g;

function decode(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Every tag of a document, in order (the doctype and text are skipped). */
export function readTags(html: string): Tag[] {
  const tags: Tag[] = [];
  for (const match of html.matchAll(TAG)) {
    const attributes: Record<string, string> = {};
    for (const attribute of match[3]!.matchAll(ATTRIBUTE)) {
      attributes[attribute[1]!.toLowerCase()] = decode(attribute[2] ?? '');
    }
    tags.push({ name: match[2]!.toLowerCase(), closing: match[1] === '/', attributes, raw: match[0] });
  }
  return tags;
}

/** Every problem found in a page; empty when it passes. */
export function checkAdminHtml(html: string): string[] {
  const problems: string[] = [];
  const tags = readTags(html);

  // Well-formed enough: a `<` in text must be escaped, so every `<` starts a tag, a comment or the doctype.
  const strayOpen = html.replace(TAG, '').replace(/<!doctype html>/i, '');
  if (strayOpen.includes('<'))
    problems.push(
      `a "<" outside any tag: …${strayOpen.slice(strayOpen.indexOf('<'), strayOpen.indexOf('<') + 40)}…`,
    );

  const stack: string[] = [];
  for (const tag of tags) {
    if (VOID_ELEMENTS.has(tag.name)) {
      if (tag.closing) problems.push(`</${tag.name}> closes a void element`);
      continue;
    }
    if (!tag.closing) {
      stack.push(tag.name);
      continue;
    }
    const open = stack.pop();
    if (open !== tag.name) {
      problems.push(`</${tag.name}> closes <${open ?? 'nothing'}>`);
      break;
    }
  }
  if (stack.length > 0) problems.push(`unclosed elements: ${stack.join(' > ')}`);

  const starts = tags.filter((tag) => !tag.closing);
  const count = (name: string): number => starts.filter((tag) => tag.name === name).length;
  if (count('h1') !== 1) problems.push(`${count('h1')} <h1> elements; expected exactly 1`);
  if (starts.find((tag) => tag.name === 'html')?.attributes.lang === undefined)
    problems.push('<html> has no lang');

  const ids = new Map<string, number>();
  for (const tag of starts) {
    const id = tag.attributes.id;
    if (id !== undefined) ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  for (const [id, times] of ids) if (times > 1) problems.push(`id "${id}" is used ${times} times`);

  const labelled = new Set(starts.filter((tag) => tag.name === 'label').map((tag) => tag.attributes.for));
  for (const tag of starts) {
    const type = tag.attributes.type ?? 'text';
    const control =
      tag.name === 'select' ||
      tag.name === 'textarea' ||
      (tag.name === 'input' && !['hidden', 'submit', 'button', 'reset', 'image'].includes(type));
    if (control) {
      const id = tag.attributes.id;
      if (id === undefined || !labelled.has(id)) problems.push(`a control without a <label for>: ${tag.raw}`);
    }
    const describedBy = tag.attributes['aria-describedby'];
    for (const reference of describedBy?.split(/\s+/) ?? []) {
      if (!ids.has(reference)) problems.push(`aria-describedby="${reference}" names no element`);
    }
    if (tag.name === 'script') problems.push('a <script> element');
    for (const name of Object.keys(tag.attributes)) {
      if (name === 'style' || name.startsWith('on')) problems.push(`a ${name}= attribute: ${tag.raw}`);
    }
    if (tag.name === 'th' && tag.attributes.scope === undefined)
      problems.push(`a <th> without scope: ${tag.raw}`);
  }
  for (const label of starts.filter((tag) => tag.name === 'label')) {
    const target = label.attributes.for;
    if (target === undefined || !ids.has(target)) problems.push(`<label for="${target}"> names no control`);
  }

  // Tables: the caption is the first child.
  tags.forEach((tag, index) => {
    if (tag.name === 'table' && !tag.closing && tags[index + 1]?.name !== 'caption')
      problems.push('a <table> without a <caption> first');
  });

  // Forms: every POST carries the CSRF token.
  let inPostForm = false;
  let hasToken = false;
  for (const tag of tags) {
    if (tag.name === 'form' && !tag.closing) {
      inPostForm = tag.attributes.method === 'post';
      hasToken = false;
    } else if (tag.name === 'input' && tag.attributes.name === '_csrf' && tag.attributes.value !== '') {
      hasToken = true;
    } else if (tag.name === 'form' && tag.closing) {
      if (inPostForm && !hasToken) problems.push('a POST form without a _csrf field');
      inPostForm = false;
    }
  }

  // The shell: skip link, main landmark, navigation with the current page, status region.
  if (!starts.some((tag) => tag.name === 'a' && tag.attributes.href === '#main'))
    problems.push('no skip link to #main');
  if (!starts.some((tag) => tag.name === 'main' && tag.attributes.id === 'main'))
    problems.push('no <main id="main">');
  const nav = starts.filter((tag) => tag.name === 'nav' && tag.attributes['aria-label'] === 'Admin');
  if (nav.length !== 1) problems.push(`${nav.length} <nav aria-label="Admin">; expected 1`);
  const current = starts.filter((tag) => tag.attributes['aria-current'] === 'page');
  if (current.length !== 1) problems.push(`${current.length} links with aria-current="page"; expected 1`);
  if (!starts.some((tag) => tag.attributes.role === 'status')) problems.push('no role="status" region');
  if (!starts.some((tag) => tag.name === 'form' && tag.attributes.action === '/admin/logout'))
    problems.push('no logout form');
  return problems;
}
