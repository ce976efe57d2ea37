import type { HookAction, HookStage } from '../config/schema.js';

/** One hook on one host: run, with its exit code and seconds, or (under --dry-run) only listed. */
export interface HookRun {
  /** Where the hook is in the cluster file: `spec.hooks.install.before[0]`. */
  hook: string;
  /** The hook's `name`, when it has one. */
  name?: string;
  action: HookAction;
  stage: HookStage;
  host: string;
  /** False under --dry-run: listed, not run. */
  ran: boolean;
  /** The script's exit code (0: it succeeded); null when it was killed (a timeout). Absent when not run. */
  exitCode?: number | null;
  seconds?: number;
}

/** What the results of the actions that run hooks (install, upgrade, backup, reset) add: the hooks, in the order they ran. */
export interface HooksReport {
  hooks: HookRun[];
}
