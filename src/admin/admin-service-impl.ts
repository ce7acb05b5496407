import { listAudit } from './admin-audit.js';
import { thumbprintsFromText, thumbprintsFromUrl } from './admin-certificates.js';
import { resolveAdminContext } from './admin-context.js';
import { readHealth } from './admin-health.js';
import { applyImport, previewImport } from './admin-import.js';
import {
  approvePendingChange,
  createIssuer,
  deleteIssuer,
  getIssuerDetail,
  getPendingChange,
  listIssuerSummaries,
  previewIssuerDeletion,
  refreshIssuerNow,
  rejectPendingChange,
  updateIssuer,
} from './admin-issuers.js';
import { addKey, listIssuerKeys, reactivateKey, revokeKey } from './admin-keys.js';
import {
  createClaimMapping,
  createRealm,
  deleteClaimMapping,
  deleteRealm,
  getClaimMapping,
  getRealm,
  listClaimMappings,
  listRealms,
  updateClaimMapping,
  updateRealm,
} from './admin-realms.js';
import type { AdminService, AdminServiceOptions } from './admin-service.js';

/**
 * Builds the admin service (the implementation behind `createAdminService`):
 * each operation is a function of the resolved context, in the file named
 * for its area.
 *
 * @throws TypeError for a missing store or engine, or a bad option.
 */
export function buildAdminService(options: AdminServiceOptions): AdminService {
  const context = resolveAdminContext(options);
  return {
    listIssuers: () => listIssuerSummaries(context),
    getIssuer: (idOrName) => getIssuerDetail(context, idOrName),
    createIssuer: (input, actor) => createIssuer(context, input, actor),
    updateIssuer: (idOrName, update, actor, expectedVersion) =>
      updateIssuer(context, idOrName, update, actor, expectedVersion),
    previewIssuerDeletion: (idOrName) => previewIssuerDeletion(context, idOrName),
    deleteIssuer: (idOrName, actor) => deleteIssuer(context, idOrName, actor),
    refreshIssuer: (idOrName, actor) => refreshIssuerNow(context, idOrName, actor),
    getPendingChange: (idOrName) => getPendingChange(context, idOrName),
    approvePendingChange: (idOrName, sha256, actor) => approvePendingChange(context, idOrName, sha256, actor),
    rejectPendingChange: (idOrName, sha256, actor) => rejectPendingChange(context, idOrName, sha256, actor),
    previewImport: (request) => previewImport(context, request),
    applyImport: (request, actor) => applyImport(context, request, actor),
    listKeys: (issuer) => listIssuerKeys(context, issuer),
    addKey: (issuer, input, actor) => addKey(context, issuer, input, actor),
    revokeKey: (keyId, reason, actor) => revokeKey(context, keyId, reason, actor),
    reactivateKey: (keyId, reason, actor) => reactivateKey(context, keyId, reason, actor),
    listRealms: () => listRealms(context),
    getRealm: (idOrUri) => getRealm(context, idOrUri),
    createRealm: (input, actor) => createRealm(context, input, actor),
    updateRealm: (idOrUri, update, actor) => updateRealm(context, idOrUri, update, actor),
    deleteRealm: (idOrUri, actor) => deleteRealm(context, idOrUri, actor),
    listClaimMappings: (issuer) => listClaimMappings(context, issuer),
    getClaimMapping: (id) => getClaimMapping(context, id),
    createClaimMapping: (input, actor) => createClaimMapping(context, input, actor),
    updateClaimMapping: (id, update, actor) => updateClaimMapping(context, id, update, actor),
    deleteClaimMapping: (id, actor) => deleteClaimMapping(context, id, actor),
    listAudit: (filter) => listAudit(context, filter),
    thumbprintsFromText: (text) => thumbprintsFromText(context, text),
    thumbprintsFromUrl: (url) => thumbprintsFromUrl(context, url),
    health: () => readHealth(context),
  };
}
