/** What `eectl dashboard` serves (the `--json` result, printed once it listens). */
export interface DashboardResult {
  cluster: string;
  url: string;
  listen: string;
  port: number;
  user: string;
  bundle: string;
  managers: string[];
  /** Where the actions the page offers come from. */
  permissions: string;
}
