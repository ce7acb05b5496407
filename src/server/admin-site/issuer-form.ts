/** The issuer edit form: its fields, and the update a submitted form asks for. */
import type { IssuerUpdate, IssuerView } from '../../management/service.js';
import { ClaimsgateError } from '../../lib/errors.js';
import { joinHtml, type SafeHtml } from '../../lib/html.js';
import type { MetadataSignaturePolicy } from '../../metadata/check-metadata-signature.js';
import type { DiscontinuityPolicy, Protocol } from '../../store/model.js';
import {
  checkboxField,
  checkboxGroup,
  hiddenField,
  postForm,
  selectField,
  textareaField,
  textField,
} from './admin-html.js';
import { checkboxOf, fieldText, fieldValues, type FormFields } from './admin-responses.js';

const PROTOCOL_CHOICES = [
  { value: 'wsfed', label: 'WS-Federation' },
  { value: 'saml2', label: 'SAML 2.0' },
  { value: 'oidc', label: 'OpenID Connect' },
] as const;

const POLICY_CHOICES = [
  {
    value: 'self-consistent',
    label: 'Self-consistent: a signed document must verify with its own certificate',
  },
  { value: 'pinned', label: 'Pinned: the document must be signed by one of the signers below' },
  { value: 'off', label: 'Off: the document’s signature is not checked' },
] as const;

const DISCONTINUITY_CHOICES = [
  {
    value: 'auto',
    label:
      'Auto: hold a document fetched over plain http, accept one fetched over https with a critical alert',
  },
  { value: 'hold', label: 'Hold: keep the current keys until an administrator approves the change' },
  {
    value: 'accept-with-alert',
    label: 'Accept with alert: apply it at once, retire the replaced keys at once, raise a critical alert',
  },
] as const;

/** The values the form shows: an issuer's fields, or what the admin submitted. */
export interface IssuerFormValues {
  readonly name: string;
  readonly description: string;
  readonly issuerUri: string;
  readonly metadataUrl: string;
  readonly loginUrl: string;
  readonly label: string;
  readonly protocols: readonly string[];
  readonly useForLogin: boolean;
  readonly refreshIntervalSeconds: string;
  readonly allowSha1: boolean;
  readonly requireSignedAssertion: boolean;
  readonly allowedTenants: string;
  /** One domain per line; undefined when a submitted form did not carry the field (it then stays as it is). */
  readonly domains: string | undefined;
  readonly policyMode: string;
  readonly pinnedSigners: string;
  readonly discontinuityPolicy: string;
  readonly version: string;
}

/** The form values of a stored issuer. */
export function issuerFormValues(issuer: IssuerView): IssuerFormValues {
  return {
    name: issuer.name,
    description: issuer.description,
    issuerUri: issuer.issuerUri,
    metadataUrl: issuer.metadataUrl ?? '',
    loginUrl: issuer.loginUrl ?? '',
    label: issuer.label,
    protocols: issuer.protocols,
    useForLogin: issuer.useForLogin,
    refreshIntervalSeconds: String(issuer.refreshIntervalSeconds),
    allowSha1: issuer.allowSha1,
    requireSignedAssertion: issuer.requireSignedAssertion,
    allowedTenants: issuer.allowedTenants.join('\n'),
    domains: issuer.domains.join('\n'),
    policyMode: issuer.signaturePolicy.mode,
    pinnedSigners:
      issuer.signaturePolicy.mode === 'pinned' ? issuer.signaturePolicy.pinnedSigners.join('\n') : '',
    discontinuityPolicy: issuer.discontinuityPolicy,
    version: String(issuer.version),
  };
}

/**
 * The form values a submitted form carries. An absent checkbox means
 * unchecked, except `requireSignedAssertion`: turning it off lets a signed
 * Response carry an unsigned assertion, so a form that does not carry the box
 * at all leaves the issuer's setting (`current`) as it is instead of
 * weakening it.
 */
