import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../../config/config-schema.js';
import type { DeepReadonly } from '../../config/deep-freeze.js';
import { loadConfig } from '../../config/load-config.js';
import { createRolloverEngine, type RolloverEngineOptions } from '../../rollover/rollover-engine.js';
import { createGatewayServer } from '../../server/create-gateway-server.js';
import { openStore } from '../../store/open-store.js';
import { EXIT, type CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';

interface ServeOptions {
  readonly config?: string;
  readonly mode?: string;
  readonly host?: string;
  readonly port?: string;
  readonly publicUrl?: string;
  readonly db?: string;
  readonly duration?: number;
}

function parseDurationSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 7 * 86_400) {
    throw new InvalidArgumentError(`"${value}" is not a number of seconds between 0 and 604800`);
  }
  return seconds;
}

/** Resolves after `seconds`, or at SIGINT / SIGTERM, whichever comes first. */
function untilStopped(seconds: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    const timer = seconds === undefined ? undefined : setTimeout(finish, seconds * 1000);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
}

/** The engine's settings from the configuration. */
function engineSettings(config: DeepReadonly<Config>): Omit<RolloverEngineOptions, 'store'> {
  const { rollover } = config;
  return {
    cooldownSeconds: rollover.cooldownSeconds,
    graceSeconds: rollover.graceSeconds,
    reconcileIntervalMs: rollover.reconcileIntervalMs,
    fetchTimeoutMs: rollover.fetchTimeoutMs,
    allowHttp: rollover.allowHttpMetadata,
    alertThresholds: {
      expiryDays: rollover.alerts.expiryDays,
      consecutiveFailures: rollover.alerts.consecutiveFailures,
      staleAfterSeconds: rollover.alerts.staleAfterSeconds,
    },
    ...(rollover.webhook === undefined
      ? {}
      : {
          webhook: {
            url: rollover.webhook.url,
            headers: rollover.webhook.headers,
            retries: rollover.webhook.retries,
          },
        }),
  };
}

/**
 * Loads the configuration, opens the store, starts the rollover engine and
 * serves the gateway until SIGINT / SIGTERM (or `--duration`), then closes
 * the server (letting requests finish within `server.shutdownGraceMs`), stops
 * the engine and closes the store.
 */
async function runServe(io: CliIo, options: ServeOptions): Promise<number> {
  const { config, warnings } = loadConfig({
    ...(options.config === undefined ? {} : { file: options.config }),
    env: io.env,
    flags: {
      mode: options.mode,
      'server.host': options.host,
      'server.port': options.port,
      'server.publicUrl': options.publicUrl,
      'database.url': options.db,
    },
  });
  for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
  const store = await openStore(config.database.url, { now: io.now });
  try {
    const engine = createRolloverEngine({
      store,
      fetch: io.fetch,
      now: io.now,
      ...engineSettings(config),
      logger: (entry) => io.stderr(`${JSON.stringify(entry)}\n`),
    });
    await engine.start();
    const app = createGatewayServer({ config, store, engine, log: true });
    try {
      const address = await app.listen({ host: config.server.host, port: config.server.port });
      io.stdout(`claimsgate serving ${config.server.publicUrl} (listening on ${address}); Ctrl-C stops.\n`);
      await untilStopped(options.duration);
    } finally {
      const grace = setTimeout(() => app.server.closeAllConnections(), config.server.shutdownGraceMs);
      await app.close();
      clearTimeout(grace);
      await engine.stop();
    }
  } finally {
    await store.close();
  }
  return EXIT.ok;
}

/** `claimsgate serve`: run the sign-in gateway. */
export function registerServeCommand(program: Command, context: CliContext): void {
  program
    .command('serve')
    .summary('run the sign-in gateway')
    .description(
      [
        'Run the gateway: WS-Federation sign-in to a session cookie, a protected sample page at /,',
        '/healthz and /readyz, with the rollover engine keeping trust in step with the issuers.',
        'Settings come from defaults < --config file < CLAIMSGATE_* variables < these options',
        '(docs/configuration.md). Runs until Ctrl-C (or --duration).',
      ].join('\n'),
    )
    .option('--config <file>', 'a YAML or JSON configuration file')
    .option('--mode <mode>', 'production or development (mode)')
    .option('--host <host>', 'the address to listen on (server.host)')
    .option('--port <port>', 'the port to listen on, 0 for any free one (server.port)')
    .option('--public-url <url>', 'the externally visible base URL (server.publicUrl)')
    .option('--db <url|path>', 'the store: a SQLite path or a postgres:// URL (database.url)')
    .option('--duration <seconds>', 'stop after this many seconds', parseDurationSeconds)
    .action(async (options: ServeOptions) => {
      await runAction(context, false, () => runServe(context.io, options));
    });
}
