import type { KeyRing, SimSigningKey } from './key-ring.js';
import type { SimLogger } from './sim-logger.js';

/** One step of the rollover schedule, or all three at once (`full`). */
export type RolloverStep = 'announce' | 'switch' | 'retire' | 'full';

export const ROLLOVER_STEPS: readonly RolloverStep[] = ['announce', 'switch', 'retire', 'full'];

/** What one step did to one tenant's keys. */
export interface RolloverOutcome {
  readonly tenant: string;
  readonly step: Exclude<RolloverStep, 'full'>;
  /** False when there was nothing to do (a next key already announced, no previous key to retire). */
  readonly changed: boolean;
  /** A switch without an announced key: the new key signs at once, unannounced. */
  readonly emergency: boolean;
  /** The kid of the key that signs after the step. */
  readonly currentKid: string;
  /** kid → state after the step, for every published key. */
  readonly published: Readonly<Record<string, string>>;
}

function describePublished(keys: readonly SimSigningKey[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key.kid, key.state]));
}

async function runOne(ring: KeyRing, step: Exclude<RolloverStep, 'full'>): Promise<RolloverOutcome> {
  let changed: boolean;
  let emergency = false;
  switch (step) {
    case 'announce':
      changed = await ring.announce();
      break;
    case 'switch':
      ({ emergency } = await ring.switchKeys());
      changed = true;
      break;
    case 'retire':
      changed = ring.retire();
      break;
  }
  return {
    tenant: ring.tenant,
    step,
    changed,
    emergency,
    currentKid: ring.current().kid,
    published: describePublished(ring.published()),
  };
}

/**
 * Runs one rollover step on a tenant's keys — announce a next key, switch
 * (next → current, current → previous), retire the previous key — or the
 * three in order for `full`, and logs one line per step.
 */
export async function runRolloverStep(
  ring: KeyRing,
  step: RolloverStep,
  logger: SimLogger,
): Promise<RolloverOutcome[]> {
  const steps: Array<Exclude<RolloverStep, 'full'>> =
    step === 'full' ? ['announce', 'switch', 'retire'] : [step];
  const outcomes: RolloverOutcome[] = [];
  for (const one of steps) {
    const outcome = await runOne(ring, one);
    logger({ level: outcome.emergency ? 'warn' : 'info', event: `idp-sim.rollover.${one}`, ...outcome });
    outcomes.push(outcome);
  }
  return outcomes;
}

/**
 * How the schedule rolls keys: `announced` publishes the next key a step
 * before it signs (announce → switch → retire), as Azure AD and AD FS do;
 * `unannounced` switches to a key nobody has seen (switch → retire), as an
 * emergency rollover does.
 */
export type RolloverMode = 'announced' | 'unannounced';

export const ROLLOVER_MODES: readonly RolloverMode[] = ['announced', 'unannounced'];

/**
 * The step the schedule takes next, read from the keys' states so that steps
 * run by hand in between keep the cycle in order: retire a previous key if
 * there is one, else switch to an announced key, else announce one (or, in
 * the `unannounced` mode, switch to a new key at once).
 */
export function nextScheduledStep(
  ring: KeyRing,
  mode: RolloverMode = 'announced',
): Exclude<RolloverStep, 'full'> {
  const states = new Set(ring.published().map((key) => key.state));
  if (states.has('previous')) return 'retire';
  if (states.has('next') || mode === 'unannounced') return 'switch';
  return 'announce';
}

/** A running rollover schedule. */
export interface RolloverSchedule {
  /** Stops the timer and waits for a step in progress to finish. */
  stop(): Promise<void>;
}

/** Options of {@link startRolloverSchedule}. */
export interface RolloverScheduleOptions {
  readonly rings: readonly KeyRing[];
  readonly everyMs: number;
  readonly logger: SimLogger;
  /** Default `announced`. */
  readonly mode?: RolloverMode;
}

/**
 * Runs one scheduled step on every tenant every `everyMs` (announce → switch
 * → retire → announce …, or switch → retire → switch … unannounced). The next step is timed from the end of the last
 * one, so that steps never overlap however long key generation takes. A step
 * that fails is logged and the schedule goes on.
 *
 * @throws TypeError when `everyMs` is not a positive integer.
 */
export function startRolloverSchedule(options: RolloverScheduleOptions): RolloverSchedule {
  const { everyMs, rings, logger } = options;
  const mode = options.mode ?? 'announced';
  if (!Number.isSafeInteger(everyMs) || everyMs < 1)
    throw new TypeError('everyMs must be a positive integer');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const runStep = async (): Promise<void> => {
    for (const ring of rings) {
      if (stopped) return;
      try {
        await runRolloverStep(ring, nextScheduledStep(ring, mode), logger);
      } catch (error) {
        logger({
          level: 'error',
          event: 'idp-sim.schedule.failed',
          tenant: ring.tenant,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  };
  const schedule = (): void => {
    timer = setTimeout(() => {
      running = runStep().finally(() => {
        running = undefined;
        if (!stopped) schedule();
      });
    }, everyMs);
    // The server keeps the process alive; the schedule alone should not.
    timer.unref();
  };
  schedule();
  return {
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
