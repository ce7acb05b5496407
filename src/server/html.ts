/** HTML output: escaping and the page shell every gateway page uses. */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an HTML element body or a quoted attribute value.
 *
 * SECURITY: every value that reaches a page (user names, claims, URLs) goes
 * through here, so none of it can open markup or leave an attribute (XSS).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/**
 * A complete HTML document around already-escaped body markup; no script
 * anywhere. `stylesheet` is a same-origin path to link (the admin pages').
 */
export function renderPage(title: string, bodyHtml: string, stylesheet?: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    ...(stylesheet === undefined ? [] : [`<link rel="stylesheet" href="${escapeHtml(stylesheet)}">`]),
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(title)}</h1>`,
    bodyHtml,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
