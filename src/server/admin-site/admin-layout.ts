/** The shell around every admin page, written with `html` like the gateway's pages (src/server/html.ts). */
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import { CSRF_FIELD } from '../csrf-names.js';

/** The sections of the admin site, in navigation order. */
export type AdminSection = 'issuers' | 'realms' | 'mappings' | 'audit' | 'thumbprint' | 'health';

/** The navigation: section, path, link text. */
export const ADMIN_NAVIGATION: readonly (readonly [AdminSection, string, string])[] = [
  ['issuers', '/admin', 'Issuers'],
  ['realms', '/admin/realms', 'Realms'],
  ['mappings', '/admin/mappings', 'Claim mappings'],
  ['audit', '/admin/audit', 'Audit log'],
  ['thumbprint', '/admin/thumbprint', 'Thumbprint calculator'],
  ['health', '/admin/health', 'Health'],
];

/** The path of the style sheet. */
export const ADMIN_CSS_PATH = '/admin/assets/admin.css';

/** Everything the shell around a page needs. */
export interface AdminPageView {
  /** The page's one `<h1>`, also the start of `<title>`. */
  readonly title: string;
  readonly section: AdminSection;
  /** The signed-in administrator, shown in the header. */
  readonly user: string;
  /** The session's CSRF token, for the logout form. */
  readonly csrf: string;
  /** A one-line status message (after a redirect), shown in `role="status"`. */
  readonly flash?: string | undefined;
  /** The page's content. */
  readonly body: SafeHtml;
}

/**
 * The admin shell: a skip link to `<main id="main">`, a header with the
 * product name, the signed-in user and a logout form (POST with the CSRF
 * token), the admin navigation with `aria-current="page"`, and one `<h1>`.
 * No script and no inline style anywhere (the Content-Security-Policy allows
 * neither).
 */
export function renderAdminPage(view: AdminPageView): SafeHtml {
  const items = ADMIN_NAVIGATION.map(
    ([section, href, text]) =>
      html`<li><a href="${href}"${section === view.section && html` aria-current="page"`}>${text}</a></li>`,
  );
  const flash =
    view.flash === undefined
      ? html`<div role="status" class="status-region"></div>`
      : html`<div role="status" class="flash"><p>${view.flash}</p></div>`;
  return joinHtml(
    [
      html`<!doctype html>`,
      html`<html lang="en">`,
      html`<head>`,
      html`<meta charset="utf-8">`,
      html`<meta name="viewport" content="width=device-width, initial-scale=1">`,
      html`<title>${view.title} — claimsgate admin</title>`,
      html`<link rel="stylesheet" href="${ADMIN_CSS_PATH}">`,
      html`</head>`,
      html`<body>`,
      html`<a class="skip-link" href="#main">Skip to main content</a>`,
      html`<header class="site-header">`,
      html`<p class="product"><a href="/admin">claimsgate admin</a></p>`,
      html`<p class="user">Signed in as <strong>${view.user}</strong></p>`,
      html`<form method="post" action="/admin/logout">`,
      html`<input type="hidden" name="${CSRF_FIELD}" value="${view.csrf}">`,
      html`<button type="submit" class="button secondary">Sign out</button>`,
      html`</form>`,
      html`</header>`,
      html`<nav aria-label="Admin">`,
      html`<ul>${items}</ul>`,
      html`</nav>`,
      html`<main id="main" tabindex="-1">`,
      html`<h1>${view.title}</h1>`,
      flash,
      view.body,
      html`</main>`,
      html`<footer><p>claimsgate — trust that follows the issuer’s metadata.</p></footer>`,
      html`</body>`,
      html`</html>`,
      html``,
    ],
    '\n',
  );
}
