import { listAudit } from './audit.js';
import { thumbprintsFromText, thumbprintsFromUrl } from './certificates.js';
import { resolveManagementContext } from './context.js';
import { readHealth } from './health.js';
import { applyImport, previewImport } from './import-operations.js';
import {
  approvePendingChange,
  createIssuer,
  deleteIssuer,
  getIssuerDetail,
  getPendingChange,
  listIssuerSummaries,
  previewIssuerDeletion,
  refreshAllIssuers,
  refreshIssuerNow,
  rejectPendingChange,
  updateIssuer,
} from './issuers.js';
import { addKey, listIssuerKeys, reactivateKey, revokeKey } from './keys.js';
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
} from './realms.js';
import type { ManagementService, ManagementServiceOptions } from './service.js';

/**
 * Creates the management service: the operations the admin API, the admin
 * site and the CLI share. Each operation is a function of the resolved
 * context, in the module named for its area; the service's types are in
 * `service.ts`, which imports nothing back from here.
 *
 * @throws TypeError for a missing store or engine, or a bad option.
 */
export function createManagementService(options: ManagementServiceOptions): ManagementService {
  const context = resolveManagementContext(options);
  return {
    listIssuers: () => listIssuerSummaries(context),
    getIssuer: (idOrName) => getIssuerDetail(context, idOrName),
    createIssuer: (input, actor) => createIssuer(context, input, actor),
    updateIssuer: (idOrName, update, actor, expectedVersion) =>
      updateIssuer(context, idOrName, update, actor, expectedVersion),
    previewIssuerDeletion: (idOrName) => previewIssuerDeletion(context, idOrName),
    deleteIssuer: (idOrName, actor) => deleteIssuer(context, idOrName, actor),
    refreshIssuer: (idOrName, actor) => refreshIssuerNow(context, idOrName, actor),
    refreshAllIssuers: (actor) => refreshAllIssuers(context, actor),
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
