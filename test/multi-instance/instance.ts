/**
 * One claimsgate instance as a real process, for the multi-instance tests:
 * it opens the store named by CLAIMSGATE_MI_DATABASE_URL (a PostgreSQL URL
 * with `?schema=`), creates nothing, starts a rollover engine on it, and
 * answers a line-based JSON protocol on stdin/stdout.
 *
 *   → {"id":1,"op":"snapshot"}
 *   ← {"id":1,"ok":true,"result":{...}}
 *   ← {"id":2,"ok":false,"error":{"code":"CG_STORE_NOT_FOUND","message":"…"}}
 *
 * Unsolicited lines carry an `event` instead of an `id`: `ready` once the
 * engine has started (with how long `start()` took and the refresh counts), `fatal` before a failed start exits, and `applying`
 * when a refresh is held just before its store transaction, once the
 * `hold-before-apply` op asked for it (the test kills the process there).
 * Engine logs go to stderr. The process stops its engine and closes its store when stdin ends.
 *
 * Run with `node --import tsx test/multi-instance/instance.ts`.
 *
 * Environment:
 * - CLAIMSGATE_MI_DATABASE_URL: required.
 * - CLAIMSGATE_MI_NAME: this instance's name (actor `admin:<name>` of its edits); default `instance`.
 * - CLAIMSGATE_MI_RECONCILE_MS: the engine's reconcile interval; default 500.
 * - CLAIMSGATE_MI_FETCH_TIMEOUT_MS: the engine's metadata fetch timeout; default 2,000.
 * - CLAIMSGATE_MI_REQUEST_TIMEOUT_MS: the longest any request may take; default 15,000.
 * - CLAIMSGATE_MI_AUDIENCE: the audience tokens are validated for; default `api://claimsgate-test`.
 */
import { createInterface } from 'node:readline';

import { isClaimsgateError } from '../../src/lib/errors.js';
import { createRolloverEngine, type RolloverEngine } from '../../src/rollover/rollover-engine.js';
import type { IssuerPatch } from '../../src/store/model.js';
import { openStore } from '../../src/store/open-store.js';
import { createStoreReplayCache } from '../../src/store/store-replay-cache.js';
import type { Store } from '../../src/store/store.js';
import { createTokenValidator, type TokenValidator } from '../../src/tokens/create-token-validator.js';

/** A request line from the test. */
export type InstanceRequest =
  | { readonly id: number; readonly op: 'snapshot' }
  | { readonly id: number; readonly op: 'refresh'; readonly issuer: string; readonly force?: boolean }
  | { readonly id: number; readonly op: 'revoke'; readonly sha1: string }
  | { readonly id: number; readonly op: 'add-key'; readonly issuer: string; readonly certificate: string }
  | {
      readonly id: number;
      readonly op: 'update-issuer';
      readonly issuer: string;
      readonly patch: IssuerPatch;
    }
  | { readonly id: number; readonly op: 'replay'; readonly replayId: string; readonly ttlSeconds?: number }
  | { readonly id: number; readonly op: 'validate'; readonly token: string }
  | { readonly id: number; readonly op: 'metrics' }
  /** From now on every refresh is held, forever, just before it is applied. */
  | { readonly id: number; readonly op: 'hold-before-apply' };

/** The trust of one issuer as the snapshot op reports it. */
export interface IssuerView {
  /** SHA-1 thumbprints of the usable keys, sorted. */
  readonly keys: readonly string[];
  readonly allowSha1: boolean;
  readonly lastRefresh: string | null;
}

/** The result of the snapshot op: every issuer by its URI. */
export interface SnapshotView {
  readonly builtAt: string;
  readonly issuers: Readonly<Record<string, IssuerView>>;
}

const NAME = process.env['CLAIMSGATE_MI_NAME'] ?? 'instance';
const REQUEST_TIMEOUT_MS = Number(process.env['CLAIMSGATE_MI_REQUEST_TIMEOUT_MS'] ?? 15_000);
const RECONCILE_MS = Number(process.env['CLAIMSGATE_MI_RECONCILE_MS'] ?? 500);
const FETCH_TIMEOUT_MS = Number(process.env['CLAIMSGATE_MI_FETCH_TIMEOUT_MS'] ?? 2000);
const AUDIENCE = process.env['CLAIMSGATE_MI_AUDIENCE'] ?? 'api://claimsgate-test';
const ACTOR = `admin:${NAME}`;

