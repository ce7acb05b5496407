import type { Command } from 'commander';
import type { DiscontinuityPolicy, IssuerPatch, Protocol } from '../../store/model.js';
import { collect } from './metadata.js';
import {
  collectProtocol,
  parseClearableUrl,
  parseDiscontinuityPolicy,
  parseHttpUrl,
  parseRefreshInterval,
  parseSignaturePolicyMode,
  signaturePolicyFrom,
  type SignaturePolicyMode,
} from './store-options.js';

/** The issuer settings `issuers add` and `issuers edit` take, as commander parses them. */
export interface IssuerFieldOptions {
  readonly name?: string;
  readonly issuerUri?: string;
  readonly metadataUrl?: string | null;
  readonly description?: string;
  readonly label?: string;
  readonly protocol?: Protocol[];
  readonly loginUrl?: string | null;
  readonly useForLogin?: boolean;
  readonly refreshInterval?: number;
  readonly signaturePolicy?: SignaturePolicyMode;
  readonly pinSigner?: string[];
  readonly allowSha1?: boolean;
  /** `false` from `--no-tenant`. */
  readonly tenant?: string[] | false;
  readonly onDiscontinuity?: DiscontinuityPolicy;
  readonly requireSignedAssertion?: boolean;
  /** `false` from `--no-domain`. */
  readonly domain?: string[] | false;
}

/** Collects `--tenant` or `--domain` values; `--no-tenant` / `--no-domain` before them counts as none. */
function collectList(value: string, previous: string[] | false | undefined): string[] {
  return [...(Array.isArray(previous) ? previous : []), value];
}

/**
 * Adds the issuer settings to `issuers add` (`forEdit` false) or `issuers
 * edit` (true: `--name` to rename, an empty URL clears it, and the booleans
 * can be switched both ways).
 */
export function addIssuerFieldOptions(command: Command, forEdit: boolean): Command {
  const url = forEdit ? parseClearableUrl : parseHttpUrl;
  if (forEdit) command.option('--name <name>', 'rename the issuer');
  command
    .option('--issuer-uri <uri>', 'the issuer URI / entityID its tokens name (may be a {tenantid} template)')
    .option(
      '--metadata-url <url>',
      forEdit
        ? 'where its metadata is published ("" makes it a manual-only issuer)'
        : 'where its metadata is published: the keys are imported from it and followed from then on',
      url,
    )
    .option('--description <text>', 'a description for the admin pages')
    .option(
      '--label <label>',
      'prefix of mapped identities (K2AAD in K2AAD:bob@contoso.com); default the name',
    )
    .option(
      '--protocol <protocol>',
      'wsfed, saml2 or oidc (repeatable; default from the metadata)',
      collectProtocol,
    )
    .option(
      '--login-url <url>',
      forEdit
        ? 'where users are sent to sign in ("" clears it)'
        : 'where users are sent to sign in (default from the metadata)',
      url,
    );
  if (forEdit) command.option('--use-for-login', 'list it on the home-realm page');
  command
    .option('--no-use-for-login', 'do not list it on the home-realm page')
    .option(
      '--refresh-interval <seconds>',
      'how often its metadata is fetched (default 3600)',
      parseRefreshInterval,
    )
    .option(
      '--signature-policy <mode>',
      'what the metadata signature must be: off, self-consistent (default) or pinned',
      parseSignaturePolicyMode,
    )
    .option(
      '--pin-signer <thumbprint>',
      'require the metadata to be signed by this certificate (repeatable; implies pinned); never for Azure AD',
      collect,
    )
    .option('--allow-sha1', 'accept RSA-SHA1 signatures and SHA-1 digests in its tokens')
    .option(
      '--on-discontinuity <policy>',
      'a document replacing every key without continuity: auto (default: hold over http, accept with a critical alert over https), hold (wait for approval) or accept-with-alert',
      parseDiscontinuityPolicy,
    );
  if (forEdit) {
    command.option('--no-allow-sha1', 'refuse RSA-SHA1 signatures and SHA-1 digests again');
    command.option(
      '--require-signed-assertion',
      'SAML 2.0: refuse an assertion without its own signature, even inside a signed Response',
    );
  }
  command.option(
    '--no-require-signed-assertion',
    forEdit
      ? 'SAML 2.0: accept a signed Response around an unsigned assertion again (Keycloak signs the Response only by default)'
      : 'SAML 2.0: accept a signed Response around an unsigned assertion (by default the assertion must be signed itself; Keycloak signs the Response only by default)',
  );
  command.option(
    '--tenant <id>',
    forEdit
      ? 'the tenants allowed under a {tenantid} issuer URI (repeatable; replaces the list; "" clears it)'
      : 'a tenant allowed under a {tenantid} issuer URI (repeatable)',
    collectList,
  );
  if (forEdit) command.option('--no-tenant', 'clear the allowed tenants (the same as --tenant "")');
  command.option(
    '--domain <domain>',
    forEdit
      ? 'the e-mail domains whose users it signs in, sent here by the sign-in page (repeatable; replaces the list; "" clears it)'
      : 'an e-mail domain whose users it signs in (contoso.com), sent here by the sign-in page (repeatable; one issuer per domain)',
    collectList,
  );
  if (forEdit) command.option('--no-domain', 'clear its e-mail domains (the same as --domain "")');
  return command;
}

/** The list `--tenant` or `--domain` give: `--no-…` or only `""` clear it; `""` is never an entry. */
function listFrom(list: IssuerFieldOptions['tenant']): string[] | undefined {
  if (list === undefined) return undefined;
  if (list === false) return [];
  return list.filter((entry) => entry.trim() !== '');
}

/** The issuer fields the options give, and only those. */
export function issuerFieldsFrom(command: Command, options: IssuerFieldOptions): IssuerPatch {
  const signaturePolicy = signaturePolicyFrom(command, options.signaturePolicy, options.pinSigner);
  // Every field is listed, so that a setting added to IssuerPatch is not forgotten here.
  const fields: { readonly [K in keyof Required<IssuerPatch>]: IssuerPatch[K] | undefined } = {
    name: options.name,
    issuerUri: options.issuerUri,
    metadataUrl: options.metadataUrl,
    description: options.description,
    label: options.label,
    protocols: options.protocol,
    loginUrl: options.loginUrl,
    useForLogin: options.useForLogin,
    refreshIntervalSeconds: options.refreshInterval,
    signaturePolicy,
    allowSha1: options.allowSha1,
    allowedTenants: listFrom(options.tenant),
    discontinuityPolicy: options.onDiscontinuity,
    requireSignedAssertion: options.requireSignedAssertion,
    domains: listFrom(options.domain),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
