import { readCertificates } from '../crypto/certificate.js';
import { hasExpired } from '../rollover/alerts.js';
import type { Actor, NewKey } from '../store/model.js';
import { USABLE_KEY_STATES } from '../tokens/trust-snapshot.js';
import type { ManagementContext } from './context.js';
import { adminInputError, requireIssuer, requireKey } from './lookups.js';
import type { AddedKey, AddKeyInput, KeyView } from './service.js';
import { inspectThumbprintInput } from './thumbprint.js';
import { compareKeys, viewKey } from './views.js';

/**
 * Every key of an issuer, usable ones first.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`.
 */
export async function listIssuerKeys(context: ManagementContext, issuerIdOrName: string): Promise<KeyView[]> {
  const issuer = await requireIssuer(context.store, issuerIdOrName);
  const now = context.now();
  return (await context.store.listKeys(issuer.id)).sort(compareKeys).map((key) => viewKey(key, now));
}

/** A pasted text that says something, or undefined for none (absent, or only spaces). */
function pasted(text: unknown): string | undefined {
  return typeof text === 'string' && text.trim() !== '' ? text : undefined;
}

/**
 * Adds a key by hand from a pasted certificate (PEM or bare base64, line
 * breaks allowed) or a pasted thumbprint (normalised explicitly, every
 * character removed reported).
 *
 * @throws ClaimsgateError `CG_ADMIN_INPUT_INVALID`, `CG_CERT_INVALID`, `CG_CERT_NOT_FOUND`,
 *   `CG_TRUST_THUMBPRINT_INVALID`, `CG_STORE_NOT_FOUND`, `CG_STORE_DUPLICATE`.
 */
export async function addKey(
  context: ManagementContext,
  issuerIdOrName: string,
  input: AddKeyInput,
  actor: Actor,
): Promise<AddedKey> {
  const pastedCertificate = pasted(input.certificate);
  const pastedThumbprint = pasted(input.thumbprint);
  if ((pastedCertificate === undefined) === (pastedThumbprint === undefined)) {
    throw adminInputError(
      'certificate',
      'Give either a certificate or a thumbprint, not both and not neither.',
      {
        expected: 'certificate or thumbprint',
      },
    );
  }
  const state = input.state ?? 'active';
  if (state !== 'active' && state !== 'announced') {
    throw adminInputError('state', 'A key added by hand is active or announced.', { observed: state });
  }
  const issuer = await requireIssuer(context.store, issuerIdOrName);
  const now = context.now();
  let fields: NewKey;
  let inspection: AddedKey['thumbprintInput'] = null;
  if (pastedCertificate !== undefined) {
    const certificates = readCertificates(pastedCertificate);
    if (certificates.length !== 1) {
      throw adminInputError(
        'certificate',
        `The text holds ${certificates.length} certificates; paste one at a time.`,
        {
          observed: certificates.length,
          expected: 1,
        },
      );
    }
    const certificate = certificates[0]!;
    // A certificate past its notAfter would be expired by the engine's next check: refuse it now, visibly.
    if (hasExpired(certificate, now.getTime())) {
      throw adminInputError(
        'certificate',
        `The certificate ${certificate.sha1} (${certificate.subject}) expired on ${certificate.notAfter.toISOString()}.`,
        { observed: certificate.notAfter.toISOString(), expected: `after ${now.toISOString()}` },
      );
    }
    fields = {
      issuerId: issuer.id,
      sha1: certificate.sha1,
      sha256: certificate.sha256,
      certificateDer: certificate.der,
      subject: certificate.subject,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      source: 'manual',
      state,
    };
  } else {
    inspection = inspectThumbprintInput(pastedThumbprint!);
    fields = {
      issuerId: issuer.id,
      ...(inspection.algorithm === 'sha1'
        ? { sha1: inspection.thumbprint }
        : { sha256: inspection.thumbprint }),
      source: 'manual',
      state,
    };
  }
  const key = await context.store.addKey(fields, actor);
  return { key: viewKey(key, now), thumbprintInput: inspection };
}

function requireReason(reason: unknown): string {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text === '') throw adminInputError('reason', 'Say why: the reason is kept in the audit log.');
  return text;
}

/**
 * Revokes a key: it stops validating tokens at once and no refresh revives it.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`, `CG_ADMIN_INPUT_INVALID` (no reason).
 */
export async function revokeKey(
  context: ManagementContext,
  keyId: string,
  reason: string,
  actor: Actor,
): Promise<KeyView> {
  const why = requireReason(reason);
  const key = await requireKey(context.store, keyId);
  const updated = await context.store.setKeyState(key.id, 'revoked', actor, why);
  return viewKey(updated, context.now());
}

/**
 * Makes a revoked, retired or expired key `active` again.
 *
 * @throws ClaimsgateError `CG_STORE_NOT_FOUND`; `CG_ADMIN_INPUT_INVALID` for no reason,
 *   a key that is already trusted, or one whose certificate has expired.
 */
export async function reactivateKey(
  context: ManagementContext,
  keyId: string,
  reason: string,
  actor: Actor,
): Promise<KeyView> {
  const why = requireReason(reason);
  const key = await requireKey(context.store, keyId);
  const now = context.now();
  if (USABLE_KEY_STATES.has(key.state)) {
    throw adminInputError('key', `Key ${key.id} is ${key.state}: it is trusted already.`, {
      observed: key.state,
      expected: ['revoked', 'retired', 'expired'],
    });
  }
  // SECURITY: an expired certificate is not made trustworthy again by hand; a new key is needed.
  if (hasExpired(key, now.getTime())) {
    throw adminInputError(
      'key',
      `Key ${key.id} expired on ${key.notAfter!.toISOString()}: add the issuer's current certificate instead.`,
      { observed: key.notAfter!.toISOString() },
    );
  }
  const updated = await context.store.setKeyState(key.id, 'active', actor, why);
  return viewKey(updated, now);
}