function send(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function describeError(error: unknown): { code: string; message: string } {
  if (isClaimsgateError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'Error', message: String(error) };
}

/** Whether refreshes are held before they are applied (the `hold-before-apply` op). */
let holdBeforeApply = false;

/**
 * The real store, except that `applyRefresh` announces itself and never
 * returns once holding is asked for: the test kills the process there, after
 * the fetch and before any write.
 */
function holdingBeforeApply(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'applyRefresh' && holdBeforeApply) {
        return (): Promise<void> => {
          send({ event: 'applying', pid: process.pid });
          return new Promise<void>(() => undefined);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function snapshotView(engine: RolloverEngine): SnapshotView {
  const snapshot = engine.snapshot();
  const issuers: Record<string, IssuerView> = {};
  for (const issuer of snapshot.issuers()) {
    issuers[issuer.issuer] = {
      keys: snapshot
        .keysForIssuer(issuer.issuer)
        .map((key) => key.sha1 ?? key.sha256 ?? `kid:${key.kid ?? '?'}`)
        .sort(),
      allowSha1: issuer.allowSha1,
      lastRefresh: issuer.lastRefresh === undefined ? null : issuer.lastRefresh.at.toISOString(),
    };
  }
  return { builtAt: snapshot.builtAt.toISOString(), issuers };
}

async function issuerId(store: Store, idOrName: string): Promise<string> {
  const issuer = await store.getIssuer(idOrName);
  if (issuer === undefined) throw new Error(`no issuer ${idOrName}`);
  return issuer.id;
}

async function handle(
  request: InstanceRequest,
  store: Store,
  engine: RolloverEngine,
  validator: TokenValidator,
): Promise<unknown> {
  switch (request.op) {
    case 'snapshot':
      return snapshotView(engine);
    case 'refresh': {
      const result = await engine.refreshIssuer(request.issuer, { force: request.force ?? false });
      return { ...result, alerts: result.alerts.map((alert) => alert.kind) };
    }
    case 'revoke': {
      const key = (await store.listKeys()).find((entry) => entry.sha1 === request.sha1);
      if (key === undefined) throw new Error(`no key ${request.sha1}`);
      const revoked = await store.setKeyState(key.id, 'revoked', ACTOR, 'multi-instance test');
      return { id: revoked.id, state: revoked.state };
    }
    case 'add-key': {
      const added = await store.addKey(
        {
          issuerId: await issuerId(store, request.issuer),
          certificateDer: Buffer.from(request.certificate, 'base64'),
          source: 'manual',
          state: 'active',
        },
        ACTOR,
      );
      return { id: added.id, sha1: added.sha1, state: added.state };
    }
    case 'update-issuer': {
      const updated = await store.updateIssuer(await issuerId(store, request.issuer), request.patch, ACTOR);
      return { version: updated.version };
    }
    case 'replay': {
      const now = new Date();
      const expiresAt = new Date(now.getTime() + (request.ttlSeconds ?? 300) * 1000);
      return { fresh: await store.checkAndStoreReplay(request.replayId, expiresAt, now) };
    }
    case 'validate': {
      const identity = await validator.validate(request.token);
      return { sha1: identity.signingKey.sha1 ?? null, tokenId: identity.tokenId ?? null };
    }
    case 'metrics':
      return engine.metrics();
    case 'hold-before-apply':
      holdBeforeApply = true;
      return { holding: true };
  }
}

/** Settles with `work`, or rejects after `ms` so no request can hang the test. */
function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the request took more than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const url = process.env['CLAIMSGATE_MI_DATABASE_URL'];
  if (url === undefined || url === '') throw new Error('CLAIMSGATE_MI_DATABASE_URL is required');
  const store = holdingBeforeApply(await openStore(url));
  const engine = createRolloverEngine({
    store,
    fetchSpacingSeconds: 0,
    graceSeconds: 3600,
    fetchTimeoutMs: FETCH_TIMEOUT_MS,
    reconcileIntervalMs: RECONCILE_MS,
    logger: (entry) => process.stderr.write(`${JSON.stringify({ instance: NAME, ...entry })}\n`),
  });
  const validator = createTokenValidator({
    trust: () => engine.snapshot(),
    onUnknownKey: (event) => engine.onUnknownKey(event),
    audiences: AUDIENCE,
    replayCache: createStoreReplayCache(store),
  });
  const startedAt = performance.now();
  await engine.start();
  send({
    event: 'ready',
    pid: process.pid,
    name: NAME,
    startMs: Math.round(performance.now() - startedAt),
    refreshes: engine.metrics().refreshes,
  });

  const pending = new Set<Promise<void>>();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let request: InstanceRequest;
    try {
      request = JSON.parse(line) as InstanceRequest;
    } catch (error) {
      send({ event: 'bad-request', error: describeError(error) });
      return;
    }
    const answered = bounded(handle(request, store, engine, validator), REQUEST_TIMEOUT_MS).then(
      (result) => send({ id: request.id, ok: true, result }),
      (error: unknown) => send({ id: request.id, ok: false, error: describeError(error) }),
    );
    pending.add(answered);
    void answered.finally(() => pending.delete(answered));
  });
  await new Promise<void>((resolve) => lines.once('close', resolve));
  // Stdin ended: finish what was asked, then shut down; a stuck shutdown still ends.
  setTimeout(() => process.exit(3), 5000).unref();
  await Promise.allSettled([...pending]);
  await engine.stop();
  await store.close();
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    send({ event: 'fatal', error: describeError(error) });
    process.exitCode = 1;
  },
);
