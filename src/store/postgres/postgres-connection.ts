import pg from 'pg';

import { ClaimsgateError } from '../../lib/errors.js';

/** How to reach the database: the URL without our own parameters, and the schema to use. */
export interface PostgresTarget {
  /** The connection string handed to `pg`, with `schema` removed. */
  readonly connectionString: string;
  /** The schema holding claimsgate's tables; null to use the server's search_path (normally `public`). */
  readonly schema: string | null;
  /** The URL's `statement_timeout` in milliseconds (0: none), when it gives one. */
  readonly statementTimeoutMs: number | undefined;
  /** Where the database is, for error details and logs: never the password. */
  readonly where: {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
  };
}

// Unquoted-identifier shape, lower case: the schema name is interpolated into
// SQL as an identifier and must round-trip without surprises.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Reads a `postgres://` / `postgresql://` URL and the `schema` option (the
 * option wins over the URL's `?schema=` parameter).
 *
 * @throws TypeError when the URL is not a PostgreSQL URL or the schema name is not a plain lower-case identifier.
 */
export function resolvePostgresTarget(url: string, schemaOption?: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('database url must be a postgres:// or postgresql:// URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new TypeError('database url must be a postgres:// or postgresql:// URL');
  const fromUrl = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const schema = schemaOption ?? fromUrl;
  if (schema !== null && !SCHEMA_NAME.test(schema))
    throw new TypeError('schema must be a lower-case identifier: letters, digits and _, at most 63');
  // Read here rather than by pg, which would parseInt '30s' into 30 ms.
  const timeout = parsed.searchParams.get('statement_timeout');
  parsed.searchParams.delete('statement_timeout');
  if (timeout !== null && !/^\d{1,10}$/.test(timeout))
    throw new TypeError(
      'statement_timeout in the database URL must be a whole number of milliseconds (0: none)',
    );
  return {
    connectionString: parsed.toString(),
    schema,
    statementTimeoutMs: timeout === null ? undefined : Number(timeout),
    where: {
      host: decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || 'localhost',
      port: parsed.port === '' ? 5432 : Number(parsed.port),
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)',
      user: decodeURIComponent(parsed.username) || '(default)',
    },
  };
}

/** Settings shared by the pools and the listener connection. */
export interface ConnectionSettings {
  readonly connectTimeoutMs: number;
  readonly applicationName: string;
  /** The server cancels a statement running longer (`statement_timeout`); 0 for none. */
  readonly statementTimeoutMs: number;
}

/** The `pg` client configuration for one target: the URL's own settings win over ours. */
export function clientConfig(target: PostgresTarget, settings: ConnectionSettings): pg.ClientConfig {
  return {
    connectionString: target.connectionString,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    application_name: settings.applicationName,
    // Sent as a start-up parameter, so it holds for every statement of the session from the first.
    statement_timeout: settings.statementTimeoutMs,
    // The schema is set at connection start-up, so no query can ever run on
    // another search_path (the name is a plain identifier: see SCHEMA_NAME).
    ...(target.schema === null ? {} : { options: `-c search_path=${target.schema}` }),
  };
}

/** Creates a pool; every connection uses the target's schema from its start-up parameters. */
export function createPool(target: PostgresTarget, settings: ConnectionSettings, max: number): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(target, settings), max });
  // An idle connection that dies (server restart, pg_terminate_backend) is
  // reported here; the pool drops it and the next query gets a new one.
  pool.on('error', () => undefined);
  return pool;
}

/** Wraps a failure to reach the database as `CG_STORE_UNAVAILABLE`, naming where (never the password). */
export function unavailable(target: PostgresTarget, cause: unknown): ClaimsgateError {
  const { host, port, database, user } = target.where;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ClaimsgateError(
    'CG_STORE_UNAVAILABLE',
    `Cannot reach PostgreSQL database ${database} at ${host}:${port} as ${user}: ${reason}`,
    { detail: { host, port, database, user, reason }, cause },
  );
}

/** True when the server cancelled a statement for running past `statement_timeout` (SQLSTATE 57014). */
export function isStatementTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === '57014' &&
    /statement timeout/i.test(error.message)
  );
}

