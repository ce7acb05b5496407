// `npm run bench -- scale` at a size a test can afford: every phase of the
// harness must still run against the real gateway, so that the benchmark
// cannot rot between the runs docs/benchmarks.md quotes. Timing is not
// asserted; what each phase counted is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatScaleReport, runScale } from '../../bench/scale.js';
import { farmCertificateIndexes } from '../../bench/scale-farm.js';

describe('npm run bench -- scale', () => {
  it('gives each issuer 2 or 3 distinct certificates, and neighbours different sets', () => {
    const sets = Array.from({ length: 600 }, (_, index) => farmCertificateIndexes(index, 200));
    for (const [index, set] of sets.entries()) {
      assert.equal(set.length, index % 2 === 0 ? 3 : 2);
      assert.equal(new Set(set).size, set.length);
      assert.ok(set.every((certificate) => certificate >= 0 && certificate < 200));
    }
    // Issuers a pool length apart start at the same certificate but take a different stride.
    assert.notDeepEqual(sets[0], sets[200]);
    assert.notDeepEqual(sets[0], sets[400]);
  });

  it(
    'runs every phase with 20 issuers on SQLite, half added with issuers add-many, and counts what happened',
    { timeout: 120_000 },
    async () => {
      const result = await runScale({
        issuers: 20,
        apiIssuers: 10,
        store: 'sqlite',
        phaseSeconds: 60,
        pool: 12,
        concurrency: 4,
        validateSeconds: 0.2,
        restSeconds: 0.5,
        quiet: true,
        fromSource: true,
      });
      for (const [name, phase] of Object.entries(result.phases)) {
        assert.equal(phase.status, 'ok', `${name}: ${phase.error ?? ''}`);
      }
      assert.deepEqual(Object.keys(result.phases), [
        'setup',
        'add',
        'bulk-add',
        'start',
        'refresh',
        'pages',
        'sign-in',
        'validate',
      ]);
      assert.equal(result.add.added, 10);
      assert.equal(result.add.bulkAdded, 10);
      assert.equal(result.add.bulkFailed, 0);
      assert.deepEqual(result.add.failedByCode, {});
      assert.ok(result.start.listenSeconds !== null && result.start.rssMiB !== null);
      // The start refreshes fetched every issuer in the background before phase 3 began.
      assert.ok(result.start.backgroundSeconds !== null);
      assert.equal(result.start.farmRequests, 20);
      assert.equal(result.refresh.health.notListening, 0);
      assert.ok(result.refresh.restRssMiB !== null && result.refresh.restRssMiB > 0, 'RSS at rest read');
      // Every issuer was refreshed once, by a conditional GET the farm answered.
      const outcomes = Object.values(result.refresh.outcomes).reduce((sum, count) => sum + count, 0);
      assert.equal(outcomes, 20);
      assert.deepEqual(result.refresh.failedByCode, {});
      assert.equal(result.refresh.farmRequests, 20);
      assert.ok(result.refresh.health.samples > 0);
      // The gateway's own loop delay was read from its /metrics at the phase's end.
      assert.ok(result.refresh.health.loopDelayMaxMs !== null && result.refresh.health.loopDelayMaxMs > 0);
      assert.ok(result.start.health.loopDelayP99Ms !== null);
      assert.ok((result.metrics.bytes ?? 0) > 0);
      assert.ok((result.signIn.homeRealmBytes ?? 0) > 0 && result.signIn.redirectMs !== null);
      assert.ok((result.signIn.oneIssuerPerSecond ?? 0) > 0 && (result.signIn.manyIssuersPerSecond ?? 0) > 0);
      assert.deepEqual(result.signIn.failedByCode, {}, 'every measured sign-in ended in a session');
      // The gateway's CPU per sign-in, read from /proc around each timed run.
      assert.ok(
        (result.signIn.oneIssuerCpuMicroseconds ?? 0) > 0 &&
          (result.signIn.manyIssuersCpuMicroseconds ?? 0) > 0,
      );
      assert.match(formatScaleReport(result), /gateway CPU per sign-in: [\d,]+ µs with 1 issuer/);
      assert.ok((result.validation.oneIssuerPerSecond ?? 0) > 0);
      assert.ok((result.validation.manyIssuersPerSecond ?? 0) > 0);
      assert.match(formatScaleReport(result), /20 issuers, store sqlite/);
    },
  );
});
