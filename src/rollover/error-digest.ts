/**
 * Background errors, aggregated: the first error of a kind is logged at once,
 * the same kind again within the window only counted, and the count logged
 * once when the window closes. A store that refuses every connection while
 * 10,000 refreshes run writes a handful of lines, not one per attempt.
 */
import { isClaimsgateError } from '../lib/errors.js';
import type { EngineTimers } from './refresh-scheduler.js';
import type { Logger } from './structured-log.js';

export interface ErrorDigestOptions {
  readonly logger: Logger;
  readonly timers: EngineTimers;
  /** The event name of every line. */
  readonly event: string;
  /** How long repeats of one kind are counted before their line; default 60 s. */
  readonly windowMs?: number;
  /** Kinds counted at once; beyond it, further kinds are counted as `other`. Default 100. */
  readonly maxKinds?: number;
}

export interface ErrorDigest {
  /** Logs the error now if it is the first of its kind in the window, else counts it. */
  report(error: unknown): void;
  /** Logs every pending count now and stops the timer (engine stop). */
  flush(): void;
}

interface Pending {
  readonly code: string | undefined;
  readonly error: string;
  repeated: number;
}

/** The kind of an error: its code when it has one, else its message. */
function kindOf(error: unknown): {
  readonly key: string;
  readonly code: string | undefined;
  readonly text: string;
} {
  const text = error instanceof Error ? error.message : String(error);
  if (isClaimsgateError(error)) return { key: error.code, code: error.code, text };
  return { key: `message:${text}`, code: undefined, text };
}

export function createErrorDigest(options: ErrorDigestOptions): ErrorDigest {
  const { logger, timers, event } = options;
  const windowMs = options.windowMs ?? 60_000;
  const maxKinds = options.maxKinds ?? 100;
  const pending = new Map<string, Pending>();
  let handle: unknown;

  function flush(): void {
    if (handle !== undefined) timers.clearTimeout(handle);
    handle = undefined;
    for (const entry of pending.values()) {
      if (entry.repeated === 0) continue;
      logger({
        level: 'error',
        event,
        ...(entry.code === undefined ? {} : { code: entry.code }),
        error: entry.error,
        repeated: entry.repeated,
        windowSeconds: windowMs / 1000,
      });
    }
    pending.clear();
  }

  return {
    report(error): void {
      const kind = kindOf(error);
      const key = pending.has(kind.key) || pending.size < maxKinds ? kind.key : 'other';
      const known = pending.get(key);
      if (known !== undefined) {
        known.repeated += 1;
        return;
      }
      pending.set(key, {
        code: key === 'other' ? undefined : kind.code,
        error: key === 'other' ? 'errors of other kinds' : kind.text,
        repeated: key === 'other' ? 1 : 0,
      });
      if (key !== 'other') {
        logger({
          level: 'error',
          event,
          ...(kind.code === undefined ? {} : { code: kind.code }),
          error: kind.text,
        });
      }
      handle ??= timers.setTimeout(flush, windowMs);
    },
    flush,
  };
}
