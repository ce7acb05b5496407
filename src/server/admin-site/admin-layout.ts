import { CSRF_FIELD } from '../admin-auth.js';
import { escapeHtml } from '../html.js';
import type { Html } from './admin-html.js';

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
  /** The page's content, already escaped. */
  readonly body: Html;
}

/**
 * The admin shell: a skip link to `<main id="main">`, a header with the
 * product name, the signed-in user and a logout form (POST with the CSRF
 * token), the admin navigation with `aria-current="page"`, and one `<h1>`.
 * No script and no inline style anywhere (the Content-Security-Policy allows
 * neither).
 */
export function renderAdminPage(view: AdminPageView): string {
  const items = ADMIN_NAVIGATION.map(([section, href, text]) => {
    const current = section === view.section ? ' aria-current="page"' : '';
    return `<li><a href="${href}"${current}>${escapeHtml(text)}</a></li>`;
  });
  const flash =
    view.flash === undefined
      ? '<div role="status" class="status-region"></div>'
      : `<div role="status" class="flash"><p>${escapeHtml(view.flash)}</p></div>`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(view.title)} — claimsgate admin</title>`,
    `<link rel="stylesheet" href="${ADMIN_CSS_PATH}">`,
    '</head>',
    '<body>',
    '<a class="skip-link" href="#main">Skip to main content</a>',
    '<header class="site-header">',
    '<p class="product"><a href="/admin">claimsgate admin</a></p>',
    `<p class="user">Signed in as <strong>${escapeHtml(view.user)}</strong></p>`,
    '<form method="post" action="/admin/logout">',
    `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(view.csrf)}">`,
    '<button type="submit" class="button secondary">Sign out</button>',
    '</form>',
    '</header>',
    '<nav aria-label="Admin">',
    `<ul>${items.join('')}</ul>`,
    '</nav>',
    '<main id="main" tabindex="-1">',
    `<h1>${escapeHtml(view.title)}</h1>`,
    flash,
    view.body,
    '</main>',
    '<footer><p>claimsgate — trust that follows the issuer’s metadata.</p></footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
