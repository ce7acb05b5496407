import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import { createIdpSimulator } from '../../src/idp-sim/idp-sim-server.js';
import type { SimLogEntry } from '../../src/idp-sim/sim-logger.js';
import { isClaimsgateError } from '../../src/lib/errors.js';
import { checkMetadataSignature } from '../../src/metadata/check-metadata-signature.js';
import { parseMetadata } from '../../src/metadata/parse-metadata.js';
import {
  clock,
  createTestSimulator,
  fetchMetadataXml,
  validatorFromMetadata,
  wsFedSignIn,
} from './sim-helpers.js';

const REALM = 'urn:claimsgate:rollover';
const REPLY = 'http://127.0.0.1:8787/signin-wsfed';

function keyWithState(sim: IdpSimulator, state: string): { sha1: string; kid: string } {
  const key = sim.keys()[0]!.keys.find((candidate) => candidate.state === state);
  assert.ok(key, `no ${state} key`);
  return key;
}

function publishedSha1s(xml: string): string[] {
  return parseMetadata(xml)
    .metadata.signingKeys.map((key) => key.sha1!)
    .sort();
}

async function signIn(sim: IdpSimulator): Promise<string> {
  return (await wsFedSignIn(sim, { wtrealm: REALM, wreply: REPLY })).fields.wresult!;
}

