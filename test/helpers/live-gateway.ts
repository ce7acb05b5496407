/**
 * A gateway a real browser can reach: like test/server/gateway-fixture.ts,
 * but everything listens on 127.0.0.1 and runs on real time — the IdP
 * simulator, the gateway on a free port chosen before its configuration is
 * built, a temporary SQLite store, and the rollover engine started with its
 * real timers (scheduled refreshes, unknown-key refreshes, reconciliation).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config/config-schema.js';
import type { DeepReadonly } from '../../src/config/deep-freeze.js';
import { loadConfig } from '../../src/config/load-config.js';
import {
  createIdpSimulator,
  DEFAULT_TENANT,
  type IdpSimulator,
  type IdpSimulatorOptions,
} from '../../src/idp-sim/idp-sim-server.js';
import { CLAIM_TYPES } from '../../src/idp-sim/user-claims.js';
import { createRolloverEngine, type RolloverEngine } from '../../src/rollover/rollover-engine.js';
import type { LogEntry } from '../../src/rollover/structured-log.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import { engineSettings } from '../../src/server/engine-settings.js';
import type { AuditEntry, IssuerRecord, NewClaimMapping, NewIssuer } from '../../src/store/model.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

/** The actor of everything the harness itself writes to the store (issuers, realm, mappings). */
export const SETUP_ACTOR = 'test-setup';

/** An extra issuer to register before the engine starts, with its claim mapping. */
export interface LiveIssuer extends NewIssuer {
  /** Its claim mapping, if any; the issuer ID is filled in. */
  readonly mapping?: Omit<NewClaimMapping, 'issuerId'>;
}

/** What the `setup` hook of {@link startLiveGateway} gets. */
export interface LiveSetupContext {
  readonly sim: IdpSimulator;
  readonly store: Store;
  /** `http://127.0.0.1:<port>`: the gateway's public URL, known before it listens. */
  readonly gatewayUrl: string;
}

/** Options of {@link startLiveGateway}. */
export interface LiveGatewayOptions {
  /** Settings by dotted path over the harness's own (development mode, the port and public URL). */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** How often the engine refreshes the `sim` issuer on its schedule; default 2 s. */
  readonly refreshIntervalSeconds?: number;
  /**
   * The `sim` issuer's discontinuity policy; default the store's (`auto`: the
   * simulator serves plain http, so a document replacing every key is held).
   */
  readonly discontinuityPolicy?: NewIssuer['discontinuityPolicy'];
  /** Options of the simulator; it always listens on 127.0.0.1:0. */
  readonly simulator?: Omit<IdpSimulatorOptions, 'port' | 'host' | 'issuerBase'>;
  /** Register the realm `<gatewayUrl>` with reply URL `<gatewayUrl>/signin/wsfed`; default true. */
  readonly realm?: boolean;
  /** More issuers (another tenant, SAML, OIDC), given the running simulator and the gateway URL. */
  readonly issuers?: (sim: IdpSimulator, gatewayUrl: string) => readonly LiveIssuer[];
  /** Runs after the issuers and realm are stored and before the engine starts. */
  readonly setup?: (context: LiveSetupContext) => Promise<void>;
}

/** A running gateway and what it runs on. */
export interface LiveGateway {
  /** `http://127.0.0.1:<port>`, the gateway's `server.publicUrl`. */
  readonly gatewayUrl: string;
  readonly sim: IdpSimulator;
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly app: FastifyInstance;
  readonly config: DeepReadonly<Config>;
  /** The `sim` issuer: the simulator's first tenant over WS-Federation, mapped to `SIM:<upn>`. */
  readonly issuer: IssuerRecord;
  /** The engine's log lines so far (the last 1,000), for failure messages. */
  readonly logs: readonly LogEntry[];
  /**
   * Stops the gateway, the engine, the store and the simulator, then starts
   * them again on the same ports and store, as restarting `npm start` does:
   * the simulator comes back with fresh keys (an unannounced switch), the
   * gateway with the keys it stored. `sim`, `store`, `engine`, `app` and
   * `config` name the new parts afterwards.
   */
  restart(): Promise<void>;
  /** Closes the gateway, stops the engine, closes the store, stops the simulator and deletes the store's folder. */
  close(): Promise<void>;
}

const MAX_LOG_LINES = 1_000;
const PORT_ATTEMPTS = 3;

/** A TCP port that was free on 127.0.0.1 a moment ago: bound on port 0, read, released. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EADDRINUSE';
}

/** Runs the closers in reverse order of start, each once, and reports every failure after all ran. */
async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  const failures: unknown[] = [];
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'the live gateway did not close cleanly');
}

/** The parts that a restart replaces: the simulator process, the store connection, the engine, the server. */
interface RunningParts {
  readonly sim: IdpSimulator;
  readonly store: Store;
  readonly engine: RolloverEngine;
  readonly app: FastifyInstance;
  readonly config: DeepReadonly<Config>;
}

