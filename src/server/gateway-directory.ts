import type { RolloverEngine } from '../rollover/rollover-engine.js';
import type { LoadedRecords } from '../rollover/trust-loader.js';
import type { LabelConflict } from '../store/label-conflicts.js';
import { findLabelConflicts } from '../store/label-conflicts.js';
import type { ClaimMappingRecord, IssuerRecord, RealmRecord } from '../store/model.js';
import { isStoreUnreachable } from '../store/store-errors.js';
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
 * another instance reaches sign-ins when the change feed brings it. When
 * such a store read finds the store unreachable, the records answer as they
 * are: an outage fails no sign-in the records can serve.
 */
export interface GatewayDirectory extends Pick<
  Store,
  'getIssuer' | 'listIssuers' | 'listRealms' | 'findIssuerByDomain'
> {
  /** The issuer's claim mappings (`listClaimMappings(issuerId)`). */
  listClaimMappings(issuerId: string): Promise<ClaimMappingRecord[]>;
  /** Labels several issuers share (see refuse-shared-label.ts). */
  labelConflicts(): Promise<readonly LabelConflict[]>;
}

/** Creates the directory over the engine's records, falling back to the store for what they lack. */
export function createGatewayDirectory(
  engine: Pick<RolloverEngine, 'directory'>,
  store: Pick<Store, 'getIssuer' | 'listIssuers' | 'listRealms' | 'listClaimMappings' | 'findIssuerByDomain'>,
): GatewayDirectory {
  /** The records when they hold every issuer change seen, else undefined (read the store). */
  const issuerRecords = () => {
    const directory = engine.directory();
    return directory?.issuersCurrent === true ? directory.records : undefined;
  };
  /**
   * Reads the store; when it cannot be reached (`CG_STORE_UNAVAILABLE`) and the engine has records,
   * answers from them although they may lack a change: a directory marked
   * not current (a change notice not loaded yet, or the change feed's
   * connection lost and restored) must not fail sign-ins during an outage
   * that its records can serve (store outages, issue 13).
   */
  async function storeOr<T>(read: () => Promise<T>, fromRecords: (records: LoadedRecords) => T): Promise<T> {
    try {
      return await read();
    } catch (error) {
      const records = engine.directory()?.records;
      if (records === undefined || !isStoreUnreachable(error)) throw error;
      return fromRecords(records);
    }
  }
  return {
    async getIssuer(idOrName) {
      const records = issuerRecords();
      const found = records?.issuer(idOrName) ?? records?.issuerByName(idOrName);
      return (
        found ??
        storeOr(
          () => store.getIssuer(idOrName),
          (stale) => stale.issuer(idOrName) ?? stale.issuerByName(idOrName),
        )
      );
    },
    async findIssuerByDomain(domain) {
      const records = issuerRecords();
      return (
        records?.issuerByDomain(domain) ??
        storeOr(
          () => store.findIssuerByDomain(domain),
          (stale) => stale.issuerByDomain(domain),
        )
      );
    },
    async listIssuers(): Promise<IssuerRecord[]> {
      const records = issuerRecords();
      return records === undefined
        ? storeOr(
            () => store.listIssuers(),
            (stale) => [...stale.issuers],
          )
        : [...records.issuers];
    },
    async listRealms(): Promise<RealmRecord[]> {
      const directory = engine.directory();
      // No realm yet may mean one was created a moment ago: ask the store.
      return directory?.realmsCurrent !== true || directory.records.realms.length === 0
        ? storeOr(
            () => store.listRealms(),
            (stale) => [...stale.realms],
          )
        : [...directory.records.realms];
    },
    async listClaimMappings(issuerId) {
      const records = issuerRecords();
      if (records?.issuer(issuerId) === undefined)
        return storeOr(
          () => store.listClaimMappings(issuerId),
          (stale) => [...stale.mappingsOf(issuerId)],
        );
      return [...records.mappingsOf(issuerId)];
    },
    async labelConflicts() {
      const records = issuerRecords();
      if (records !== undefined) return records.labelConflicts();
      return storeOr(
        async () => {
          const [issuers, mappings] = await Promise.all([store.listIssuers(), store.listClaimMappings()]);
          return findLabelConflicts(issuers, mappings);
        },
        (stale) => stale.labelConflicts(),
      );
    },
  };
}
