import type { Command } from 'commander';
import { loadImportDocument, type ImportDocument } from '../../management/import-document.js';
import { inferLoginUrl, inferProtocols } from '../../management/import-fields.js';
import {
  NEW_ISSUER_BASELINE,
  planImport,
  plannedAdditions,
  provisionalIssuer,
} from '../../management/import-preview.js';
import { daysUntilExpiry } from '../../crypto/certificate.js';
import { ClaimsgateError } from '../../lib/errors.js';
import { DEFAULT_PROBATION_SECONDS } from '../../rollover/judge-continuity.js';
import type { RefreshResult } from '../../rollover/rollover-engine.js';
import type { IssuerPatch, IssuerRecord, NewIssuer } from '../../store/model.js';
import type { Store } from '../../store/store.js';
import { ISSUER_DEFAULTS } from '../../store/validate-input.js';
import { normalizeSignaturePolicy } from '../../store/validate-issuer-input.js';
import { USABLE_KEY_STATES, type KeyState } from '../../tokens/trust-snapshot.js';
import { withEngine } from '../cli-engine.js';
import { confirmChange } from '../confirm-change.js';
import type { LoadedMetadata } from '../load-metadata.js';
import { withStore } from '../open-cli-store.js';
import { EXIT, formatDate, renderTable, toJson, type CliIo } from '../output.js';
import { KEY_HEADER, keyCells, viewKey, type KeyView } from '../store-views.js';
import type { IssuerFieldOptions } from './issuer-fields.js';
import { describeSignature } from './metadata.js';
import type { StoreOptions } from './store-options.js';
import { usage } from './store-options.js';

/** The options of `issuers add`. */
export interface IssuersAddOptions extends IssuerFieldOptions, StoreOptions {
  readonly allowHttp: boolean;
  readonly yes: boolean;
}

function describeStoredAs(state: KeyState): string {
  return USABLE_KEY_STATES.has(state) ? `${state} (trusted)` : `${state} (never trusted)`;
}

