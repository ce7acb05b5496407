import { ClaimsgateError } from '../lib/errors.js';

/** Where a command writes; injectable so that tests capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<Buffer>;
  readonly now: () => Date;
  readonly fetch: typeof globalThis.fetch;
  /** The environment (`CLAIMSGATE_DATABASE_URL`, …). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Who the audit log names for changes made by this run: `cli:<os user>`. */
  readonly actor: string;
  /**
   * Asks a yes/no question on the terminal. Resolves `undefined` when there is
   * no terminal to ask on (standard input is not a TTY).
   */
  readonly confirm: (question: string) => Promise<boolean | undefined>;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, rejected: 1, usage: 2 } as const;

/** Writes a coded error for a person (or as JSON), to stderr. */
export function reportError(io: CliIo, error: ClaimsgateError, json: boolean): void {
  if (json) {
    io.stderr(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    return;
  }
  const lines = [`error ${error.code}: ${error.message}`, `  what to do: ${error.hint}`];
  const detail = Object.entries(error.detail).filter(([, value]) => value !== undefined);
  for (const [key, value] of detail) {
    lines.push(`  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  io.stderr(`${lines.join('\n')}\n`);
}

/** Renders rows as an aligned text table with a header row. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  // A column with nothing in any row (a KID column for XML metadata) is left out.
  const kept = header.map((_, column) => rows.some((row) => (row[column] ?? '') !== ''));
  if (kept.some((keep) => !keep) && rows.length > 0) {
    const pick = (row: readonly string[]): string[] => row.filter((_, column) => kept[column]);
    return renderTable(pick(header), rows.map(pick));
  }
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const render = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)].join('\n');
}

/** `2026-11-29` from a date. */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `2026-11-29T12:00:00Z` from a date (ISO 8601 to the second). */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** JSON with dates as ISO strings and buffers / key objects left out. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (key, item: unknown) => {
      if (key === 'der' || key === 'publicKey') return undefined;
      if (item instanceof ClaimsgateError) return item.toJSON();
      return item;
    },
    2,
  );
}
