// `npm run bench -- http` at a size a test can afford: both parts must still
// run against the real gateway, so that the benchmark cannot rot between
// the runs docs/benchmarks.md quotes. Timing is not asserted; what each part
// counted is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHttpReport, runHttp, type HttpBenchOptions } from '../../bench/http.js';

describe('npm run bench -- http', () => {
  it(
    'signs in through claimsgate serve and loads every proxy, the gateway with the session it signed in',
    { timeout: 180_000 },
    async () => {
      const options: HttpBenchOptions = {
        seconds: 0.4,
        rounds: 1,
        connections: 2,
        concurrency: 2,
        fromSource: true,
        parts: new Set(['sign-in', 'proxy']),
      };
      const result = await runHttp(options, () => undefined);
      assert.ok(result.signIn !== null);
      assert.deepEqual(result.signIn.failedByCode, {});
      assert.ok((result.signIn.perSecond ?? 0) > 0);
      assert.ok((result.signIn.cpuMicroseconds ?? 0) > 0);
      assert.ok((result.signIn.validationMicroseconds ?? 0) > 0);
      assert.deepEqual(
        result.proxies.map((row) => row.name),
        ['upstream, directly', 'nginx proxy_pass', '@fastify/http-proxy', 'claimsgate gateway mode'],
      );
      for (const row of result.proxies) {
        if (row.skipped !== undefined) {
          // Only nginx may be missing (it is not installed by CI), and then it says why.
          assert.equal(row.name, 'nginx proxy_pass');
          assert.match(row.skipped, /nginx/);
          continue;
        }
        // Every request answered 200: for claimsgate, the session cookie passed the gateway's check.
        assert.deepEqual(row.failedByCode, {}, row.name);
        assert.ok((row.perSecond ?? 0) > 0, row.name);
        assert.ok((row.cpuMicroseconds ?? 0) > 0, row.name);
      }
      const report = formatHttpReport(result, options);
      assert.match(report, /signs in at \d+ % of its validation rate/);
      assert.match(report, /claimsgate gateway mode: \d+ % of @fastify\/http-proxy's requests per second/);
    },
  );

  it('measures one part alone when asked', { timeout: 180_000 }, async () => {
    const result = await runHttp(
      {
        seconds: 0.3,
        rounds: 1,
        connections: 1,
        concurrency: 1,
        fromSource: true,
        parts: new Set(['proxy']),
      },
      () => undefined,
    );
    assert.equal(result.signIn, null);
    assert.equal(result.proxies.length, 4);
  });
});
