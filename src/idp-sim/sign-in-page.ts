import { html } from '../lib/html.js';
import { hiddenInputs, renderPage, type Html } from './html-pages.js';
import type { TestUser } from './test-users.js';

/** What the user-picker page shows and where its form goes. */
export interface SignInPageInput {
  readonly tenant: string;
  /** The protocol, for the heading: `WS-Federation`, `SAML 2.0`, `OpenID Connect`. */
  readonly protocol: string;
  /** Who asks for the sign-in: wtrealm, the AuthnRequest Issuer, or the client_id. */
  readonly relyingParty: string;
  /** Where the form POSTs the choice. */
  readonly action: string;
  /** The request's parameters, carried through the form unchanged. */
  readonly fields: Readonly<Record<string, string | undefined>>;
  readonly users: readonly TestUser[];
  /** WS-Federation only: offer the token type, with this one preselected. */
  readonly tokenType?: 'saml2' | 'saml11';
}

function tokenTypeChoice(selected: 'saml2' | 'saml11'): Html {
  const option = (value: string, label: string): Html =>
    html`<label><input type="radio" name="tokenType" value="${value}"${value === selected && html` checked`}> ${label}</label><br>`;
  return html`<fieldset><legend>Token type</legend>${option('saml2', 'SAML 2.0')}${option('saml11', 'SAML 1.1')}</fieldset>`;
}

/**
 * The test-user picker: one form, one submit button per user, so that it
 * works with a keyboard, a screen reader and no JavaScript. Every echoed
 * value is escaped.
 */
export function renderSignInPage(input: SignInPageInput): Html {
  const buttons = input.users.map(
    (user) =>
      html`<li><button type="submit" name="user" value="${user.id}">${user.displayName} <span class="muted">(${user.upn}${user.roles.length > 0 && html`, ${user.roles.join(', ')}`})</span></button></li>`,
  );
  return renderPage(
    'Sign in — claimsgate IdP simulator',
    html`<h1>Sign in</h1><p>claimsgate IdP simulator, tenant <code>${input.tenant}</code>. ${input.protocol} sign-in for <code>${input.relyingParty}</code>.</p><form method="post" action="${input.action}">${hiddenInputs(input.fields)}${input.tokenType !== undefined && tokenTypeChoice(input.tokenType)}<h2 id="pick">Pick a test user</h2><ul aria-labelledby="pick">${buttons}</ul></form><p class="muted">Test users only: no password is asked.</p>`,
  );
}