export function submittedIssuerValues(fields: FormFields, current: IssuerView): IssuerFormValues {
  return {
    name: fieldText(fields, 'name'),
    description: fieldText(fields, 'description'),
    issuerUri: fieldText(fields, 'issuerUri'),
    metadataUrl: fieldText(fields, 'metadataUrl'),
    loginUrl: fieldText(fields, 'loginUrl'),
    label: fieldText(fields, 'label'),
    protocols: fieldValues(fields, 'protocols'),
    useForLogin: fieldText(fields, 'useForLogin') !== '',
    refreshIntervalSeconds: fieldText(fields, 'refreshIntervalSeconds'),
    allowSha1: fieldText(fields, 'allowSha1') !== '',
    requireSignedAssertion: checkboxOf(fields, 'requireSignedAssertion') ?? current.requireSignedAssertion,
    allowedTenants: fieldText(fields, 'allowedTenants'),
    domains: fields['domains'] === undefined ? undefined : fieldText(fields, 'domains'),
    policyMode: fieldText(fields, 'policyMode'),
    pinnedSigners: fieldText(fields, 'pinnedSigners'),
    discontinuityPolicy: fieldText(fields, 'discontinuityPolicy'),
    version: fieldText(fields, 'version'),
  };
}

function inputError(field: string, message: string, observed: unknown): ClaimsgateError {
  return new ClaimsgateError('CG_ADMIN_INPUT_INVALID', message, { detail: { field, observed } });
}

/** Non-empty lines, trimmed. */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * The update a submitted form asks for. The store checks every value again;
 * this only turns form text into typed values.
 *
 * @throws ClaimsgateError `CG_ADMIN_INPUT_INVALID` naming the field when a
 *   value cannot be read (no protocol, a refresh interval that is not a
 *   whole number, an unknown policy).
 */
export function readIssuerUpdate(values: IssuerFormValues): {
  update: IssuerUpdate;
  expectedVersion?: number;
} {
  if (values.protocols.length === 0) throw inputError('protocols', 'Choose at least one protocol.', []);
  const protocols = values.protocols.filter((p): p is Protocol =>
    PROTOCOL_CHOICES.some((c) => c.value === p),
  );
  if (protocols.length !== values.protocols.length)
    throw inputError('protocols', 'Choose protocols from the list.', values.protocols);
  const interval = values.refreshIntervalSeconds.trim();
  if (!/^[0-9]{1,9}$/.test(interval) || Number(interval) <= 0)
    throw inputError(
      'refreshIntervalSeconds',
      'The refresh interval must be a whole number of seconds above 0.',
      interval,
    );
  let signaturePolicy: MetadataSignaturePolicy;
  switch (values.policyMode) {
    case 'off':
    case 'self-consistent':
      signaturePolicy = { mode: values.policyMode };
      break;
    case 'pinned':
      signaturePolicy = { mode: 'pinned', pinnedSigners: lines(values.pinnedSigners) };
      break;
    default:
      throw inputError('policyMode', 'Choose a signature policy from the list.', values.policyMode);
  }
  // A form without the field (an older page) leaves the policy as it is.
  const discontinuityPolicy: DiscontinuityPolicy | undefined =
    values.discontinuityPolicy === ''
      ? undefined
      : DISCONTINUITY_CHOICES.find((c) => c.value === values.discontinuityPolicy)?.value;
  if (discontinuityPolicy === undefined && values.discontinuityPolicy !== '')
    throw inputError(
      'discontinuityPolicy',
      'Choose what to do with a discontinuous document from the list.',
      values.discontinuityPolicy,
    );
  const version = Number(values.version);
  return {
    update: {
      name: values.name,
      description: values.description,
      issuerUri: values.issuerUri,
      metadataUrl: values.metadataUrl.trim() === '' ? null : values.metadataUrl,
      loginUrl: values.loginUrl.trim() === '' ? null : values.loginUrl,
      label: values.label,
      protocols,
      useForLogin: values.useForLogin,
      refreshIntervalSeconds: Number(interval),
      allowSha1: values.allowSha1,
      requireSignedAssertion: values.requireSignedAssertion,
      allowedTenants: lines(values.allowedTenants),
      // A form without the field (an older page) leaves the domains as they are.
      ...(values.domains === undefined ? {} : { domains: lines(values.domains) }),
      signaturePolicy,
      ...(discontinuityPolicy === undefined ? {} : { discontinuityPolicy }),
    },
    ...(Number.isSafeInteger(version) && version > 0 ? { expectedVersion: version } : {}),
  };
}

/** Field name → the error shown next to it. */
type FieldErrors = Readonly<Record<string, string>>;

