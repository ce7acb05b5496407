import { readFile } from 'node:fs/promises';
import { ClaimsgateError } from '../lib/errors.js';
import { fetchMetadata } from '../metadata/fetch-metadata.js';
import type { CliIo } from './output.js';

/** The bytes of a command's input and where they came from. */
export interface SourceBytes {
  readonly bytes: Buffer;
  /** `stdin`, the file path, or the final URL. */
  readonly origin: string;
}

/**
 * Reads a command's input: `-` for standard input, an `http(s)://` URL
 * (fetched with the metadata fetcher's limits), or a file path.
 *
 * @throws ClaimsgateError `CG_CONFIG_INPUT_UNREADABLE` for a file that cannot be read,
 *   and the fetcher's `CG_META_*` codes for a URL.
 */
export async function readSource(
  source: string,
  io: CliIo,
  options: { allowHttp?: boolean } = {},
): Promise<SourceBytes> {
  if (source === '-') return { bytes: await io.readStdin(), origin: 'stdin' };
  if (/^https?:\/\//i.test(source)) {
    const result = await fetchMetadata(source, {
      allowHttp: options.allowHttp ?? false,
      fetch: io.fetch,
      now: io.now,
    });
    if (result.status !== 'ok') throw new TypeError('an unconditional request cannot answer 304');
    return { bytes: result.body, origin: result.url };
  }
  try {
    return { bytes: await readFile(source), origin: source };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ClaimsgateError('CG_CONFIG_INPUT_UNREADABLE', `Cannot read ${source}: ${code ?? 'error'}.`, {
      cause,
      detail: { observed: code, path: source },
    });
  }
}