function renderPreview(
  name: string,
  fields: IssuerPatch,
  loaded: LoadedMetadata,
  states: readonly KeyState[],
  now: Date,
): string {
  const policy = fields.signaturePolicy ?? ISSUER_DEFAULTS.signaturePolicy;
  const keys = loaded.metadata.signingKeys;
  const lines = [
    `Issuer "${name}" will trust what this metadata publishes:`,
    `Metadata:    ${loaded.origin}`,
    `SHA-256:     ${loaded.sha256}`,
    `Issuer URI:  ${fields.issuerUri ?? '(none)'}`,
    `Protocols:   ${(fields.protocols ?? []).join(', ')}`,
    `Login URL:   ${fields.loginUrl ?? '(none)'}`,
    ...loaded.metadata.endpoints
      .filter((endpoint) => endpoint.kind !== 'saml-slo' && endpoint.url !== fields.loginUrl)
      .map((endpoint) => `Endpoint:    ${endpoint.kind} ${endpoint.url}`),
    `Signature:   ${describeSignature(loaded.signature)} (policy: ${policy.mode})`,
    '',
    `Signing keys, as they will be stored (${keys.length}):`,
    renderTable(
      ['SHA-1 THUMBPRINT', 'KID', 'VALIDITY', 'DAYS LEFT', 'STORED AS', 'SUBJECT', 'SECTIONS'],
      keys.map((key, index) => {
        const certificate = key.certificate;
        return [
          key.sha1 ?? key.sha256 ?? '(no certificate)',
          key.kid ?? '',
          certificate === undefined
            ? ''
            : `${formatDate(certificate.notBefore)} → ${formatDate(certificate.notAfter)}`,
          certificate === undefined ? '' : String(daysUntilExpiry(certificate, now)),
          describeStoredAs(states[index] ?? 'announced'),
          certificate?.subject ?? '',
          key.sections.join(', '),
        ];
      }),
    ),
  ];
  const expired = states.filter((state) => state === 'expired').length;
  if (expired > 0) {
    lines.push(
      `Note: ${expired} of these certificates ha${expired === 1 ? 's' : 've'} expired: stored as expired, never trusted.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function renderCreated(
  issuer: IssuerRecord,
  result: RefreshResult | undefined,
  keys: readonly KeyView[],
): string {
  const lines = [`Created issuer ${issuer.name} (${issuer.issuerUri}), ID ${issuer.id}.`];
  if (result === undefined) {
    lines.push(
      'It has no metadata URL: add its keys with `claimsgate keys add --issuer ' + issuer.name + '`.',
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push('', `Keys stored (${keys.length}):`);
  if (keys.length > 0) lines.push(renderTable(KEY_HEADER, keys.map(keyCells)));
  if (result.alerts.length > 0) {
    lines.push(
      '',
      'Alerts:',
      ...result.alerts.map((alert) => `  ${alert.severity} ${alert.kind}: ${alert.message}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Prints what was stored for a new issuer. */
async function printCreated(
  io: CliIo,
  store: Store,
  issuer: IssuerRecord,
  result: RefreshResult | undefined,
  options: IssuersAddOptions,
): Promise<number> {
  const keys = (await store.listKeys(issuer.id)).map((key) => viewKey(key, issuer.name, io.now()));
  io.stdout(
    options.json
      ? `${toJson({ issuer, refresh: result ?? null, keys })}\n`
      : renderCreated(issuer, result, keys),
  );
  return EXIT.ok;
}

/** An issuer from its metadata, checked as `issuers add` and `issuers add-many` store it; nothing stored yet. */
export interface CheckedMetadataIssuer {
  /** The document fetched and checked, which the issuer is then created from. */
  readonly document: ImportDocument;
  /** The issuer completed from it: issuer URI, protocols and login URL default to what it says. */
  readonly issuer: NewIssuer;
  /** The state each published key will be stored in (expired keys: never trusted). */
  readonly states: readonly KeyState[];
}

/**
 * Fetches and checks an issuer's metadata (the same fetch, checks and
 * key-set following — OpenID Connect discovery → jwks_uri — as the admin
 * site's import and a refresh) and plans what its first refresh would store.
 *
 * @throws ClaimsgateError the fetch's and parser's `CG_META_*` codes, the
 *   signature policy's, `CG_META_NO_SIGNING_KEYS`, `CG_META_SIGNING_KEYS_EXPIRED`.
 */
export async function checkMetadataIssuer(
  io: CliIo,
  name: string,
  fields: IssuerPatch,
  metadataUrl: string,
  allowHttp: boolean,
): Promise<CheckedMetadataIssuer> {
  const document = await loadImportDocument(
    { fetch: io.fetch, now: io.now, allowHttp, fetchTimeoutMs: 10_000, maxMetadataBytes: undefined },
    metadataUrl,
    {
      issuerUri: fields.issuerUri,
      // The policy the issuer will be created with, checked as the store will check it.
      signaturePolicy: normalizeSignaturePolicy(fields.signaturePolicy ?? ISSUER_DEFAULTS.signaturePolicy),
    },
  );
  const metadata = { ...document.metadata, signingKeys: document.signingKeys };
  const loginUrl = fields.loginUrl === undefined ? inferLoginUrl(metadata) : fields.loginUrl;
  const issuer: NewIssuer = {
    ...fields,
    name,
    issuerUri: document.issuerUri,
    protocols: fields.protocols ?? inferProtocols(metadata),
    ...(loginUrl === undefined ? {} : { loginUrl }),
  };
  // What the first refresh will store, planned before asking: a document whose every key has
  // expired is refused here (CG_META_SIGNING_KEYS_EXPIRED), not turned into an issuer that signs nobody in.
  // A new issuer has no key to leave (no grace) and its first document is its trust anchor (no probation).
  const plan = planImport(document, provisionalIssuer(issuer, io.now()), NEW_ISSUER_BASELINE, io.now(), {
    graceSeconds: 0,
    probationSeconds: DEFAULT_PROBATION_SECONDS,
  });
  return { document, issuer, states: plannedAdditions(plan, metadata.signingKeys) };
}

/**
 * `issuers add`: with `--metadata-url`, fetch and check the metadata, show
 * what will be stored (each key's state: trusted, or expired and never
 * trusted), ask, then create the issuer with exactly those keys in one
 * transaction; without it, a manual-only issuer.
 *
 * @throws ClaimsgateError the fetch's and parser's `CG_META_*` codes, the
 *   signature policy's, `CG_META_NO_SIGNING_KEYS`, `CG_META_SIGNING_KEYS_EXPIRED`
 *   (every key expired: nothing is stored), `CG_CONFIG_CONFIRMATION_REQUIRED`, `CG_STORE_*`.
 */
export async function runIssuersAdd(
  io: CliIo,
  command: Command,
  name: string,
  fields: IssuerPatch,
  options: IssuersAddOptions,
): Promise<number> {
  const metadataUrl = fields.metadataUrl ?? undefined;
  if (metadataUrl === undefined) {
    const issuerUri = fields.issuerUri;
    if (issuerUri === undefined) {
      usage(
        command,
        'give --metadata-url, or --issuer-uri for an issuer whose keys you add with `claimsgate keys add`',
      );
    }
    return withStore(io, options.db, async (store) =>
      printCreated(
        io,
        store,
        await store.createIssuer({ ...fields, name, issuerUri }, io.actor),
        undefined,
        options,
      ),
    );
  }
  // Checked before the fetch and the question, so that a confirmed import does not fail on the name.
  await withStore(io, options.db, async (store) => {
    if ((await store.getIssuer(name)) !== undefined) {
      throw new ClaimsgateError('CG_STORE_DUPLICATE', `An issuer named "${name}" already exists.`, {
        hint: `Choose another name, or refresh the existing issuer: claimsgate issuers refresh ${name}.`,
        detail: { entity: 'issuer', field: 'name', observed: name },
      });
    }
  });
  const {
    document,
    issuer: complete,
    states,
  } = await checkMetadataIssuer(io, name, fields, metadataUrl, options.allowHttp);
  const loaded: LoadedMetadata = {
    origin:
      document.keySet === undefined
        ? document.metadataUrl
        : `${document.metadataUrl} (keys: ${document.keySet.url})`,
    metadata: { ...document.metadata, signingKeys: document.signingKeys },
    signature: document.signature,
    sha256: document.sha256,
  };
  const preview = renderPreview(name, complete, loaded, states, io.now());
  if (!options.json) io.stdout(preview);
  const count = states.filter((state) => USABLE_KEY_STATES.has(state)).length;
  const question = `Trust ${count === 1 ? 'this signing key' : `these ${count} signing keys`} for issuer "${name}"?`;
  if (!(await confirmChange(io, question, options.yes, options.json ? preview : ''))) {
    io.stderr('Nothing was stored.\n');
    return EXIT.rejected;
  }
  return withStore(io, options.db, async (store) => {
    // One transaction: the issuer with the keys just shown, or nothing at all.
    const { issuer, result } = await withEngine(io, store, { allowHttp: options.allowHttp }, (engine) =>
      engine.addIssuer(complete, document.attempt, io.actor),
    );
    return printCreated(io, store, issuer, result, options);
  });
}
