/**
 * What every admin page does with its request and reply: the signed-in
 * admin's context, the security headers, signed flash messages for
 * POST-redirect-GET, form fields, and ClaimsgateErrors turned into pages.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminActor } from '../../management/service.js';
import { ERROR_CODES, type ErrorCode } from '../../lib/error-codes.js';
import type { ClaimsgateError } from '../../lib/errors.js';
import { html, type SafeHtml } from '../../lib/html.js';
import type { Session } from '../../session/session-cookie.js';
import type { Actor } from '../../store/model.js';
import { isStoreFailure } from '../error-page.js';
import type { GatewayServices } from '../gateway-services.js';
import { errorSummary, UNCHECKED } from './admin-html.js';
import { renderAdminPage, type AdminSection } from './admin-layout.js';

/**
 * The headers on every admin page, redirect and refusal.
 *
 * SECURITY: the CSP allows no script at all and styles only from this origin
 * (an injected `<script>` or `style=` would not run), forms may post only
 * here, no site may frame the admin pages (clickjacking), and `<base>` cannot
 * be injected to redirect relative links. `no-store` keeps pages with trust
 * data and CSRF tokens out of shared and browser caches.
 */
export const ADMIN_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
});

/** Sets {@link ADMIN_SECURITY_HEADERS} on a reply. */
export function setAdminSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(ADMIN_SECURITY_HEADERS)) reply.header(name, value);
}

/** Who is acting on an admin page. */
export interface ManagementContext {
  readonly session: Session;
  /** The signed-in user, as shown in the header. */
  readonly user: string;
  /** The actor recorded in the audit log (`admin:<user>`). */
  readonly actor: Actor;
  /** The session's CSRF token, for every form. */
  readonly csrf: string;
}

/**
 * The admin context of a request that passed `requireAdmin('page')`.
 *
 * @throws TypeError when the route was registered without the guard (a
 *   programming mistake: the guard is what makes a session present here).
 */
export function adminContextOf(request: FastifyRequest, services: GatewayServices): ManagementContext {
  const session = services.admin.adminOf(request);
  if (session === undefined) throw new TypeError(`${request.url}: admin page served without requireAdmin.`);
  return {
    session,
    user: session.user,
    actor: adminActor(session),
    csrf: services.admin.csrfToken(session),
  };
}

const FLASH_PARAMETER = 'flash';
const FLASH_SIGNATURE_PARAMETER = 'flash_sig';
const MAX_FLASH_LENGTH = 300;

/** One line, bounded: control characters and line breaks become spaces. */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const line = message.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  return line.length > MAX_FLASH_LENGTH ? `${line.slice(0, MAX_FLASH_LENGTH - 1)}…` : line;
}

/**
 * SECURITY: a flash message is signed with the session's CSRF token (a
 * secret bound to the session) so a crafted link cannot make an admin page
 * display attacker-chosen text as if claimsgate had said it ("key revoked,
 * now add thumbprint …"). Instances sharing the key ring verify each other's.
 */
function flashSignature(context: ManagementContext, message: string): string {
  return createHmac('sha256', context.csrf)
    .update(`claimsgate flash v1 ${message}`, 'utf8')
    .digest('base64url')
    .slice(0, 32);
}

/** A same-site path with the flash message and its signature added to its query. */
function withFlash(context: ManagementContext, path: string, message: string): string {
  const line = oneLine(message);
  const url = new URL(path, 'http://admin.invalid');
  url.searchParams.set(FLASH_PARAMETER, line);
  url.searchParams.set(FLASH_SIGNATURE_PARAMETER, flashSignature(context, line));
  return `${url.pathname}${url.search}`;
}

/** The flash message of a GET request when its signature is valid for this session, else undefined. */
export function flashOf(request: FastifyRequest, context: ManagementContext): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const message = query?.[FLASH_PARAMETER];
  const signature = query?.[FLASH_SIGNATURE_PARAMETER];
  if (typeof message !== 'string' || typeof signature !== 'string') return undefined;
  const line = oneLine(message);
  const expected = Buffer.from(flashSignature(context, line), 'utf8');
  const presented = Buffer.from(signature, 'utf8');
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return undefined;
  return line;
}

/**
 * POST-redirect-GET: a 303 to `path` (a path on this site) with a one-line
 * flash message, so a reload never repeats the change.
 */
export function redirectWithFlash(
  reply: FastifyReply,
  context: ManagementContext,
  path: string,
  message: string,
): FastifyReply {
  return reply.redirect(withFlash(context, path, message), 303);
}

/** What a page handler renders. */
export interface AdminPageContent {
  readonly title: string;
  readonly section: AdminSection;
  readonly body: SafeHtml;
  /** Default 200. */
  readonly status?: number;
  /** A status message to show (a flash from the query is read by the caller). */
  readonly flash?: string | undefined;
}

