/** The page shell every gateway page uses; markup is written with `html` (src/lib/html.ts). */
import { html, joinHtml, type SafeHtml } from '../lib/html.js';

/**
 * A complete HTML document around body markup; no script anywhere.
 * `stylesheet` is a same-origin path to link (the admin pages').
 */
export function renderPage(title: string, body: SafeHtml, stylesheet?: string): string {
  return joinHtml(
    [
      html`<!doctype html>`,
      html`<html lang="en">`,
      html`<head>`,
      html`<meta charset="utf-8">`,
      html`<meta name="viewport" content="width=device-width, initial-scale=1">`,
      html`<title>${title}</title>`,
      ...(stylesheet === undefined ? [] : [html`<link rel="stylesheet" href="${stylesheet}">`]),
      html`</head>`,
      html`<body>`,
      html`<main>`,
      html`<h1>${title}</h1>`,
      body,
      html`</main>`,
      html`</body>`,
      html`</html>`,
      html``,
    ],
    '\n',
  ).toString();
}
