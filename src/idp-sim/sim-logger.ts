/** One structured log line of the IdP simulator: a level, an event name and flat facts. */
export interface SimLogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Where the IdP simulator writes its log lines. */
export type SimLogger = (entry: SimLogEntry) => void;

/** A logger that drops every line (the default for tests and embedding). */
export const silentLogger: SimLogger = () => undefined;