describe('the IdP simulator key rollover', () => {
  let sim: IdpSimulator;
  const log: SimLogEntry[] = [];
  before(async () => {
    sim = await createTestSimulator({ logger: (entry) => log.push(entry) });
  });
  after(() => sim.stop());

  it('announces, switches and retires keys the way a relying party sees Azure AD roll over', async () => {
    const oldMetadata = await fetchMetadataXml(sim);
    const oldKey = keyWithState(sim, 'current');
    assert.deepEqual(publishedSha1s(oldMetadata), [oldKey.sha1]);

    // Announce: the new key is published, tokens are still signed by the old one.
    await sim.rollover('announce');
    const newKey = keyWithState(sim, 'next');
    const announced = await fetchMetadataXml(sim);
    assert.deepEqual(publishedSha1s(announced), [oldKey.sha1, newKey.sha1].sort());
    const beforeSwitch = await validatorFromMetadata(oldMetadata, { audiences: REALM }).validate(
      await signIn(sim),
    );
    assert.equal(beforeSwitch.signingKey.sha1, oldKey.sha1);

    // Switch: tokens and metadata are signed by the new key.
    await sim.rollover('switch');
    assert.equal(keyWithState(sim, 'current').sha1, newKey.sha1);
    assert.equal(keyWithState(sim, 'previous').sha1, oldKey.sha1);
    const switched = await fetchMetadataXml(sim);
    const parsed = parseMetadata(switched);
    const report = checkMetadataSignature(parsed.xml!.root, parsed.metadata);
    assert.ok(report.status === 'valid');
    assert.equal(report.signer.sha1, newKey.sha1);
    const token = await signIn(sim);
    const afterSwitch = await validatorFromMetadata(announced, { audiences: REALM }).validate(token);
    assert.equal(afterSwitch.signingKey.sha1, newKey.sha1);

    // A relying party that kept the metadata from before the announcement cannot map the new key.
    const stale = validatorFromMetadata(oldMetadata, { audiences: REALM });
    await assert.rejects(stale.validate(token), (error: unknown) => {
      assert.ok(isClaimsgateError(error, 'CG_TRUST_KEY_UNKNOWN'));
      assert.ok(JSON.stringify(error.detail).includes(newKey.sha1), JSON.stringify(error.detail));
      return true;
    });

    // Retire: the old key is gone from the metadata.
    await sim.rollover('retire');
    assert.deepEqual(publishedSha1s(await fetchMetadataXml(sim)), [newKey.sha1]);
    assert.equal(keyWithState(sim, 'retired').sha1, oldKey.sha1);

    const steps = log
      .filter((entry) => entry.event.startsWith('idp-sim.rollover.'))
      .map((entry) => entry.event);
    assert.deepEqual(steps, [
      'idp-sim.rollover.announce',
      'idp-sim.rollover.switch',
      'idp-sim.rollover.retire',
    ]);
  });

  it('runs a full rollover in one call and reports the key states over the control endpoint', async () => {
    const before = keyWithState(sim, 'current');
    const response = await sim.app.inject({
      method: 'POST',
      url: '/control/rollover',
      payload: { step: 'full' },
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{ outcomes: Array<{ step: string; changed: boolean }> }>();
    assert.deepEqual(
      body.outcomes.map((o) => [o.step, o.changed]),
      [
        ['announce', true],
        ['switch', true],
        ['retire', true],
      ],
    );
    const keys = await sim.app.inject({ method: 'GET', url: '/control/keys' });
    const [tenant] = keys.json<{ tenants: Array<{ keys: Array<Record<string, string>> }> }>().tenants;
    const current = tenant!.keys.find((key) => key.state === 'current')!;
    assert.notEqual(current.sha1, before.sha1);
    assert.match(current.sha1!, /^[0-9A-F]{40}$/);
    assert.match(current.sha256!, /^[0-9A-F]{64}$/);
    assert.equal(current.kid, current.x5t);
  });

  it('switches at once to a new, unannounced key when nothing was announced (an emergency roll)', async () => {
    const before = keyWithState(sim, 'current');
    const [outcome] = await sim.rollover('switch');
    assert.equal(outcome!.emergency, true);
    assert.notEqual(keyWithState(sim, 'current').sha1, before.sha1);
    assert.ok(log.some((entry) => entry.event === 'idp-sim.rollover.switch' && entry.level === 'warn'));
    await sim.rollover('retire');
  });

  it('refuses an unknown step over the control endpoint, naming the parameter', async () => {
    const response = await sim.app.inject({
      method: 'POST',
      url: '/control/rollover',
      payload: { step: 'now' },
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { parameter: string } }>().error.parameter, 'step');
  });

  it('refuses an unknown step or tenant given in code with a TypeError', async () => {
    await assert.rejects(sim.rollover('now' as never), TypeError);
    await assert.rejects(sim.rollover('announce', 'nobody'), TypeError);
  });
});

describe('the IdP simulator rollover timer', () => {
  it('runs announce, switch and retire in turn at the configured interval', async () => {
    const events: string[] = [];
    let resolveThird: () => void = () => undefined;
    const third = new Promise<void>((resolve) => {
      resolveThird = resolve;
    });
    const sim = await createIdpSimulator({
      port: 0,
      now: clock,
      rolloverEveryMs: 50,
      logger: (entry) => {
        if (!entry.event.startsWith('idp-sim.rollover.')) return;
        events.push(entry.event);
        if (events.length === 3) resolveThird();
      },
    });
    await sim.start();
    try {
      const timeout = new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error(`timer ran ${events.join(', ')}`)), 20_000).unref();
      });
      await Promise.race([third, timeout]);
    } finally {
      await sim.stop();
    }
    assert.deepEqual(events.slice(0, 3), [
      'idp-sim.rollover.announce',
      'idp-sim.rollover.switch',
      'idp-sim.rollover.retire',
    ]);
    const countAtStop = events.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(events.length, countAtStop, 'no step runs after stop()');
  });

  it('switches to a new key at every other step, never announcing it, in the unannounced mode', async () => {
    const events: Array<{ event: string; emergency: unknown }> = [];
    let resolveFourth: () => void = () => undefined;
    const fourth = new Promise<void>((resolve) => {
      resolveFourth = resolve;
    });
    const sim = await createIdpSimulator({
      port: 0,
      now: clock,
      rolloverEveryMs: 50,
      rolloverMode: 'unannounced',
      logger: (entry) => {
        if (!entry.event.startsWith('idp-sim.rollover.')) return;
        events.push({ event: entry.event, emergency: entry['emergency'] });
        if (events.length === 4) resolveFourth();
      },
    });
    await sim.start();
    try {
      const timeout = new Promise<never>((_, reject) => {
        setTimeout(
          () => reject(new Error(`timer ran ${events.map((e) => e.event).join(', ')}`)),
          20_000,
        ).unref();
      });
      await Promise.race([fourth, timeout]);
    } finally {
      await sim.stop();
    }
    assert.deepEqual(events.slice(0, 4), [
      { event: 'idp-sim.rollover.switch', emergency: true },
      { event: 'idp-sim.rollover.retire', emergency: false },
      { event: 'idp-sim.rollover.switch', emergency: true },
      { event: 'idp-sim.rollover.retire', emergency: false },
    ]);
  });
});
