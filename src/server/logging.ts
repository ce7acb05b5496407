import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from '../config/config-schema.js';
import type { Logger as EngineLogger } from '../rollover/structured-log.js';

/** What replaces a secret in a log line. */
export const REDACTED = '[redacted]';

/**
 * Names whose values are secrets wherever they appear: headers, form fields,
 * query parameters, JSON keys. As spelled on the wire (pino's redaction is
 * case-sensitive); query parameters and error details are compared without case.
 */
const SECRET_NAMES = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-csrf-token',
  'wresult',
  'wctx',
  'SAMLResponse',
  'SAMLRequest',
  'RelayState',
  'id_token',
  'access_token',
  'refresh_token',
  'client_secret',
  'code_verifier',
  'password',
  'currentPassword',
  'newPassword',
  '_csrf',
  'csrfToken',
  'bearerToken',
] as const;

/**
 * Names that are secrets in a request (`?code=` is an OAuth authorization
 * code, `?state=` sealed sign-in state, `?login_hint=` the e-mail address
 * the sign-in page asked for: personal data, of which only the domain may
 * be logged) but ordinary words elsewhere: an
 * error's `code`, a key's `state` stay readable in the log.
 */
const REQUEST_SECRET_NAMES = ['code', 'state', 'token', 'secret', 'session_state', 'login_hint'] as const;

/** Where request data sits in a logged object: `{ body }`, `{ req: { query } }`. */
const REQUEST_CONTAINERS = ['body', 'query', 'params', 'headers'] as const;

const LOWER_SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_NAMES.map((name) => name.toLowerCase()));
const LOWER_QUERY_SECRET_NAMES: ReadonlySet<string> = new Set([
  ...LOWER_SECRET_NAMES,
  ...REQUEST_SECRET_NAMES,
]);

/** A fast-redact path segment: bracketed when the name is not an identifier. */
function segment(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `["${name}"]`;
}

/**
 * The pino `redact` paths: every secret name at the top of a log object and
 * up to two levels down (`{ body: { wresult } }`, `{ req: { headers: { cookie } } }`),
 * and the request-only names inside request containers.
 */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_NAMES.flatMap((name) => {
    const tail = segment(name);
    return [tail.startsWith('.') ? tail.slice(1) : tail, `*${tail}`, `*.*${tail}`];
  }),
  ...REQUEST_SECRET_NAMES.flatMap((name) =>
    REQUEST_CONTAINERS.flatMap((container) => [`${container}.${name}`, `*.${container}.${name}`]),
  ),
];

const MAX_LOGGED_URL_LENGTH = 2_048;

/**
 * A request URL fit for a log line: the value of every query parameter
 * that may carry a secret (tokens, codes, sealed state, passwords, CSRF
 * tokens; names compared without case) replaced by `[redacted]`, and the
 * whole cut at 2 048 characters.
 *
 * SECURITY: an OAuth `code`, an `id_token` or a `SAMLResponse` in a query
 * string is a bearer credential; the log must not become a way to replay it.
 */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  let safe = url;
  if (mark !== -1) {
    const parameters = url
      .slice(mark + 1)
      .split('&')
      .map((pair) => {
        const equals = pair.indexOf('=');
        if (equals === -1) return pair;
        let name = pair.slice(0, equals);
        try {
          name = decodeURIComponent(name.replace(/\+/g, ' '));
        } catch {
          // A malformed escape: compare the raw name.
        }
        return LOWER_QUERY_SECRET_NAMES.has(name.toLowerCase())
          ? `${pair.slice(0, equals)}=${REDACTED}`
          : pair;
      });
    safe = `${url.slice(0, mark)}?${parameters.join('&')}`;
  }
  return safe.length > MAX_LOGGED_URL_LENGTH ? `${safe.slice(0, MAX_LOGGED_URL_LENGTH)}…` : safe;
}

const MAX_SCRUB_DEPTH = 8;

/** A copy of `value` with the value of every secret-named key (any depth, any case) replaced. */
function scrubSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_SCRUB_DEPTH || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = LOWER_SECRET_NAMES.has(key.toLowerCase()) ? REDACTED : scrubSecrets(item, depth + 1, seen);
  }
  return copy;
}

/** What a request looks like in a log line: never its headers, cookies or body. */
function serializeRequest(request: FastifyRequest | IncomingMessage): Record<string, unknown> {
  const fastifyRequest = 'raw' in request ? request : undefined;
  return {
    method: request.method,
    url: redactUrl(request.url ?? ''),
    ...(fastifyRequest === undefined
      ? {}
      : { route: routeOf(fastifyRequest), remoteAddress: fastifyRequest.ip }),
  };
}

