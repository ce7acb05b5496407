// `npm run bench -- cluster`: N gateways (`claimsgate serve` as child
// processes, each on its own 127.0.0.1 port) on one fresh PostgreSQL schema,
// a loopback metadata server, and WS-Fed sign-ins posted to every gateway at
// a bounded rate throughout. Under that load (issue 13):
//   1. propagation: a key is added to a manual-only issuer through gateway
//      1's admin API, then revoked; per gateway, the time until a sign-in
//      with a token signed by that key is accepted (then refused);
//   2. forced refreshes: every gateway is asked to refresh the same issuer at
//      once; the metadata server counts the fetches of each round;
//   3. kill mid-refresh: the metadata server holds a refresh's answer, the
//      gateway waiting for it is SIGKILLed; the store is read back through
//      another gateway, the survivors refresh, and sign in with the new key.
// Every phase has a time limit; every child is killed on exit. See
// docs/benchmarks.md, "Cluster".
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CHANGE_CHANNEL } from '../src/store/postgres/postgres-change-feed.js';
import { buildFederationMetadata } from '../test/helpers/federation-metadata.js';
import { startMetadataServer, type MetadataServer } from '../test/helpers/metadata-server.js';
import type { TestCertificate } from '../test/helpers/certificates.js';
import { postSignIn, prepareSignIn, signIn, signedWresult, type PreparedSignIn } from './sign-in-client.js';
import { createCertificatePool, farmTenant } from './scale-farm.js';
import {
  adminPost,
  createBenchStore,
  Deadline,
  killChildren,
  runCli,
  signInAsAdmin,
  startGateway,
  type AdminSession,
  type BenchStore,
  type Gateway,
} from './scale.js';
import { countInto, formatCounts, numberOption, runPhasedBench } from './bench-cli.js';

const USAGE = `Usage: npm run bench -- cluster [--instances N] [--seconds N] [--rate N] [--changes N] [--refresh-rounds N]
  --instances N       gateways on the one PostgreSQL schema (default 3)
  --seconds N         length of the propagation phase; the key changes are spread over it (default 60)
  --rate N            sign-ins per second over all gateways, during every phase (default 50)
  --changes N         keys added then revoked through gateway 1, each timed on every gateway (default 30)
  --refresh-rounds N  rounds of a forced refresh of one issuer on every gateway at once (default 10)
PostgreSQL: CLAIMSGATE_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); a schema
of its own, dropped at the end.`;

const ADMIN_USER = 'cluster-bench';
/** The manual-only issuer the keys are added to and revoked from (no metadata URL: never refreshed). */
const MANUAL_ISSUER = 'bench-manual';
/** The issuer with a metadata URL, refreshed in phases 2 and 3. */
const METADATA_ISSUER = 'bench-metadata';
const MANUAL_TENANT = farmTenant(1);
const METADATA_TENANT = farmTenant(2);
/** Where the issuers send users; the bench posts their answers itself, so nothing listens there. */
const LOGIN_URL = 'https://login.bench.test/wsfed';
/** The longest a change is waited for on one gateway before it counts as not propagated. */
const PROPAGATION_LIMIT_MS = 10_000;
/** Pause between two probes of one gateway (each probe is a GET /signin and a POST /signin/wsfed). */
const PROBE_PAUSE_MS = 5;
/** Sign-ins of the load in flight at most; a tick finding them all busy counts as `client busy`. */
const MAX_IN_FLIGHT = 64;
/** Load tokens signed before the load at most (then the load signs its own). */
const MAX_PRESIGNED = 6000;
/** Time limit of the setup, the refresh and the kill phases, in seconds. */
const PHASE_SECONDS = 120;

export interface ClusterOptions {
  readonly instances: number;
  readonly seconds: number;
  readonly rate: number;
  readonly changes: number;
  readonly refreshRounds: number;
  /** Print progress; off for the test. */
  readonly quiet?: boolean;
}

export type PhaseStatus = 'ok' | 'exceeded' | 'failed';

/** Propagation times of one kind of change as one gateway saw them, in ms. */
export interface Propagation {
  readonly samples: number;
  /** Changes the gateway had not acted on within PROPAGATION_LIMIT_MS. */
  readonly missed: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Mean time between two probes of this gateway: the resolution of the figures. */
  readonly probeMs: number | null;
}

