// `npm run bench -- cluster` at a size a test can afford: three real
// gateways on one PostgreSQL schema, under a light sign-in load, so that the
// harness cannot rot between the runs docs/benchmarks.md quotes. Timing is
// not asserted; what each phase counted and read back is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresGate, TEST_POSTGRES_URL } from '../helpers/postgres.js';
import { describeWithService } from '../helpers/service-gate.js';

const postgres = await postgresGate();

describeWithService('npm run bench -- cluster', postgres, () => {
  describe('npm run bench -- cluster', () => {
    it('runs every phase with 3 gateways and counts what happened', { timeout: 240_000 }, async () => {
      // The bench reads its database from this variable; the test's own server is the one the gate probed.
      process.env['CLAIMSGATE_BENCH_POSTGRES_URL'] ??= TEST_POSTGRES_URL;
      const { formatClusterReport, runCluster } = await import('../../bench/cluster.js');
      const result = await runCluster({
        instances: 3,
        seconds: 2,
        rate: 5,
        changes: 2,
        refreshRounds: 2,
        quiet: true,
      });
      for (const [name, phase] of Object.entries(result.phases))
        assert.equal(phase.status, 'ok', `${name}: ${phase.error ?? ''}`);
      assert.deepEqual(Object.keys(result.phases), ['setup', 'presign', 'propagation', 'refresh', 'kill']);
      assert.equal(result.listenSeconds.length, 3);

      // Each change reached every gateway, the one that made it included.
      assert.equal(result.propagation.changesMade, 2);
      for (const rows of [result.propagation.added, result.propagation.revoked]) {
        assert.equal(rows.length, 3);
        for (const row of rows) {
          assert.equal(row.samples, 2);
          assert.equal(row.missed, 0);
        }
      }
      const refusals = Object.entries(result.propagation.revokedCodes);
      assert.equal(
        refusals.reduce((sum, [, count]) => sum + count, 0),
        6,
      );
      assert.ok(
        refusals.every(([code]) => code.startsWith('CG_TRUST_')),
        JSON.stringify(refusals),
      );

      // Every gateway answered every forced refresh, and no round fetched more than once per gateway.
      assert.equal(result.refresh.fetchesPerRound.length, 2);
      assert.ok(result.refresh.fetchesPerRound.every((count) => count >= 0 && count <= 3));
      assert.ok(result.refresh.fetchesPerRound.some((count) => count >= 1));
      const answers = Object.values(result.refresh.outcomes).reduce((sum, count) => sum + count, 0);
      assert.equal(answers, 6);

      // The killed gateway's refresh left nothing; the survivors took the new key, once, alike.
      assert.equal(result.kill.killedMidFetch, true);
      assert.deepEqual(result.kill.differences, []);
      assert.equal(result.kill.unchangedAfterKill, true);
      assert.ok((result.kill.survivorFetches ?? 0) >= 1);
      assert.equal(result.kill.newKeyStored, true);
      assert.equal(result.kill.survivorsSignIn, true);
      assert.equal(result.kill.manualKeysKept, true);

      // The load ran: sign-ins succeeded while the keys changed.
      assert.ok((result.load.byPhase['propagation']?.ok ?? 0) > 0);
      assert.match(formatClusterReport(result), /3 gateways on one PostgreSQL schema/);
    });
  });
});