async function startOnPort(port: number, options: LiveGatewayOptions): Promise<LiveGateway> {
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const closers: Array<() => Promise<void>> = [];
  const logs: LogEntry[] = [];
  const directory = mkdtempSync(join(tmpdir(), 'claimsgate-live-'));
  const storePath = join(directory, 'store.db');
  let simPort = 0;

  /** Starts the simulator (fresh keys) and the gateway on the store; `register` fills a new store first. */
  async function launch(register: (sim: IdpSimulator, store: Store) => Promise<void>): Promise<RunningParts> {
    const sim = await createIdpSimulator({ ...options.simulator, port: simPort });
    await sim.start();
    closers.push(() => sim.stop());
    simPort = Number(new URL(sim.url).port);
    const store = await openStore(storePath);
    closers.push(() => store.close());
    await register(sim, store);

    const { config } = loadConfig({
      env: {},
      flags: {
        mode: 'development',
        'server.host': '127.0.0.1',
        'server.port': port,
        'server.publicUrl': gatewayUrl,
        // The issuers registered above have no keys yet: the tests sign in at once, so the start waits
        // for their first refresh (serve itself listens without waiting, rollover.startWaitMs 0).
        'rollover.startWaitMs': 15_000,
        ...options.flags,
      },
    });
    const engine = createRolloverEngine({
      store,
      ...engineSettings(config),
      logger: (entry) => {
        logs.push(entry);
        if (logs.length > MAX_LOG_LINES) logs.shift();
      },
    });
    await engine.start();
    closers.push(() => engine.stop());

    const app = createGatewayServer({ config, store, engine });
    closers.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port });
    return { sim, store, engine, app, config };
  }

  closers.push(() => Promise.resolve(rmSync(directory, { recursive: true, force: true })));
  try {
    let issuer: IssuerRecord | undefined;
    let parts = await launch(async (sim, store) => {
      const urls = sim.tenantUrls(sim.tenants[0] ?? DEFAULT_TENANT);
      issuer = await store.createIssuer(
        {
          name: 'sim',
          issuerUri: urls.entityId,
          metadataUrl: urls.federationMetadata,
          loginUrl: urls.wsfed,
          useForLogin: true,
          label: 'SIMISSUER',
          refreshIntervalSeconds: options.refreshIntervalSeconds ?? 2,
          ...(options.discontinuityPolicy === undefined
            ? {}
            : { discontinuityPolicy: options.discontinuityPolicy }),
        },
        SETUP_ACTOR,
      );
      await store.createClaimMapping(
        { issuerId: issuer.id, label: 'SIM', nameClaim: CLAIM_TYPES.upn, groupClaim: CLAIM_TYPES.groups },
        SETUP_ACTOR,
      );
      for (const { mapping, ...extra } of options.issuers?.(sim, gatewayUrl) ?? []) {
        const created = await store.createIssuer(extra, SETUP_ACTOR);
        if (mapping !== undefined) {
          await store.createClaimMapping({ ...mapping, issuerId: created.id }, SETUP_ACTOR);
        }
      }
      if (options.realm !== false) {
        await store.createRealm(
          { realmUri: gatewayUrl, replyUrl: `${gatewayUrl}/signin/wsfed` },
          SETUP_ACTOR,
        );
      }
      await options.setup?.({ sim, store, gatewayUrl });
    });
    const registered = issuer!;

    return {
      gatewayUrl,
      get sim() {
        return parts.sim;
      },
      get store() {
        return parts.store;
      },
      get engine() {
        return parts.engine;
      },
      get app() {
        return parts.app;
      },
      get config() {
        return parts.config;
      },
      issuer: registered,
      logs,
      async restart() {
        // Everything but the store's folder, newest first, as Ctrl-C on `npm start` stops it.
        const keep = closers.splice(0, 1);
        await closeAll(closers);
        closers.push(...keep);
        parts = await launch(() => Promise.resolve());
      },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers).catch(() => undefined);
    throw error;
  }
}

/**
 * Starts the simulator on 127.0.0.1:0, a temporary SQLite store holding the
 * `sim` issuer (first tenant, WS-Federation, claim mapping `SIM` on the UPN,
 * short refresh interval), the realm for the gateway's URL and any extra
 * issuers, then the rollover engine (started: real timers), then the gateway
 * listening on 127.0.0.1 at the free port its `server.publicUrl` names. If
 * another process takes that port in between, everything is closed and
 * started again on another port (three attempts).
 *
 * @throws Error when a part does not start; whatever had started is closed first.
 */
export async function startLiveGateway(options: LiveGatewayOptions = {}): Promise<LiveGateway> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnPort(await findFreePort(), options);
    } catch (error) {
      if (!isAddressInUse(error) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/**
 * Waits until the store's audit log holds an entry that `matches` (polling
 * every 50 ms, at most `timeoutMs`) and returns it.
 *
 * @throws Error naming `what` and the engine's last log lines when none appears in time.
 */
export async function waitForAudit(
  gateway: Pick<LiveGateway, 'store' | 'logs'>,
  what: string,
  matches: (entry: AuditEntry) => boolean,
  timeoutMs = 10_000,
): Promise<AuditEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await gateway.store.listAudit({ limit: 10_000 })).find(matches);
    if (found !== undefined) return found;
    if (Date.now() >= deadline) {
      const recent = gateway.logs.slice(-10).map((entry) => JSON.stringify(entry));
      throw new Error(`no audit entry for ${what} within ${timeoutMs} ms; engine log:\n${recent.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
