#!/usr/bin/env node
// The `claimsgate` command. An installed package runs the compiled CLI in
// dist/; a source checkout without a build (or with CLAIMSGATE_FROM_SOURCE=1,
// as the tests set it, so that a stale build is never what they test) runs the
// TypeScript through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(compiled) && process.env.CLAIMSGATE_FROM_SOURCE !== '1') {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
