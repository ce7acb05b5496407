import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderConfigDocs } from '../../scripts/generate-config-docs.js';
import { CONFIG_SCHEMA, listSettings } from '../../src/config/config-schema.js';
import { repoRoot } from '../helpers/fixtures.js';

describe('the configuration schema', () => {
  it('is documented word for word in docs/configuration.md (run `npm run docs:config` after changing it)', () => {
    const committed = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
    assert.equal(committed, renderConfigDocs());
  });

  it('lists every setting with its environment variable on the page', () => {
    const page = renderConfigDocs();
    for (const { path, env } of listSettings()) {
      assert.ok(page.includes(`| \`${path}\` | \`${env}\` |`), path);
    }
  });

  it('gives every setting and group a doc sentence, and a unit to every number whose name has one', () => {
    for (const { path, spec } of listSettings()) {
      assert.match(spec.doc, /[.)]$/, path);
      const named = /(Seconds|Ms|Bytes|Days)$/.exec(path)?.[1];
      const units: Record<string, string> = {
        Seconds: 'seconds',
        Ms: 'milliseconds',
        Bytes: 'bytes',
        Days: 'days',
      };
      if (named !== undefined) assert.equal(spec.unit, units[named], path);
    }
    assert.match(CONFIG_SCHEMA.doc, /\.$/);
  });
});
