import type { ClusterLock } from '../../cluster/lock.js';
import type { Logger } from '../../util/log.js';
import type { ChangeLog } from './changes.js';

/** What every phase can reach; actions extend it with their own state (hosts, config, tokens). */
export interface PhaseContext {
  log: Logger;
  /** Every change goes through it; `changes.dryRun` is the run's one dry-run switch. */
  changes: ChangeLog;
  /** Per-host work runs in parallel up to this many hosts. */
  concurrency: number;
  signal?: AbortSignal;
  /** The cluster lock, once taken: the runner checks it is still held before each phase. */
  lock?: ClusterLock;
}

/** Where a running phase reports progress: the last line shown under its title. */
export interface PhaseOutput {
  report(host: string, line: string): void;
  /** A composed phase hands over the times of the phases it ran, reported after its own as `outer › inner`. */
  inner?(timings: readonly PhaseTiming[]): void;
}

/** The context with fields that earlier phases fill in known to be there. */
export type With<C, K extends keyof C> = C & { [P in K]-?: NonNullable<C[P]> };

/**
 * One step of an action (after k0sctl's phases): small, reads top to bottom, names the host in every line
 * it logs. `prepare` picks its hosts, `shouldRun` skips it when there is nothing to do, `cleanup` undoes
 * what a failed run left half-done.
 *
 * `needs` names the context fields this phase needs earlier phases to have set (`K`): `run` sees them set
 * in its type, and the runner checks them before `run`, so a list that puts the phase before what sets
 * them fails on its first run (and in the action-level tests) with the phase and the field named.
 */
export interface Phase<C extends PhaseContext = PhaseContext, K extends keyof C = never> {
  readonly title: string;
  readonly needs?: readonly K[];
  prepare?(ctx: C): void | Promise<void>;
  shouldRun?(ctx: C): boolean;
  run(ctx: With<C, K>, out: PhaseOutput): Promise<void>;
  cleanup?(ctx: C): Promise<void>;
}

/** What a phase of a finished run set (an action shaping its result): a bug in the list when it did not. */
export function setByPhases<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`bug: the run ended without ${what}`);
  return value;
}

/** A phase of an action's list, whatever it needs. */
export type AnyPhase<C extends PhaseContext> = Phase<C, keyof C>;

/** How long a phase took, for summaries, `--json` and benchmarks. */
export interface PhaseTiming {
  title: string;
  ms: number;
  skipped: boolean;
}