/** Sends a page in the admin shell, with the security headers: the one place the site's markup becomes text. */
export function sendAdminPage(
  reply: FastifyReply,
  context: ManagementContext,
  content: AdminPageContent,
): FastifyReply {
  setAdminSecurityHeaders(reply);
  return reply
    .code(content.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(
      renderAdminPage({
        title: content.title,
        section: content.section,
        user: context.user,
        csrf: context.csrf,
        flash: content.flash,
        body: content.body,
      }).toString(),
    );
}

/** The HTTP status an admin page answers a ClaimsgateError with. */
export function statusOfError(code: ErrorCode): number {
  switch (code) {
    case 'CG_STORE_NOT_FOUND':
      return 404;
    case 'CG_STORE_DUPLICATE':
    case 'CG_STORE_CONFLICT':
    case 'CG_STORE_REFERENCED':
      return 409;
    case 'CG_STORE_UNAVAILABLE':
    case 'CG_STORE_IN_USE':
    case 'CG_STORE_TIMEOUT':
      return 503;
    case 'CG_STORE_QUERY_FAILED':
    case 'CG_STORE_MIGRATION_FAILED':
      return 500;
    default:
      // Metadata that cannot be fetched or used is input the admin gave (a URL): 422, like other unusable input.
      return code.startsWith('CG_META_') || code.startsWith('CG_SIG_') ? 422 : 400;
  }
}

/**
 * The form field an error is about, among `known`: the field its detail
 * names, else that path's last part (`signaturePolicy.pinnedSigners[0]` →
 * `pinnedSigners`), else its first (`signaturePolicy`). Undefined when the
 * error names no field of the form.
 */
function fieldOfError(error: ClaimsgateError, known: readonly string[]): string | undefined {
  const field = error.detail.field;
  if (typeof field !== 'string' || field === '') return undefined;
  const parts = field.split('.').map((part) => part.replace(/\[\d+\]$/, ''));
  return [field, parts[parts.length - 1], parts[0]].find(
    (candidate): candidate is string => candidate !== undefined && known.includes(candidate),
  );
}

/** The errors of a refused form: `{ field: message }` when the error names a field of the form, else none. */
export function fieldErrorsOf(
  error: ClaimsgateError,
  known: readonly string[],
): Readonly<Record<string, string>> {
  const field = fieldOfError(error, known);
  return field === undefined ? {} : { [field]: error.message };
}

/**
 * An error for the admin: what went wrong and what to do next. The admin is
 * trusted with the message — except a store failure's, which names the
 * database and its host (the log has it): that one reads as its registry
 * meaning and hint.
 */
export function describeError(error: ClaimsgateError): SafeHtml {
  const storeFailed: boolean = isStoreFailure(error);
  if (storeFailed) {
    const spec = ERROR_CODES[error.code];
    return errorSummary(`${spec.meaning} (${error.code})`, spec.hint);
  }
  return errorSummary(`${error.message} (${error.code})`, error.hint);
}

/** Sends an error page in the shell: the error summary and a way back. */
export function sendAdminError(
  reply: FastifyReply,
  context: ManagementContext,
  error: ClaimsgateError,
  options: { readonly section: AdminSection; readonly title: string; readonly back: string },
): FastifyReply {
  reply.request.log.info({ code: error.code, detail: error.detail }, 'admin request refused');
  return sendAdminPage(reply, context, {
    title: options.title,
    section: options.section,
    status: statusOfError(error.code),
    body: html`${describeError(error)}<p><a href="${options.back}">Back</a></p>`,
  });
}

/** A submitted form: field name → value(s). */
export type FormFields = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The form fields of a request (an empty form when the body is not one). */
export function formOf(request: FastifyRequest): FormFields {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as FormFields) : {};
}

/** The query of a request, read like a form. */
export function queryOf(request: FastifyRequest): FormFields {
  const query = request.query;
  return typeof query === 'object' && query !== null ? (query as FormFields) : {};
}

/** One field's text: the first value when repeated, '' when absent. */
export function fieldText(fields: FormFields, name: string): string {
  const value = fields[name];
  if (value === undefined) return '';
  return typeof value === 'string' ? value : (value[0] ?? '');
}

/** Every value of a repeated field (checkbox groups). */
export function fieldValues(fields: FormFields, name: string): string[] {
  const value = fields[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/**
 * A checkbox written with `marked` (see `checkboxField`): true when checked,
 * false when unchecked, undefined when the form did not carry it at all (a
 * page from before the box existed, a hand-made request).
 */
export function checkboxOf(fields: FormFields, name: string): boolean | undefined {
  const values = fieldValues(fields, name);
  if (values.length === 0) return undefined;
  return values.some((value) => value !== UNCHECKED);
}

/** A route parameter (decoded by Fastify). */
export function paramOf(request: FastifyRequest, name: string): string {
  const params = request.params as Record<string, string | undefined>;
  return params[name] ?? '';
}

/** The path of an issuer's page. Names are path segments, so they are encoded. */
export function issuerPath(issuer: { readonly id: string; readonly name: string }, suffix = ''): string {
  // `new` is the add-an-issuer page: an issuer of that name is reached by its ID.
  const segment = issuer.name === 'new' ? issuer.id : issuer.name;
  return `/admin/issuers/${encodeURIComponent(segment)}${suffix}`;
}
