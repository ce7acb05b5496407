import { InvalidArgumentError, type Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/load-config.js';
import { createGuardedFetch } from '../../metadata/guarded-fetch.js';
import { createRolloverEngine, type RolloverEngine } from '../../rollover/rollover-engine.js';
import { createGatewayServer } from '../../server/create-gateway-server.js';
import { engineSettings } from '../../server/engine-settings.js';
import { applyHeapGrowth } from '../../server/heap-growth.js';
import { batchedLineDestination, createEngineLogger, createGatewayLogger } from '../../server/logging.js';
import { createDrainState, shutdownGateway, waitForStop } from '../../server/shutdown.js';
import { openStore } from '../../store/open-store.js';
import { createStoreOutage } from '../../store/store-outage.js';
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

/**
 * Loads the configuration, opens the store, starts the rollover engine and
 * serves the gateway until SIGINT / SIGTERM (or `--duration`), then shuts
 * down gracefully (see `shutdownGateway`): `/readyz` says draining, no new
 * connections, requests in flight finish within `server.shutdownGraceMs`,
 * then the engine stops and the store closes. A second signal exits at once
 * (130 for SIGINT, 143 for SIGTERM). The server's and the engine's logs go
 * to standard output as one stream of JSON lines.
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
  // Lines are written a loop turn at a time (a write per request was a tenth of a proxied
  // request's CPU); whatever waits is written at exit, however the process ends.
  const destination = batchedLineDestination(io.stdout);
  const logger = createGatewayLogger({ level: config.logging.level, destination });
  // Before the store is read and the start refreshes run: their bursts are what it bounds.
  logger.info({ heapGrowth: applyHeapGrowth(config.server.heapGrowthPercent) }, 'heap growth');
  // The engine and the gateway share one watch on the store: while the database cannot be reached,
  // sign-ins go on from memory and the engine's key-use records are queued (docs/operations.md).
  const storeOutage = createStoreOutage({
    store: await openStore(config.database.url, { now: io.now }),
    now: io.now,
    probeIntervalMs: config.database.outage.probeIntervalMs,
  });
  const { store } = storeOutage;
  const drain = createDrainState();
  let engine: RolloverEngine | undefined;
  let app: FastifyInstance | undefined;
  // SECURITY: metadata, redirects and jwks_uri reach only the addresses the policy allows (SSRF);
  // the alert webhook is the operator's own URL and keeps the plain fetch.
  const metadataFetch = createGuardedFetch({ privateHosts: config.rollover.privateMetadataHosts });
  try {
    // Removed in `finally`, so a serve that ends (or fails) leaves no listener behind.
    process.once('exit', destination.flush);
    engine = createRolloverEngine({
      store,
      fetch: metadataFetch.fetch,
      webhookFetch: io.fetch,
      now: io.now,
      ...engineSettings(config),
      logger: createEngineLogger(logger),
    });
    await engine.start();
    app = createGatewayServer({
      config,
      store,
      storeOutage,
      engine,
      logger,
      drain,
      processMetrics: true,
      webhookFetch: io.fetch,
    });
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    // Listen for the stop signals before saying so: a supervisor may signal as soon as it reads the line.
    const stopped = waitForStop(
      process,
      options.duration === undefined ? {} : { durationMs: options.duration * 1000 },
    );
    destination.flush();
    io.stdout(`claimsgate serving ${config.server.publicUrl} (listening on ${address}); Ctrl-C stops.\n`);
    const cause = await stopped;
    logger.info({ cause }, 'shutdown requested');
  } finally {
    const running = engine;
    const afterClose = [
      ...(running === undefined ? [] : [() => running.stop()]),
      () => metadataFetch.close(),
      () => store.close(),
    ];
    if (app === undefined) {
      for (const step of afterClose) await step();
    } else {
      await shutdownGateway({
        app,
        drain,
        graceMs: config.server.shutdownGraceMs,
        afterClose,
        signals: process,
        forceExit: (code) => process.exit(code),
        logger,
      });
    }
    destination.flush();
    process.off('exit', destination.flush);
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
        'Run the sign-in gateway. Pages named below are under docs/.',
        '',
        'Sign-in: GET /signin sends the browser to an issuer by WS-Federation',
        '(POST /signin/wsfed), SAML 2.0 (POST /signin/saml2, SP metadata at',
        '/saml2/metadata; saml.md) or OpenID Connect (POST /signin/oidc, clients in',
        'oidc.clients; oidc.md). /signout ends the session.',
        'Gateway mode: with gateway.upstream set, HTTP and WebSocket requests go to',
        'the application with X-Claimsgate-* identity headers (gateway-mode.md);',
        'without it, / is a small protected sample page.',
        'Admin: the site at /admin (admin-site.md) and the JSON API at /admin/api',
        '(OpenAPI at /admin/api/openapi.json; admin-api.md). Local accounts:',
        'claimsgate admin create (admin-accounts.md).',
        'The rollover engine keeps trust in step with the issuers meanwhile; serve',
        'listens once the trust is loaded from the store, and refreshes every issuer',
        '(8 at a time) in the background (rollover.startWaitMs waits for them).',
        'Settings: defaults < --config file < CLAIMSGATE_* variables < these options',
        '(configuration.md). Runs until Ctrl-C (or --duration).',
        '',
        'While the store cannot be reached, users keep signing in from the trust in',
        'memory (database.outage.*): /readyz answers 200 degraded, the alert',
        'store-unreachable fires, and records are written when the store is back.',
        'Operations (operations.md): GET /metrics in the Prometheus format',
        '(metrics.enabled, metrics.bearerToken; per-issuer series for at most',
        'metrics.issuerSeriesLimit issuers, those needing attention first); logs as',
        'JSON lines on standard output,',
        'one per request, with an X-Request-ID and secrets redacted. On SIGTERM or',
        'Ctrl-C, /readyz answers 503 draining, no new connections are accepted, requests',
        'in flight finish within server.shutdownGraceMs, then the engine stops and the',
        'store closes (exit 0); a second signal exits at once (143 or 130).',
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
