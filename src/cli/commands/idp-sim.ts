import { InvalidArgumentError, type Command } from 'commander';
import { createIdpSimulator, DEFAULT_TENANT } from '../../idp-sim/idp-sim-server.js';
import { parseDuration } from '../../idp-sim/parse-duration.js';
import { ROLLOVER_MODES, type RolloverMode } from '../../idp-sim/rollover.js';
import type { SimLogger } from '../../idp-sim/sim-logger.js';
import type { CliIo } from '../output.js';
import { runAction, type CliContext } from '../run-action.js';

interface IdpSimOptions {
  readonly port: number;
  readonly host: string;
  readonly tenant: readonly string[];
  readonly rolloverEvery?: number;
  readonly rolloverMode: RolloverMode;
  readonly saml11: boolean;
  readonly issuerBase?: string;
}

function parsePort(value: string): number {
  const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535))
    throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return port;
}

function parseHost(value: string): string {
  if (value !== '127.0.0.1' && value !== '::1') {
    throw new InvalidArgumentError('the simulator binds loopback only: 127.0.0.1 or ::1.');
  }
  return value;
}

function parseEvery(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function parseMode(value: string): RolloverMode {
  if (!(ROLLOVER_MODES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected ${ROLLOVER_MODES.join(' or ')}.`);
  }
  return value as RolloverMode;
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** Resolves at the first SIGINT or SIGTERM, and stops listening for the other. */
function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function jsonLineLogger(io: CliIo): SimLogger {
  return (entry) => io.stdout(`${JSON.stringify({ time: io.now().toISOString(), ...entry })}\n`);
}

/**
 * Registers `claimsgate idp-sim`: runs the Azure-AD-like IdP simulator on
 * loopback until SIGINT or SIGTERM, after printing each tenant's metadata,
 * discovery and JWKS URLs and the test users. Log lines (one JSON object
 * each: rollover steps, tokens issued, refused requests) follow on stdout.
 */
export function registerIdpSimCommand(program: Command, context: CliContext): void {
  program
    .command('idp-sim')
    .description(
      'Run an Azure-AD-like identity provider on loopback for demos, tests and key rollover drills.',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8788)
    .option('--host <host>', 'loopback address to bind: 127.0.0.1 or ::1', parseHost, '127.0.0.1')
    .option('--tenant <id>', `tenant to serve; repeat for several (default ${DEFAULT_TENANT})`, collect, [])
    .option(
      '--rollover-every <duration>',
      'run one rollover step (announce, switch, retire) every 90s, 2m, 1h, …',
      parseEvery,
    )
    .option(
      '--rollover-mode <mode>',
      'announced: announce, switch, retire (as Azure AD and AD FS roll); unannounced: switch to a key nobody has seen, then retire (an emergency)',
      parseMode,
      'announced',
    )
    .option('--saml11', 'issue SAML 1.1 tokens in WS-Federation unless the request asks for SAML 2.0', false)
    .option('--issuer-base <url>', 'base URL of issuers and endpoints (default http://<host>:<port>)')
    .action(async (options: IdpSimOptions) => {
      await runAction(context, false, async () => {
        const { io } = context;
        const sim = await createIdpSimulator({
          host: options.host,
          port: options.port,
          ...(options.tenant.length === 0 ? {} : { tenants: options.tenant }),
          ...(options.rolloverEvery === undefined ? {} : { rolloverEveryMs: options.rolloverEvery }),
          rolloverMode: options.rolloverMode,
          saml11: options.saml11,
          ...(options.issuerBase === undefined ? {} : { issuerBase: options.issuerBase }),
          now: io.now,
          logger: jsonLineLogger(io),
        });
        const url = await sim.start();
        const stopped = untilStopSignal();
        const lines = [`claimsgate IdP simulator on ${url}`];
        for (const tenant of sim.tenants) {
          const urls = sim.tenantUrls(tenant);
          lines.push(
            `tenant ${tenant}`,
            `  WS-Federation metadata: ${urls.federationMetadata}`,
            `  OpenID configuration:   ${urls.openIdConfiguration}`,
            `  JWKS:                   ${urls.jwks}`,
          );
        }
        lines.push(
          'test users:',
          ...sim.users.map(
            (user) => `  ${user.upn}${user.roles.length > 0 ? ` (${user.roles.join(', ')})` : ''}`,
          ),
        );
        lines.push(
          options.rolloverEvery === undefined
            ? `rollover: by hand, POST ${url}/control/rollover {"step":"announce"|"switch"|"retire"|"full"}`
            : `rollover (${options.rolloverMode}): one step every ${options.rolloverEvery / 1000}s; keys at ${url}/control/keys`,
        );
        io.stdout(`${lines.join('\n')}\n`);
        await stopped;
        await sim.stop();
        return 0;
      });
    });
}
