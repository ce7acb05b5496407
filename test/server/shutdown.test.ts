import { manualTimers } from '../helpers/manual-timers.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load-config.js';
import { createGatewayServer } from '../../src/server/create-gateway-server.js';
import {
  createDrainState,
  shutdownGateway,
  signalExitCode,
  waitForStop,
  type DrainState,
} from '../../src/server/shutdown.js';
import { repoRoot } from '../helpers/fixtures.js';
import { createGatewayFixture, START, type GatewayFixture } from './gateway-fixture.js';

/** A closing step that notes its name in `steps`. */
function record(steps: string[], name: string): () => Promise<void> {
  return () => {
    steps.push(name);
    return Promise.resolve();
  };
}

/** A response read to the end. */
async function readAll(
  response: IncomingMessage,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  let body = '';
  response.setEncoding('utf8');
  for await (const chunk of response) body += chunk as string;
  return { status: response.statusCode ?? 0, headers: response.headers, body };
}

/** Starts a GET on a connection of its own; resolves with the response, rejects with the socket's error. */
function get(
  port: number,
  path: string,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      readAll(response).then(resolve, reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** Connects to the port: resolves with the socket, or rejects with the connection error (ECONNREFUSED). */
function openConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything a raw socket receives until it closes. */
async function readSocket(socket: Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  await once(socket, 'close');
  return text;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 10_000; turn += 1) {
    if (condition()) return;
    await nextTurn();
  }
  assert.fail(`never happened: ${what}`);
}

describe('graceful shutdown of a listening gateway', () => {
  let fixture: GatewayFixture;
  before(async () => {
    fixture = await createGatewayFixture();
  });
  after(() => fixture.close());

  /** A gateway on 127.0.0.1:0 with `GET /slow`, which answers when the test releases it. */
  async function startGateway(drain: DrainState): Promise<{
    app: FastifyInstance;
    port: number;
    entered: Promise<void>;
    release: () => void;
  }> {
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    const app = createGatewayServer({
      config,
      store: fixture.store,
      engine: fixture.engine,
      now: () => START,
      drain,
    });
    let release!: () => void;
    let enter!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const entered = new Promise<void>((resolve) => {
      enter = resolve;
    });
    app.get('/slow', async () => {
      enter();
      await released;
      return { slow: 'done' };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    return { app, port: address.port, entered, release };
  }

  it('lets a slow request finish while /readyz says draining and new connections are refused, then runs the closing steps', async () => {
    const drain = createDrainState();
    const { app, port, entered, release } = await startGateway(drain);
    // A client that has begun a request (headers not finished) when the signal comes: its connection is busy.
    const midRequest = await openConnection(port);
    midRequest.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const slow = get(port, '/slow');
    await entered;
    const signals = new EventEmitter();
    const steps: string[] = [];
    const shutdown = (async () => {
      await waitForStop(signals);
      return shutdownGateway({
        app,
        drain,
        graceMs: 60_000,
        afterClose: [record(steps, 'engine stopped'), record(steps, 'store closed')],
        signals,
        forceExit: () => assert.fail('no second signal was sent'),
        timers: manualTimers(),
      });
    })();
    signals.emit('SIGTERM');
    await until(() => !app.server.listening, 'the listener closes');
    assert.equal(drain.draining, true);
    await assert.rejects(openConnection(port), { code: 'ECONNREFUSED' });
    // The busy connection finishes its request: readiness says draining, and the connection is closed after it.
    const answer = readSocket(midRequest);
    midRequest.write('\r\n');
    const readiness = await answer;
    assert.match(readiness, /^HTTP\/1\.1 503 /);
    assert.match(readiness, /\r\nconnection: close\r\n/i);
    assert.ok(readiness.endsWith('{"status":"draining"}'), readiness);
    assert.deepEqual(steps, [], 'nothing is closed while a request is in flight');
    release();
    const slowAnswer = await slow;
    assert.equal(slowAnswer.status, 200);
    assert.equal(slowAnswer.body, '{"slow":"done"}');
    assert.equal(slowAnswer.headers.connection, 'close');
    assert.deepEqual(await shutdown, { forced: false });
    assert.deepEqual(steps, ['engine stopped', 'store closed']);
    assert.equal(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT'), 0);
  });

  it('closes the connections left when the grace period ends, and still runs the closing steps', async () => {
    const drain = createDrainState();
    const { app, port, entered, release } = await startGateway(drain);
    const slow = get(port, '/slow');
    await entered;
    const timers = manualTimers();
    const steps: string[] = [];
    const shutdown = shutdownGateway({
      app,
      drain,
      graceMs: 5_000,
      afterClose: [record(steps, 'engine stopped')],
      signals: new EventEmitter(),
      forceExit: () => assert.fail('no second signal was sent'),
      timers,
    });
    await until(() => !app.server.listening, 'the listener closes');
    assert.equal(timers.armed.size, 1);
    timers.fireAll();
    await assert.rejects(slow, { code: 'ECONNRESET' });
    assert.deepEqual(await shutdown, { forced: true });
    assert.deepEqual(steps, ['engine stopped']);
    release();
  });

  it('exits at once with 143 or 130 at a second signal while requests are still in flight', async () => {
    const drain = createDrainState();
    const { app, port, entered, release } = await startGateway(drain);
    const slow = get(port, '/slow');
    await entered;
    const signals = new EventEmitter();
    const exits: number[] = [];
    const shutdown = shutdownGateway({
      app,
      drain,
      graceMs: 60_000,
      afterClose: [],
      signals,
      forceExit: (code) => exits.push(code),
      timers: manualTimers(),
    });
    await until(() => !app.server.listening, 'the listener closes');
    signals.emit('SIGTERM');
    assert.deepEqual(exits, [143]);
    signals.emit('SIGINT');
    assert.deepEqual(exits, [143, 130]);
    release();
    assert.equal((await slow).status, 200);
    await shutdown;
    assert.equal(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT'), 0);
  });

  it('runs every closing step even when one fails, then reports the first failure', async () => {
    const drain = createDrainState();
    const { app } = await startGateway(drain);
    const steps: string[] = [];
    await assert.rejects(
      shutdownGateway({
        app,
        drain,
        graceMs: 1_000,
        afterClose: [() => Promise.reject(new Error('engine would not stop')), record(steps, 'store closed')],
        signals: new EventEmitter(),
        forceExit: () => assert.fail('no second signal was sent'),
        timers: manualTimers(),
      }),
      /engine would not stop/,
    );
    assert.deepEqual(steps, ['store closed']);
  });

  it('answers /readyz with 503 draining as soon as draining starts, before anything is closed', async () => {
    const drain = createDrainState();
    const { config } = loadConfig({ env: {}, flags: { mode: 'development', 'server.port': 8787 } });
    const app = createGatewayServer({ config, store: fixture.store, engine: fixture.engine, drain });
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      drain.start();
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), { status: 'draining' });
      assert.equal(response.headers.connection, 'close');
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await app.close();
    }
  });
});

describe('waiting for a stop', () => {
  it('resolves with the first signal and removes its listeners', async () => {
    const signals = new EventEmitter();
    const stopped = waitForStop(signals);
    assert.equal(signals.listenerCount('SIGINT'), 1);
    signals.emit('SIGINT');
    assert.equal(await stopped, 'SIGINT');
    assert.equal(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM'), 0);
  });

  it('resolves with duration when the duration ends first', async () => {
    const signals = new EventEmitter();
    const timers = manualTimers();
    const stopped = waitForStop(signals, { durationMs: 3_000, timers });
    timers.fireAll();
    assert.equal(await stopped, 'duration');
    assert.equal(signals.listenerCount('SIGTERM'), 0);
  });

  it('names the conventional exit codes of the stop signals', () => {
    assert.equal(signalExitCode('SIGINT'), 130);
    assert.equal(signalExitCode('SIGTERM'), 143);
  });
});

describe('claimsgate serve as a process', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'claimsgate-shutdown-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  /** Starts `claimsgate serve` on 127.0.0.1:0 and resolves with its address once it listens. */
  async function startServe(name: string): Promise<{
    child: ChildProcessWithoutNullStreams;
    address: URL;
    output: () => string;
  }> {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'src/cli/main.ts'),
        'serve',
        '--mode',
        'development',
        '--port',
        '0',
        '--db',
        join(directory, `${name}.db`),
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, CLAIMSGATE_SERVER_SHUTDOWN_GRACE_MS: '600000' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = once(child, 'exit');
    for (;;) {
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (found !== undefined) return { child, address: new URL(found), output: () => output };
      const step = await Promise.race([
        once(child.stdout, 'data').then(() => 'data'),
        exited.then(() => 'exit'),
      ]);
      if (step === 'exit') assert.fail(`serve exited before listening:\n${output}`);
    }
  }

  it('shuts down at SIGTERM with exit code 0, logging the drain and the end as JSON lines', async () => {
    const { child, address, output } = await startServe('clean');
    const metrics = await fetch(new URL('/metrics', address));
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^process_cpu_seconds_total /m);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, string | null];
    assert.equal(signal, null, output());
    assert.equal(code, 0, output());
    const lines = output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; cause?: string });
    assert.ok(lines.some((line) => line.msg === 'shutdown requested' && line.cause === 'SIGTERM'));
    assert.ok(lines.some((line) => line.msg === 'shutdown complete'));
  });

  it('exits with 130 at a second SIGINT while a request is still in flight', async () => {
    const { child, address, output } = await startServe('forced');
    const midRequest = await openConnection(Number(address.port));
    midRequest.on('error', () => undefined);
    midRequest.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    while (!output().includes('shutdown: draining')) {
      if (child.exitCode !== null || child.signalCode !== null)
        assert.fail(`serve ended early:\n${output()}`);
      await Promise.race([once(child.stdout, 'data'), exited]);
    }
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130, output());
    assert.ok(output().includes('second signal'));
    midRequest.destroy();
  });
});
