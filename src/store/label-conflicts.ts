import { ClaimsgateError } from '../lib/errors.js';
import type { ClaimMappingRecord, IssuerRecord } from './model.js';

/*
 * An identity reaches applications as `label:name`. The label names the
 * issuer: the issuer's own label, or the label of one of its claim mappings.
 * Two issuers with one label would hand applications the same user for two
 * different people (`SIM:alice` from a partner issuer and from the real one),
 * so a label belongs to one issuer. Labels compare without regard to case
 * or width (after Unicode NFKC): applications commonly compare user names
 * that way (PRECIS maps fullwidth letters to their ASCII twins), and
 * `SIM:alice`, `sim:alice` and `ＳＩＭ:alice` must not be two issuers' users
 * either (security review, round 6: NFC let the fullwidth label through).
 */

/**
 * The form labels are compared in: NFKC (compatibility forms folded:
 * fullwidth, ligatures), then case folded. JavaScript has no case folding,
 * and lower case alone is not one: `ΑΣ` lower-cases to `ας` (a final sigma)
 * while `ασ` stays, `straße` keeps its `ß` beside `strasse`, the dotless `ı`
 * stays apart from `i` — yet each pair is one string upper-cased, as Java's
 * `equalsIgnoreCase`, .NET's `OrdinalIgnoreCase` and SQL collations compare
 * (security review 9). Lower, then upper, then lower again: every pair lower
 * case matched still matches, and those upper case matches too.
 */
export function labelKey(label: string): string {
  let key = keys.get(label);
  if (key === undefined) {
    key = label.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
    // Remembered, since every new issuer is checked against every label: at 10,000 issuers the
    // normalisation alone cost milliseconds per add. Bounded: cleared when full.
    if (keys.size >= LABEL_KEYS_REMEMBERED) keys.clear();
    keys.set(label, key);
  }
  return key;
}

/** Labels whose keys {@link labelKey} remembers, at most (a few MB). */
const LABEL_KEYS_REMEMBERED = 50_000;
const keys = new Map<string, string>();

/** An issuer as a party to a shared label. */
export interface LabelOwner {
  readonly id: string;
  readonly name: string;
}

/** One label used by several issuers (stores written before labels were unique). */
export interface LabelConflict {
  /** The label as the first of its issuers (by name) writes it. */
  readonly label: string;
  /** Every issuer using it, by name. */
  readonly issuers: readonly LabelOwner[];
}

/** Every label key each issuer uses: its own label and its mappings' labels. */
function labelsByIssuer(
  issuers: readonly Pick<IssuerRecord, 'id' | 'name' | 'label'>[],
  mappings: readonly Pick<ClaimMappingRecord, 'issuerId' | 'label'>[],
): Map<string, Map<string, string>> {
  const owners = new Map<string, Map<string, string>>();
  const ids = new Set(issuers.map((issuer) => issuer.id));
  const add = (issuerId: string, label: string): void => {
    if (!ids.has(issuerId)) return;
    const key = labelKey(label);
    let byIssuer = owners.get(key);
    if (byIssuer === undefined) owners.set(key, (byIssuer = new Map<string, string>()));
    if (!byIssuer.has(issuerId)) byIssuer.set(issuerId, label);
  };
  for (const issuer of issuers) add(issuer.id, issuer.label);
  for (const mapping of mappings) add(mapping.issuerId, mapping.label);
  return owners;
}

/** Labels used by more than one issuer, by label; empty in a store written by this release. */
export function findLabelConflicts(
  issuers: readonly Pick<IssuerRecord, 'id' | 'name' | 'label'>[],
  mappings: readonly Pick<ClaimMappingRecord, 'issuerId' | 'label'>[],
): LabelConflict[] {
  const names = new Map(issuers.map((issuer) => [issuer.id, issuer.name]));
  const conflicts: LabelConflict[] = [];
  for (const byIssuer of labelsByIssuer(issuers, mappings).values()) {
    if (byIssuer.size < 2) continue;
    const owners = [...byIssuer.keys()]
      .map((id) => ({ id, name: names.get(id) ?? id }))
      .sort((a, b) => a.name.localeCompare(b.name));
    conflicts.push({ label: byIssuer.get(owners[0]!.id)!, issuers: owners });
  }
  return conflicts.sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * Refuses a label that another issuer already uses (as its label or a
 * mapping's), for an issuer or mapping being written.
 *
 * @throws ClaimsgateError `CG_STORE_DUPLICATE` with field `label`, naming the issuer that has it.
 */
export function requireLabelFree(
  label: string,
  issuerId: string | null,
  issuers: readonly Pick<IssuerRecord, 'id' | 'name' | 'label'>[],
  mappings: readonly Pick<ClaimMappingRecord, 'issuerId' | 'label'>[],
): void {
  // One pass, no index built: this runs for every issuer added.
  const wanted = labelKey(label);
  const known = new Set(issuers.map((issuer) => issuer.id));
  const holder =
    issuers.find((issuer) => issuer.id !== issuerId && labelKey(issuer.label) === wanted) ??
    mappings.find(
      (mapping) =>
        mapping.issuerId !== issuerId && known.has(mapping.issuerId) && labelKey(mapping.label) === wanted,
    );
  if (holder === undefined) return;
  const ownerId = 'id' in holder ? holder.id : holder.issuerId;
  const owner = issuers.find((issuer) => issuer.id === ownerId)!;
  throw new ClaimsgateError(
    'CG_STORE_DUPLICATE',
    `The label ${JSON.stringify(label)} is already used by issuer ${owner.name} (as ${JSON.stringify(holder.label)}): users of two issuers would reach applications as the same users.`,
    {
      hint: `Choose a label no other issuer uses (labels compare without regard to case); the identity is ${label}:<name>.`,
      detail: { entity: 'issuer', field: 'label', observed: label, existing: owner.name },
    },
  );
}