/** `CG_STORE_TIMEOUT` for a statement the server cancelled at the statement timeout. */
export function timedOut(target: PostgresTarget, timeoutMs: number, cause: unknown): ClaimsgateError {
  const { host, port, database } = target.where;
  return new ClaimsgateError(
    'CG_STORE_TIMEOUT',
    `A statement on PostgreSQL database ${database} at ${host}:${port} ran longer than the statement timeout (${timeoutMs} ms) and was cancelled.`,
    { detail: { host, port, database, timeoutMs }, cause },
  );
}

/** SQLSTATEs that mean the server will not do any work for us now, whatever the statement. */
const REFUSING_WORK = /^(53|55000$|57)/;

/**
 * Any failure of a statement as the store's coded error, so that no driver
 * error (its message names the database, a table or a value) leaves the
 * store: a ClaimsgateError unchanged; a lost or refused connection, or a
 * server refusing all work (too many connections, a database not accepting
 * connections, shutting down), `CG_STORE_UNAVAILABLE`; any other error
 * PostgreSQL reported (a table missing, a permission denied)
 * `CG_STORE_QUERY_FAILED` with its SQLSTATE. A statement the server
 * cancelled at `statementTimeoutMs` is `CG_STORE_TIMEOUT`. Anything else (a
 * bug of ours) is returned unchanged.
 */
export function storeFailure(target: PostgresTarget, error: unknown, statementTimeoutMs: number): unknown {
  if (error instanceof ClaimsgateError) return error;
  // pg-pool's wait for a pooled connection ran out: every connection is busy (load), which says
  // nothing of the database being down (security review 8: it started an outage).
  if (isPoolWaitTimeout(error)) {
    const { host, port, database } = target.where;
    return new ClaimsgateError(
      'CG_STORE_TIMEOUT',
      `Every connection to PostgreSQL database ${database} at ${host}:${port} stayed busy for the connect timeout.`,
      { detail: { host, port, database, reason: 'pool busy' }, cause: error },
    );
  }
  if (isConnectionFailure(error)) return unavailable(target, error);
  // Before the SQLSTATE classes: 57014 is in class 57 (refusing work), but a
  // statement over the timeout is one slow statement, not a database that is down.
  if (isStatementTimeout(error)) return timedOut(target, statementTimeoutMs, error);
  if (!(error instanceof pg.DatabaseError)) return error;
  const sqlState = error.code ?? null;
  if (sqlState !== null && REFUSING_WORK.test(sqlState)) return unavailable(target, error);
  const { database } = target.where;
  return new ClaimsgateError(
    'CG_STORE_QUERY_FAILED',
    `A statement on PostgreSQL database ${database} failed: ${error.message} (SQLSTATE ${sqlState ?? 'unknown'}).`,
    { detail: { database, sqlState, reason: error.message }, cause: error },
  );
}

/** pg-pool's refusal after waiting `connectionTimeoutMillis` for one of its connections to be free. */
function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout exceeded when trying to connect';
}

/** True when `error` says the connection itself failed, rather than a statement. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error) || isPoolWaitTimeout(error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // Class 08 connection exceptions, 28 authorization, 3D000 no such database,
    // 57P0x server shutting down; Node's socket errors.
    if (/^(08|28|57P0)/.test(code) || code === '3D000') return true;
    if (/^E[A-Z]+$/.test(code)) return true;
  }
  return /timeout|terminated|Connection/i.test(error.message) && code === undefined;
}

/** A connection taken from a pool for a while (a transaction, a held lock). */
export interface TakenConnection {
  readonly client: pg.PoolClient;
  /**
   * Returns the connection to the pool; destroys it instead when `error` is
   * given or the connection failed while taken (a broken session must not
   * be handed to the next caller).
   */
  release(error?: unknown): void;
}

/**
 * Takes a connection from `pool`, listening for its `error` event meanwhile:
 * pg-pool listens only to idle connections, and an `error` emitted by a taken
 * one with no listener (the server ended the session, the network broke)
 * would be an uncaught exception that ends the process.
 *
 * @throws ClaimsgateError `CG_STORE_UNAVAILABLE` when no connection can be made.
 */
export async function takeConnection(pool: pg.Pool, target: PostgresTarget): Promise<TakenConnection> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw unavailable(target, error);
  }
  let failed: Error | undefined;
  const onError = (error: Error): void => {
    failed ??= error;
  };
  client.on('error', onError);
  let released = false;
  return {
    client,
    release(error) {
      if (released) return;
      released = true;
      client.off('error', onError);
      const broken = failed ?? (error === undefined ? undefined : asError(error));
      client.release(broken);
    },
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
