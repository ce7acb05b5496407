import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { html, joinHtml, trustedHtml, type SafeHtml } from '../lib/html.js';

/** HTML that is already escaped: the simulator's pages are written with `html` (src/lib/html.ts). */
export type Html = SafeHtml;

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}' +
  'button{font:inherit;padding:.6rem 1rem;margin:.25rem 0;min-width:16rem;text-align:left;cursor:pointer}' +
  'fieldset{border:1px solid #999;margin:1rem 0}code{word-break:break-all}.muted{color:#555}';

/** The one inline script the simulator serves: it submits the form a page carries. */
const AUTO_SUBMIT = 'document.forms[0].submit();';
const AUTO_SUBMIT_HASH = createHash('sha256').update(AUTO_SUBMIT).digest('base64');

/** A whole page: language, title, viewport, the shared style and the body. */
export function renderPage(title: string, body: Html, head: Html = html``): Html {
  return html`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${trustedHtml(STYLE)}</style>${head}</head><body><main>${body}</main></body></html>`;
}

/** Hidden inputs carrying `fields` (undefined values left out). */
export function hiddenInputs(fields: Readonly<Record<string, string | undefined>>): Html {
  return joinHtml(
    Object.entries(fields)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`),
  );
}

/**
 * A page that POSTs `fields` to `action` by itself, with a visible Continue
 * button for a browser without JavaScript — how an identity provider hands a
 * token to a relying party (WS-Federation wresult, SAML POST binding,
 * OpenID Connect form_post).
 */
export function renderAutoPostPage(
  action: string,
  fields: Readonly<Record<string, string | undefined>>,
): Html {
  return renderPage(
    'Signing you in',
    html`<h1>Signing you in…</h1><form method="post" action="${action}">${hiddenInputs(fields)}<p>If nothing happens, press Continue.</p><button type="submit">Continue</button></form><script>${trustedHtml(AUTO_SUBMIT)}</script>`,
  );
}

/**
 * Sends a page with headers that keep it from being framed (clickjacking a
 * user picker), cached or scripted beyond the one auto-submit script.
 */
export function sendHtml(reply: FastifyReply, page: Html, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${AUTO_SUBMIT_HASH}'; ` +
        `form-action http: https: 'self'; frame-ancestors 'none'; base-uri 'none'`,
    )
    .send(page.toString());
}
