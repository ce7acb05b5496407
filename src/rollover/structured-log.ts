/** One structured log line: a level, an event name and flat facts. Never token contents. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly event: string;
  readonly [field: string]: unknown;
}

/** Where the rollover engine writes its log lines. */
export type Logger = (entry: LogEntry) => void;

/** The default logger: one JSON object per line on standard output, with the time first. */
export const consoleJsonLogger: Logger = (entry) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...entry }));
};
