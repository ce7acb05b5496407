import {
  checkMetadataSignature,
  type MetadataSignatureReport,
} from '../metadata/check-metadata-signature.js';
import type { IssuerMetadata } from '../metadata/model.js';
import { parseMetadata } from '../metadata/parse-metadata.js';
import type { CliIo } from './output.js';
import { readSource } from './read-source.js';

/** Metadata as the CLI commands use it: parsed, with its signature checked. */
export interface LoadedMetadata {
  readonly origin: string;
  readonly metadata: IssuerMetadata;
  /** Undefined for JSON documents, which carry no signature. */
  readonly signature: MetadataSignatureReport | undefined;
  readonly sha256: string;
}

/** Reads, parses and signature-checks a metadata document named on the command line. */
export async function loadMetadata(
  io: CliIo,
  source: string,
  options: { readonly allowHttp: boolean; readonly entityId: string | undefined },
): Promise<LoadedMetadata> {
  const { bytes, origin } = await readSource(source, io, { allowHttp: options.allowHttp });
  const parsed = parseMetadata(bytes, options.entityId === undefined ? {} : { entityId: options.entityId });
  const signature =
    parsed.xml === undefined ? undefined : checkMetadataSignature(parsed.xml.root, parsed.metadata);
  return { origin, metadata: parsed.metadata, signature, sha256: parsed.rawSha256 };
}
