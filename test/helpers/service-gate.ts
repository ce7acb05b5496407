/**
 * Tests that need a service outside Node (PostgreSQL, Debian's Chromium) run
 * when it is there, fail when it is required and missing, and otherwise skip
 * in a way the closing counts show: one skipped test per gated suite (never an
 * empty suite that reports `# tests 0`), and a line in the run's skip log,
 * which `npm test` prints after the summary.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/** Where `scripts/run-tests.mjs` collects skipped suites (one line each); unset outside it. */
export const SKIP_LOG_ENV = 'CG_TEST_SKIP_LOG';

/** Whether a service can be used, and what its absence means. */
export interface ServiceGate {
  /** What is needed, in words: `PostgreSQL`, `Debian's chromium`. */
  readonly service: string;
  /** Why it cannot be used, or undefined when it can. */
  readonly skipReason: string | undefined;
  /** The variable that makes it mandatory (`CLAIMSGATE_REQUIRE_POSTGRES`). */
  readonly requiredBy: string;
}

function isRequired(gate: ServiceGate): boolean {
  return process.env[gate.requiredBy] === '1';
}

function recordSkip(title: string, reason: string): void {
  const log = process.env[SKIP_LOG_ENV];
  if (log === undefined || log === '') return;
  appendFileSync(log, `${title}: ${reason.replace(/\s+/g, ' ')}\n`);
}

/**
 * Registers the suites `register` declares when the service is there;
 * otherwise one suite named `title` holding a single test that fails (the
 * service is required) or is skipped with the reason.
 */
export function describeWithService(title: string, gate: ServiceGate, register: () => void): void {
  const reason = gate.skipReason;
  if (reason === undefined) {
    register();
    return;
  }
  if (isRequired(gate)) {
    describe(title, () => {
      it(`needs ${gate.service} (${gate.requiredBy}=1)`, () => assert.fail(reason));
    });
    return;
  }
  recordSkip(title, reason);
  describe(title, () => {
    it(`needs ${gate.service}`, { skip: reason }, () => undefined);
  });
}
