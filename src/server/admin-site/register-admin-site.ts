import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '../../lib/error-codes.js';
import { isClaimsgateError } from '../../lib/errors.js';
import { html } from '../../lib/html.js';
import { isStoreFailure, storeFailureStatus } from '../error-page.js';
import type { GatewayServices } from '../gateway-services.js';
import { renderPage } from '../html.js';
import { ADMIN_CSS } from './admin-css.js';
import { ADMIN_CSS_PATH, ADMIN_NAVIGATION, type AdminSection } from './admin-layout.js';
import { adminContextOf, sendAdminError, setAdminSecurityHeaders, statusOfError } from './admin-responses.js';
import { registerAuditPage } from './audit-page.js';
import { registerImportPages } from './import-pages.js';
import { registerIssuerPage } from './issuer-page.js';
import { registerIssuersPage } from './issuers-page.js';
import { registerKeyPages } from './key-pages.js';
import { registerKeyStateChange } from './key-state-pages.js';
import { registerMappingPages } from './mappings-pages.js';
import { registerRealmPages } from './realms-pages.js';
import { registerToolPages } from './tool-pages.js';

/** The navigation section a URL belongs to (for error pages). */
function sectionOf(url: string): AdminSection {
  const path = url.split('?')[0] ?? '';
  const match = ADMIN_NAVIGATION.find(([, href]) => href !== '/admin' && path.startsWith(href));
  return match === undefined ? 'issuers' : match[0];
}

/** A bare page for a request the site could not even read (no admin shell: the caller may not be an admin). */
function sendBarePage(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  setAdminSecurityHeaders(reply);
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(renderPage(title, html`<p>${text}</p><p><a href="/admin">Admin home</a></p>`));
}

/**
 * Answers an error no page handled: a ClaimsgateError (an unknown issuer, a
 * store outage…) becomes a page in the admin shell with its status; a request
 * Fastify refused (unreadable body) a bare page with its status; anything
 * else a 500 page.
 *
 * SECURITY: an unexpected error's message may carry internals; it goes to the
 * log, never to the page.
 */
function handleSiteError(
  services: GatewayServices,
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isStoreFailure(error)) {
    // SECURITY: the store's message names the database and host; the admin gets the code and the request ID.
    request.log.error({ err: error, code: error.code, detail: error.detail }, 'admin page: the store failed');
    return sendBarePage(
      reply,
      storeFailureStatus(error),
      'Service unavailable',
      `${error.code}: ${ERROR_CODES[error.code].meaning} Support ID: ${String(request.id)}.`,
    );
  }
  if (isClaimsgateError(error) && services.admin.adminOf(request) !== undefined) {
    return sendAdminError(reply, adminContextOf(request, services), error, {
      section: sectionOf(request.url),
      title: 'Request refused',
      back: '/admin',
    });
  }
  if (isClaimsgateError(error)) {
    return sendBarePage(
      reply,
      statusOfError(error.code),
      'Request refused',
      `${error.code}: ${error.message}`,
    );
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status < 500) {
    request.log.info({ err: error }, 'admin request could not be read');
    return sendBarePage(reply, status, 'Request refused', 'The request could not be read.');
  }
  request.log.error({ err: error }, 'admin page failed');
  return sendBarePage(
    reply,
    500,
    'Something went wrong',
    'The page could not be shown; the error was logged.',
  );
}

/**
 * Registers the admin site: server-rendered pages under `/admin` that work
 * without JavaScript (issuers and their keys, import from metadata with a
 * diff preview, add a key with a visible normalisation step, revoke,
 * realms, claim mappings, audit log, thumbprint calculator, health), and
 * the style sheet at `/admin/assets/admin.css`. `/admin/login` and
 * `/admin/logout` are not here (see admin-login.ts).
 *
 * Every page route has `requireAdmin('page')`: anonymous callers are sent to
 * `/admin/login`, non-admins and POSTs without the session's CSRF token get
 * a 403 page. Every response of the site carries
 * {@link ADMIN_SECURITY_HEADERS}. Nothing is registered when
 * `admin.enabled` is false.
 */
export function registerAdminSite(app: FastifyInstance, services: GatewayServices): void {
  if (!services.config.admin.enabled) return;
  void app.register((site, _options, done) => {
    site.addHook('onRequest', (_request, reply, next) => {
      setAdminSecurityHeaders(reply);
      next();
    });
    site.setErrorHandler((error: FastifyError | Error, request, reply) =>
      handleSiteError(services, error, request, reply),
    );
    site.get(ADMIN_CSS_PATH, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(ADMIN_CSS),
    );
    registerIssuersPage(site, services);
    registerImportPages(site, services);
    registerIssuerPage(site, services);
    registerKeyPages(site, services);
    registerKeyStateChange(site, services, 'revoke');
    registerKeyStateChange(site, services, 'reactivate');
    registerRealmPages(site, services);
    registerMappingPages(site, services);
    registerAuditPage(site, services);
    registerToolPages(site, services);
    done();
  });
}
