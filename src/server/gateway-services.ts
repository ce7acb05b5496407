import type { ManagementService } from '../management/service.js';
import type { Config } from '../config/config-schema.js';
import type { CpuGate } from '../lib/cpu-gate.js';
import type { DeepReadonly } from '../config/deep-freeze.js';
import type { RolloverEngine } from '../rollover/rollover-engine.js';
import type { GatewayDirectory } from './gateway-directory.js';
import type { SessionCookies } from '../session/session-cookie.js';
import type { SignInStateCodec } from '../session/sign-in-state.js';
import type { StoreOutage } from '../store/store-outage.js';
import type { Store } from '../store/store.js';
import type { TokenValidator } from '../tokens/create-token-validator.js';
import type { ReplayCache } from '../tokens/replay-cache.js';
import type { AdminGuard } from './admin-access/admin-auth.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { SessionHook } from './session-hook.js';
import type { SessionRevocations } from './session-revocations.js';

/** What the gateway's routes share, built once by `createGatewayServer` and passed to each plugin. */
export interface GatewayServices {
  readonly config: DeepReadonly<Config>;
  /** The store, watched by `storeOutage`: every call reports whether the database could be reached. */
  readonly store: Store;
  /** Whether the store can be reached now, and the records waiting for it (docs/operations.md). */
  readonly storeOutage: StoreOutage;
  readonly engine: RolloverEngine;
  /** Issuers, realms and claim mappings for the sign-in path, from the engine's records (see gateway-directory.ts). */
  readonly directory: GatewayDirectory;
  readonly now: () => Date;
  readonly cookies: SessionCookies;
  readonly signInState: SignInStateCodec;
  /**
   * The store-backed replay cache (token IDs and burnt sign-in state IDs), in
   * front of a local ledger that decides alone while the store is unreachable
   * (`database.outage.replayCache`).
   */
  readonly replayCache: ReplayCache;
  /**
   * The one token validator of the gateway, for every sign-in protocol: the
   * rollover engine's live trust with its unknown-key refresh, the replay
   * cache, the CPU gate (`createGatewayValidator`). Each call names its audiences.
   */
  readonly validator: TokenValidator;
  /** Token validations take turns through it with the rest of the server's work (docs/benchmarks.md). */
  readonly cpuGate: CpuGate;
  readonly sessions: SessionHook;
  /** Revoked sessions (sign-out, admin logout, password change, account deletion), shared through the store. */
  readonly revocations: SessionRevocations;
  /** Who may use the admin API and site, and their CSRF tokens. */
  readonly admin: AdminGuard;
  readonly metrics: GatewayMetrics;
  /** Outgoing HTTP (the OpenID Connect token endpoint); `globalThis.fetch` unless the server was given one. */
  readonly fetch: typeof globalThis.fetch;
  /** The admin service the admin API and the admin site share (issuers, keys, import, realms, mappings, audit). */
  readonly adminService: ManagementService;
}