/** The edit form, with the errors of a refused submission next to their fields. */
export function renderIssuerForm(options: {
  readonly action: string;
  readonly csrf: string;
  readonly values: IssuerFormValues;
  readonly errors: FieldErrors;
}): SafeHtml {
  const { values, errors } = options;
  const form = 'issuer';
  const body = joinHtml(
    [
      hiddenField('version', values.version),
      textField({
        form,
        name: 'name',
        label: 'Name',
        value: values.name,
        required: true,
        error: errors.name,
        hint: 'Short and unique; used in URLs, the CLI and the audit log.',
      }),
      textareaField({
        form,
        name: 'description',
        label: 'Description',
        value: values.description,
        rows: 2,
        error: errors.description,
      }),
      textField({
        form,
        name: 'issuerUri',
        label: 'Issuer URI',
        value: values.issuerUri,
        required: true,
        spellcheck: false,
        error: errors.issuerUri,
        hint: 'The issuer (entityID) tokens name. Azure AD: https://sts.windows.net/{tenant}/',
      }),
      textField({
        form,
        name: 'metadataUrl',
        label: 'Metadata URL',
        type: 'url',
        value: values.metadataUrl,
        spellcheck: false,
        error: errors.metadataUrl,
        hint: 'Leave empty for an issuer whose keys are managed by hand only.',
      }),
      textField({
        form,
        name: 'loginUrl',
        label: 'Sign-in URL',
        type: 'url',
        value: values.loginUrl,
        spellcheck: false,
        error: errors.loginUrl,
      }),
      textField({
        form,
        name: 'label',
        label: 'Identity label',
        value: values.label,
        error: errors.label,
        hint: 'The prefix of mapped identities: K2AAD in K2AAD:bob@contoso.com.',
      }),
      checkboxGroup({
        form,
        name: 'protocols',
        legend: 'Protocols',
        choices: PROTOCOL_CHOICES,
        checked: new Set(values.protocols),
        error: errors.protocols,
      }),
      checkboxField({
        form,
        name: 'useForLogin',
        label: 'List on the sign-in page',
        checked: values.useForLogin,
        error: errors.useForLogin,
      }),
      textField({
        form,
        name: 'refreshIntervalSeconds',
        label: 'Refresh interval (seconds)',
        type: 'number',
        value: values.refreshIntervalSeconds,
        error: errors.refreshIntervalSeconds,
      }),
      checkboxField({
        form,
        name: 'allowSha1',
        label: 'Accept SHA-1 signatures from this issuer (not recommended)',
        checked: values.allowSha1,
        error: errors.allowSha1,
      }),
      checkboxField({
        form,
        name: 'requireSignedAssertion',
        label:
          'SAML 2.0: require the assertion itself to be signed (a signed Response around an unsigned assertion is refused)',
        checked: values.requireSignedAssertion,
        marked: true,
        error: errors.requireSignedAssertion,
      }),
      textareaField({
        form,
        name: 'allowedTenants',
        label: 'Allowed tenants',
        value: values.allowedTenants,
        rows: 3,
        error: errors.allowedTenants,
        hint: 'One tenant ID per line; needed when the issuer URI contains {tenantid}.',
      }),
      textareaField({
        form,
        name: 'domains',
        label: 'E-mail domains',
        value: values.domains ?? '',
        rows: 3,
        error: errors.domains,
        hint: 'One domain per line (contoso.com): the sign-in page sends users with an address there to this issuer. A domain belongs to one issuer only.',
      }),
      selectField({
        form,
        name: 'policyMode',
        label: 'Metadata signature policy',
        choices: POLICY_CHOICES,
        value: values.policyMode,
        error: errors.policyMode ?? errors.signaturePolicy,
      }),
      textareaField({
        form,
        name: 'pinnedSigners',
        label: 'Pinned metadata signers',
        value: values.pinnedSigners,
        rows: 3,
        error: errors.pinnedSigners,
        hint: 'SHA-1 or SHA-256 thumbprints, one per line; used with the pinned policy.',
      }),
      selectField({
        form,
        name: 'discontinuityPolicy',
        label: 'A document that replaces every key without continuity',
        choices: DISCONTINUITY_CHOICES,
        value: values.discontinuityPolicy,
        error: errors.discontinuityPolicy,
      }),
    ],
    '\n',
  );
  return postForm({ action: options.action, csrf: options.csrf, body, submit: 'Save changes' });
}
