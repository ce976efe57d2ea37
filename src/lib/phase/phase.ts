import type { Logger } from '../ui/log.js';
import type { ChangeLog } from './changes.js';

/** What every phase can reach; actions extend it with their own state (hosts, config, tokens). */
export interface PhaseContext {
  log: Logger;
  /** Every change goes through it; `changes.dryRun` is the run's one dry-run switch. */
  changes: ChangeLog;
  /** Per-host work runs in parallel up to this many hosts. */
  concurrency: number;
  signal?: AbortSignal;
}

/** Where a running phase reports progress: the last line shown under its title. */
export interface PhaseOutput {
  report(host: string, line: string): void;
  /** A composed phase hands over the times of the phases it ran, reported after its own as `outer › inner`. */
  inner?(timings: readonly PhaseTiming[]): void;
}

/**
 * One step of an action (after k0sctl's phases): small, reads top to bottom, names the host in every line
 * it logs. `prepare` picks its hosts, `shouldRun` skips it when there is nothing to do, `cleanup` undoes
 * what a failed run left half-done.
 */
export interface Phase<C extends PhaseContext = PhaseContext> {
  readonly title: string;
  prepare?(ctx: C): void | Promise<void>;
  shouldRun?(ctx: C): boolean;
  run(ctx: C, out: PhaseOutput): Promise<void>;
  cleanup?(ctx: C): Promise<void>;
}

/** How long a phase took, for summaries, `--json` and benchmarks. */
export interface PhaseTiming {
  title: string;
  ms: number;
  skipped: boolean;
}
