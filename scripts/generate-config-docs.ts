// Writes docs/configuration.md from the configuration schema
// (src/config/config-schema.ts). `npm run docs:config` regenerates it;
// test/config/config-docs.test.ts fails when the committed page and the
// schema differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMA, envNameOf, type SchemaGroup, type SettingSpec } from '../src/config/config-schema.js';
import { describeType } from '../src/config/setting-types.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function renderDefault(spec: SettingSpec): string {
  const fallback: unknown = spec.default;
  if (fallback === undefined) return 'not set';
  if (typeof fallback === 'object' && fallback !== null && 'describe' in fallback) {
    return String(fallback.describe);
  }
  if (Array.isArray(fallback) && fallback.length === 0) return 'none';
  return `\`${typeof fallback === 'string' ? fallback : JSON.stringify(fallback)}\``;
}

function renderType(spec: SettingSpec): string {
  const secret = spec.secret === true ? '; secret (`env:` / `file:` reference allowed)' : '';
  return `${describeType(spec)}${secret}`;
}

function renderGroup(group: SchemaGroup, path: string, lines: string[]): void {
  const leaves = Object.entries(group.fields).filter(
    (entry): entry is [string, SettingSpec] => entry[1].kind === 'setting',
  );
  if (leaves.length > 0) {
    lines.push(
      `## ${path === '' ? 'General' : `\`${path}\``}`,
      '',
      `${group.doc}${group.optional === true ? ' Optional: absent unless one of its settings is given.' : ''}`,
      '',
      '| Setting | Environment variable | Type | Unit | Default | Description |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const [name, spec] of leaves) {
      const full = path === '' ? name : `${path}.${name}`;
      lines.push(
        `| \`${full}\` | \`${envNameOf(full)}\` | ${cell(renderType(spec))} | ${spec.unit ?? ''} | ${cell(renderDefault(spec))} | ${cell(spec.doc)} |`,
      );
    }
    lines.push('');
  }
  for (const [name, node] of Object.entries(group.fields)) {
    if (node.kind === 'group') renderGroup(node, path === '' ? name : `${path}.${name}`, lines);
  }
}

/** The Markdown page for the configuration schema. */
export function renderConfigDocs(): string {
  const lines = [
    '# Configuration',
    '',
    '`claimsgate serve` reads its configuration once at start and refuses to start while any',
    'setting is wrong. Each setting is taken from the first of these that gives it:',
    '',
    '1. a flag, by dotted path (`server.port`);',
    '2. an environment variable `CLAIMSGATE_<SECTION>_<SETTING>` in upper snake case',
    '   (`CLAIMSGATE_SERVER_PORT`, `CLAIMSGATE_SESSION_IDLE_TIMEOUT_SECONDS`);',
    '3. the configuration file, YAML (`.yaml`, `.yml`) or JSON (`.json`), with the sections below;',
    '4. the default.',
    '',
    'Environment values and string flags are read by the setting’s type: integers in decimal,',
    'booleans as `true`, `false`, `1` or `0`, lists comma-separated or as a JSON array,',
    'mappings as a JSON object. An empty environment variable unsets an optional setting.',
    '',
    'Unknown keys in the file and unknown flags are errors, with a suggestion for near',
    'misses. An unknown `CLAIMSGATE_*` variable is a warning (other tools may share the',
    'prefix), unless it looks like a misspelling of a known one, which is an error. In',
    'YAML files, tags (`!!binary`, `!custom`) and duplicate keys are refused and aliases',
    'expand at most 100 times.',
    '',
    'Secret settings may be given as a reference resolved at load: `env:NAME` (the value',
    'of environment variable `NAME`) or `file:/path` (the contents of the file, trimmed).',
    'Secret values never appear in error messages, warnings or logs.',
    '',
    'Every problem is reported at once as one `CG_CONFIG_INVALID` error whose detail lists',
    '`{ path, source, message, observed? }` for each (see [errors](errors.md)). The loaded',
    'configuration is frozen.',
    '',
    'This page is generated from `src/config/config-schema.ts` by `npm run docs:config`.',
    '',
  ];
  renderGroup(CONFIG_SCHEMA, '', lines);
  return `${lines.join('\n').trimEnd()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDocs());
  console.log('docs/configuration.md written.');
}
