import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tamperToken } from '../../bench/contenders.js';
import { buildBenchToken, createBenchSigner, type BenchSigner } from '../../bench/make-token.js';
import { claimsgateStages, formatStages } from '../../bench/stages.js';

describe("the bench's steps of a validation (bench/stages.ts)", () => {
  let signer: BenchSigner;
  before(async () => {
    signer = await createBenchSigner();
  });

  it("gives validateXmlToken's steps in order, each runnable alone", () => {
    const stages = claimsgateStages(buildBenchToken(signer), signer);
    assert.deepEqual(
      stages.map((stage) => stage.name),
      ['parse', 'inspect', 'c14n', 'digest', 'verify', 'read-back'],
    );
    const results = stages.map((stage) => stage.run());
    // The verify step verifies, the read-back reads the token's subject.
    assert.equal(results[4], true);
    assert.equal((results[5] as { subject: string }).subject, buildBenchToken(signer).subject);
  });

  it('refuses to time a token whose digest does not match', () => {
    assert.throws(
      () => claimsgateStages(tamperToken(buildBenchToken(signer)), signer),
      /digest does not match/,
    );
  });

  it('refuses to time a token another key signed', async () => {
    const other = await createBenchSigner();
    assert.throws(() => claimsgateStages(buildBenchToken(signer), other), /does not verify/);
  });

  it('reports each step as µs and share of the whole, and the rest', () => {
    const [parse, inspect] = claimsgateStages(buildBenchToken(signer), signer);
    const lines = formatStages(
      [
        { stage: parse!, microseconds: 100 },
        { stage: inspect!, microseconds: 50 },
      ],
      200,
    );
    assert.match(lines[0]!, /1 key, 200\.0 µs/);
    assert.match(lines[1]!, /^ {2}parse +100\.0 µs +50 %/);
    assert.match(lines[2]!, /^ {2}inspect +50\.0 µs +25 %/);
    assert.match(lines[3]!, /^ {2}rest +50\.0 µs +25 %/);
  });
});