export interface ClusterResult {
  readonly options: Omit<ClusterOptions, 'quiet'>;
  readonly startedAt: string;
  readonly machine: string;
  readonly phases: Record<string, { status: PhaseStatus; seconds: number; error?: string }>;
  /** Gateways' time from spawn to listening, in s. */
  readonly listenSeconds: number[];
  readonly load: {
    /** Sign-ins by phase: ok, failed by code or status. */
    readonly byPhase: Record<
      string,
      { ok: number; failed: Record<string, number>; p50Ms: number | null; p99Ms: number | null }
    >;
  };
  readonly propagation: {
    /** Per gateway (index 0 made the changes): an added key accepted. */
    added: Propagation[];
    /** Per gateway: a revoked key refused. */
    revoked: Propagation[];
    /**
     * From the admin API request to the change's NOTIFY reaching a LISTEN
     * session of the bench's own (add, revoke): the store's part of every
     * time above; the rest is the gateways' reload and the probe.
     */
    notifyMs: { added: Propagation; revoked: Propagation };
    /** Per gateway, the time from the NOTIFY's arrival (above) to the sign-in showing the change: reload and probe. */
    afterNotify: { added: Propagation[]; revoked: Propagation[] };
    /** How long gateway 1's admin API took to answer the change (add, revoke): part of every time above. */
    changeMs: { added: Propagation; revoked: Propagation };
    /** Codes the revoked key's tokens were refused with. */
    revokedCodes: Record<string, number>;
    changesMade: number;
  };
  /** Store change notifications of the bench's schema, by phase and kind (each makes every other gateway reload). */
  readonly notifications: Record<string, Record<string, number>>;
  readonly refresh: {
    /** Metadata fetches of each round (one forced refresh per gateway, all at once). */
    readonly fetchesPerRound: number[];
    /** The gateways' answers, by outcome. */
    readonly outcomes: Record<string, number>;
  };
  readonly kill: {
    /** The gateway's refresh was waiting for the metadata server when it was killed. */
    killedMidFetch: boolean;
    /** Read back through another gateway right after the kill: the same keys and refresh state as before. */
    unchangedAfterKill: boolean | null;
    /** What differed, when something did. */
    differences: string[];
    /** Fetches of the survivors' forced refresh (one each, at once) after the kill. */
    survivorFetches: number | null;
    survivorOutcomes: Record<string, number>;
    /** From the kill to the survivors' refresh answers, in s. */
    recoverySeconds: number | null;
    /** Every survivor lists the new key once, the old one still, and the same keys as the others. */
    newKeyStored: boolean | null;
    /** Every survivor accepted a sign-in with the new key. */
    survivorsSignIn: boolean | null;
    /** The manual issuer's keys, read back after everything, equal what phase 1 left. */
    manualKeysKept: boolean | null;
  };
}

function readOptions(argv: readonly string[]): ClusterOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      instances: { type: 'string' },
      seconds: { type: 'string' },
      rate: { type: 'string' },
      changes: { type: 'string' },
      'refresh-rounds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const number = (name: string, value: string | undefined, fallback: number, min: number, max: number) =>
    numberOption(name, value, fallback, { min, max });
  return {
    instances: Math.floor(number('instances', values.instances, 3, 2, 16)),
    seconds: number('seconds', values.seconds, 60, 1, 3600),
    rate: number('rate', values.rate, 50, 0, 1000),
    changes: Math.floor(number('changes', values.changes, 30, 1, 1000)),
    refreshRounds: Math.floor(number('refresh-rounds', values['refresh-rounds'], 10, 1, 1000)),
  };
}

