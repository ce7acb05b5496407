import { html, joinHtml, type SafeHtml } from '../lib/html.js';
import type { IssuerRecord } from '../store/model.js';
import { renderPage } from './html.js';

/** The name of the e-mail field of the home-realm page: submitted, it is `?login_hint=` (as Azure AD's). */
export const LOGIN_HINT_FIELD = 'login_hint';

/** What the home-realm page shows besides the issuers it lists. */
export interface HomeRealmPageOptions {
  /** The URL the sign-in returns to, carried by every link and the form. */
  readonly returnUrl: string;
  /** Ask for an e-mail address (and route by its domain). */
  readonly askEmail: boolean;
  /** Why the address given could not be used; shown above the form. */
  readonly problem?: string | undefined;
  /** The address given, to fill the form in again (escaped like any text). */
  readonly address?: string | undefined;
}

/** The e-mail form: a GET to `/signin`, so it needs no CSRF token and no JavaScript. */
function emailForm(options: HomeRealmPageOptions): SafeHtml {
  return joinHtml(
    [
      html`<form method="get" action="/signin">`,
      html`<input type="hidden" name="returnUrl" value="${options.returnUrl}">`,
      html`<p><label for="${LOGIN_HINT_FIELD}">Your work e-mail address</label></p>`,
      html`<p><input type="text" id="${LOGIN_HINT_FIELD}" name="${LOGIN_HINT_FIELD}" inputmode="email" autocomplete="email" autocapitalize="off" spellcheck="false" required value="${options.address ?? ''}"></p>`,
      html`<p><button type="submit">Continue</button></p>`,
      html`</form>`,
    ],
    '\n',
  );
}

/** One link per issuer: `?whr=<name>`, shown with its description when it has one. */
function issuerLinks(issuers: readonly IssuerRecord[], returnUrl: string): SafeHtml {
  const links = issuers.map((issuer) => {
    const query = new URLSearchParams({ returnUrl, whr: issuer.name });
    const text = issuer.description === '' ? issuer.name : issuer.description;
    return html`<li><a href="/signin?${query.toString()}">${text}</a></li>`;
  });
  return html`<nav aria-label="Identity providers">\n<ul>\n${joinHtml(links, '\n')}\n</ul>\n</nav>`;
}

/**
 * The home-realm discovery page, without JavaScript: the e-mail form when
 * asked for (with the problem of the address given, if any), and the links
 * to `issuers` (none when there are too many to list).
 */
export function renderHomeRealmPage(issuers: readonly IssuerRecord[], options: HomeRealmPageOptions): string {
  const parts: SafeHtml[] = [];
  if (options.problem !== undefined) parts.push(html`<p role="alert">${options.problem}</p>`);
  if (options.askEmail) parts.push(emailForm(options));
  if (issuers.length > 0) {
    if (options.askEmail) parts.push(html`<p>Or choose where you sign in:</p>`);
    parts.push(issuerLinks(issuers, options.returnUrl));
  }
  return renderPage(
    options.askEmail && issuers.length === 0 ? 'Sign in' : 'Choose how to sign in',
    joinHtml(parts, '\n'),
  );
}