/** What a reply looks like in a log line: its status only. */
function serializeReply(reply: { statusCode: number }): Record<string, unknown> {
  return { statusCode: reply.statusCode };
}

/** An error for a log line: pino's standard form (message, stack, code, detail, cause) with secret-named fields replaced. */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return scrubSecrets(error);
  return scrubSecrets(stdSerializers.err(error));
}

/** Options of {@link createGatewayLogger}. */
export interface GatewayLoggerOptions {
  readonly level: LogLevel;
  /** Where the JSON lines go; default standard output. Tests pass a stream they read. */
  readonly destination?: DestinationStream;
}

/**
 * Creates the gateway's pino logger: one JSON object per line with an ISO
 * time and the level as a word, secrets redacted by path
 * ({@link REDACT_PATHS}) and by serializer (requests are logged without
 * headers, cookies or body; URLs through {@link redactUrl}; errors with
 * secret-named fields replaced).
 *
 * SECURITY: cookies, Authorization headers, tokens (`wresult`,
 * `SAMLResponse`, `id_token`, OAuth codes), client secrets, passwords and
 * CSRF tokens never reach the log. Messages are fixed text: values go in
 * fields, where redaction can see them.
 */
export function createGatewayLogger(options: GatewayLoggerOptions): Logger {
  const settings: LoggerOptions = {
    level: options.level,
    name: 'claimsgate',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { req: serializeRequest, res: serializeReply, err: serializeError },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A destination stream that hands every line to `write` (for example a CLI's standard output). */
export function lineDestination(write: (line: string) => void): DestinationStream {
  return { write };
}

/**
 * The rollover engine's structured logger on top of the gateway's pino
 * logger, so that one stream carries both: `{ level, event, ...facts }`
 * becomes a line at that level with `component: "rollover"`, the event
 * name as message and the facts as fields (redacted like every other line).
 */
export function createEngineLogger(logger: Logger): EngineLogger {
  const child = logger.child({ component: 'rollover' });
  return ({ level, event, ...facts }) => {
    child[level]({ event, ...facts }, event);
  };
}

/** A request ID we accept from a client or proxy: short, and only characters that cannot forge a log line or a header. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The header that carries the request ID in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * The request ID of an incoming request: its `X-Request-ID` when that looks
 * safe (1–128 of `A–Z a–z 0–9 . _ : / + = -`, a single header), else a new
 * random UUID. Used as Fastify's `genReqId`.
 *
 * SECURITY: a client-chosen ID is checked so that it cannot carry line
 * breaks, quotes or markup into logs and the echoed response header.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Routes whose successful answers are logged at `debug`: probes and scrapes come every few seconds. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** The route pattern that matched (`/signin/wsfed`, `/admin/api/issuers/:id`), or `unmatched`. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/**
 * Fastify's request log lines, replaced by one line per request when the
 * response ends: `method`, `route` (the pattern, not the URL), `url`
 * (redacted), `statusCode`, `durationMs` and `remoteAddress`, with the
 * request ID as `reqId`; at `error` for a 5xx, at `debug` for probes and
 * scrapes that succeed, else at `info`. Errors keep Fastify's own lines
 * too, through the safe serializers.
 */
export class GatewayLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'reqId' });
  }

  /** Nothing at the start: the line at the end says it all. */
  override incomingRequest(): void {}

  /** Nothing: the request's line says `route: "unmatched"` and the status. */
  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const route = routeOf(request);
    const fields = {
      method: request.method,
      route,
      url: redactUrl(request.url),
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      remoteAddress: request.ip,
    };
    const log: FastifyBaseLogger = reply.log;
    if (error !== null && error !== undefined) {
      log.error({ ...fields, err: error }, 'request errored');
    } else if (reply.statusCode >= 500) {
      log.error(fields, 'request completed');
    } else if (QUIET_ROUTES.has(route) && reply.statusCode < 400) {
      log.debug(fields, 'request completed');
    } else {
      log.info(fields, 'request completed');
    }
  }
}

/** Adds the `X-Request-ID` response header (the request's ID, as logged) to every answer of `app`. */
export function registerRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}

/**
 * The Fastify options for the gateway's logging: the logger (none when
 * undefined: Fastify's silent logger), request IDs from {@link requestIdOf}
 * and the one-line-per-request {@link GatewayLogController}.
 */
export function fastifyLoggingOptions(
  logger: Logger | undefined,
): Pick<FastifyServerOptions, 'genReqId' | 'logController'> & { loggerInstance?: FastifyBaseLogger } {
  return {
    ...(logger === undefined ? {} : { loggerInstance: logger }),
    genReqId: requestIdOf,
    logController: new GatewayLogController(),
  };
}
