/**
 * What every result of an action has: the typed results of actions (one file per feature in this folder) are
 * what each command prints and what `--json` reports. Plain data, kept below the actions that produce them and
 * the renderers (`ui/`) and commands that show them, so that all of them import results downward.
 */

/** One change to one host: made, or (under --dry-run) only described. */
export interface Change {
  host: string;
  description: string;
  applied: boolean;
}

/** A phase's time as results report it (`--json`, summaries, benchmarks). */
export interface PhaseReport {
  title: string;
  seconds: number;
  skipped: boolean;
}

/** What the runner reports of every action: its phases' times and the whole run's. */
export interface ActionReport {
  phases: PhaseReport[];
  seconds: number;
}

/** What every result of an action that changes hosts has: dry run or not, the changes, the times. */
export interface ChangeReport extends ActionReport {
  dryRun: boolean;
  changes: Change[];
}

/** Which hosts a run left alone by the user's choice (`--hosts`, `--exclude`), in its plan and `--json` result. */
export interface HostSelectionReport {
  /** Left out with --exclude: not contacted and not changed. */
  excluded: string[];
  /** Not named by --hosts: read for the plan, and left on what they run. */
  notSelected: string[];
}

/** A host of the file that could not be reached, and why. */
export interface UnreachableHost {
  host: string;
  message: string;
}
