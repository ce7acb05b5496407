import { constants } from 'node:os';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** Whether the gateway is shutting down: `/readyz` answers 503 `draining` from the moment it starts. */
export interface DrainState {
  readonly draining: boolean;
  /** Starts draining; idempotent. */
  start(): void;
}

/** A drain state that is not draining yet. */
export function createDrainState(): DrainState {
  let draining = false;
  return {
    get draining(): boolean {
      return draining;
    },
    start(): void {
      draining = true;
    },
  };
}

/**
 * While draining, every answer carries `Connection: close`, so a client on
 * a kept-alive connection reconnects (to another instance) instead of
 * sending its next request to a server that is going away.
 */
export function registerDrainHooks(app: FastifyInstance, drain: DrainState): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (drain.draining) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** The signals that stop the gateway. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Where stop signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  once(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/** The timers shutdown uses; injectable so that tests decide when time is up. */
export interface ShutdownTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: ShutdownTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The conventional exit code of a process ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** Why the gateway stops: a signal, or the end of `serve --duration`. */
export type StopCause = StopSignal | 'duration';

/** Resolves at the first SIGTERM or SIGINT, or after `durationMs` when given, with the cause; its listeners are then removed. */
export function waitForStop(
  signals: SignalSource,
  options: { readonly durationMs?: number; readonly timers?: ShutdownTimers } = {},
): Promise<StopCause> {
  const timers = options.timers ?? systemTimers;
  return new Promise((resolve) => {
    const listeners = STOP_SIGNALS.map((signal) => [signal, () => finish(signal)] as const);
    const timer =
      options.durationMs === undefined
        ? undefined
        : timers.setTimeout(() => finish('duration'), options.durationMs);
    function finish(cause: StopCause): void {
      for (const [signal, listener] of listeners) signals.off(signal, listener);
      if (timer !== undefined) timers.clearTimeout(timer);
      resolve(cause);
    }
    for (const [signal, listener] of listeners) signals.once(signal, listener);
  });
}

/**
 * Closes the HTTP server gracefully: no new connection is accepted, idle
 * kept-alive connections are closed, requests in flight may finish within
 * `graceMs`; then the connections left are closed. Resolves with `forced`
 * true when the grace period ran out.
 */
export async function closeServerGracefully(
  app: FastifyInstance,
  options: {
    readonly graceMs: number;
    readonly timers?: ShutdownTimers;
    readonly logger?: FastifyBaseLogger;
  },
): Promise<{ forced: boolean }> {
  const timers = options.timers ?? systemTimers;
  const logger = options.logger ?? app.log;
  let forced = false;
  const timer = timers.setTimeout(() => {
    forced = true;
    logger.warn({ graceMs: options.graceMs }, 'shutdown: grace period over, closing the connections left');
    app.server.closeAllConnections();
  }, options.graceMs);
  try {
    await app.close();
  } finally {
    timers.clearTimeout(timer);
  }
  return { forced };
}

/** Options of {@link shutdownGateway}. */
export interface ShutdownOptions {
  readonly app: FastifyInstance;
  readonly drain: DrainState;
  /** How long requests in flight may finish (`server.shutdownGraceMs`). */
  readonly graceMs: number;
  /** Run in order once the server has closed (stop the engine, close the store); each runs even if one before failed. */
  readonly afterClose: readonly (() => Promise<void>)[];
  /** Watched for a second SIGTERM / SIGINT while shutting down. */
  readonly signals: SignalSource;
  /** Called with 128 + the signal's number at a second signal: must end the process at once. */
  readonly forceExit: (code: number) => void;
  /** Default the server's logger. */
  readonly logger?: FastifyBaseLogger;
  readonly timers?: ShutdownTimers;
}

/**
 * Shuts the gateway down: `/readyz` says `draining` at once, the server
 * stops accepting connections and lets requests in flight finish within
 * the grace period (then closes what is left), and the `afterClose` steps
 * run in order. A second SIGTERM or SIGINT meanwhile calls `forceExit`.
 *
 * @returns whether connections had to be closed at the end of the grace period.
 * @throws the first error of an `afterClose` step, after every step has run.
 */
export async function shutdownGateway(options: ShutdownOptions): Promise<{ forced: boolean }> {
  const { app, drain, signals } = options;
  const logger = options.logger ?? app.log;
  const listeners = STOP_SIGNALS.map(
    (signal) =>
      [
        signal,
        () => {
          logger.error({ signal }, 'shutdown: second signal, exiting at once');
          options.forceExit(signalExitCode(signal));
        },
      ] as const,
  );
  for (const [signal, listener] of listeners) signals.once(signal, listener);
  try {
    drain.start();
    logger.info({ graceMs: options.graceMs }, 'shutdown: draining, no new connections accepted');
    const { forced } = await closeServerGracefully(app, {
      graceMs: options.graceMs,
      logger,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    let failure: { error: unknown } | undefined;
    for (const step of options.afterClose) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'shutdown: a closing step failed');
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
    logger.info({ forced }, 'shutdown complete');
    return { forced };
  } finally {
    for (const [signal, listener] of listeners) signals.off(signal, listener);
  }
}
