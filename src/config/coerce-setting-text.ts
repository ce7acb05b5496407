/**
 * Coercing a setting given as text — an environment variable or a string
 * flag — to the value its schema type expects, before it is checked like a
 * value from the file.
 */
import type { SettingSpec } from './config-schema.js';

/** A comma-separated or JSON list from text. */
function listFromText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return undefined;
    }
  }
  return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
}

/**
 * The value of a setting given as text (environment variable or string flag),
 * still to be checked with `checkSetting`; undefined when the text cannot be read as the type.
 */
export function valueFromText(spec: SettingSpec, text: string): unknown {
  switch (spec.type) {
    case 'integer':
      return /^\s*-?\d+\s*$/.test(text) ? Number(text) : text;
    case 'boolean':
    case 'auto-boolean': {
      const lower = text.trim().toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      return spec.type === 'auto-boolean' && lower === 'auto' ? 'auto' : text;
    }
    case 'integer-list': {
      const list = listFromText(text);
      return Array.isArray(list)
        ? list.map((item: unknown) =>
            typeof item === 'string' && /^-?\d+$/.test(item) ? Number(item) : item,
          )
        : text;
    }
    case 'origin-list':
    case 'string-list':
      return listFromText(text) ?? text;
    case 'header-map':
    case 'oidc-clients':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    case 'session-keys': {
      const trimmed = text.trim();
      if (trimmed.startsWith('[')) {
        try {
          return JSON.parse(trimmed) as unknown;
        } catch {
          return text;
        }
      }
      return trimmed
        .split(',')
        .filter((pair) => pair.trim() !== '')
        .map((pair) => {
          const at = pair.indexOf(':');
          return at < 0
            ? { id: pair.trim() }
            : { id: pair.slice(0, at).trim(), secret: pair.slice(at + 1).trim() };
        });
    }
    case 'string':
    case 'enum':
    case 'url':
    case 'host':
      return text;
  }
}
