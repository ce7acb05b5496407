import pg from 'pg';

import type { StoreChange } from '../model.js';
import {
  clientConfig,
  unavailable,
  type ConnectionSettings,
  type PostgresTarget,
} from './postgres-connection.js';

/** The LISTEN/NOTIFY channel every claimsgate instance uses. */
export const CHANGE_CHANNEL = 'claimsgate_changes';

/**
 * The change emitted after the listening connection was lost and restored:
 * notifications sent meanwhile are gone, so consumers must reload everything.
 */
export const RESYNC_CHANGE: StoreChange = Object.freeze({ kind: 'refresh', issuerId: null });

const KINDS: ReadonlySet<string> = new Set<StoreChange['kind']>([
  'issuer',
  'key',
  'realm',
  'mapping',
  'refresh',
  'session',
  'pending-change',
]);

/** The SQL that broadcasts one change; run it inside the mutation's transaction (delivered at COMMIT). */
export const NOTIFY_SQL = `SELECT pg_notify('${CHANGE_CHANNEL}', $1)`;

/** Where a change happened: the schema (stores in other schemas ignore it) and the sending instance. */
export interface ChangeOrigin {
  readonly schema: string;
  /** A random ID per open store: an instance skips its own notifications, having told its listeners at commit. */
  readonly instance: string;
}

/** The NOTIFY payload: the change and its origin, as JSON (well under PostgreSQL's 8000-byte limit). */
export function changePayload(origin: ChangeOrigin, change: StoreChange): string {
  return JSON.stringify({
    schema: origin.schema,
    instance: origin.instance,
    kind: change.kind,
    issuerId: change.issuerId,
  });
}

/**
 * Reads a payload as received by `self`; undefined for a change of another
 * schema, one `self` sent, or anything malformed (the channel is open to any
 * session of the database, so nothing in it is trusted to be well formed).
 */
export function parseChangePayload(self: ChangeOrigin, payload: string | undefined): StoreChange | undefined {
  if (payload === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { schema, instance, kind, issuerId } = value as Record<string, unknown>;
  if (schema !== self.schema || instance === self.instance) return undefined;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return undefined;
  if (issuerId !== null && typeof issuerId !== 'string') return undefined;
  return { kind: kind as StoreChange['kind'], issuerId };
}

export interface ChangeFeedOptions {
  readonly target: PostgresTarget;
  readonly settings: ConnectionSettings;
  /** This store: notifications of other schemas and its own are skipped. */
  readonly self: ChangeOrigin;
  /** Receives every change of other instances, and {@link RESYNC_CHANGE} after a reconnection. */
  readonly emit: (change: StoreChange) => void;
  /** First reconnection delay; doubled after each failure up to `maxReconnectDelayMs`. */
  readonly reconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
}

/** The receiving half of change broadcasting: one LISTENing connection. */
export interface ChangeFeed {
  /** Whether the LISTEN connection is up (false from its loss until it is back). */
  live(): boolean;
  close(): Promise<void>;
}

/**
 * Opens a dedicated connection (outside the pool: a pooled connection is
 * handed to others between queries and would miss notifications) that
 * LISTENs on {@link CHANGE_CHANNEL}. When it drops, it reconnects with
 * exponential backoff and then emits {@link RESYNC_CHANGE}.
 *
 * @throws ClaimsgateError `CG_STORE_UNAVAILABLE` when the first connection fails.
 */
export async function openChangeFeed(options: ChangeFeedOptions): Promise<ChangeFeed> {
  let client: pg.Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  async function connect(): Promise<pg.Client> {
    // TCP keepalive notices a silently dead peer (a failover, a dropped NAT entry) on an otherwise idle socket.
    const next = new pg.Client({
      ...clientConfig(options.target, options.settings),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // Attached before connecting so that no error is ever unhandled.
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    next.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL) return;
      const change = parseChangePayload(options.self, message.payload);
      if (change !== undefined) options.emit(change);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      next.removeAllListeners('end');
      await next.end().catch(() => undefined);
      throw error;
    }
    return next;
  }

  function lost(which: pg.Client): void {
    if (closed || which !== client) return;
    client = undefined;
    which.end().catch(() => undefined);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    // Jittered, so that instances cut off together (a server restart) do not reconnect in lockstep.
    const backoff = Math.min(options.maxReconnectDelayMs, options.reconnectDelayMs * 2 ** failures);
    const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().then(
        (next) => {
          if (closed) {
            next.end().catch(() => undefined);
            return;
          }
          client = next;
          failures = 0;
          // Whatever was broadcast while nobody listened is lost: tell consumers to reload everything.
          options.emit(RESYNC_CHANGE);
        },
        () => {
          if (closed) return;
          failures += 1;
          scheduleReconnect();
        },
      );
    }, delay);
  }

  try {
    client = await connect();
  } catch (error) {
    throw unavailable(options.target, error);
  }

  return {
    live: () => !closed && client !== undefined,
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      const last = client;
      client = undefined;
      if (last !== undefined) await last.end().catch(() => undefined);
    },
  };
}
