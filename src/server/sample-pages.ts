import type { FastifyInstance } from 'fastify';
import { CSRF_FIELD } from './admin-auth.js';
import type { GatewayServices } from './gateway-services.js';
import { escapeHtml, renderPage } from './html.js';

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
      ([type, values]) =>
        `<tr><th scope="row">${escapeHtml(type)}</th><td>${values.map(escapeHtml).join('<br>')}</td></tr>`,
    );
    const body = [
      `<p>Signed in as <strong>${escapeHtml(session.user)}</strong> through <strong>${escapeHtml(session.issuer)}</strong>.</p>`,
      '<table>',
      '<caption>Claims</caption>',
      '<thead><tr><th scope="col">Claim type</th><th scope="col">Values</th></tr></thead>',
      `<tbody>\n${rows.join('\n')}\n</tbody>`,
      '</table>',
      `<form method="post" action="/signout"><input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(services.admin.csrfToken(session))}"><button type="submit">Sign out</button></form>`,
    ].join('\n');
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(renderPage('Signed in', body));
  });
}
