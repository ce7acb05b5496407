import type { FastifyReply } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../../lib/error-codes.js';
import { html, joinHtml, type SafeHtml } from '../../lib/html.js';
import type { Session } from '../../session/session-cookie.js';
import { CSRF_FIELD } from '../csrf-names.js';
import { ADMIN_CSS_PATH } from '../admin-site/admin-layout.js';
import { renderPage } from '../html.js';

/* The pages of the admin sign-in (see admin-login.ts): server-rendered, no script. */

/**
 * The headers of every login page. SECURITY: the page holds a password
 * field, so it may not be framed (clickjacking), cached, or given a script.
 */
export const LOGIN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** What the login page shows besides the form. */
export interface LoginPageState {
  readonly csrfToken: string;
  readonly returnPath: string;
  /** A user name to fill in again (only a well-formed one). */
  readonly username?: string;
  /** One message for the user: a refusal, never naming which field was wrong. */
  readonly message?: string;
  /** The issuers admins may sign in with, when `admin.adminClaim` is set: name and link text. */
  readonly issuers: readonly { readonly name: string; readonly text: string }[];
  /** The signed-in user, when they are not an administrator. */
  readonly signedInAs?: string;
}

/** The sign-in form, with the one message of a refusal and the issuers admins may use. */
export function renderLoginPage(state: LoginPageState): string {
  const described = state.message !== undefined && html` aria-describedby="login-message"`;
  const parts: SafeHtml[] = [];
  if (state.message !== undefined) parts.push(html`<p id="login-message" role="alert">${state.message}</p>`);
  if (state.signedInAs !== undefined)
    parts.push(
      html`<p>You are signed in as ${state.signedInAs}, who is not an administrator. Sign in with an admin account below.</p>`,
    );
  parts.push(
    html`<form method="post" action="/admin/login">`,
    html`<input type="hidden" name="${CSRF_FIELD}" value="${state.csrfToken}">`,
    html`<input type="hidden" name="returnUrl" value="${state.returnPath}">`,
    html`<p><label for="username">User name</label><br>`,
    html`<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="64" required value="${state.username ?? ''}"${described}></p>`,
    html`<p><label for="password">Password</label><br>`,
    html`<input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required${described}></p>`,
    html`<p><button type="submit">Sign in</button></p>`,
    html`</form>`,
  );
  if (state.issuers.length > 0) {
    const links = state.issuers.map((issuer) => {
      const query = new URLSearchParams({ returnUrl: state.returnPath, whr: issuer.name });
      return html`<li><a href="/signin?${query.toString()}">Sign in with ${issuer.text}</a></li>`;
    });
    parts.push(
      html`<nav aria-labelledby="issuers-heading">`,
      html`<h2 id="issuers-heading">Or sign in with your organisation</h2>`,
      html`<ul>\n${joinHtml(links, '\n')}\n</ul>`,
      html`</nav>`,
    );
  }
  return renderPage('Sign in to the claimsgate admin site', joinHtml(parts, '\n'), ADMIN_CSS_PATH);
}

/** The page an administrator already signed in gets: where to go, and a sign-out button. */
export function renderSignedInPage(session: Session, csrfToken: string, returnPath: string): string {
  return renderPage(
    'Signed in to the claimsgate admin site',
    joinHtml(
      [
        html`<p>You are signed in as ${session.user}.</p>`,
        html`<p><a href="${returnPath}">Go to the admin site</a></p>`,
        html`<form method="post" action="/admin/logout">`,
        html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">`,
        html`<p><button type="submit">Sign out</button></p>`,
        html`</form>`,
      ],
      '\n',
    ),
  );
}

/** A refusal: the code and the registry's meaning of it (nothing from the request). */
export function renderRefusalPage(code: ErrorCode): string {
  return renderPage(
    'Request refused',
    joinHtml(
      [
        html`<p>Error code: <code>${code}</code></p>`,
        html`<p>${ERROR_CODES[code].meaning}</p>`,
        html`<p><a href="/admin">Back to the admin site</a></p>`,
      ],
      '\n',
    ),
  );
}

/** Sends a login page with {@link LOGIN_PAGE_HEADERS}. */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(LOGIN_PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
}
