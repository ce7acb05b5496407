import type { RolloverEngine } from '../rollover/rollover-engine.js';
import type { LabelConflict } from '../store/label-conflicts.js';
import { findLabelConflicts } from '../store/label-conflicts.js';
import type { ClaimMappingRecord, IssuerRecord, RealmRecord } from '../store/model.js';
import type { Store } from '../store/store.js';

/**
 * The issuers, realms and claim mappings the sign-in path reads, served
 * from the rollover engine's in-memory records (kept current by the
 * store's change feed) instead of the store: a sign-in costs the same with
 * 10,000 issuers as with one, and goes on while the store cannot be reached.
 *
 * Its reads have the store's names and answers, so the sign-in code takes
 * either. A name, ID, realm or mapping the records do not hold (the engine
 * has not loaded yet, or a change made a moment ago is still being loaded)
 * is read from the store, and so is everything from a change to an issuer,
 * mapping or realm in this process until the engine has loaded it (tens of
 * milliseconds), so a write is seen by the next sign-in. A change made by
 * another instance reaches sign-ins when the change feed brings it.
 */
export interface GatewayDirectory extends Pick<Store, 'getIssuer' | 'listIssuers' | 'listRealms'> {
  /** The issuer's claim mappings (`listClaimMappings(issuerId)`). */
  listClaimMappings(issuerId: string): Promise<ClaimMappingRecord[]>;
  /** Labels several issuers share (see refuse-shared-label.ts). */
  labelConflicts(): Promise<readonly LabelConflict[]>;
}

/** Creates the directory over the engine's records, falling back to the store for what they lack. */
export function createGatewayDirectory(
  engine: Pick<RolloverEngine, 'directory'>,
  store: Pick<Store, 'getIssuer' | 'listIssuers' | 'listRealms' | 'listClaimMappings'>,
): GatewayDirectory {
  /** The records when they hold every issuer change seen, else undefined (read the store). */
  const issuerRecords = () => {
    const directory = engine.directory();
    return directory?.issuersCurrent === true ? directory.records : undefined;
  };
  return {
    async getIssuer(idOrName) {
      const records = issuerRecords();
      if (records === undefined) return store.getIssuer(idOrName);
      return records.issuer(idOrName) ?? records.issuerByName(idOrName) ?? store.getIssuer(idOrName);
    },
    async listIssuers(): Promise<IssuerRecord[]> {
      const records = issuerRecords();
      return records === undefined ? store.listIssuers() : [...records.issuers];
    },
    async listRealms(): Promise<RealmRecord[]> {
      const directory = engine.directory();
      // No realm yet may mean one was created a moment ago: ask the store.
      return directory?.realmsCurrent !== true || directory.records.realms.length === 0
        ? store.listRealms()
        : [...directory.records.realms];
    },
    async listClaimMappings(issuerId) {
      const records = issuerRecords();
      if (records?.issuer(issuerId) === undefined) return store.listClaimMappings(issuerId);
      return [...records.mappingsOf(issuerId)];
    },
    async labelConflicts() {
      const records = issuerRecords();
      if (records !== undefined) return records.labelConflicts();
      const [issuers, mappings] = await Promise.all([store.listIssuers(), store.listClaimMappings()]);
      return findLabelConflicts(issuers, mappings);
    },
  };
}
