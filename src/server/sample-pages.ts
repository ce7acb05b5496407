import type { FastifyInstance } from 'fastify';
import { html, joinHtml } from '../lib/html.js';
import { CSRF_FIELD } from './csrf-names.js';
import type { GatewayServices } from './gateway-services.js';
import { renderPage } from './html.js';

/**
 * Registers `GET /`, the small protected sample page: signed in, it shows
 * the user, the issuer and the session's claims; signed out, it redirects to
 * sign-in with `/` as the return URL.
 */
export function registerSamplePages(app: FastifyInstance, services: GatewayServices): void {
  app.get('/', async (request, reply) => {
    const session = services.sessions.sessionOf(request);
    if (session === undefined) return reply.redirect('/signin?returnUrl=%2F', 302);
    const rows = Object.entries(session.claims).map(
      ([type, values]) => html`<tr><th scope="row">${type}</th><td>${joinHtml(values, '<br>')}</td></tr>`,
    );
    const body = joinHtml(
      [
        html`<p>Signed in as <strong>${session.user}</strong> through <strong>${session.issuer}</strong>.</p>`,
        html`<table>`,
        html`<caption>Claims</caption>`,
        html`<thead><tr><th scope="col">Claim type</th><th scope="col">Values</th></tr></thead>`,
        html`<tbody>\n${joinHtml(rows, '\n')}\n</tbody>`,
        html`</table>`,
        html`<form method="post" action="/signout"><input type="hidden" name="${CSRF_FIELD}" value="${services.admin.csrfToken(session)}"><button type="submit">Sign out</button></form>`,
      ],
      '\n',
    );
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(renderPage('Signed in', body));
  });
}
