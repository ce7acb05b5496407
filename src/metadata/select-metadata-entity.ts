import { ClaimsgateError } from '../lib/errors.js';
import { NS, attribute, childElements } from '../xml/dom.js';
import type { XmlElement, XmlNode } from '../xml/light-dom.js';

/** The one EntityDescriptor of an XML metadata document that describes the issuer. */
export interface SelectedEntity {
  readonly entity: XmlElement;
  readonly entityId: string;
  /** Every entityID in the document, in document order, without repeats. */
  readonly entityIds: readonly string[];
  /** The earliest `validUntil` of the entity and of the EntitiesDescriptors around it. */
  readonly validUntil: Date | undefined;
  /** The shortest `cacheDuration` of the entity and of the EntitiesDescriptors around it, as written. */
  readonly cacheDuration: string | undefined;
}

function isMd(element: XmlElement, localName: string): boolean {
  return element.namespaceURI === NS.md && element.localName === localName;
}

/** The EntityDescriptors of an EntitiesDescriptor, nested ones included, in document order. */
function collectEntities(entities: XmlElement): XmlElement[] {
  const found: XmlElement[] = [];
  for (const child of childElements(entities, NS.md)) {
    if (child.localName === 'EntityDescriptor') found.push(child);
    else if (child.localName === 'EntitiesDescriptor') found.push(...collectEntities(child));
  }
  return found;
}

function readEntityId(entity: XmlElement, position: number): string {
  const entityId = attribute(entity, 'entityID');
  if (entityId === undefined || entityId.trim() === '') {
    throw new ClaimsgateError('CG_META_XML_INVALID', `EntityDescriptor ${position} has no entityID.`, {
      detail: { element: 'EntityDescriptor', attribute: 'entityID', position, expected: 'a non-empty URI' },
    });
  }
  return entityId;
}

// xs:dateTime. SAML Core §1.3.3 requires UTC; a value without a zone is read
// as UTC rather than as the local time of whatever host parses it.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$/;

function parseValidUntil(value: string, element: XmlElement): Date {
  const match = DATE_TIME.exec(value.trim());
  const date = match === null ? undefined : new Date(`${match[1]}${match[2] ?? 'Z'}`);
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new ClaimsgateError('CG_META_XML_INVALID', `The validUntil "${value}" is not an xs:dateTime.`, {
      detail: {
        element: element.localName,
        attribute: 'validUntil',
        observed: value,
        expected: 'xs:dateTime, e.g. 2030-01-01T00:00:00Z',
      },
    });
  }
  return date;
}

const DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** An xs:duration in seconds, months as 30 days and years as 365: only used to compare durations. */
function durationSeconds(value: string, element: XmlElement): number {
  const match = DURATION.exec(value.trim());
  if (match === null) {
    // A negative duration is refused too: "cache for minus one hour" has no meaning.
    throw new ClaimsgateError('CG_META_XML_INVALID', `The cacheDuration "${value}" is not an xs:duration.`, {
      detail: {
        element: element.localName,
        attribute: 'cacheDuration',
        observed: value,
        expected: 'a positive xs:duration, e.g. PT1H',
      },
    });
  }
  const [years, months, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  return (
    (years ?? 0) * 31_536_000 +
    (months ?? 0) * 2_592_000 +
    (days ?? 0) * 86_400 +
    (hours ?? 0) * 3_600 +
    (minutes ?? 0) * 60 +
    (seconds ?? 0)
  );
}

/**
 * `validUntil` and `cacheDuration` apply to the element and to everything it
 * contains (SAML Metadata §2.3.1, §2.3.2), so the entity's effective values
 * are the strictest along the path from the document root to it.
 */
function readValidity(entity: XmlElement): Pick<SelectedEntity, 'validUntil' | 'cacheDuration'> {
  let validUntil: Date | undefined;
  let cacheDuration: { text: string; seconds: number } | undefined;
  for (let node: XmlNode | null = entity; node !== null && node.nodeType === 1; node = node.parentNode) {
    const element = node;
    if (!isMd(element, 'EntityDescriptor') && !isMd(element, 'EntitiesDescriptor')) continue;
    const until = attribute(element, 'validUntil');
    if (until !== undefined) {
      const date = parseValidUntil(until, element);
      if (validUntil === undefined || date < validUntil) validUntil = date;
    }
    const duration = attribute(element, 'cacheDuration');
    if (duration !== undefined) {
      const seconds = durationSeconds(duration, element);
      if (cacheDuration === undefined || seconds < cacheDuration.seconds) {
        cacheDuration = { text: duration.trim(), seconds };
      }
    }
  }
  return { validUntil, cacheDuration: cacheDuration?.text };
}

/**
 * Finds the EntityDescriptor to read in an XML metadata document: the root
 * itself, or one of the entities of an `EntitiesDescriptor` (nested ones
 * included), chosen by `entityId` or because it is the only one.
 *
 * @throws ClaimsgateError `CG_META_FORMAT_UNKNOWN` when the root is neither
 *   `md:EntityDescriptor` nor `md:EntitiesDescriptor`; `CG_META_ENTITY_NOT_FOUND`
 *   when `entityId` is not in the document; `CG_META_ENTITY_AMBIGUOUS` when
 *   several entities match (or none is chosen among several);
 *   `CG_META_XML_INVALID` for an entity without entityID or an unreadable
 *   `validUntil` / `cacheDuration`.
 * @see SAML V2.0 Metadata §2.3 (EntitiesDescriptor, EntityDescriptor)
 */
export function selectMetadataEntity(root: XmlElement, entityId?: string): SelectedEntity {
  let candidates: XmlElement[];
  if (isMd(root, 'EntityDescriptor')) candidates = [root];
  else if (isMd(root, 'EntitiesDescriptor')) candidates = collectEntities(root);
  else {
    throw new ClaimsgateError(
      'CG_META_FORMAT_UNKNOWN',
      `The XML root element is {${root.namespaceURI ?? ''}}${root.localName}, not a SAML 2.0 EntityDescriptor or EntitiesDescriptor.`,
      {
        detail: {
          observed: `{${root.namespaceURI ?? ''}}${root.localName}`,
          expected: [`{${NS.md}}EntityDescriptor`, `{${NS.md}}EntitiesDescriptor`],
        },
      },
    );
  }
  const ids = candidates.map((entity, index) => readEntityId(entity, index + 1));
  const entityIds = [...new Set(ids)];
  const matching =
    entityId === undefined ? candidates : candidates.filter((_entity, index) => ids[index] === entityId);
  if (matching.length === 0) {
    throw new ClaimsgateError(
      'CG_META_ENTITY_NOT_FOUND',
      entityId === undefined
        ? 'The metadata holds no EntityDescriptor.'
        : `The metadata does not describe the entity "${entityId}".`,
      { detail: { observed: entityIds, expected: entityId, available: entityIds } },
    );
  }
  if (matching.length > 1) {
    // SECURITY: with an entityID given, two descriptors for it mean an
    // aggregate that says two things about one issuer (an injected copy, or
    // a broken feed); neither is picked.
    throw new ClaimsgateError(
      'CG_META_ENTITY_AMBIGUOUS',
      entityId === undefined
        ? `The metadata holds ${matching.length} entities and none was selected.`
        : `The metadata holds ${matching.length} EntityDescriptors for "${entityId}".`,
      { detail: { observed: matching.length, expected: 1, available: entityIds } },
    );
  }
  const entity = matching[0]!;
  return { entity, entityId: ids[candidates.indexOf(entity)]!, entityIds, ...readValidity(entity) };
}
