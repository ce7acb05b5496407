import { createRolloverEngine, type RolloverEngine } from '../rollover/rollover-engine.js';
import type { Store } from '../store/store.js';
import type { CliIo } from './output.js';

/**
 * A rollover engine for one CLI command: never started (no schedule, no
 * timers), used for a refresh now or for trust from the store. Its log lines
 * stay out of stdout, which may carry JSON: the command prints outcomes and
 * alerts itself, and the audit log records them; only errors the command
 * would not otherwise show (a stored key that cannot be read) reach stderr.
 */
export function createCliEngine(
  io: CliIo,
  store: Store,
  options: { readonly allowHttp: boolean },
): RolloverEngine {
  return createRolloverEngine({
    store,
    fetch: io.fetch,
    now: io.now,
    allowHttp: options.allowHttp,
    logger: (entry) => {
      if (entry.level === 'error' && !entry.event.startsWith('alert.')) {
        io.stderr(`${JSON.stringify(entry)}\n`);
      }
    },
  });
}

/** Runs `body` with a CLI engine and stops the engine afterwards (fetches and alert deliveries settle). */
export async function withEngine<T>(
  io: CliIo,
  store: Store,
  options: { readonly allowHttp: boolean },
  body: (engine: RolloverEngine) => Promise<T>,
): Promise<T> {
  const engine = createCliEngine(io, store, options);
  try {
    return await body(engine);
  } finally {
    await engine.stop();
  }
}
