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
import {
  pino,
  stdSerializers,
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';
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
 * What is redacted, as pino `redact` paths (applied by {@link redactLogObject}):
 * every secret name at the top of a log object and up to two levels down
 * (`{ body: { wresult } }`, `{ req: { headers: { cookie } } }`), and the
 * request-only names inside request containers.
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

const SECRET_NAME_SET: ReadonlySet<string> = new Set(SECRET_NAMES);
const REQUEST_SECRET_NAME_SET: ReadonlySet<string> = new Set(REQUEST_SECRET_NAMES);
const REQUEST_CONTAINER_SET: ReadonlySet<string> = new Set(REQUEST_CONTAINERS);

/** A shallow copy keeping the prototype (a request's getters still answer on it). */
function shallowCopy(value: object): Record<string, unknown> {
  const copy: object = Array.isArray(value)
    ? [...(value as unknown[])]
    : Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as object, value);
  return copy as Record<string, unknown>;
}

/**
 * `value` with what {@link REDACT_PATHS} names replaced by `[redacted]`: a
 * secret name at `depth` 0 to 2, a request-only name directly inside a
 * request container at depth 0 or 1. What holds a secret is copied, never
 * changed; what holds none is returned as it is. Errors are left to their
 * serializer (which scrubs them at any depth), binary data is not walked.
 */
function redactLevel(value: object, depth: number, inContainer: boolean): object {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    let replaced = item;
    if (SECRET_NAME_SET.has(key) || (inContainer && REQUEST_SECRET_NAME_SET.has(key))) replaced = REDACTED;
    else if (
      depth < 2 &&
      typeof item === 'object' &&
      item !== null &&
      !(item instanceof Error) &&
      !(item instanceof Date) &&
      !ArrayBuffer.isView(item) &&
      !(item instanceof ArrayBuffer)
    )
      replaced = redactLevel(item, depth + 1, REQUEST_CONTAINER_SET.has(key));
    if (replaced !== item) {
      copy ??= shallowCopy(value);
      copy[key] = replaced;
    }
  }
  return copy ?? value;
}

/**
 * Applies {@link REDACT_PATHS} to a log object (or a child logger's
 * bindings). Done here rather than with pino's `redact` option: pino 9.14's
 * redaction (@pinojs/redact) parses all 123 paths again for every field of
 * every line — 0.6 ms and about 210 KiB of garbage a line, which made a
 * forced refresh of 2,000 issuers allocate 1.2 GB in the logger alone and
 * grew the gateway's heap by over 100 MiB.
 */
export function redactLogObject<T extends object>(object: T): T {
  return redactLevel(object, 0, false) as T;
}

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
    formatters: { level: (label) => ({ level: label }), log: redactLogObject },
    serializers: { req: serializeRequest, res: serializeReply, err: serializeError },
  };
  const logger = options.destination === undefined ? pino(settings) : pino(settings, options.destination);
  // A child's bindings never pass through formatters.log: redacted here, for the children of
  // children too (a pino child inherits from its parent, so finds this `child` first).
  const pinoChild = Reflect.get(logger, 'child') as unknown as (
    this: Logger,
    bindings: Bindings,
    childOptions?: ChildLoggerOptions,
  ) => Logger;
  logger.child = function (this: Logger, bindings: Bindings, childOptions?: ChildLoggerOptions) {
    return pinoChild.call(this, redactLogObject(bindings), childOptions);
  } as unknown as Logger['child'];
  return logger;
}

/** A destination stream that hands every line to `write` (for example a CLI's standard output). */
export function lineDestination(write: (line: string) => void): DestinationStream {
  return { write };
}

/** A destination whose waiting lines can be written out at once. */
export interface BatchedDestination extends DestinationStream {
  /** Hands every waiting line to `write` now (at exit, before a line written past the logger). */
  readonly flush: () => void;
}

/** How much text a {@link batchedLineDestination} gathers before it writes at once. */
const MAX_BATCH_LENGTH = 64 * 1024;

/**
 * A destination that gathers lines and hands them to `write` together: when
 * the event loop's current turn ends, or at once past 64 KiB. Under load a
 * request's line no longer costs a write of its own to standard output (a
 * system call, and a wake-up of whatever reads the pipe); a line waits at
 * most one turn of the loop. Call `flush` at exit: lines of the last turn
 * are otherwise lost.
 */
export function batchedLineDestination(write: (text: string) => void): BatchedDestination {
  let waiting = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (waiting === '') return;
    const text = waiting;
    waiting = '';
    write(text);
  };
  return {
    write(line: string): void {
      waiting += line;
      if (waiting.length >= MAX_BATCH_LENGTH) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
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
  // Callback hooks, here and in the other per-request hooks: an async one costs a promise and a microtask turn per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
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