/** Runs `work` against a time limit and records how it ended; never throws. */
async function phase(
  result: ClusterResult,
  name: string,
  seconds: number,
  work: (deadline: Deadline) => Promise<void>,
): Promise<PhaseStatus> {
  const deadline = new Deadline(seconds);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'exceeded'>((resolve) => {
    timer = setTimeout(() => resolve('exceeded'), seconds * 1000);
  });
  let status: PhaseStatus;
  let error: string | undefined;
  try {
    status = await Promise.race([work(deadline).then(() => 'ok' as const), limit]);
  } catch (caught) {
    status = 'failed';
    error = caught instanceof Error ? caught.message : String(caught);
  } finally {
    clearTimeout(timer);
  }
  result.phases[name] = {
    status,
    seconds: (performance.now() - started) / 1000,
    ...(error === undefined ? {} : { error }),
  };
  return status;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------- sign-ins

/** What the harness needs to sign in at one gateway. */
interface Target {
  readonly index: number;
  readonly gateway: Gateway;
}

/** Everything a token for the cluster's realm needs but its key and issuer. */
interface Realm {
  readonly audience: string;
}

/**
 * The background load: `rate` sign-ins per second with the load key, each at
 * the next live gateway in turn, at most MAX_IN_FLIGHT at once, tallied under
 * the phase running when it began. Stops when told or at `limit`.
 */
function startLoad(
  rate: number,
  targets: () => readonly Target[],
  realm: Realm,
  signer: TestCertificate,
  currentPhase: () => string,
  maxSignIns: number,
  result: ClusterResult,
  presigned: ReadonlyMap<number, string[]>,
): { stop: () => Promise<void> } {
  let running = rate > 0;
  let inFlight = 0;
  let issued = 0;
  const pending = new Set<Promise<void>>();
  const latencies = new Map<string, number[]>();
  const tally = (name: string) =>
    (result.load.byPhase[name] ??= { ok: 0, failed: {}, p50Ms: null, p99Ms: null });
  const loop = (async () => {
    const started = performance.now();
    let turn = 0;
    while (running && issued < maxSignIns) {
      // The schedule is absolute: a late tick is followed by the ones it owed, at once.
      const due = started + (issued * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (!running) break;
      issued += 1;
      const name = currentPhase();
      const live = targets();
      if (live.length === 0) continue;
      if (inFlight >= MAX_IN_FLIGHT) {
        countInto(tally(name).failed, 'client busy');
        continue;
      }
      const target = live[turn % live.length]!;
      turn += 1;
      inFlight += 1;
      const began = performance.now();
      const wresult = presigned.get(target.index)?.pop();
      const one = prepareSignIn(target.gateway, realm.audience, MANUAL_ISSUER, MANUAL_TENANT, signer, wresult)
        .then((prepared) => postSignIn(target.gateway, prepared))
        .then((outcome) => {
          inFlight -= 1;
          const phase = tally(name);
          if (outcome === 'ok') {
            phase.ok += 1;
            const list = latencies.get(name) ?? [];
            list.push(performance.now() - began);
            latencies.set(name, list);
          } else countInto(phase.failed, outcome);
        });
      pending.add(one);
      void one.finally(() => pending.delete(one));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await Promise.allSettled([...pending]);
      for (const [name, list] of latencies) {
        list.sort((a, b) => a - b);
        const phase = tally(name);
        phase.p50Ms = quantile(list, 0.5);
        phase.p99Ms = quantile(list, 0.99);
      }
    },
  };
}

// ---------------------------------------------------------------- admin API

async function adminGet(url: string, session: AdminSession, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    headers: { cookie: session.cookie },
    signal: AbortSignal.timeout(20_000),
  });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

async function adminPostOk(
  url: string,
  session: AdminSession,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const answer = await adminPost(url, session, path, body);
  if (answer.status >= 300) throw new Error(`POST ${path} answered ${answer.status} ${answer.code}`);
  return answer.json;
}

interface KeyView {
  readonly id: string;
  readonly sha1: string | null;
  readonly state: string;
}

/** An issuer's keys and refresh state as the admin API shows them: what a refresh may write. */
interface IssuerView {
  readonly keys: KeyView[];
  readonly snapshotSha256: string | null;
  readonly refresh: Record<string, unknown>;
}

async function readIssuer(url: string, session: AdminSession, id: string): Promise<IssuerView> {
  const detail = await adminGet(url, session, `/admin/api/issuers/${encodeURIComponent(id)}`);
  const keys = (detail['keys'] as KeyView[])
    .map((key) => ({ id: key.id, sha1: key.sha1, state: key.state }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const snapshot = detail['snapshot'] as { sha256?: string } | null;
  const refresh = { ...(detail['refresh'] as Record<string, unknown>) };
  // Derived from the clock at the time of reading, not stored.
  delete refresh['lastSuccessAgeSeconds'];
  return { keys, snapshotSha256: snapshot?.sha256 ?? null, refresh };
}

/** What differs between two views of one issuer, in words. */
function differences(before: IssuerView, after: IssuerView, label: string): string[] {
  const found: string[] = [];
  if (JSON.stringify(before.keys) !== JSON.stringify(after.keys))
    found.push(`${label}: keys ${JSON.stringify(before.keys)} became ${JSON.stringify(after.keys)}`);
  if (before.snapshotSha256 !== after.snapshotSha256)
    found.push(`${label}: metadata snapshot ${before.snapshotSha256} became ${after.snapshotSha256}`);
  if (JSON.stringify(before.refresh) !== JSON.stringify(after.refresh))
    found.push(
      `${label}: refresh state ${JSON.stringify(before.refresh)} became ${JSON.stringify(after.refresh)}`,
    );
  return found;
}

// ---------------------------------------------------------------- propagation

/**
 * A LISTEN session of the bench's own on the instances' change channel:
 * `onChange` receives the changes of the store's schema, as the gateways do.
 */
async function listenForChanges(
  db: string,
  onChange: (change: { kind: string; issuerId: string | null }) => void,
): Promise<pg.Client> {
  const url = new URL(db);
  const schema = url.searchParams.get('schema');
  url.search = '';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  client.on('notification', (message) => {
    try {
      const payload = JSON.parse(message.payload ?? '') as {
        schema?: string;
        kind?: string;
        issuerId?: string;
      };
      if (payload.schema === schema && typeof payload.kind === 'string')
        onChange({ kind: payload.kind, issuerId: payload.issuerId ?? null });
    } catch {
      // Another program's payload on the same channel.
    }
  });
  await client.connect();
  await client.query(`LISTEN ${CHANGE_CHANNEL}`);
  return client;
}

/**
 * Probes `target` with sign-ins whose token `signer` signs until `wanted`
 * says the outcome shows the change; the ms from `since` until that answer
 * arrived (an upper bound: it includes the probe's own round trip), or
 * undefined past PROPAGATION_LIMIT_MS. `first` was prepared before the
 * change was asked for; `probes` counts the probes made and their time.
 */
async function timeUntil(
  target: Target,
  realm: Realm,
  signer: TestCertificate,
  since: number,
  first: Promise<PreparedSignIn>,
  wanted: (outcome: string) => boolean,
  seen: (outcome: string) => void,
  probes: { count: number; ms: number },
): Promise<number | undefined> {
  const prepare = () => prepareSignIn(target.gateway, realm.audience, MANUAL_ISSUER, MANUAL_TENANT, signer);
  // The next probe is prepared while this one is posted: a probe's time is its POST alone.
  let next = first;
  for (;;) {
    const prepared = await next;
    next = prepare();
    const began = performance.now();
    const outcome = await postSignIn(target.gateway, prepared);
    const now = performance.now();
    probes.count += 1;
    probes.ms += now - began;
    if (wanted(outcome) || now - since > PROPAGATION_LIMIT_MS) {
      await next; // an unused sign-in state: it expires on its own
      if (!wanted(outcome)) return undefined;
      seen(outcome);
      return now - since;
    }
    await sleep(PROBE_PAUSE_MS);
  }
}

function summarise(
  times: readonly (number | undefined)[],
  probes: { count: number; ms: number },
): Propagation {
  const done = times.filter((time): time is number => time !== undefined).sort((a, b) => a - b);
  return {
    samples: times.length,
    missed: times.length - done.length,
    p50Ms: quantile(done, 0.5),
    p99Ms: quantile(done, 0.99),
    maxMs: done.length === 0 ? null : done[done.length - 1]!,
    probeMs: probes.count === 0 ? null : probes.ms / probes.count,
  };
}

// ---------------------------------------------------------------- the run

/** Runs every phase; a phase that fails or runs out of time is recorded, not thrown. */
export async function runCluster(options: ClusterOptions): Promise<ClusterResult> {
  const log = (text: string): void => {
    if (options.quiet !== true) console.error(text);
  };
  const cpu = cpus();
  const result: ClusterResult = {
    options: {
      instances: options.instances,
      seconds: options.seconds,
      rate: options.rate,
      changes: options.changes,
      refreshRounds: options.refreshRounds,
    },
    startedAt: new Date().toISOString(),
    machine: `node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    phases: {},
    listenSeconds: [],
    load: { byPhase: {} },
    notifications: {},
    propagation: {
      added: [],
      revoked: [],
      changeMs: { added: summarise([], { count: 0, ms: 0 }), revoked: summarise([], { count: 0, ms: 0 }) },
      notifyMs: { added: summarise([], { count: 0, ms: 0 }), revoked: summarise([], { count: 0, ms: 0 }) },
      afterNotify: { added: [], revoked: [] },
      revokedCodes: {},
      changesMade: 0,
    },
    refresh: { fetchesPerRound: [], outcomes: {} },
    kill: {
      killedMidFetch: false,
      unchangedAfterKill: null,
      differences: [],
      survivorFetches: null,
      survivorOutcomes: {},
      recoverySeconds: null,
      newKeyStored: null,
      survivorsSignIn: null,
      manualKeysKept: null,
    },
  };
  const password = randomBytes(18).toString('base64url');
  let store: BenchStore | undefined;
  let server: MetadataServer | undefined;
  const gateways: Gateway[] = [];
  /** Gateways the load and the probes may use (the killed one leaves). */
  const live = new Set<number>();
  let load: { stop: () => Promise<void> } | undefined;
  let current = 'setup';
  let listener: pg.Client | undefined;
  /** The change being timed: since when, and when its NOTIFY arrived (ms after). */
  let awaitedNotify: { since: number; issuerId: string; arrivedMs: number | undefined } | undefined;
  try {
    // Certificates: the load's key, the metadata issuer's two, one per change.
    let pool: TestCertificate[] = [];
    const sessions: AdminSession[] = [];
    let manualId = '';
    let metadataId = '';
    let realm: Realm = { audience: '' };
    const documentOf = (certificates: readonly TestCertificate[]): string =>
      buildFederationMetadata({
        entityId: `https://sts.windows.net/${METADATA_TENANT}/`,
        signingCertificates: certificates.map((certificate) => certificate.base64),
        passiveEndpoint: LOGIN_URL,
      });
    log(`setup: certificates, the metadata server, a PostgreSQL schema, ${options.instances} gateways…`);
    const setup = await phase(result, 'setup', PHASE_SECONDS, async (deadline) => {
      pool = await createCertificatePool(options.changes + 3, Math.min(8, options.changes + 3));
      server = await startMetadataServer({ kind: 'document', body: documentOf([pool[1]!]) });
      store = await createBenchStore('postgres', 'cg_cluster');
      await runCli(['admin', 'create', ADMIN_USER, '--password-stdin', '--db', store.db], password, 120_000);
      listener = await listenForChanges(store.db, (change) => {
        countInto((result.notifications[current] ??= {}), change.kind);
        const awaited = awaitedNotify;
        if (
          awaited?.arrivedMs === undefined &&
          awaited?.issuerId === change.issuerId &&
          change.kind === 'key'
        )
          awaited.arrivedMs = performance.now() - awaited.since;
      });
      const db = store.db;
      const started = await Promise.allSettled(
        Array.from({ length: options.instances }, () =>
          startGateway(db, deadline, undefined, { CLAIMSGATE_METRICS_ENABLED: 'false' }),
        ),
      );
      for (const outcome of started) if (outcome.status === 'fulfilled') gateways.push(outcome.value);
      const failed = started.find((outcome) => outcome.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      result.listenSeconds.push(...gateways.map((gateway) => gateway.listenSeconds));
      for (const gateway of gateways) sessions.push(await signInAsAdmin(gateway.url, password, ADMIN_USER));
      const first = gateways[0]!;
      // One realm for the cluster: every gateway falls back to it (its URI is gateway 1's public URL).
      await adminPostOk(first.url, sessions[0]!, '/admin/api/realms', {
        realmUri: first.publicUrl,
        replyUrl: `${first.publicUrl}/signin/wsfed`,
      });
      realm = { audience: first.publicUrl };
      const manual = await adminPostOk(first.url, sessions[0]!, '/admin/api/issuers', {
        name: MANUAL_ISSUER,
        issuerUri: `https://sts.windows.net/${MANUAL_TENANT}/`,
        metadataUrl: null,
        loginUrl: LOGIN_URL,
        protocols: ['wsfed'],
      });
      manualId = String((manual['issuer'] as { id: string }).id);
      await adminPostOk(first.url, sessions[0]!, `/admin/api/issuers/${manualId}/keys`, {
        certificate: pool[0]!.base64,
      });
      const metadata = await adminPostOk(first.url, sessions[0]!, '/admin/api/issuers', {
        name: METADATA_ISSUER,
        issuerUri: `https://sts.windows.net/${METADATA_TENANT}/`,
        metadataUrl: server.url,
        loginUrl: LOGIN_URL,
        protocols: ['wsfed'],
      });
      metadataId = String((metadata['issuer'] as { id: string }).id);
      await adminPostOk(first.url, sessions[0]!, `/admin/api/issuers/${metadataId}/refresh`, undefined);
      // Every gateway signs in with the load key before the load begins.
      for (const [index, gateway] of gateways.entries()) {
        live.add(index);
        const target = { index, gateway };
        for (;;) {
          const outcome = await signIn(
            target.gateway,
            realm.audience,
            MANUAL_ISSUER,
            MANUAL_TENANT,
            pool[0]!,
          );
          if (outcome === 'ok') break;
          if (deadline.passed) throw new Error(`gateway ${index + 1} refuses the load key: ${outcome}`);
          await sleep(100);
        }
      }
    });
    if (setup !== 'ok') return result;
    // The load's tokens are signed now, so that signing them takes no CPU from the gateways while they are measured.
    const presigned = new Map<number, string[]>();
    const tokens = Math.min(MAX_PRESIGNED, Math.ceil(options.rate * options.seconds));
    log(`signing ${tokens} load tokens beforehand…`);
    await phase(result, 'presign', PHASE_SECONDS, async (deadline) => {
      for (let made = 0; made < tokens && !deadline.passed; made += 1) {
        const index = made % gateways.length;
        const list = presigned.get(index) ?? [];
        list.push(signedWresult(gateways[index]!, realm.audience, MANUAL_TENANT, pool[0]!));
        presigned.set(index, list);
        // Let the phase's time limit fire, should signing be that slow.
        if (made % 100 === 99) await sleep(0);
      }
    });
    const targets = (): Target[] =>
      [...live].sort((a, b) => a - b).map((index) => ({ index, gateway: gateways[index]! }));
    const phaseLimit = options.seconds + (PROPAGATION_LIMIT_MS / 1000) * 2 + 3 * PHASE_SECONDS;
    current = 'propagation';
    load = startLoad(
      options.rate,
      targets,
      realm,
      pool[0]!,
      () => current,
      Math.ceil(options.rate * phaseLimit),
      result,
      presigned,
    );
    const first = gateways[0]!;

    // ------------------------------------------------------------ 1. propagation
    log(
      `1. propagation: ${options.changes} keys added then revoked through gateway 1 over ${options.seconds} s, ` +
        `${options.rate} sign-ins/s over ${options.instances} gateways…`,
    );
    const added: (number | undefined)[][] = gateways.map(() => []);
    const revoked: (number | undefined)[][] = gateways.map(() => []);
    const addProbes = gateways.map(() => ({ count: 0, ms: 0 }));
    const revokeProbes = gateways.map(() => ({ count: 0, ms: 0 }));
    const addChanges: number[] = [];
    const revokeChanges: number[] = [];
    const addNotifies: (number | undefined)[] = [];
    const revokeNotifies: (number | undefined)[] = [];
    await phase(result, 'propagation', options.seconds + PHASE_SECONDS, async (deadline) => {
      const began = performance.now();
      for (let change = 0; change < options.changes && !deadline.passed; change += 1) {
        const due = began + (change * options.seconds * 1000) / options.changes;
        if (due > performance.now()) await sleep(due - performance.now());
        const signer = pool[3 + change]!;
        /** Makes the change and times it on every live gateway, whose first probes are ready before it. */
        const timeChange = async (
          make: () => Promise<void>,
          wanted: (outcome: string) => boolean,
          seen: (outcome: string) => void,
          probes: readonly { count: number; ms: number }[],
          into: (number | undefined)[][],
          changeTimes: number[],
          notifyTimes: (number | undefined)[],
        ): Promise<void> => {
          const observers = targets();
          const firsts = await Promise.all(
            observers.map((target) =>
              prepareSignIn(target.gateway, realm.audience, MANUAL_ISSUER, MANUAL_TENANT, signer),
            ),
          );
          const since = performance.now();
          const awaited = { since, issuerId: manualId, arrivedMs: undefined as number | undefined };
          awaitedNotify = awaited;
          await make();
          changeTimes.push(performance.now() - since);
          const times = await Promise.all(
            observers.map((target, position) =>
              timeUntil(
                target,
                realm,
                signer,
                since,
                Promise.resolve(firsts[position]!),
                wanted,
                seen,
                probes[target.index]!,
              ),
            ),
          );
          for (const [position, target] of observers.entries()) into[target.index]!.push(times[position]);
          notifyTimes.push(awaited.arrivedMs);
        };
        let keyId = '';
        await timeChange(
          async () => {
            const answer = await adminPostOk(first.url, sessions[0]!, `/admin/api/issuers/${manualId}/keys`, {
              certificate: signer.base64,
            });
            keyId = String((answer['key'] as { id: string }).id);
          },
          (outcome) => outcome === 'ok',
          () => undefined,
          addProbes,
          added,
          addChanges,
          addNotifies,
        );
        await timeChange(
          async () => {
            await adminPostOk(first.url, sessions[0]!, `/admin/api/keys/${keyId}/revoke`, {
              reason: 'cluster bench: revocation propagation',
            });
          },
          (outcome) => outcome.startsWith('CG_'),
          (outcome) => countInto(result.propagation.revokedCodes, outcome),
          revokeProbes,
          revoked,
          revokeChanges,
          revokeNotifies,
        );
        result.propagation.changesMade += 1;
      }
    });
    result.propagation.notifyMs = {
      added: summarise(addNotifies, { count: 0, ms: 0 }),
      revoked: summarise(revokeNotifies, { count: 0, ms: 0 }),
    };
    const afterNotify = (
      times: readonly (number | undefined)[][],
      notifies: readonly (number | undefined)[],
    ): Propagation[] =>
      times.map((row) =>
        summarise(
          row.map((time, change) => {
            const notified = notifies[change];
            return time === undefined || notified === undefined ? undefined : time - notified;
          }),
          { count: 0, ms: 0 },
        ),
      );
    result.propagation.afterNotify = {
      added: afterNotify(added, addNotifies),
      revoked: afterNotify(revoked, revokeNotifies),
    };
    result.propagation.changeMs = {
      added: summarise(addChanges, { count: 0, ms: 0 }),
      revoked: summarise(revokeChanges, { count: 0, ms: 0 }),
    };
    result.propagation.added.push(...added.map((times, index) => summarise(times, addProbes[index]!)));
    result.propagation.revoked.push(...revoked.map((times, index) => summarise(times, revokeProbes[index]!)));
    const manualAfterPropagation = await readIssuer(first.url, sessions[0]!, manualId).catch(() => undefined);

    // ------------------------------------------------------------ 2. forced refreshes
    current = 'refresh';
    log(
      `2. ${options.refreshRounds} rounds of a forced refresh of ${METADATA_ISSUER} on every gateway at once…`,
    );
    const theServer = server!;
    await phase(result, 'refresh', PHASE_SECONDS, async (deadline) => {
      for (let round = 0; round < options.refreshRounds && !deadline.passed; round += 1) {
        const before = theServer.requests();
        const answers = await Promise.all(
          targets().map((target) =>
            adminPost(
              target.gateway.url,
              sessions[target.index]!,
              `/admin/api/issuers/${metadataId}/refresh`,
              undefined,
            ),
          ),
        );
        for (const answer of answers)
          countInto(
            result.refresh.outcomes,
            answer.status === 200 ? String(answer.json['outcome']) : answer.code,
          );
        result.refresh.fetchesPerRound.push(theServer.requests() - before);
        await sleep(500);
      }
    });

    // ------------------------------------------------------------ 3. kill mid-refresh
    current = 'kill';
    const victim = gateways.length - 1;
    log(`3. kill: gateway ${victim + 1} SIGKILLed while its refresh waits for the metadata server…`);
    await phase(result, 'kill', PHASE_SECONDS, async (deadline) => {
      const reader = 0;
      const metadataBefore = await readIssuer(first.url, sessions[reader]!, metadataId);
      const manualBefore = await readIssuer(first.url, sessions[reader]!, manualId);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const changed = documentOf([pool[1]!, pool[2]!]);
      theServer.setMode({ kind: 'gated', gate, body: changed });
      const requestsBefore = theServer.requests();
      const doomed = gateways[victim]!;
      const exited = new Promise<void>((resolve) => {
        if (doomed.child.exitCode !== null || doomed.child.signalCode !== null) resolve();
        else doomed.child.once('exit', () => resolve());
      });
      const victimRefresh = adminPost(
        doomed.url,
        sessions[victim]!,
        `/admin/api/issuers/${metadataId}/refresh`,
        undefined,
      ).catch(() => undefined);
      while (theServer.requests() === requestsBefore && !deadline.passed) await sleep(10);
      result.kill.killedMidFetch = theServer.requests() > requestsBefore;
      live.delete(victim);
      const killedAt = performance.now();
      doomed.child.kill('SIGKILL');
      await exited;
      await victimRefresh;
      // Nothing of the held refresh may be in the store.
      const metadataAfter = await readIssuer(first.url, sessions[reader]!, metadataId);
      const manualAfter = await readIssuer(first.url, sessions[reader]!, manualId);
      result.kill.differences.push(
        ...differences(metadataBefore, metadataAfter, METADATA_ISSUER),
        ...differences(manualBefore, manualAfter, MANUAL_ISSUER),
      );
      result.kill.unchangedAfterKill = result.kill.differences.length === 0;
      // The metadata server now answers at once with the changed document.
      theServer.setMode({ kind: 'document', body: changed });
      release();
      const survivors = targets();
      const before = theServer.requests();
      const answers = await Promise.all(
        survivors.map((target) =>
          adminPost(
            target.gateway.url,
            sessions[target.index]!,
            `/admin/api/issuers/${metadataId}/refresh`,
            undefined,
          ),
        ),
      );
      result.kill.recoverySeconds = (performance.now() - killedAt) / 1000;
      result.kill.survivorFetches = theServer.requests() - before;
      for (const answer of answers)
        countInto(
          result.kill.survivorOutcomes,
          answer.status === 200 ? String(answer.json['outcome']) : answer.code,
        );
      const views = await Promise.all(
        survivors.map((target) => readIssuer(target.gateway.url, sessions[target.index]!, metadataId)),
      );
      const oldIds = new Set(metadataBefore.keys.map((key) => key.id));
      result.kill.newKeyStored = views.every(
        (view) =>
          JSON.stringify(view.keys) === JSON.stringify(views[0]!.keys) &&
          view.keys.length === metadataBefore.keys.length + 1 &&
          [...oldIds].every((id) => view.keys.some((key) => key.id === id)) &&
          new Set(view.keys.map((key) => key.sha1)).size === view.keys.length,
      );
      // The survivors sign in with the new key (a token of the metadata issuer signed by it).
      const signedIn = await Promise.all(
        survivors.map(async (target) => {
          const until = performance.now() + PROPAGATION_LIMIT_MS;
          for (;;) {
            const outcome = await signIn(
              target.gateway,
              realm.audience,
              METADATA_ISSUER,
              METADATA_TENANT,
              pool[2]!,
            );
            if (outcome === 'ok') return true;
            if (performance.now() > until) {
              result.kill.differences.push(`gateway ${target.index + 1} refused the new key: ${outcome}`);
              return false;
            }
            await sleep(50);
          }
        }),
      );
      result.kill.survivorsSignIn = signedIn.every(Boolean);
      if (manualAfterPropagation !== undefined) {
        const manualNow = await readIssuer(first.url, sessions[reader]!, manualId);
        result.kill.manualKeysKept =
          JSON.stringify(manualNow.keys) === JSON.stringify(manualAfterPropagation.keys);
      }
    });
    return result;
  } finally {
    current = 'cleanup';
    await load?.stop();
    await Promise.all(gateways.map((gateway) => gateway.stop().catch(() => undefined)));
    killChildren();
    await listener?.end().catch(() => undefined);
    await server?.close();
    await store?.dispose().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }
}

// ---------------------------------------------------------------- the report

const ms = (value: number | null): string => (value === null ? '—' : value.toFixed(0));
const counts = formatCounts;
const yes = (value: boolean | null): string => (value === null ? '—' : value ? 'yes' : 'NO');

/** The report of one run, for the terminal. */
export function formatClusterReport(result: ClusterResult): string {
  const { options } = result;
  const propagationRows = (kind: string, rows: readonly Propagation[]): string[] =>
    rows.map(
      (row, index) =>
        `${kind.padEnd(8)} ${`gateway ${index + 1}${index === 0 ? ' (changer)' : ''}`.padEnd(20)} ` +
        `${ms(row.p50Ms).padStart(6)} ${ms(row.p99Ms).padStart(6)} ${ms(row.maxMs).padStart(6)} ` +
        `${String(row.samples - row.missed).padStart(5)}/${row.samples} ${ms(row.probeMs).padStart(8)}`,
    );
  const fetches = result.refresh.fetchesPerRound;
  const distribution: Record<string, number> = {};
  for (const count of fetches) countInto(distribution, `${count} fetch${count === 1 ? '' : 'es'}`);
  const lines = [
    `claimsgate cluster bench — ${result.startedAt} — ${result.machine}`,
    `${options.instances} gateways on one PostgreSQL schema; ${options.rate} sign-ins/s over them throughout; ` +
      `${options.changes} key changes over ${options.seconds} s; ${options.refreshRounds} forced-refresh rounds`,
    `gateways listening after ${result.listenSeconds.map((value) => value.toFixed(1)).join(', ')} s`,
    '',
    'phase        status     seconds',
    ...Object.entries(result.phases).map(
      ([name, value]) =>
        `${name.padEnd(12)} ${value.status.padEnd(9)} ${value.seconds.toFixed(1).padStart(8)}${value.error === undefined ? '' : `  ${value.error}`}`,
    ),
    '',
    `1. propagation (ms from the admin API request to the first sign-in showing the change; ${result.propagation.changesMade} changes)`,
    'change   at                      p50    p99    max  seen   probe ms',
    ...propagationRows('added', result.propagation.added),
    ...propagationRows('revoked', result.propagation.revoked),
    `   its NOTIFY reached a LISTEN session (ms, included above): ` +
      `add p50 ${ms(result.propagation.notifyMs.added.p50Ms)}, p99 ${ms(result.propagation.notifyMs.added.p99Ms)}; ` +
      `revoke p50 ${ms(result.propagation.notifyMs.revoked.p50Ms)}, p99 ${ms(result.propagation.notifyMs.revoked.p99Ms)}` +
      ` (${result.propagation.notifyMs.added.missed + result.propagation.notifyMs.revoked.missed} not seen)`,
    `   from the NOTIFY to the sign-in showing the change, per gateway (ms; p50/p99): ` +
      result.propagation.afterNotify.added
        .map(
          (row, index) =>
            `${index + 1}: add ${ms(row.p50Ms)}/${ms(row.p99Ms)}, revoke ${ms(result.propagation.afterNotify.revoked[index]?.p50Ms ?? null)}/${ms(result.propagation.afterNotify.revoked[index]?.p99Ms ?? null)}`,
        )
        .join('; '),
    `   gateway 1's admin API answered the change in (ms, included above): ` +
      `add p50 ${ms(result.propagation.changeMs.added.p50Ms)}, p99 ${ms(result.propagation.changeMs.added.p99Ms)}; ` +
      `revoke p50 ${ms(result.propagation.changeMs.revoked.p50Ms)}, p99 ${ms(result.propagation.changeMs.revoked.p99Ms)}`,
    `   revoked key's tokens refused with: ${counts(result.propagation.revokedCodes)}`,
    `2. refresh    fetches per round (one forced refresh per gateway, all at once): ${fetches.join(' ') || '—'} (${counts(distribution)})`,
    `              answers: ${counts(result.refresh.outcomes)}`,
    `3. kill       refresh in flight when killed: ${yes(result.kill.killedMidFetch)}; store unchanged right after: ${yes(result.kill.unchangedAfterKill)}`,
    `              survivors' forced refresh: ${result.kill.survivorFetches ?? '—'} fetches, answers ${counts(result.kill.survivorOutcomes)}, ` +
      `${result.kill.recoverySeconds === null ? '—' : result.kill.recoverySeconds.toFixed(2)} s after the kill`,
    `              new key stored once and alike on every survivor: ${yes(result.kill.newKeyStored)}; ` +
      `survivors sign in with it: ${yes(result.kill.survivorsSignIn)}; manual keys kept: ${yes(result.kill.manualKeysKept)}`,
    ...result.kill.differences.map((difference) => `              ${difference}`),
    '',
    `store change notifications by phase: ${Object.entries(result.notifications)
      .map(([name, kinds]) => `${name}: ${counts(kinds)}`)
      .join('; ')}`,
    'sign-in load (ok; failed by code; latency of the ok ones):',
    ...Object.entries(result.load.byPhase).map(
      ([name, value]) =>
        `   ${name.padEnd(12)} ok ${value.ok}; failed: ${counts(value.failed)}; p50 ${ms(value.p50Ms)} ms, p99 ${ms(value.p99Ms)} ms`,
    ),
  ];
  return lines.join('\n');
}

export async function runClusterBench(argv: readonly string[]): Promise<void> {
  await runPhasedBench(argv, {
    usage: USAGE,
    readOptions,
    run: runCluster,
    format: formatClusterReport,
    killChildren,
  });
}
