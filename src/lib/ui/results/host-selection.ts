/** Which hosts a run left alone by the user's choice (`--hosts`, `--exclude`), in its plan and `--json` result. */
export interface HostSelectionReport {
  /** Left out with --exclude: not contacted and not changed. */
  excluded: string[];
  /** Not named by --hosts: read for the plan, and left on what they run. */
  notSelected: string[];
}
